//! Readers against real files: NumPy-written .npy fixtures (tests/data/make_npy_fixtures.py), MNIST
//! IDX raw and .gz from the shared datasets folder, .amat plain/.gz/.zip, and malformed files on disk.

use potential_data::*;
use std::io::Write;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

const BASE: [f32; 6] = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25];

#[test]
fn numpy_written_features_of_every_supported_dtype() {
    for (name, expect) in [
        ("f4_2x3.npy", BASE.to_vec()),
        ("f8_2x3.npy", BASE.to_vec()),
        ("f4be_2x3.npy", BASE.to_vec()),
        ("f4_v2_2x3.npy", BASE.to_vec()),
        ("i2be_2x3.npy", BASE.iter().map(|v| v * 4.0).collect()),
        ("u1_2x3.npy", BASE.iter().map(|v| v * 4.0).collect()),
    ] {
        let f = read_npy_features(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((f.n(), f.d()), (2, 3), "{name}");
        assert_eq!(f.as_slice(), &expect[..], "{name}");
        assert!(!f.is_mapped());
        let g = open_features(fixture(name)).unwrap();
        assert_eq!(g.as_slice(), &expect[..], "{name} via open_features");
    }
    // Rank 3 flattens to [n, 28*28]-style rows.
    let f = read_npy_features(fixture("f4_1x2x3.npy")).unwrap();
    assert_eq!((f.n(), f.d()), (1, 6));
}

#[test]
fn numpy_written_f4_maps_without_copy() {
    // SAFETY: the fixture is not modified during the test.
    let f = unsafe { map_npy_features(fixture("f4_2x3.npy")) }.unwrap();
    assert!(f.is_mapped());
    assert_eq!(f.as_slice(), &BASE);
    assert_eq!(f.rows(1..2).row(0), &BASE[3..]);
    // Big-endian and f8 fall back to an owned conversion.
    // SAFETY: as above.
    let g = unsafe { map_npy_features(fixture("f4be_2x3.npy")) }.unwrap();
    assert!(!g.is_mapped());
    assert_eq!(g.as_slice(), &BASE);
}

#[test]
fn numpy_written_labels() {
    assert_eq!(read_npy_labels(fixture("labels_u1.npy")).unwrap(), vec![0, 1, 2]);
    assert_eq!(read_npy_labels(fixture("labels_i4.npy")).unwrap(), vec![9, 0, 300]);
    assert_eq!(read_npy_labels(fixture("labels_i8_2x1.npy")).unwrap(), vec![4, 5]);
    assert!(matches!(read_npy_labels(fixture("labels_neg.npy")), Err(DataError::BadLabel { row: 1, .. })));
    assert!(matches!(read_npy_labels(fixture("f4_2x3.npy")), Err(DataError::BadShape { .. })));
}

#[test]
fn unsupported_npy_dtype_order_and_nan() {
    for name in ["f2_2x3.npy", "c8_2.npy"] {
        match read_npy_features(fixture(name)) {
            Err(DataError::UnsupportedDtype { path, .. }) => assert!(path.ends_with(name)),
            other => panic!("{name}: {other:?}"),
        }
    }
    // A 2-D Fortran-order array (numpy: [[0, .25, .5], [.75, 1, 1.25]]) is read as rows, mapped or not.
    let want = [0.0f32, 0.25, 0.5, 0.75, 1.0, 1.25];
    assert_eq!(read_npy_features(fixture("f4_fortran_2x3.npy")).unwrap().as_slice(), want);
    // SAFETY: the fixture is not modified during the test.
    let mapped = unsafe { map_npy_features(fixture("f4_fortran_2x3.npy")) }.unwrap();
    assert_eq!((mapped.n(), mapped.d(), mapped.as_slice()), (2, 3, &want[..]));
    match open_features(fixture("f4_nan.npy")) {
        Err(DataError::NonFinite { row: 1, col: 1, value, .. }) => assert!(value.is_nan()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn truncated_and_padded_npy_files() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(fixture("f4_2x3.npy")).unwrap();
    let short = dir.path().join("short.npy");
    std::fs::write(&short, &good[..good.len() - 3]).unwrap();
    assert!(matches!(read_npy_features(&short), Err(DataError::Truncated { what: ".npy payload", .. })));
    std::fs::write(&short, &good[..50]).unwrap();
    assert!(matches!(read_npy_features(&short), Err(DataError::Truncated { what: ".npy header", .. })));
    std::fs::write(&short, &good[..5]).unwrap();
    // Too short even for the magic: detected by extension, then the reader reports the truncation.
    assert!(matches!(read_npy_features(&short), Err(DataError::Truncated { .. })));
    let long = dir.path().join("long.npy");
    let mut v = good.clone();
    v.extend_from_slice(&[0; 4]);
    std::fs::write(&long, &v).unwrap();
    assert!(matches!(read_npy_features(&long), Err(DataError::TrailingBytes { extra: 4, .. })));
    let bad = dir.path().join("bad.npy");
    let mut v = good;
    v[1] = b'X';
    std::fs::write(&bad, &v).unwrap();
    assert!(matches!(read_npy_features(&bad), Err(DataError::BadMagic { .. })));
    assert!(matches!(open_features(&bad), Err(DataError::UnknownFormat { .. })));
}

#[test]
fn labels_of_a_different_length_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("x.npy");
    write_npy_f32(&x, &BASE, &[2, 3]).unwrap();
    let l = dir.path().join("x-labels.npy");
    write_npy_labels(&l, &[1, 2, 3]).unwrap();
    match open_dataset(&x, None) {
        Err(DataError::LengthMismatch { features: 2, labels: 3, labels_path, .. }) => {
            assert_eq!(labels_path, l)
        }
        other => panic!("{other:?}"),
    }
    write_npy_labels(&l, &[1, 0]).unwrap();
    let ds = open_dataset(&x, None).unwrap();
    assert_eq!(ds.labels(), &[1, 0]);
}

fn amat_text() -> String {
    let mut s = String::new();
    for i in 0..50 {
        let row: Vec<String> = (0..4).map(|j| format!("{:.7e}", (i * 4 + j) as f32 / 200.0)).collect();
        s.push_str(&format!("{} {:.7e}\n", row.join(" "), (i % 3) as f32));
    }
    s
}

#[test]
#[cfg(feature = "zip")]
fn amat_plain_gz_and_zip_agree() {
    let dir = tempfile::tempdir().unwrap();
    let text = amat_text();
    let plain = dir.path().join("a.amat");
    std::fs::write(&plain, &text).unwrap();
    let gz = dir.path().join("a.amat.gz");
    let mut enc =
        flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap();
    let zipped = dir.path().join("a.zip");
    let mut zw = zip::ZipWriter::new(std::fs::File::create(&zipped).unwrap());
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zw.start_file("README.txt", opts).unwrap();
    zw.write_all(b"not data").unwrap();
    zw.start_file("mnist_train.amat", opts).unwrap();
    zw.write_all(text.as_bytes()).unwrap();
    zw.finish().unwrap();

    let (f, l) = read_amat(&plain).unwrap();
    assert_eq!((f.n(), f.d()), (50, 4));
    assert_eq!(f.row(1), &[0.02, 0.025, 0.03, 0.035]);
    assert_eq!(&l[..4], &[0, 1, 2, 0]);
    for p in [&gz, &zipped] {
        assert_eq!(detect_format(p).unwrap(), Format::Amat, "{p:?}");
        let (g, m) = read_amat(p).unwrap();
        assert_eq!(g.as_slice(), f.as_slice());
        assert_eq!(m, l);
        assert_eq!(open_labels(p).unwrap(), l);
    }
    // An error inside the zip names the archive entry and the line.
    let bad = dir.path().join("bad.zip");
    let mut zw = zip::ZipWriter::new(std::fs::File::create(&bad).unwrap());
    zw.start_file("x.amat", opts).unwrap();
    zw.write_all(b"0 1 2\n0 1 2\n0 oops 2\n").unwrap();
    zw.finish().unwrap();
    let e = read_amat(&bad).unwrap_err();
    assert!(e.to_string().ends_with("bad.zip/x.amat:3: column 2: bad number \"oops\""), "{e}");
    // A zip without an .amat entry.
    let none = dir.path().join("none.zip");
    let mut zw = zip::ZipWriter::new(std::fs::File::create(&none).unwrap());
    zw.start_file("x.txt", opts).unwrap();
    zw.finish().unwrap();
    assert!(matches!(read_amat(&none), Err(DataError::Zip { .. })));
}

#[test]
fn streamed_amat_to_npy_matches_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("a.amat");
    std::fs::write(&plain, amat_text()).unwrap();
    let out = dir.path().join("a.npy");
    let mut w: Option<NpyRowWriter> = None;
    for_each_amat_row(&plain, |row, _| {
        let w = match &mut w {
            Some(w) => w,
            None => w.insert(NpyRowWriter::create(&out, row.len())?),
        };
        w.push_row(row)
    })
    .unwrap();
    w.unwrap().finish().unwrap();
    // SAFETY: the file is not modified during the test.
    let mapped = unsafe { open_features_mapped(&out) }.unwrap();
    assert!(mapped.is_mapped());
    assert_eq!(mapped.as_slice(), read_amat(&plain).unwrap().0.as_slice());
    assert_eq!(read_npy_header(&out).unwrap().data_offset % 64, 0);
}

#[test]
fn unknown_format() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.bin");
    std::fs::write(&p, b"hello world").unwrap();
    assert!(matches!(open_features(&p), Err(DataError::UnknownFormat { .. })));
    assert!(matches!(open_features(dir.path().join("missing.npy")), Err(DataError::Io { .. })));
}

