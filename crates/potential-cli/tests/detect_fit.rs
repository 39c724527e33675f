//! End-to-end tests of `potential detect fit` and of `potential detect` on detector files: no flag
//! needed, the stored threshold, the library's numbers, conformal calibration with p-values, and
//! bad input that names the file, row, column or flag and leaves no file behind.

use potential_train::detector::Detector;
use rand::{RngExt, SeedableRng};
use std::path::Path;
use std::process::Command;

fn potential(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_potential")).args(args).output().expect("run potential")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ok(o: &std::process::Output) -> String {
    assert!(o.status.success(), "failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn err(o: &std::process::Output) -> String {
    assert!(!o.status.success(), "must fail; stdout: {}", String::from_utf8_lossy(&o.stdout));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `n` rows of 5 correlated Gaussian columns (one of them constant) as .npy, seeded.
fn table(path: &Path, n: usize, seed: u64, shift: f32) -> Vec<f32> {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut v = Vec::with_capacity(n * 5);
    for _ in 0..n {
        let a: f32 = rng.random::<f32>() * 2.0 - 1.0 + shift;
        let b: f32 = rng.random::<f32>() * 2.0 - 1.0;
        v.extend_from_slice(&[a, b, a - b, 10.0 * a, 7.0]);
    }
    potential_data::write_npy_f32(path, &v, &[n, 5]).unwrap();
    v
}

#[test]
fn fit_then_detect_needs_no_flags_and_equals_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let (train, test, det) =
        (dir.path().join("train.npy"), dir.path().join("test.npy"), dir.path().join("d.safetensors"));
    table(&train, 600, 1, 0.0);
    let xt = table(&test, 50, 2, 0.0);
    let o = potential(&["detect", "fit", "--data", s(&train), "--out", s(&det), "--epochs", "30", "-q"]);
    ok(&o);
    let d = Detector::load(&det).unwrap();
    let flags = dir.path().join("flags.csv");
    let out = ok(&potential(&["detect", "--model", s(&det), "--data", s(&test), "--out", s(&flags), "-q"]));
    assert!(out.contains("stored in the detector"), "{out}");
    let csv = std::fs::read_to_string(&flags).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("index,outlier_score,outlier"));
    let want = d.outlier_scores(&xt).unwrap();
    for (line, w) in lines.zip(&want) {
        let cols: Vec<&str> = line.split(',').collect();
        assert_eq!(cols[1].parse::<f64>().unwrap(), *w);
        assert_eq!(cols[2], if *w > d.threshold() { "1" } else { "0" });
    }
    // Same seed, same bytes; --json carries the stored threshold.
    let again = dir.path().join("d2.safetensors");
    ok(&potential(&["detect", "fit", "--data", s(&train), "--out", s(&again), "--epochs", "30", "-q"]));
    assert_eq!(std::fs::read(&det).unwrap(), std::fs::read(&again).unwrap());
    let j: serde_json::Value =
        serde_json::from_str(&ok(&potential(&["detect", "--model", s(&det), "--data", s(&test), "--json"])))
            .unwrap();
    assert_eq!(j["threshold"].as_f64().unwrap(), d.threshold());
    assert_eq!(j["model_format"], "potential.detector");
    // With labels (every third row an "outlier", class 1): the ranking metrics are the library's.
    let labels: Vec<u32> = (0..50).map(|i| u32::from(i % 3 == 0)).collect();
    let lp = dir.path().join("y.npy");
    potential_data::write_npy_labels(&lp, &labels).unwrap();
    let args = [
        "detect",
        "--model",
        s(&det),
        "--data",
        s(&test),
        "--labels",
        s(&lp),
        "--normal-class",
        "0",
        "--json",
    ];
    let j: serde_json::Value = serde_json::from_str(&ok(&potential(&args))).unwrap();
    let y: Vec<bool> = labels.iter().map(|&l| l == 1).collect();
    use potential_models::novelty;
    assert_eq!(j["average_precision"].as_f64().unwrap(), novelty::average_precision(&want, &y).unwrap());
    assert_eq!(j["fpr_at_95_tpr"].as_f64().unwrap(), novelty::fpr_at_tpr(&want, &y, 0.95).unwrap());
    assert_eq!(j["precision_at_n"].as_f64().unwrap(), novelty::precision_at_n(&want, &y).unwrap());
    assert_eq!(j["roc_auc"].as_f64().unwrap(), novelty::roc_auc(&want, &y).unwrap());
}

