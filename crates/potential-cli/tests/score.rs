//! End-to-end tests of `potential score` and `potential inspect`: the binary's output equals the
//! library's, and bad input gives an error that names the problem.

use potential_activations::ActivationKind;
use potential_kernels::MatRef;
use potential_models::{Output, Score, TiedAutoencoder};
use rand::{RngExt, SeedableRng};
use std::path::Path;
use std::process::Command;

fn potential(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_potential")).args(args).output().expect("run potential")
}

/// `potential score --model M --data X --what W --out O [extra…]`.
fn score(model: &Path, data: &Path, what: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "score",
        "--model",
        model.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--what",
        what,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    potential(&args)
}

fn model(seed: u64, d: usize, h: usize, act: ActivationKind, out: Output) -> TiedAutoencoder {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let w = (0..h * d).map(|_| rng.random_range(-0.5f32..0.5)).collect();
    let bh = (0..h).map(|_| rng.random_range(-0.5f32..0.5)).collect();
    let br = (0..d).map(|_| rng.random_range(-0.5f32..0.5)).collect();
    TiedAutoencoder::new(w, bh, br, act, out).unwrap()
}

fn data(seed: u64, n: usize, d: usize) -> Vec<f32> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n * d).map(|_| rng.random_range(0.01f32..0.99)).collect()
}

fn read_npy_f64(path: &Path) -> Vec<f64> {
    // Independent reader: version-1 header, '<f8', 1-D.
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY");
    let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..10 + hlen]).unwrap();
    assert!(header.contains("'descr': '<f8'"), "{header}");
    assert_eq!((10 + hlen) % 64, 0, "payload 64-byte aligned");
    bytes[10 + hlen..].chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect()
}

#[test]
fn score_matches_library_for_every_score_and_both_formats() {
    let dir = tempfile::tempdir().unwrap();
    let (n, d, h) = (37, 13, 9);
    let x = data(1, n, d);
    let xp = dir.path().join("x.npy");
    potential_data::write_npy_f32(&xp, &x, &[n, d]).unwrap();
    for (i, (act, out)) in [
        (ActivationKind::Sigmoid, Output::Real),
        (ActivationKind::Tanh, Output::Binary),
        (ActivationKind::Relu, Output::Real),
    ]
    .into_iter()
    .enumerate()
    {
        let m = model(10 + i as u64, d, h, act, out);
        let mp = dir.path().join(format!("m{i}.safetensors"));
        m.save(&mp).unwrap();
        for what in Score::ALL {
            let expect = m.score_batch(MatRef::from_row_major(&x, n, d), what).unwrap();
            let np = dir.path().join(format!("s{i}-{}.npy", what.name()));
            let o = score(&mp, &xp, what.name(), &np, &["--block", "5"]);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert!(stderr.contains(&format!("n={n}")), "summary line: {stderr}");
            // Blocks of 5 rows give the same numbers as one batch (batch = per sample).
            assert_eq!(read_npy_f64(&np), expect, "{act} {out} {what}");

            let cp = dir.path().join(format!("s{i}-{}.csv", what.name()));
            let o = score(&mp, &xp, what.name(), &cp, &["--quiet"]);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let text = std::fs::read_to_string(&cp).unwrap();
            let mut lines = text.lines();
            assert_eq!(lines.next(), Some(format!("index,{}", what.name()).as_str()));
            let vals: Vec<f64> = lines
                .enumerate()
                .map(|(k, l)| {
                    let (idx, v) = l.split_once(',').unwrap();
                    assert_eq!(idx.parse::<usize>().unwrap(), k);
                    v.parse().unwrap()
                })
                .collect();
            assert_eq!(vals, expect, "CSV round-trips exactly");
        }
    }
}

