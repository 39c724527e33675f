//! `.npz` archives: stored and deflated members, member selection, Fortran order, labels, the real
//! ADBench files, and every error naming the archive and member.

use potential_data::{open_features, open_labels, shared_data, DataError};
use std::io::Write;
use std::path::Path;

/// A `.npy` file's bytes: `descr` dtype, `shape`, C or Fortran order, raw payload.
fn npy(descr: &str, fortran: bool, shape: &str, payload: &[u8]) -> Vec<u8> {
    let dict = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
        if fortran { "True" } else { "False" }
    );
    let mut text = dict.into_bytes();
    while (10 + text.len() + 1) % 64 != 0 {
        text.push(b' ');
    }
    text.push(b'\n');
    let mut v = b"\x93NUMPY".to_vec();
    v.extend_from_slice(&[1, 0]);
    v.extend_from_slice(&(text.len() as u16).to_le_bytes());
    v.extend_from_slice(&text);
    v.extend_from_slice(payload);
    v
}

/// Write an archive of `(member name, bytes)`, deflated or stored.
fn npz(path: &Path, members: &[(&str, Vec<u8>)], deflate: bool) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let method = if deflate { zip::CompressionMethod::Deflated } else { zip::CompressionMethod::Stored };
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, bytes) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap();
}

fn f64s(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[test]
fn members_stored_or_deflated_c_or_fortran_order() {
    let dir = tempfile::tempdir().unwrap();
    // X = [[1, 2, 3], [4, 5, 6]]: C order, and the same in Fortran order (column by column).
    let c = f64s(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let f = f64s(&[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    let y = f64s(&[0.0, 1.0]);
    for deflate in [false, true] {
        let p = dir.path().join(format!("t{deflate}.npz"));
        npz(
            &p,
            &[
                ("X.npy", npy("<f8", false, "(2, 3)", &c)),
                ("F.npy", npy("<f8", true, "(2, 3)", &f)),
                ("y.npy", npy("<f8", false, "(2,)", &y)),
                ("k.npy", npy("|u1", false, "(2,)", &[3, 7])),
            ],
            deflate,
        );
        let x = open_features(&p).unwrap();
        assert_eq!((x.n(), x.d(), x.as_slice()), (2, 3, &[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0][..]));
        let xf = open_features(format!("{}:F", p.display())).unwrap();
        assert_eq!(xf.as_slice(), x.as_slice());
        assert_eq!(open_labels(&p).unwrap(), [0, 1]);
        assert_eq!(open_labels(format!("{}:k", p.display())).unwrap(), [3, 7]);
        assert_eq!(open_labels(format!("{}:k.npy", p.display())).unwrap(), [3, 7]);
    }
    // A one-member archive: its member is the default whatever its name.
    let p = dir.path().join("one.npz");
    npz(&p, &[("arr_0.npy", npy("<f4", false, "(1, 2)", &[0, 0, 128, 63, 0, 0, 0, 64]))], true);
    assert_eq!(open_features(&p).unwrap().as_slice(), [1.0, 2.0]);
}

fn zip_reason(e: DataError) -> String {
    match e {
        DataError::Zip { path, reason } => format!("{}: {reason}", path.display()),
        other => format!("{other}"),
    }
}

#[test]
fn errors_name_the_archive_and_the_member() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.npz");
    let bad_x = f64s(&[1.0, f64::NAN, 3.0, 4.0]);
    npz(
        &p,
        &[
            ("X.npy", npy("<f8", false, "(2, 2)", &bad_x)),
            ("y.npy", npy("<f8", false, "(2,)", &f64s(&[0.0, 0.5]))),
            ("short.npy", npy("<f8", false, "(5, 2)", &f64s(&[1.0; 4]))),
            ("c.npy", npy("<c8", false, "(1,)", &[0; 8])),
        ],
        true,
    );
    let s = p.display().to_string();
    match open_features(&p) {
        Err(DataError::NonFinite { path, row: 0, col: 1, .. }) => {
            assert_eq!(path, Path::new(&format!("{s}:X")))
        }
        other => panic!("{other:?}"),
    }
    match open_labels(&p) {
        Err(DataError::BadLabel { path, row: 1, .. }) => assert_eq!(path, Path::new(&format!("{s}:y"))),
        other => panic!("{other:?}"),
    }
    let e = zip_reason(open_features(format!("{s}:Z")).unwrap_err());
    assert!(e.contains("no member `Z`") && e.contains("X.npy, y.npy"), "{e}");
    let e = zip_reason(open_features(format!("{s}:short")).unwrap_err());
    assert!(e.contains(":short") && e.contains("header describes"), "{e}");
    assert!(matches!(open_features(format!("{s}:c")), Err(DataError::UnsupportedDtype { .. })));
    // Not a zip at all, and a truncated archive.
    std::fs::write(dir.path().join("no.npz"), b"not a zip file").unwrap();
    let e = zip_reason(open_features(dir.path().join("no.npz")).unwrap_err());
    assert!(e.contains("no.npz") && e.contains("not a readable .npz"), "{e}");
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(dir.path().join("cut.npz"), &bytes[..bytes.len() / 2]).unwrap();
    assert!(open_features(dir.path().join("cut.npz")).is_err());
}

/// The shared ADBench archives: shapes and anomaly counts as published (ADBench, Han et al. 2022).
#[test]
fn adbench_archives_read_with_their_published_shapes() {
    let Some(dir) = shared_data("adbench/6_cardio.npz").and_then(|p| p.parent().map(Path::to_path_buf))
    else {
        return;
    };
    for (name, n, d, pct) in [
        ("4_breastw", 683, 9, 35.0),
        ("6_cardio", 1831, 21, 9.6),
        ("14_glass", 214, 7, 4.2),
        ("25_musk", 3062, 166, 3.2),
        ("44_Wilt", 4819, 5, 5.3),
    ] {
        let p = dir.join(format!("{name}.npz"));
        let x = open_features(&p).unwrap();
        assert_eq!((x.n(), x.d()), (n, d), "{name}");
        let y = open_labels(&p).unwrap();
        let out = y.iter().filter(|&&l| l == 1).count() as f64;
        assert!((100.0 * out / n as f64 - pct).abs() < 0.06, "{name}: {out} anomalies");
        assert!(y.iter().all(|&l| l <= 1));
    }
}