#[test]
fn calibration_bounds_the_false_positive_rate_and_writes_p_values() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_owned();
    let (train, cal, normal, far, det) =
        (p("train.npy"), p("cal.npy"), p("normal.npy"), p("far.npy"), p("d.st"));
    let (c_csv, f_npy) = (p("c.csv"), p("f.npy"));
    table(Path::new(&train), 500, 3, 0.0);
    table(Path::new(&cal), 400, 4, 0.0);
    table(Path::new(&normal), 400, 5, 0.0);
    table(Path::new(&far), 100, 6, 3.0);
    ok(&potential(&["detect", "fit", "--data", &train, "--out", &det, "--epochs", "20", "-q"]));
    let args = ["detect", "--model", &det, "--calibration", &cal, "--fpr", "0.1", "-q"];
    // The calibration rows themselves: at most 10 % flagged.
    let mut a = args.to_vec();
    a.extend_from_slice(&["--data", &cal, "--out", &c_csv]);
    ok(&potential(&a));
    let csv = std::fs::read_to_string(&c_csv).unwrap();
    assert!(csv.starts_with("index,outlier_score,outlier,p_value\n"));
    let rows: Vec<Vec<f64>> =
        csv.lines().skip(1).map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect();
    let flagged = rows.iter().filter(|r| r[2] == 1.0).count();
    assert!(flagged <= 40, "{flagged} of 400 calibration rows flagged at fpr 0.1");
    for r in &rows {
        assert!(r[3] > 0.0 && r[3] <= 1.0);
        assert_eq!(r[2] == 1.0, r[3] <= 0.1, "flag iff p ≤ α: {r:?}");
    }
    // Fresh normal rows: near 10 %; shifted rows: mostly flagged. .npy output holds flag and p.
    let mut b = args.to_vec();
    b.extend_from_slice(&["--data", &normal, "--json"]);
    let j: serde_json::Value = serde_json::from_str(&ok(&potential(&b))).unwrap();
    assert!(j["flagged"].as_u64().unwrap() <= 80, "{j}");
    let mut c = args.to_vec();
    c.extend_from_slice(&["--data", &far, "--out", &f_npy]);
    ok(&potential(&c));
    let f = potential_data::open_features(&f_npy).unwrap();
    assert_eq!((f.n(), f.d()), (100, 2));
    assert!(f.iter_rows().filter(|r| r[0] == 1.0).count() >= 90);
}

