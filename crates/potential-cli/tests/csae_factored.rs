//! End-to-end tests of `potential csae` with factored models (`train --factors`): the file is a
//! factored CSAE, `eval`, `predict` and `plot` read it (and still read plain CSAE files), and
//! arguments that do not fit the factored model fail with a message.

use potential_csae::{AnyCsae, FACTORED_CSAE_FORMAT};
use potential_kernels::MatRef;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn potential(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_potential")).args(args).output().expect("run potential")
}

fn ok(o: &Output) {
    assert!(o.status.success(), "stderr: {}", String::from_utf8_lossy(&o.stderr));
}

/// Digit classes 3 and 8 of the embedded UCI digits as x.npy / y.npy (labels 0 and 1).
fn digits(dir: &Path) -> (PathBuf, PathBuf, Vec<f32>, Vec<u32>) {
    let d = potential_data::embedded_digits().subset_classes(&[3, 8]);
    let y = d.labels().to_vec(); // 3 → 0, 8 → 1
    let (xp, yp) = (dir.join("x.npy"), dir.join("y.npy"));
    potential_data::write_npy_f32(&xp, d.features().as_slice(), &[d.n(), d.d()]).unwrap();
    potential_data::write_npy_labels(&yp, &y).unwrap();
    (xp, yp, d.features().as_slice().to_vec(), y)
}

/// `csae train --data X --labels Y EXTRA --out DIR/bad.safetensors` must fail with `needle` on stderr.
fn train_fails(xp: &Path, yp: &Path, dir: &Path, extra: &[&str], needle: &str) {
    let out = dir.join("bad.safetensors");
    let mut args = vec!["csae", "train", "--data", s(xp), "--labels", s(yp)];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--out", s(&out)]);
    let o = potential(&args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains(needle), "{extra:?}: wanted {needle:?} in {err}");
    assert!(!out.exists(), "{extra:?} left an output file");
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn factored_train_eval_predict_plot() {
    let dir = tempfile::tempdir().unwrap();
    let (xp, yp, x, y) = digits(dir.path());
    let model = dir.path().join("f.safetensors");
    let o = potential(&[
        "csae",
        "train",
        "--data",
        s(&xp),
        "--labels",
        s(&yp),
        "--activation",
        "tanh",
        "--factors",
        "12",
        "--hidden",
        "10",
        "--denoise",
        "0.2",
        "--pretrain-epochs",
        "15",
        "--pretrain-lr",
        "0.01",
        "--finetune-epochs",
        "10",
        "--lr",
        "0.01",
        "--batch",
        "20",
        "--valid-rows",
        "60",
        "--seed",
        "4",
        "--threads",
        "2",
        "--out",
        s(&model),
    ]);
    ok(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("factored CSAE") && err.contains("pretrain epoch  15"), "{err}");
    let m = match AnyCsae::load(&model).unwrap() {
        AnyCsae::Factored(m) => m,
        other => panic!("expected a factored model, got {}", other.format()),
    };
    assert_eq!((m.factors(), m.hidden(), m.num_classes()), (12, 10, 2));
    let n = y.len();
    let xv = MatRef::from_row_major(&x, n, m.visible());
    let ev = m.evaluate(xv, &y).unwrap();
    assert!(ev.error_rate < 0.1, "{ev:?}");

    // eval --json reports the library's figures and the format.
    let o =
        potential(&["csae", "eval", "--model", s(&model), "--data", s(&xp), "--labels", s(&yp), "--json"]);
    ok(&o);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["format"], FACTORED_CSAE_FORMAT);
    assert_eq!(v["errors"], ev.errors);
    assert!((v["error_rate"].as_f64().unwrap() - ev.error_rate).abs() < 1e-12);
    let o = potential(&["csae", "eval", "--model", s(&model), "--data", s(&xp), "--labels", s(&yp)]);
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stdout).contains("error rate"));

    // predict: classes (.npy) and probabilities (.csv) equal the library's.
    let pred = dir.path().join("p.npy");
    ok(&potential(&["csae", "predict", "--model", s(&model), "--data", s(&xp), "--out", s(&pred)]));
    assert_eq!(potential_data::open_labels(&pred).unwrap(), m.predict(xv).unwrap());
    let csv = dir.path().join("p.csv");
    ok(&potential(&["csae", "predict", "--model", s(&model), "--data", s(&xp), "--out", s(&csv), "--proba"]));
    let text = std::fs::read_to_string(&csv).unwrap();
    let p = m.predict_proba(xv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), n + 1);
    let row5: Vec<f64> = lines[6].split(',').skip(1).map(|v| v.parse().unwrap()).collect();
    assert!((row5[0] - p[10]).abs() < 1e-12 && (row5[1] - p[11]).abs() < 1e-12);

    // plot: materialised class filters, the shared factors, the energy histograms.
    let plots = dir.path().join("plots");
    ok(&potential(&[
        "csae",
        "plot",
        "--model",
        s(&model),
        "--out",
        s(&plots),
        "--data",
        s(&xp),
        "--labels",
        s(&yp),
        "--filters",
        "9",
    ]));
    for f in ["filters_class0.png", "filters_class1.png", "factors.png", "energies_0_vs_1.png"] {
        let file = std::fs::File::open(plots.join(f)).unwrap();
        let dec = png::Decoder::new(std::io::BufReader::new(file)).read_info().unwrap();
        assert!(dec.info().width > 20 && dec.info().height > 20, "{f}");
    }
}

