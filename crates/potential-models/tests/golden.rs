//! Golden fixtures: models written and quantities computed by `tests/data/make_golden.py`
//! (NumPy, float64, independent formulas and an independent safetensors writer).

use potential_kernels::MatRef;
use potential_models::{Score, TiedAutoencoder};
use serde_json::Value;
use std::path::PathBuf;

fn floats(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().flat_map(floats).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap()],
        other => panic!("not a number: {other}"),
    }
}

#[test]
fn numpy_golden_fixtures_match() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("golden.json")).unwrap()).unwrap();
    let cases = json["cases"].as_array().unwrap();
    let kinds = potential_activations::ActivationKind::ALL;
    assert_eq!(cases.len(), 2 * kinds.len(), "one case per activation × output kind");
    for k in kinds {
        assert!(cases.iter().any(|c| c["activation"] == k.name()), "no golden case for {k}");
    }
    for c in cases {
        let file = c["file"].as_str().unwrap();
        let m = TiedAutoencoder::load(dir.join(file)).unwrap();
        assert_eq!(m.activation().to_string(), c["activation"].as_str().unwrap(), "{file}");
        assert_eq!(m.output().to_string(), c["output"].as_str().unwrap(), "{file}");
        let (h, d) = (c["hidden"].as_u64().unwrap() as usize, c["visible"].as_u64().unwrap() as usize);
        assert_eq!((m.hidden(), m.visible()), (h, d), "{file}");
        assert!(m.provenance().unwrap().contains("make_golden.py"));
        let x: Vec<f32> = floats(&c["x"]).into_iter().map(|v| v as f32).collect();
        let n = x.len() / d;
        let xv = MatRef::from_row_major(&x, n, d);
        let close = |what: &str, got: &[f64], want: &[f64]| {
            assert_eq!(got.len(), want.len(), "{file} {what}");
            for (i, (g, w)) in got.iter().zip(want).enumerate() {
                // f32 gemm and f32 H values against f64 NumPy: a few f32 ulps of the magnitudes.
                assert!((g - w).abs() <= 2e-5 * (1.0 + w.abs()), "{file} {what}[{i}]: {g} vs numpy {w}");
            }
        };
        close("energy", &m.energy_batch(xv).unwrap(), &floats(&c["energy"]));
        close(
            "reconstruction_error",
            &m.score_batch(xv, Score::ReconstructionError).unwrap(),
            &floats(&c["reconstruction_error"]),
        );
        close("laplacian", &m.laplacian_batch(xv).unwrap(), &floats(&c["laplacian"]));
        close("contraction", &m.contraction_batch(xv).unwrap(), &floats(&c["contraction"]));
        let field: Vec<f64> = m.vector_field_batch(xv).unwrap().into_iter().map(f64::from).collect();
        close("vector_field", &field, &floats(&c["vector_field"]));
        // Our writer reproduces a file the NumPy writer's reader (ours) accepts identically.
        let back = TiedAutoencoder::from_safetensors_bytes(&m.to_safetensors_bytes().unwrap()).unwrap();
        assert_eq!(back, m);
    }
}