#[test]
fn bad_input_names_what_is_wrong_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let mut v = table(&p("train.npy"), 100, 7, 0.0);
    v[42 * 5 + 3] = f32::NAN;
    potential_data::write_npy_f32(p("nan.npy"), &v, &[100, 5]).unwrap();
    let e = err(&potential(&["detect", "fit", "--data", s(&p("nan.npy")), "--out", s(&p("d.st")), "-q"]));
    assert!(e.contains("row 42") && e.contains("column 3") && e.contains("nan.npy"), "{e}");
    assert!(!p("d.st").exists());
    table(&p("few.npy"), 5, 8, 0.0);
    let e = err(&potential(&["detect", "fit", "--data", s(&p("few.npy")), "--out", s(&p("d.st")), "-q"]));
    assert!(e.contains("5 training rows") && e.contains("at least 8"), "{e}");
    // The output may not replace the input.
    let e =
        err(&potential(&["detect", "fit", "--data", s(&p("train.npy")), "--out", s(&p("train.npy")), "-q"]));
    assert!(e.contains("would replace the input"), "{e}");
    assert_eq!(potential_data::open_features(p("train.npy")).unwrap().n(), 100);

    ok(&potential(&[
        "detect",
        "fit",
        "--data",
        s(&p("train.npy")),
        "--out",
        s(&p("d.st")),
        "--epochs",
        "5",
        "-q",
    ]));
    potential_data::write_npy_f32(p("wide.npy"), &[0.0; 12], &[2, 6]).unwrap();
    let e = err(&potential(&[
        "detect",
        "--model",
        s(&p("d.st")),
        "--data",
        s(&p("wide.npy")),
        "--out",
        s(&p("o.csv")),
    ]));
    assert!(e.contains("6 values") && e.contains("expects 5"), "{e}");
    assert!(!p("o.csv").exists());
    for fpr in ["0", "1", "1.5", "-0.1"] {
        let e = err(&potential(&[
            "detect",
            "--model",
            s(&p("d.st")),
            "--data",
            s(&p("train.npy")),
            "--calibration",
            s(&p("train.npy")),
            "--fpr",
            fpr,
        ]));
        assert!(e.contains("--fpr"), "{fpr}: {e}");
    }
    potential_data::write_npy_f32(p("empty.npy"), &[], &[0, 5]).unwrap();
    let e = err(&potential(&[
        "detect",
        "--model",
        s(&p("d.st")),
        "--data",
        s(&p("train.npy")),
        "--calibration",
        s(&p("empty.npy")),
        "--fpr",
        "0.1",
    ]));
    assert!(e.contains("empty.npy") && e.contains("no rows"), "{e}");
    table(&p("tiny.npy"), 5, 9, 0.0);
    let e = err(&potential(&[
        "detect",
        "--model",
        s(&p("d.st")),
        "--data",
        s(&p("train.npy")),
        "--calibration",
        s(&p("tiny.npy")),
        "--fpr",
        "0.01",
    ]));
    assert!(e.contains("too few") && e.contains("99"), "{e}");
    // A detector file with a malformed threshold.
    let bytes = std::fs::read(p("d.st")).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let at = text.find("\"threshold\":\"").unwrap() + 13;
    let mut bad = bytes.clone();
    bad[at] = b'x';
    std::fs::write(p("bad.st"), &bad).unwrap();
    let e = err(&potential(&["detect", "--model", s(&p("bad.st")), "--data", s(&p("train.npy"))]));
    assert!(e.contains("bad.st") && e.contains("threshold"), "{e}");
}

/// An ADBench archive straight from disk: `X` for the rows, `FILE.npz:y` for the labels.
#[test]
fn npz_archives_are_read_everywhere_data_is() {
    let Some(npz) = potential_data::shared_data("adbench/4_breastw.npz") else { return };
    let dir = tempfile::tempdir().unwrap();
    let det = dir.path().join("d.safetensors");
    ok(&potential(&["detect", "fit", "--data", s(&npz), "--out", s(&det), "--epochs", "20", "-q"]));
    let labels = format!("{}:y", npz.display());
    let args = [
        "detect",
        "--model",
        s(&det),
        "--data",
        s(&npz),
        "--labels",
        &labels,
        "--normal-class",
        "0",
        "--json",
    ];
    let j: serde_json::Value = serde_json::from_str(&ok(&potential(&args))).unwrap();
    assert_eq!(j["n"], 683);
    assert_eq!(j["outliers"], 239);
    assert!(j["roc_auc"].as_f64().unwrap() > 0.9, "{j}");
    let info = ok(&potential(&["data", "info", s(&npz), "--labels", &labels]));
    assert!(info.contains("683"), "{info}");
    let e = err(&potential(&["data", "info", &format!("{}:nope", npz.display())]));
    assert!(e.contains("no member `nope`") && e.contains("X.npy"), "{e}");
}

