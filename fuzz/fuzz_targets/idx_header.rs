//! IDX: header parsing and whole-file parsing of arbitrary bytes must return a value or a typed
//! error, never panic, and never allocate more than the input justifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = potential_data::parse_idx_header(data) {
        assert_eq!(h.header_len, 4 + 4 * h.dims.len());
        assert_eq!(h.payload_len, h.dims.iter().product::<usize>() * h.dtype.size());
    }
    if let Ok(a) = potential_data::parse_idx(data, Path::new("fuzz")) {
        assert_eq!(a.values.len() * a.header.dtype.size(), a.header.payload_len);
        assert_eq!(a.header.header_len + a.header.payload_len, data.len());
    }
});
