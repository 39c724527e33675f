//! End-to-end tests of `potential detect`: its numbers equal the library's (`potential_models::
//! novelty`) on a model trained by `potential train`, its flag files round-trip, CSAE files score by
//! −log Σᵢ exp(Eᵢ + Cᵢ), real MNIST one-class detection works, and bad input fails with an error
//! that names the problem.

use potential_activations::ActivationKind;
use potential_kernels::MatRef;
use potential_models::novelty::{self, NoveltyScore, Threshold};
use potential_models::{Output, TiedAutoencoder};
use rand::{RngExt, SeedableRng};
use std::path::{Path, PathBuf};
use std::process::Command;

fn potential(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_potential")).args(args).output().expect("run potential")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `potential detect --model M --data X [extra…]`.
fn detect(model: &Path, data: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["detect", "--model", s(model), "--data", s(data), "--quiet"];
    args.extend_from_slice(extra);
    potential(&args)
}

fn ok_stdout(o: &std::process::Output) -> String {
    assert!(o.status.success(), "failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn err_text(o: &std::process::Output) -> String {
    assert!(!o.status.success(), "must fail; stdout: {}", String::from_utf8_lossy(&o.stdout));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The one JSON object `--json` prints (stdout must hold exactly one line, one object).
fn json(o: &std::process::Output) -> serde_json::Value {
    let out = ok_stdout(o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one line on stdout: {out}");
    let v: serde_json::Value = serde_json::from_str(lines[0]).expect("valid JSON");
    assert!(v.is_object(), "{v}");
    v
}

fn close(a: f64, b: f64) -> bool {
    // serde_json's default parser may be one ulp off the shortest representation it printed.
    (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
}

/// The embedded UCI digits as `x.npy` / `y.npy` and a sigmoid autoencoder trained by
/// `potential train` on class `normal` only.
struct Fixture {
    _dir: tempfile::TempDir,
    x: PathBuf,
    y: PathBuf,
    model: PathBuf,
    dir: PathBuf,
}

fn fixture(normal: u32) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let d = potential_data::embedded_digits();
    let x = dir.path().join("x.npy");
    let y = dir.path().join("y.npy");
    potential_data::write_npy_f32(&x, d.features().as_slice(), &[d.n(), d.d()]).unwrap(); // in [0, 1]
    potential_data::write_npy_labels(&y, d.labels()).unwrap();
    let model = dir.path().join("m.safetensors");
    let class = normal.to_string();
    let o = potential(&[
        "train",
        "--data",
        s(&x),
        "--labels",
        s(&y),
        "--class",
        &class,
        "--hidden",
        "12",
        "--contractive",
        "0.2",
        "--epochs",
        "8",
        "--batch-size",
        "20",
        "--lr",
        "0.05",
        "--seed",
        "3",
        "--quiet",
        "--out",
        s(&model),
    ]);
    assert!(o.status.success(), "train: {}", String::from_utf8_lossy(&o.stderr));
    let p = dir.path().to_path_buf();
    Fixture { _dir: dir, x, y, model, dir: p }
}

#[test]
fn detect_matches_the_library_for_both_scores_and_both_rules() {
    let f = fixture(0);
    let m = TiedAutoencoder::load(&f.model).unwrap();
    let feats = potential_data::open_features(&f.x).unwrap();
    let xm = MatRef::from_row_major(feats.as_slice(), feats.n(), feats.d());
    let labels = potential_data::open_labels(&f.y).unwrap();
    let truth = novelty::outliers_from_labels(&labels, 0);
    for what in NoveltyScore::ALL {
        let scores = novelty::outlier_scores(&m, xm, what).unwrap();
        let raw = m.score_batch(xm, what.score()).unwrap();
        // (CLI arguments, library rule): default contamination 0.1, another one, explicit thresholds.
        let t_mid = raw[17];
        let t_arg = t_mid.to_string();
        let cases: Vec<(Vec<&str>, Threshold)> = vec![
            (vec![], Threshold::Contamination(0.1)),
            (vec!["--contamination", "0.3"], Threshold::Contamination(0.3)),
            (vec!["--threshold", &t_arg], Threshold::Explicit(what.to_outlier(t_mid))),
        ];
        for (extra, rule) in cases {
            let mut args = vec!["--score", what.name(), "--labels", s(&f.y), "--normal-class", "0", "--json"];
            args.extend_from_slice(&extra);
            let v = json(&detect(&f.model, &f.x, &args));
            let det = novelty::detect(&scores, rule).unwrap();
            let ev = novelty::evaluate(&scores, &det.flags, &truth).unwrap();
            let ctx = format!("{what} {extra:?}: {v}");
            assert_eq!(v["n"], 1797, "{ctx}");
            assert_eq!(v["flagged"].as_u64().unwrap() as usize, det.flagged, "{ctx}");
            assert_eq!(v["score"], what.name(), "{ctx}");
            // The JSON threshold is on the score's own scale.
            assert!(close(v["threshold"].as_f64().unwrap(), what.to_outlier(det.threshold)), "{ctx}");
            assert_eq!(v["outliers"].as_u64().unwrap() as usize, ev.outliers, "{ctx}");
            assert_eq!(v["true_positives"].as_u64().unwrap() as usize, ev.confusion.true_positives);
            assert_eq!(v["false_positives"].as_u64().unwrap() as usize, ev.confusion.false_positives);
            for (key, val) in
                [("precision", ev.precision), ("recall", ev.recall), ("f1", ev.f1), ("roc_auc", ev.roc_auc)]
            {
                assert!(close(v[key].as_f64().unwrap(), val), "{key}: {ctx}");
            }
            if let Threshold::Contamination(c) = rule {
                assert_eq!(v["contamination"].as_f64().unwrap(), c);
                // n − 1 − ⌊(1 − c)(n − 1)⌋ rows (distinct scores here).
                let k = (1796.0 * ((100.0 * (1.0 - c)) / 100.0)).floor() as usize;
                assert_eq!(det.flagged, 1796 - k, "{ctx}");
            } else {
                assert!(v["contamination"].is_null());
                // Flag energy < t, or error > t, on the raw scale.
                let expect =
                    raw.iter().filter(|&&r| if what == NoveltyScore::Energy { r < t_mid } else { r > t_mid });
                assert_eq!(det.flagged, expect.count(), "{ctx}");
            }
        }
    }
    // The energy of a model trained on zeros ranks zeros above the other digits: AUC well above ½.
    let v = json(&detect(&f.model, &f.x, &["--labels", s(&f.y), "--normal-class", "0", "--json"]));
    assert!(v["roc_auc"].as_f64().unwrap() > 0.8, "{v}");
}

#[test]
fn detect_writes_flags_and_prints_a_summary() {
    let f = fixture(1);
    let m = TiedAutoencoder::load(&f.model).unwrap();
    let feats = potential_data::open_features(&f.x).unwrap();
    let xm = MatRef::from_row_major(feats.as_slice(), feats.n(), feats.d());
    let scores = novelty::outlier_scores(&m, xm, NoveltyScore::Energy).unwrap();
    let det = novelty::detect(&scores, Threshold::Contamination(0.2)).unwrap();

    // .npy flags: u8 [n], 1 = outlier.
    let npy = f.dir.join("flags.npy");
    let text = ok_stdout(&detect(&f.model, &f.x, &["--contamination", "0.2", "--out", s(&npy)]));
    let back = potential_data::open_labels(&npy).unwrap();
    assert_eq!(back.len(), 1797);
    assert!(back.iter().zip(&det.flags).all(|(&b, &fl)| b == u32::from(fl)));
    // Without labels: counts and threshold, no metrics.
    assert!(text.contains(&format!("flagged: {} of 1797 rows", det.flagged)), "{text}");
    assert!(text.contains("energy < threshold") && text.contains("contamination 0.2"), "{text}");
    assert!(!text.contains("roc_auc"), "{text}");
    // --json without labels: the metrics are null, the counts are there.
    let v = json(&detect(&f.model, &f.x, &["--contamination", "0.2", "--json"]));
    assert_eq!(v["flagged"].as_u64().unwrap() as usize, det.flagged);
    for key in ["roc_auc", "precision", "recall", "f1", "normal_class"] {
        assert!(v[key].is_null(), "{key}: {v}");
    }

    // .csv: index, the energy (own scale, round-trips exactly), the flag.
    let csv = f.dir.join("flags.csv");
    let text = ok_stdout(&detect(
        &f.model,
        &f.x,
        &["--contamination", "0.2", "--out", s(&csv), "--labels", s(&f.y), "--normal-class", "1"],
    ));
    assert!(text.contains("precision") && text.contains("roc_auc") && text.contains("tp "), "{text}");
    let body = std::fs::read_to_string(&csv).unwrap();
    let mut lines = body.lines();
    assert_eq!(lines.next(), Some("index,energy,outlier"));
    for (i, l) in lines.enumerate() {
        let parts: Vec<&str> = l.split(',').collect();
        assert_eq!(parts[0].parse::<usize>().unwrap(), i);
        assert_eq!(parts[1].parse::<f64>().unwrap(), -scores[i], "row {i}");
        assert_eq!(parts[2], if det.flags[i] { "1" } else { "0" });
    }
}

#[test]
fn detect_scores_a_csae_by_its_log_normaliser() {
    let dir = tempfile::tempdir().unwrap();
    let (n, d, h) = (40, 6, 4);
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut ae = || {
        let w = (0..h * d).map(|_| rng.random_range(-0.5f32..0.5)).collect();
        let bh = (0..h).map(|_| rng.random_range(-0.5f32..0.5)).collect();
        let br = (0..d).map(|_| rng.random_range(-0.5f32..0.5)).collect();
        TiedAutoencoder::new(w, bh, br, ActivationKind::Sigmoid, Output::Real).unwrap()
    };
    let csae = potential_csae::Csae::new(
        vec![ae(), ae(), ae()],
        vec!["a".into(), "b".into(), "c".into()],
        vec![0.3, -0.2, 0.1],
    )
    .unwrap();
    let mp = dir.path().join("csae.safetensors");
    csae.save(&mp).unwrap();
    let x: Vec<f32> = (0..n * d).map(|_| rng.random_range(0.0f32..1.0)).collect();
    let xp = dir.path().join("x.npy");
    potential_data::write_npy_f32(&xp, &x, &[n, d]).unwrap();
    let ood = csae.ood_score(MatRef::from_row_major(&x, n, d)).unwrap();
    let outlier: Vec<f64> = ood.iter().map(|v| -v).collect();
    let det = novelty::detect(&outlier, Threshold::Contamination(0.25)).unwrap();
    let v = json(&detect(&mp, &xp, &["--contamination", "0.25", "--json"]));
    assert_eq!(v["model_format"], "potential.csae");
    assert_eq!(v["flagged"].as_u64().unwrap() as usize, det.flagged);
    assert!(close(v["threshold"].as_f64().unwrap(), -det.threshold), "{v}");
    // Only the energy is defined for a classifier.
    let e = err_text(&detect(&mp, &xp, &["--score", "reconstruction-error"]));
    assert!(e.contains("CSAE") && e.contains("csae.safetensors") && e.contains("--score energy"), "{e}");
}

#[test]
fn detect_reports_bad_input_clearly() {
    let f = fixture(2);
    // A garbage model file: the error names it.
    let junk = f.dir.join("junk.safetensors");
    std::fs::write(&junk, b"definitely not safetensors").unwrap();
    let e = err_text(&detect(&junk, &f.x, &[]));
    assert!(e.contains("junk.safetensors") && e.contains("safetensors"), "{e}");
    // A missing model file.
    let e = err_text(&detect(&f.dir.join("nope.safetensors"), &f.x, &[]));
    assert!(e.contains("nope.safetensors"), "{e}");
    // Labels of another length.
    let short = f.dir.join("short.npy");
    potential_data::write_npy_labels(&short, &[2u32; 100]).unwrap();
    let e = err_text(&detect(&f.model, &f.x, &["--labels", s(&short), "--normal-class", "2"]));
    assert!(e.contains("short.npy") && e.contains("100 labels") && e.contains("1797 rows"), "{e}");
    // A label set with one class only: ROC AUC is undefined, the error says why.
    potential_data::write_npy_labels(&short, &[2u32; 1797]).unwrap();
    let e = err_text(&detect(&f.model, &f.x, &["--labels", s(&short), "--normal-class", "2"]));
    assert!(e.contains("all 1797 rows are normal"), "{e}");
    // An unknown score name (clap lists the valid ones).
    let e = err_text(&detect(&f.model, &f.x, &["--score", "laplacian"]));
    assert!(e.contains("laplacian") && e.contains("reconstruction-error"), "{e}");
    // Contamination outside (0, 0.5].
    for c in ["0", "0.6", "-0.1", "NaN"] {
        let e = err_text(&detect(&f.model, &f.x, &["--contamination", c]));
        assert!(e.contains("--contamination") && e.contains("(0, 0.5]"), "{c}: {e}");
    }
    // Contamination and threshold together, labels without a normal class.
    let e = err_text(&detect(&f.model, &f.x, &["--contamination", "0.1", "--threshold", "3"]));
    assert!(e.contains("--threshold") || e.contains("cannot be used"), "{e}");
    let e = err_text(&detect(&f.model, &f.x, &["--labels", s(&f.y)]));
    assert!(e.contains("--normal-class"), "{e}");
    // Data of the wrong width.
    let wide = f.dir.join("wide.npy");
    potential_data::write_npy_f32(&wide, &[0.5f32; 10 * 65], &[10, 65]).unwrap();
    let e = err_text(&detect(&f.model, &wide, &[]));
    assert!(e.contains("wide.npy") && e.contains("65 values") && e.contains("expects 64"), "{e}");
    // An unknown output format; nothing is written.
    let e = err_text(&detect(&f.model, &f.x, &["--out", s(&f.dir.join("flags.txt"))]));
    assert!(e.contains(".npy or .csv"), "{e}");
    assert!(!f.dir.join("flags.txt").exists());
}

#[test]
fn detect_one_class_mnist() {
    // Train on the 1s of the first 6000 MNIST training images, score the first 2000 test images:
    // the other digits are the outliers.
    let (Some(train), Some(train_y), Some(test), Some(test_y)) = (
        potential_data::shared_data("mnist/train-images-idx3-ubyte"),
        potential_data::shared_data("mnist/train-labels-idx1-ubyte"),
        potential_data::shared_data("mnist/t10k-images-idx3-ubyte"),
        potential_data::shared_data("mnist/t10k-labels-idx1-ubyte"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let take = |img: &Path, lab: &Path, rows: usize, name: &str| -> (PathBuf, PathBuf) {
        let ds = potential_data::open_dataset(img, Some(lab)).unwrap().rows(0..rows);
        let (x, y) = (dir.path().join(format!("{name}.npy")), dir.path().join(format!("{name}-y.npy")));
        potential_data::write_npy_f32(&x, ds.features().as_slice(), &[ds.n(), ds.d()]).unwrap();
        potential_data::write_npy_labels(&y, ds.labels()).unwrap();
        (x, y)
    };
    let (trx, try_) = take(&train, &train_y, 6000, "train");
    let (tex, tey) = take(&test, &test_y, 2000, "test");
    let model = dir.path().join("ae1.safetensors");
    let o = potential(&[
        "train",
        "--data",
        s(&trx),
        "--labels",
        s(&try_),
        "--class",
        "1",
        "--hidden",
        "32",
        "--contractive",
        "0.5",
        "--epochs",
        "3",
        "--lr",
        "0.01",
        "--seed",
        "1",
        "--quiet",
        "--out",
        s(&model),
    ]);
    assert!(o.status.success(), "train: {}", String::from_utf8_lossy(&o.stderr));
    for what in ["energy", "reconstruction-error"] {
        let v = json(&detect(
            &model,
            &tex,
            &["--labels", s(&tey), "--normal-class", "1", "--score", what, "--json"],
        ));
        let auc = v["roc_auc"].as_f64().unwrap();
        eprintln!("MNIST one-class digit 1, {what}: ROC AUC {auc:.4}");
        assert!(auc > 0.9, "{what}: {v}");
        assert_eq!(v["n"], 2000);
    }
}
