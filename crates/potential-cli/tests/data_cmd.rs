//! `potential data info | convert | fetch`, run as a process.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn potential(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_potential")).args(args).output().expect("run potential")
}

fn ok(args: &[&str]) -> String {
    let o = potential(args);
    assert!(o.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

fn fails(args: &[&str]) -> String {
    let o = potential(args);
    assert!(!o.status.success(), "{args:?} should fail");
    String::from_utf8(o.stderr).unwrap()
}

/// The committed digits copy (the embedded default's source).
fn digits() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../potential-data/data/digits/digits.csv.gz")
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn info_reports_shape_range_histogram_and_draws_a_grid() {
    let dir = tempfile::tempdir().unwrap();
    let png_path = dir.path().join("grid.png");
    let out = ok(&["data", "info", p(&digits()), "--grid", p(&png_path), "--grid-count", "30"]);
    assert!(out.contains("n:       1797"), "{out}");
    assert!(out.contains("d:       64"), "{out}");
    assert!(out.contains("min 0, max 1"), "{out}");
    assert!(out.contains("(10 classes)"), "{out}");
    assert!(out.contains("     8: 174"), "{out}");
    // 30 samples → 6 columns × 5 rows of 8×8 tiles upscaled ×4, 1-pixel gaps.
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png_path).unwrap()));
    let reader = dec.read_info().unwrap();
    let info = reader.info();
    assert_eq!((info.width, info.height), (6 * 33 + 1, 5 * 33 + 1));
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    // A non-square d needs --shape.
    let err = fails(&["data", "info", p(&digits()), "--grid", p(&png_path), "--shape", "5x5"]);
    assert!(err.contains("H*W = d = 64"), "{err}");
}

#[test]
fn convert_amat_streams_to_npy_with_labels_and_info_reads_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let amat = dir.path().join("x.amat");
    let mut f = std::fs::File::create(&amat).unwrap();
    for i in 0..20 {
        writeln!(f, "{} {} {} {}", i as f32 / 20.0, 0.5, 1.0, i % 4).unwrap();
    }
    drop(f);
    let npy = dir.path().join("x.npy");
    let o = potential(&["data", "convert", p(&amat), p(&npy)]);
    let report = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && o.stdout.is_empty(), "{report}");
    assert!(report.contains("20 x 3"), "the report goes to stderr: {report}");
    let feats = potential_data::open_features(&npy).unwrap();
    assert_eq!(feats.row(2), &[0.1, 0.5, 1.0]);
    let labels = potential_data::open_labels(dir.path().join("x-labels.npy")).unwrap();
    assert_eq!(&labels[..5], &[0, 1, 2, 3, 0]);
    let info = ok(&["data", "info", p(&npy)]);
    assert!(info.contains("n:       20") && info.contains("x-labels.npy (4 classes)"), "{info}");
}

#[test]
fn convert_errors_name_file_and_line_and_leave_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let amat = dir.path().join("bad.amat");
    std::fs::write(&amat, "0 1 2\n0 1 2\n0 1\n").unwrap();
    let npy = dir.path().join("bad.npy");
    let err = fails(&["data", "convert", p(&amat), p(&npy)]);
    assert!(err.contains("bad.amat:3: 2 columns, but the first row has 3"), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 1, "no output or temporary file left: {left:?}");
    // Labels of a different length.
    let csv = dir.path().join("d.csv");
    std::fs::write(&csv, "1,2,3\n4,5,6\n").unwrap();
    let x = dir.path().join("d.npy");
    ok(&["data", "convert", p(&csv), p(&x)]);
    let wrong = dir.path().join("wrong.npy");
    potential_data::write_npy_labels(&wrong, &[1, 2, 3]).unwrap();
    let err = fails(&["data", "info", p(&x), "--labels", p(&wrong)]);
    assert!(err.contains("has 2 rows but") && err.contains("has 3 labels"), "{err}");
}

#[test]
fn fetch_reports_unreachable_and_https_mirrors() {
    let dir = tempfile::tempdir().unwrap();
    // A port nobody listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/");
    let err =
        fails(&["data", "fetch", "mnist", "--dir", p(dir.path()), "--base-url", &url, "--timeout", "2"]);
    assert!(err.contains("cannot connect"), "{err}");
    let err =
        fails(&["data", "fetch", "mnist", "--dir", p(dir.path()), "--base-url", "https://example.org/"]);
    assert!(err.contains("https is not supported"), "{err}");
}

/// Outputs never replace inputs or each other: `--grid` naming the input, `convert` whose labels
/// would land on the features (or on the input), `train --metrics` naming the data; an image shape
/// whose H×W wraps around is refused, not drawn; an absurd `--threads` is refused at once.
#[test]
fn outputs_never_clobber_inputs_and_absurd_sizes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n);
    ok(&["data", "convert", p(&digits()), p(&d("x.npy"))]);
    let before = std::fs::read(d("x.npy")).unwrap();
    let e = fails(&["data", "info", p(&d("x.npy")), "--grid", p(&d("x.npy"))]);
    assert!(e.contains("would replace the input"), "{e}");
    let e = fails(&["data", "convert", p(&digits()), p(&d("c.npy")), "--labels-out", p(&d("c.npy"))]);
    assert!(e.contains("would be the same file"), "{e}");
    assert!(!d("c.npy").exists());
    let e = fails(&["data", "convert", p(&d("x.npy")), p(&d("y.npy")), "--labels-out", p(&d("x.npy"))]);
    assert!(e.contains("would replace the input"), "{e}");
    let e = fails(&[
        "train",
        "--data",
        p(&d("x.npy")),
        "--hidden",
        "4",
        "--epochs",
        "1",
        "--metrics",
        p(&d("x.npy")),
        "--out",
        p(&d("m.safetensors")),
    ]);
    assert!(e.contains("would replace the input"), "{e}");
    assert_eq!(std::fs::read(d("x.npy")).unwrap(), before, "an input was modified");
    // (2⁶³ + 32) × 2 wraps to 64 = d in 64-bit arithmetic.
    let e = fails(&[
        "data",
        "info",
        p(&d("x.npy")),
        "--grid",
        p(&d("g.png")),
        "--shape",
        "9223372036854775840x2",
    ]);
    assert!(e.contains("--shape 9223372036854775840x2"), "{e}");
    assert!(!d("g.png").exists());
    let e = fails(&[
        "train",
        "--data",
        p(&d("x.npy")),
        "--hidden",
        "4",
        "--epochs",
        "1",
        "--threads",
        "100000",
        "--out",
        p(&d("m.st")),
    ]);
    assert!(e.contains("--threads 100000: at most 256"), "{e}");
    // Model sizes are checked before allocating: an overflowing H·D and a merely enormous one.
    for h in ["18446744073709551615", "1000000000"] {
        let e = fails(&[
            "train",
            "--data",
            p(&d("x.npy")),
            "--hidden",
            h,
            "--epochs",
            "1",
            "--out",
            p(&d("m.st")),
        ]);
        assert!(e.contains(&format!("hidden = {h} (× 64 inputs)")), "{e}");
    }
    assert!(!d("m.st").exists());
}
