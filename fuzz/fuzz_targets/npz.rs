//! .npz: reading a member of arbitrary archive bytes must give a payload consistent with its
//! header or a typed error, never panic, hang or allocate beyond what the header declares.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Cursor;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok((_, h, payload)) = potential_data::read_npz_member(Cursor::new(data), Path::new("<fuzz>"), None, "X") {
        assert_eq!(payload.len(), h.payload_len);
    }
});
