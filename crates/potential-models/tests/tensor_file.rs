//! The shared safetensors reader (`TensorFile`) and `read_regular_file`: every accessor on a file
//! with F32 and U8 tensors and metadata, an empty file, and the refusal of directories, devices and
//! FIFOs, each named.

use potential_models::{read_regular_file, safetensors_f32_bytes, FormatError, TensorFile};
use safetensors::tensor::{Dtype, TensorView};
use std::collections::BTreeMap;

/// A file with F32 tensors `a` (2×2) and `b` (3), a U8 tensor `u` (2×3), and two metadata entries.
fn bytes() -> Vec<u8> {
    let a = [1.0f32, 2.0, 3.0, 4.0];
    let b = [5.0f32, 6.0, 7.0];
    let u = [1u8, 2, 3, 4, 5, 6];
    let le = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let (ab, bb) = (le(&a), le(&b));
    let views = [
        ("a", TensorView::new(Dtype::F32, vec![2, 2], &ab).unwrap()),
        ("b", TensorView::new(Dtype::F32, vec![3], &bb).unwrap()),
        ("u", TensorView::new(Dtype::U8, vec![2, 3], &u).unwrap()),
    ];
    // Collected into whichever map safetensors takes (it depends on safetensors' `std` feature).
    let meta = [("format", "test"), ("k", "v")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    safetensors::serialize(views, Some(meta)).unwrap()
}

#[test]
fn every_accessor_reads_what_the_file_holds() {
    let b = bytes();
    let f = TensorFile::parse(&b).unwrap();
    let meta: BTreeMap<_, _> = f.metadata().iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(meta, BTreeMap::from([("format", "test"), ("k", "v")]));
    assert_eq!((f.meta("k").unwrap(), f.meta_opt("nope")), ("v", None));
    assert_eq!(f.names(), ["a", "b", "u"]);
    assert!(f.contains("a") && f.contains("u") && !f.contains("z"));
    assert_eq!((f.len(), f.is_empty()), (3, false));
    assert_eq!((f.shape("a").unwrap(), f.shape("u").unwrap()), (vec![2, 2], vec![2, 3]));
    assert!(matches!(f.shape("z"), Err(FormatError::MissingTensor { .. })));
    assert_eq!(f.f32_shaped("b", &[3]).unwrap(), [5.0, 6.0, 7.0]);
    assert_eq!(f.u8_shaped("u", &[2, 3]).unwrap(), [1, 2, 3, 4, 5, 6]);
    assert!(matches!(
        f.u8_shaped("u", &[3, 2]),
        Err(FormatError::WrongShape { ref expected, ref found, .. }) if expected == &[3, 2] && found == &[2, 3]
    ));
    assert!(matches!(f.u8_shaped("a", &[2, 2]), Err(FormatError::WrongDtype { .. })));
    let debug = format!("{f:?}");
    assert!(
        debug.starts_with("TensorFile")
            && debug.contains(r#"["a", "b", "u"]"#)
            && debug.contains(r#""k": "v""#)
    );
    // No tensors at all.
    let empty = safetensors_f32_bytes(&BTreeMap::new(), &BTreeMap::new());
    let e = TensorFile::parse(&empty).unwrap();
    assert_eq!((e.len(), e.is_empty(), e.names().len()), (0, true, 0));
}

#[test]
fn only_regular_files_are_read_and_others_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f.bin");
    std::fs::write(&file, b"abc").unwrap();
    assert_eq!(read_regular_file(&file).unwrap(), b"abc");
    let msg = |p: &std::path::Path| {
        let e = read_regular_file(p).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
        e.to_string()
    };
    assert!(msg(dir.path()).starts_with("a directory,"));
    #[cfg(unix)]
    {
        assert!(msg(std::path::Path::new("/dev/null")).starts_with("a device or special file,"));
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo (coreutils)");
        assert!(made.success());
        assert!(msg(&fifo).starts_with("a FIFO"));
    }
}
