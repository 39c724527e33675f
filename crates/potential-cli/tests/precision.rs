//! `--precision` of `potential score` and `potential detect`: bf16 energies equal the library's bit
//! for bit and lie within the derived bound of the f32 ones; bf16 is refused, with a message, for
//! scores and models it does not apply to and where the CPU lacks AVX-512 BF16 (forced here with
//! `POTENTIAL_FORCE_PORTABLE=1`).

use potential_activations::ActivationKind;
use potential_kernels::MatRef;
use potential_models::{Output, Precision, TiedAutoencoder};
use rand::{RngExt, SeedableRng};
use std::path::Path;
use std::process::Command;

fn potential(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_potential"));
    c.args(args).env_remove("POTENTIAL_FORCE_PORTABLE");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run potential")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn read_npy_f64(path: &Path) -> Vec<f64> {
    let bytes = std::fs::read(path).unwrap();
    let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    bytes[10 + hlen..].chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect()
}

/// A 20→70 sigmoid model and 300 rows in (0, 1), saved in `dir`.
fn fixture(dir: &Path) -> (TiedAutoencoder, Vec<f32>, std::path::PathBuf, std::path::PathBuf) {
    let (n, d, h) = (300, 20, 70);
    let mut rng = rand::rngs::StdRng::seed_from_u64(19);
    let w = (0..h * d).map(|_| rng.random_range(-0.5f32..0.5)).collect();
    let bh = (0..h).map(|_| rng.random_range(-0.5f32..0.5)).collect();
    let br = (0..d).map(|_| rng.random_range(0.0f32..0.5)).collect();
    let m = TiedAutoencoder::new(w, bh, br, ActivationKind::Sigmoid, Output::Real).unwrap();
    let x: Vec<f32> = (0..n * d).map(|_| rng.random_range(0.01f32..0.99)).collect();
    let (mp, xp) = (dir.join("m.safetensors"), dir.join("x.npy"));
    m.save(&mp).unwrap();
    potential_data::write_npy_f32(&xp, &x, &[n, d]).unwrap();
    (m, x, mp, xp)
}

#[test]
fn score_bf16_equals_the_library_and_stays_within_the_bound() {
    if !Precision::Bf16.is_available() {
        eprintln!("skipped: no AVX-512 BF16 on this CPU");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (m, x, mp, xp) = fixture(dir.path());
    let d = m.visible();
    let out = dir.path().join("e16.npy");
    let args = ["score", "--model", s(&mp), "--data", s(&xp), "--out", s(&out), "--precision", "bf16"];
    let o = potential(&[&args[..], &["--block", "7", "--quiet"]].concat(), &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got = read_npy_f64(&out);
    let xv = MatRef::from_row_major(&x, x.len() / d, d);
    assert_eq!(got, m.energy_batch_with(xv, Precision::Bf16).unwrap(), "blocks of 7 rows = one batch");
    let f32e = m.energy_batch(xv).unwrap();
    for (i, (a, b)) in got.iter().zip(&f32e).enumerate() {
        assert!((a - b).abs() <= m.bf16_energy_error_bound(&x[i * d..(i + 1) * d]).unwrap(), "row {i}");
    }
    assert!(got != f32e, "bf16 gave the f32 energies: the flag was ignored");

    // detect ranks by the same energies: its flags CSV carries the scores.
    let flags = dir.path().join("flags.csv");
    let o = potential(
        &[
            "detect",
            "--model",
            s(&mp),
            "--data",
            s(&xp),
            "--out",
            s(&flags),
            "--precision",
            "bf16",
            "--quiet",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&flags).unwrap();
    let energies: Vec<f64> =
        text.lines().skip(1).map(|l| l.split(',').nth(1).unwrap().parse::<f64>().unwrap()).collect();
    assert_eq!(energies.len(), got.len());
    for (e, g) in energies.iter().zip(&got) {
        assert!((e - g).abs() <= 1e-9 * (1.0 + g.abs()), "detect's energy {e} vs score's {g}");
    }
}

#[test]
fn bf16_is_refused_where_it_does_not_apply() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, mp, xp) = fixture(dir.path());
    let out = dir.path().join("s.npy");
    let o = potential(
        &[
            "score",
            "--model",
            s(&mp),
            "--data",
            s(&xp),
            "--out",
            s(&out),
            "--what",
            "laplacian",
            "--precision",
            "bf16",
        ],
        &[],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--precision bf16 applies to --what energy only"));
    let o = potential(
        &[
            "detect",
            "--model",
            s(&mp),
            "--data",
            s(&xp),
            "--score",
            "reconstruction-error",
            "--precision",
            "bf16",
        ],
        &[],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("applies to a tied autoencoder's energy only"));
    let o = potential(
        &["score", "--model", s(&mp), "--data", s(&xp), "--out", s(&out), "--precision", "f16"],
        &[],
    );
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("expected f32 or bf16"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!out.exists());
}

#[test]
fn bf16_without_the_cpu_feature_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, mp, xp) = fixture(dir.path());
    let out = dir.path().join("s.npy");
    let env = [("POTENTIAL_FORCE_PORTABLE", "1")];
    let o = potential(
        &["score", "--model", s(&mp), "--data", s(&xp), "--out", s(&out), "--precision", "bf16"],
        &env,
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("AVX-512 BF16") && err.contains("avx512bf16"), "{err}");
    assert!(!out.exists());
    let o = potential(&["detect", "--model", s(&mp), "--data", s(&xp), "--precision", "bf16"], &env);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("avx512bf16"));
    // f32 still works there.
    let o = potential(&["score", "--model", s(&mp), "--data", s(&xp), "--out", s(&out), "--quiet"], &env);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