#[test]
fn score_reports_bad_input_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let (n, d) = (20, 6);
    let m = model(3, d, 4, ActivationKind::Sigmoid, Output::Binary);
    let mp = dir.path().join("m.safetensors");
    m.save(&mp).unwrap();
    let run = |data: &Path, out: &str| {
        let o = score(&mp, data, "energy", &dir.path().join(out), &["--block", "8"]);
        assert!(!o.status.success(), "must fail");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    // Wrong width.
    let wide = dir.path().join("wide.npy");
    potential_data::write_npy_f32(&wide, &data(4, n, d + 1), &[n, d + 1]).unwrap();
    let e = run(&wide, "s.npy");
    assert!(e.contains("7 values") && e.contains("expects 6"), "{e}");
    // A value outside [0, 1] for a binary model, at row 13 (in the second block of 8).
    let mut x = data(5, n, d);
    x[13 * d + 2] = 1.5;
    let bad = dir.path().join("bad.npy");
    potential_data::write_npy_f32(&bad, &x, &[n, d]).unwrap();
    let e = run(&bad, "s.npy");
    assert!(e.contains("row 13") && e.contains("column 2") && e.contains("bad.npy"), "{e}");
    assert!(!dir.path().join("s.npy").exists(), "no output written on failure");
    // NaN in the data.
    x[13 * d + 2] = f32::NAN;
    potential_data::write_npy_f32(&bad, &x, &[n, d]).unwrap();
    let e = run(&bad, "s.npy");
    assert!(e.to_lowercase().contains("nan") || e.contains("non-finite"), "{e}");
    // Unknown output format, missing data file.
    let good = dir.path().join("good.npy");
    potential_data::write_npy_f32(&good, &data(6, n, d), &[n, d]).unwrap();
    let e = run(&good, "s.txt");
    assert!(e.contains(".npy or .csv"), "{e}");
    let e = run(&dir.path().join("missing.npy"), "s.npy");
    assert!(e.contains("missing.npy"), "{e}");
    // A garbage model file.
    let junk = dir.path().join("junk.safetensors");
    std::fs::write(&junk, b"not a safetensors file at all").unwrap();
    let o = potential(&["inspect", junk.to_str().unwrap()]);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("junk.safetensors"), "{e}");
}

#[test]
fn inspect_prints_shapes_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = model(7, 11, 5, ActivationKind::Modulus, Output::Real);
    m.set_provenance(Some(r#"{"trained_by":"test"}"#.into()));
    let mp = dir.path().join("m.safetensors");
    m.save(&mp).unwrap();
    let o = potential(&["inspect", mp.to_str().unwrap()]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("modulus") && text.contains("5 hidden × 11 visible"), "{text}");
    let o = potential(&["inspect", "--json", mp.to_str().unwrap()]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["hidden"], 5);
    assert_eq!(v["visible"], 11);
    assert_eq!(v["activation"], "modulus");
    assert_eq!(v["output"], "real");
    assert_eq!(v["provenance"]["trained_by"], "test");
    let norms: Vec<f64> = m.filter_norms_sq().into_iter().map(f64::sqrt).collect();
    let max = norms.iter().cloned().fold(f64::MIN, f64::max);
    assert!((v["filter_norm"]["max"].as_f64().unwrap() - max).abs() < 1e-12);
}

/// `potential train --activation A` for every activation name (the smooth ones contractive, relu
/// and modulus denoising), then `inspect` names it and `score --what energy` equals the library's
/// energies of the saved model; an unknown name is refused with the list of the known ones.
#[test]
fn train_inspect_and_score_every_activation() {
    let dir = tempfile::tempdir().unwrap();
    let (n, d) = (60, 8);
    let xp = dir.path().join("x.npy");
    let x = data(9, n, d);
    potential_data::write_npy_f32(&xp, &x, &[n, d]).unwrap();
    for act in ActivationKind::ALL {
        let mp = dir.path().join(format!("{act}.safetensors"));
        let reg = if act.is_smooth() { ["--contractive", "0.1"] } else { ["--denoise", "0.2"] };
        let mut args = vec!["train", "--data", xp.to_str().unwrap(), "--activation", act.name()];
        args.extend(["--hidden", "5", "--epochs", "2", "--batch-size", "20", "--lr", "0.01", "--seed", "1"]);
        args.extend(reg);
        args.extend(["--quiet", "--out", mp.to_str().unwrap()]);
        let o = potential(&args);
        assert!(o.status.success(), "train --activation {act}: {}", String::from_utf8_lossy(&o.stderr));
        let m = TiedAutoencoder::load(&mp).unwrap();
        assert_eq!((m.activation(), m.hidden(), m.visible()), (act, 5, d));
        let o = potential(&["inspect", "--json", mp.to_str().unwrap()]);
        assert!(o.status.success());
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["activation"], act.name());
        let sp = dir.path().join(format!("{act}-energy.npy"));
        let o = score(&mp, &xp, "energy", &sp, &["--quiet"]);
        assert!(o.status.success(), "score {act}: {}", String::from_utf8_lossy(&o.stderr));
        let want = m.score_batch(MatRef::from_row_major(&x, n, d), Score::Energy).unwrap();
        assert_eq!(read_npy_f64(&sp), want, "{act}");
    }
    let o = potential(&["train", "--data", xp.to_str().unwrap(), "--activation", "softmax", "--hidden", "2"]);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("softmax"), "{e}");
    assert!(ActivationKind::ALL.iter().all(|k| e.contains(k.name())), "lists every activation: {e}");
}