#[test]
fn explain_writes_each_features_share_of_the_outlier_score() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    table(&p("train.npy"), 300, 11, 0.0);
    let x = table(&p("test.npy"), 20, 12, 0.0);
    ok(&potential(&[
        "detect",
        "fit",
        "--data",
        s(&p("train.npy")),
        "--out",
        s(&p("d.st")),
        "--epochs",
        "20",
        "-q",
    ]));
    let (d, t, e) = (p("d.st"), p("test.npy"), p("e.npy"));
    let args =
        ["detect", "--model", s(&d), "--data", s(&t), "--explain", "0,3-5", "--out-explain", s(&e), "-q"];
    ok(&potential(&args));
    let e = potential_data::open_features(p("e.npy")).unwrap(); // f64 → f32 on reading back
    assert_eq!((e.n(), e.d()), (4, 5));
    let det = Detector::load(p("d.st")).unwrap();
    let (c, _) = det.explain(&[&x[0..5], &x[15..30]].concat(), 8).unwrap();
    for (got, want) in e.as_slice().iter().zip(&c) {
        assert_eq!(*got, *want as f32);
    }
    let e = err(&potential(&[
        "detect",
        "--model",
        s(&p("d.st")),
        "--data",
        s(&p("test.npy")),
        "--explain",
        "25",
        "--out-explain",
        s(&p("f.npy")),
    ]));
    assert!(e.contains("row 25 is past the last row (19)"), "{e}");
    assert!(!p("f.npy").exists());
}

/// `--explain-png`: each explained row as an image beside its heat map, the red and blue shares
/// following the sign of the contributions; a non-image width needs --shape, a bad shape is
/// refused before anything is written.
#[test]
fn explain_png_draws_rows_beside_their_heat_maps() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    table(&p("train.npy"), 300, 21, 0.0);
    let x = table(&p("test.npy"), 10, 22, 3.0);
    ok(&potential(&[
        "detect",
        "fit",
        "--data",
        s(&p("train.npy")),
        "--out",
        s(&p("d.st")),
        "--epochs",
        "20",
        "-q",
    ]));
    let base = |png: &str| {
        vec![
            "detect".to_owned(),
            "--model".into(),
            s(&p("d.st")).into(),
            "--data".into(),
            s(&p("test.npy")).into(),
            "--explain".into(),
            "0-1".into(),
            "--out-explain".into(),
            s(&p("e.npy")).into(),
            "--explain-png".into(),
            s(&p(png)).into(),
            "-q".into(),
        ]
    };
    // 5 columns are not a square.
    let args = base("e.png");
    let e = err(&potential(&args.iter().map(String::as_str).collect::<Vec<_>>()));
    assert!(e.contains("d = 5 is not a square"), "{e}");
    assert!(!p("e.png").exists() && !p("e.npy").exists());
    let mut args = base("e.png");
    args.extend(["--shape".into(), "1x5".into()]);
    ok(&potential(&args.iter().map(String::as_str).collect::<Vec<_>>()));
    // Two pairs of 1×5 tiles scaled by 28: width 4 tiles × (140 + 1) + 1, height 28 + 2.
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(p("e.png")).unwrap()));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height, info.color_type), (4 * 141 + 1, 30, png::ColorType::Rgb));
    let det = Detector::load(p("d.st")).unwrap();
    let (c, _) = det.explain(&x[..10], 8).unwrap();
    for (k, row) in [0usize, 1].into_iter().enumerate() {
        let cr = &c[row * 5..row * 5 + 5];
        let peak = cr.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (j, &cj) in cr.iter().enumerate() {
            // Centre of feature j's cell in the heat tile of pair k.
            let (x0, y0) = (1 + (2 * k + 1) * 141 + j * 28 + 14, 15);
            let o = (y0 * info.width as usize + x0) * 3;
            let [r, g, b] = [buf[o], buf[o + 1], buf[o + 2]];
            let t = cj / peak;
            let fade = (255.0 * (1.0 - t.abs())).round() as u8;
            let want = if t >= 0.0 { [255, fade, fade] } else { [fade, fade, 255] };
            assert_eq!([r, g, b], want, "row {row} feature {j} contribution {cj}");
        }
    }
    let mut args = base("f.png");
    args.extend(["--shape".into(), "2x2".into()]);
    let e = err(&potential(&args.iter().map(String::as_str).collect::<Vec<_>>()));
    assert!(e.contains("--shape 2x2"), "{e}");
    assert!(!p("f.png").exists());
}

/// `--help` of `detect fit` and `train` shows their long help (the rule, the examples), not only
/// the one-line summary of the subcommand.
#[test]
fn long_help_reaches_the_user() {
    for (args, expect) in
        [(&["detect", "fit", "--help"][..], "two stages"), (&["train", "--help"][..], "EXAMPLES")]
    {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_potential")).args(args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains(expect), "{args:?}: {text}");
    }
}
