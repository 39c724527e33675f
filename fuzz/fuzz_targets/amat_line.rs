//! .amat: the line parser and the streaming reader on arbitrary text must return rows or a typed
//! error naming a line that exists, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use potential_data::{parse_amat_line, AmatReader, DataError};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let mut row = Vec::new();
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(Some(_label)) = parse_amat_line(text, 1, Path::new("fuzz"), &mut row) {
            assert!(!row.is_empty() && row.iter().all(|v| v.is_finite()));
        }
    }
    let lines = data.split(|&b| b == b'\n').count() as u64;
    let mut r = AmatReader::new(data, "fuzz");
    loop {
        match r.next_row(&mut row) {
            Ok(Some(_)) => assert_eq!(Some(row.len()), r.d()),
            Ok(None) => break,
            Err(DataError::Parse { line, .. }) => {
                assert!(line >= 1 && line <= lines);
                break;
            }
            Err(e) => panic!("unexpected error kind: {e}"),
        }
    }
});
