//! .npy: header parsing of arbitrary bytes must return a header consistent with itself or a typed
//! error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = potential_data::parse_npy_header(data) {
        assert!(h.data_offset <= data.len());
        assert_eq!(h.payload_len, h.shape.iter().product::<usize>() * h.dtype.size);
    }
});