#[test]
fn mnist_idx_raw_and_gz() {
    let Some(img) = shared_data("mnist/t10k-images-idx3-ubyte") else { return };
    let lab = img.with_file_name("t10k-labels-idx1-ubyte");
    let raw = std::fs::read(&img).unwrap();
    let f = read_idx_images(&img).unwrap();
    assert_eq!((f.n(), f.d()), (10000, 784));
    assert_eq!(f.value_range(), Some((0.0, 1.0)));
    // Pixel k of the file is byte 16 + k, scaled by 1/255.
    for k in [0usize, 200, 783, 7_839_999] {
        assert_eq!(f.as_slice()[k], raw[16 + k] as f32 / 255.0);
    }
    let labels = read_idx_labels(&lab).unwrap();
    assert_eq!(label_histogram(&labels), vec![980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);

    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("t10k-images-idx3-ubyte.gz");
    let mut enc =
        flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    enc.write_all(&raw).unwrap();
    enc.finish().unwrap();
    assert_eq!(detect_format(&gz).unwrap(), Format::Idx);
    assert_eq!(open_features(&gz).unwrap().as_slice(), f.as_slice());

    // Truncated raw and gz files, and images read as labels (and the reverse).
    let short = dir.path().join("short-idx3-ubyte");
    std::fs::write(&short, &raw[..raw.len() - 1]).unwrap();
    assert!(matches!(read_idx_images(&short), Err(DataError::Truncated { expected: 7_840_000, .. })));
    let gz_bytes = std::fs::read(&gz).unwrap();
    let short_gz = dir.path().join("short-idx3-ubyte.gz");
    std::fs::write(&short_gz, &gz_bytes[..gz_bytes.len() / 2]).unwrap();
    assert!(matches!(read_idx_images(&short_gz), Err(DataError::Io { .. })));
    assert!(matches!(read_idx_labels(&img), Err(DataError::BadShape { .. })));
    assert!(matches!(read_idx_images(&lab), Err(DataError::BadShape { .. })));
    // Companion labels and a length mismatch between test images and train labels.
    assert_eq!(companion_labels_path(&img), Some(lab.clone()));
    let train_lab = img.with_file_name("train-labels-idx1-ubyte");
    assert!(matches!(open_dataset(&img, Some(&train_lab)), Err(DataError::LengthMismatch { .. })));
}

#[test]
fn mnist_loads_and_round_trips_through_mapped_npy() {
    let Some(img) = shared_data("mnist/t10k-images-idx3-ubyte") else { return };
    let (train, test) = load_mnist(img.parent().unwrap()).unwrap();
    assert_eq!((train.n(), test.n()), (60000, 10000));
    let splits = Splits::from_train_file(&train, test, 10000).unwrap();
    assert_eq!((splits.train.n(), splits.valid.n()), (50000, 10000));
    assert_eq!(splits.valid.features().row(0), train.features().row(50000));

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t10k.npy");
    let t = &splits.test;
    write_npy_f32(&out, t.features().as_slice(), &[t.n(), t.d()]).unwrap();
    // SAFETY: the file is not modified during the test.
    let m = unsafe { open_features_mapped(&out) }.unwrap();
    assert!(m.is_mapped());
    assert_eq!(m.as_slice(), t.features().as_slice());
}