#[test]
fn plain_files_still_work_and_bad_arguments_fail() {
    let dir = tempfile::tempdir().unwrap();
    let (xp, yp, _, _) = digits(dir.path());
    let plain = dir.path().join("c.safetensors");
    ok(&potential(&[
        "csae",
        "train",
        "--data",
        s(&xp),
        "--labels",
        s(&yp),
        "--hidden",
        "6",
        "--contractive",
        "0.1",
        "--pretrain-epochs",
        "2",
        "--finetune-epochs",
        "2",
        "--batch",
        "20",
        "--out",
        s(&plain),
        "--quiet",
    ]));
    let o =
        potential(&["csae", "eval", "--model", s(&plain), "--data", s(&xp), "--labels", s(&yp), "--json"]);
    ok(&o);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["format"], "potential.csae");

    // The factored model is pretrained with denoising, not a contraction penalty.
    train_fails(&xp, &yp, dir.path(), &["--factors", "4", "--contractive", "0.5"], "denoising");
    train_fails(&xp, &yp, dir.path(), &["--factors", "0"], "factors");
    // Options of the plain CSAE only.
    for flag in ["--pretrain-renormalize", "--finetune-dropout"] {
        let mut extra = vec!["--factors", "4", "--denoise", "0.2", flag];
        if flag == "--finetune-dropout" {
            extra.push("0.2");
        }
        train_fails(&xp, &yp, dir.path(), &extra, flag);
    }
    assert!(!dir.path().join("bad.safetensors").exists());

    // A file of another format: the error names it.
    let tied = dir.path().join("t.safetensors");
    potential_models::TiedAutoencoder::zeros(
        2,
        64,
        potential_activations::ActivationKind::Tanh,
        Default::default(),
    )
    .unwrap()
    .save(&tied)
    .unwrap();
    let o = potential(&["csae", "eval", "--model", s(&tied), "--data", s(&xp), "--labels", s(&yp)]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("potential.tied-autoencoder"));
}

/// `--factors F --grid-factors … --refit` runs Sec. 4.4 for the factored model (choice on the
/// validation rows, refit on all rows); `--optimizer adam` is accepted with --factors.
#[test]
fn factored_selection_and_refit() {
    let dir = tempfile::tempdir().unwrap();
    let (xp, yp, x, y) = digits(dir.path());
    let model = dir.path().join("sel.safetensors");
    let o = potential(&[
        "csae",
        "train",
        "--data",
        s(&xp),
        "--labels",
        s(&yp),
        "--activation",
        "modulus",
        "--factors",
        "8",
        "--hidden",
        "8",
        "--grid-factors",
        "6,10",
        "--grid-lr",
        "0.003,0.001",
        "--denoise",
        "0.2",
        "--pretrain-epochs",
        "10",
        "--pretrain-lr",
        "0.01",
        "--finetune-epochs",
        "6",
        "--optimizer",
        "adam",
        "--batch",
        "20",
        "--valid-rows",
        "60",
        "--seed",
        "2",
        "--threads",
        "2",
        "--out",
        s(&model),
    ]);
    ok(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.matches("validation error").count() > 4, "{err}");
    assert!(err.contains("chosen: factors"), "{err}");
    let m = match AnyCsae::load(&model).unwrap() {
        AnyCsae::Factored(m) => m,
        other => panic!("expected a factored model, got {}", other.format()),
    };
    assert!([6, 10].contains(&m.factors()), "{}", m.factors());
    assert!(m.provenance().unwrap().contains("refit on train+validation"));
    assert!(m.provenance().unwrap().contains("\"optimizer\":\"adam\""));
    let ev = m.evaluate(MatRef::from_row_major(&x, y.len(), m.visible()), &y).unwrap();
    assert!(ev.error_rate < 0.1, "{ev:?}");
    train_fails(&xp, &yp, dir.path(), &["--grid-factors", "4,8", "--valid-rows", "60"], "--factors");
    train_fails(&xp, &yp, dir.path(), &["--factors", "4", "--refit"], "--valid-rows");
}
