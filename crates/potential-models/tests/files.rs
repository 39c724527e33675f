//! Model files: safetensors round trips and every load error (README, *File formats*).

use potential_activations::ActivationKind;
use potential_models::{Error, FormatError, Output, TiedAutoencoder, TIED_FORMAT};
use safetensors::tensor::{Dtype, TensorView};

fn model(act: ActivationKind, out: Output) -> TiedAutoencoder {
    let (h, d) = (3, 4);
    let w = (0..h * d).map(|i| ((i * 7 % 11) as f32 - 5.0) / 7.0).collect();
    let mut m = TiedAutoencoder::new(w, vec![0.1, -0.2, 0.3], vec![0.0, 0.5, -0.5, 0.25], act, out).unwrap();
    m.set_provenance(Some("{\"trainer\":\"test \\\"q\\\" \\\\ é\\n\",\"epochs\":3}\n\t\u{1}".to_owned()));
    m
}

/// Hand-built safetensors bytes with the given tensors (name, dtype, shape, f32 or f64 values)
/// and metadata.
fn build(tensors: &[(&str, Dtype, Vec<usize>, Vec<f64>)], meta: &[(&str, &str)]) -> Vec<u8> {
    let bufs: Vec<Vec<u8>> = tensors
        .iter()
        .map(|(_, dt, _, v)| match dt {
            Dtype::F64 => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            _ => v.iter().flat_map(|&x| (x as f32).to_le_bytes()).collect(),
        })
        .collect();
    let views: Vec<(&str, TensorView<'_>)> = tensors
        .iter()
        .zip(&bufs)
        .map(|((n, dt, s, _), b)| (*n, TensorView::new(*dt, s.clone(), b).unwrap()))
        .collect();
    // Collected into whichever map safetensors takes (it depends on safetensors' `std` feature).
    let meta = meta.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    safetensors::serialize(views, Some(meta)).unwrap()
}

fn good_tensors() -> Vec<(&'static str, Dtype, Vec<usize>, Vec<f64>)> {
    vec![
        ("weight", Dtype::F32, vec![2, 3], vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6]),
        ("hidden_bias", Dtype::F32, vec![2], vec![0.0, 1.0]),
        ("visible_bias", Dtype::F32, vec![3], vec![0.0, 1.0, 2.0]),
    ]
}

const GOOD_META: [(&str, &str); 4] =
    [("format", TIED_FORMAT), ("activation", "relu"), ("output", "real"), ("provenance", "{}")];

fn decode_err(bytes: &[u8]) -> FormatError {
    match TiedAutoencoder::from_safetensors_bytes(bytes) {
        Err(Error::Format(e)) => e,
        other => panic!("expected a format error, got {other:?}"),
    }
}

#[test]
fn round_trip_bytes_and_files_for_every_kind() {
    let dir = tempfile::tempdir().unwrap();
    for act in ActivationKind::ALL {
        for out in [Output::Real, Output::Binary] {
            let m = model(act, out);
            let bytes = m.to_safetensors_bytes().unwrap();
            assert_eq!(TiedAutoencoder::from_safetensors_bytes(&bytes).unwrap(), m);
            let path = dir.path().join(format!("{act}-{out}.safetensors"));
            m.save(&path).unwrap();
            assert_eq!(TiedAutoencoder::load(&path).unwrap(), m);
            // Overwriting is atomic (rename over the old file) and leaves no temporary behind.
            m.save(&path).unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), bytes);
        }
    }
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 2 * ActivationKind::ALL.len(), "{names:?}");
    assert!(names.iter().all(|n| n.to_string_lossy().ends_with(".safetensors")));
}

#[test]
fn the_file_layout_is_exactly_the_design() {
    let m = model(ActivationKind::Synchrony, Output::Binary);
    let bytes = m.to_safetensors_bytes().unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut names = st.names();
    names.sort();
    assert_eq!(names, ["hidden_bias", "visible_bias", "weight"]);
    let w = st.tensor("weight").unwrap();
    assert_eq!((w.dtype(), w.shape()), (Dtype::F32, &[3usize, 4][..]));
    assert_eq!(st.tensor("hidden_bias").unwrap().shape(), &[3]);
    assert_eq!(st.tensor("visible_bias").unwrap().shape(), &[4]);
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let meta = header.metadata().clone().unwrap();
    assert_eq!(meta["format"], "potential.tied-autoencoder");
    assert_eq!(meta["activation"], "synchrony");
    assert_eq!(meta["output"], "binary");
    assert_eq!(Some(meta["provenance"].as_str()), m.provenance());
    // Row-major H×D little-endian f32.
    let first = f32::from_le_bytes(w.data()[4..8].try_into().unwrap());
    assert_eq!(first, m.weight()[1]);
    // A hand-built file in the documented layout loads.
    let h = TiedAutoencoder::from_safetensors_bytes(&build(&good_tensors(), &GOOD_META)).unwrap();
    assert_eq!(
        (h.hidden(), h.visible(), h.activation(), h.output()),
        (2, 3, ActivationKind::Relu, Output::Real)
    );
    assert_eq!(h.weight()[4], 0.5);
}

#[test]
fn every_load_error_is_typed() {
    // missing tensor
    let mut t = good_tensors();
    t.remove(1);
    assert!(matches!(
        decode_err(&build(&t, &GOOD_META)),
        FormatError::MissingTensor { tensor } if tensor == "hidden_bias"
    ));
    // wrong dtype
    let mut t = good_tensors();
    t[0].1 = Dtype::F64;
    match decode_err(&build(&t, &GOOD_META)) {
        FormatError::WrongDtype { tensor, expected: "F32", found } if tensor == "weight" => {
            assert_eq!(found, "F64")
        }
        e => panic!("{e:?}"),
    }
    // wrong shapes
    let mut t = good_tensors();
    t[1] = ("hidden_bias", Dtype::F32, vec![3], vec![0.0; 3]);
    assert!(matches!(
        decode_err(&build(&t, &GOOD_META)),
        FormatError::WrongShape { tensor, expected, found } if tensor == "hidden_bias" && expected == [2] && found == [3]
    ));
    let mut t = good_tensors();
    t[0].2 = vec![6];
    assert!(
        matches!(decode_err(&build(&t, &GOOD_META)), FormatError::WrongShape { tensor, .. } if tensor == "weight")
    );
    let mut t = good_tensors();
    t[2] = ("visible_bias", Dtype::F32, vec![1, 3], vec![0.0; 3]);
    assert!(matches!(
        decode_err(&build(&t, &GOOD_META)),
        FormatError::WrongShape { tensor, .. } if tensor == "visible_bias"
    ));
    // unexpected tensor
    let mut t = good_tensors();
    t.push(("class_bias", Dtype::F32, vec![1], vec![0.0]));
    assert!(
        matches!(decode_err(&build(&t, &GOOD_META)), FormatError::UnexpectedTensor { tensor } if tensor == "class_bias")
    );
    // metadata: unknown format, activation, output; missing keys
    let with = |k: &str, v: &str| -> Vec<(String, String)> {
        GOOD_META
            .iter()
            .map(|(a, b)| (a.to_string(), if *a == k { v.to_string() } else { b.to_string() }))
            .collect()
    };
    let b = |m: Vec<(String, String)>| {
        let r: Vec<(&str, &str)> = m.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        build(&good_tensors(), &r)
    };
    assert!(
        matches!(decode_err(&b(with("format", "potential.csae"))), FormatError::UnknownFormat { found, .. } if found == "potential.csae")
    );
    assert!(
        matches!(decode_err(&b(with("activation", "softmax"))), FormatError::UnknownActivation { found } if found == "softmax")
    );
    assert!(
        matches!(decode_err(&b(with("output", "gaussian"))), FormatError::UnknownOutput { found } if found == "gaussian")
    );
    for key in ["format", "activation", "output"] {
        let m: Vec<(&str, &str)> = GOOD_META.iter().copied().filter(|(k, _)| *k != key).collect();
        assert!(
            matches!(decode_err(&build(&good_tensors(), &m)), FormatError::MissingMetadata { key: k } if k == key)
        );
    }
    // provenance is optional
    let m: Vec<(&str, &str)> = GOOD_META.iter().copied().filter(|(k, _)| *k != "provenance").collect();
    assert_eq!(
        TiedAutoencoder::from_safetensors_bytes(&build(&good_tensors(), &m)).unwrap().provenance(),
        None
    );
    // non-finite values
    let mut t = good_tensors();
    t[2].3[1] = f64::NAN;
    assert!(matches!(
        decode_err(&build(&t, &GOOD_META)),
        FormatError::NonFinite { tensor, index: 1, .. } if tensor == "visible_bias"
    ));
    let mut t = good_tensors();
    t[0].3[5] = f64::INFINITY;
    assert!(matches!(
        decode_err(&build(&t, &GOOD_META)),
        FormatError::NonFinite { tensor, index: 5, .. } if tensor == "weight"
    ));
    // truncated and garbage
    let good = build(&good_tensors(), &GOOD_META);
    for cut in [0, 3, 8, 20, good.len() - 1] {
        assert!(matches!(decode_err(&good[..cut]), FormatError::Corrupt(_)), "cut at {cut}");
    }
    let garbage: Vec<u8> = (0..200u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    assert!(matches!(decode_err(&garbage), FormatError::Corrupt(_)));
    let mut bad_header = good.clone();
    bad_header[10] = b'{';
    assert!(matches!(decode_err(&bad_header), FormatError::Corrupt(_)));
}

#[test]
fn file_errors_carry_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.safetensors");
    match TiedAutoencoder::load(&missing) {
        Err(e @ Error::Io { .. }) => assert!(e.to_string().contains("nope.safetensors")),
        other => panic!("{other:?}"),
    }
    let bad = dir.path().join("bad.safetensors");
    std::fs::write(&bad, b"not a model").unwrap();
    match TiedAutoencoder::load(&bad) {
        Err(e @ Error::File { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("bad.safetensors") && msg.contains("not a valid safetensors"), "{msg}");
            let Error::File { path, source } = e else { unreachable!() };
            assert_eq!(path, bad);
            assert!(matches!(source, FormatError::Corrupt(_)));
        }
        other => panic!("{other:?}"),
    }
    // Saving into a missing directory is an I/O error naming the target.
    let target = dir.path().join("no/such/dir/m.safetensors");
    match model(ActivationKind::Tanh, Output::Real).save(&target) {
        Err(Error::Io { path, .. }) => assert_eq!(path, target),
        other => panic!("{other:?}"),
    }
}

#[test]
fn arbitrary_and_mutated_bytes_never_panic() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let good = model(ActivationKind::Sigmoid, Output::Binary).to_safetensors_bytes().unwrap();
    let mut runner = TestRunner::new_with_rng(
        Config { cases: 256, failure_persistence: None, ..Config::default() },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[42; 32]),
    );
    let strat = (
        proptest::collection::vec(any::<u8>(), 0..300),
        proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
    );
    runner
        .run(&strat, |(junk, flips)| {
            // Arbitrary bytes: an error, never a panic.
            let _ = TiedAutoencoder::from_safetensors_bytes(&junk);
            // A valid file with a few bytes changed: either a valid model (all finite) or a typed error.
            let mut b = good.clone();
            for (i, v) in flips {
                let n = b.len();
                b[i % n] = v;
            }
            if let Ok(m) = TiedAutoencoder::from_safetensors_bytes(&b) {
                prop_assert!(m.validate().is_ok());
                prop_assert_eq!(m.weight().len(), m.hidden() * m.visible());
            }
            Ok(())
        })
        .unwrap();
}

/// The header's strings are escaped as RFC 8259 requires and no more: quotes, backslashes and
/// control characters (below U+0020) escaped, a space and other characters written as they are —
/// so the bytes of a file are one deterministic function of its contents.
#[test]
fn header_strings_escape_exactly_the_control_characters() {
    use std::collections::BTreeMap;
    let meta = BTreeMap::from([("note", "a b\"c\\d\ne\u{1f}f\u{7f}é".to_string())]);
    let data = [1.0f32, 2.0];
    let tensors = BTreeMap::from([("t".to_string(), (vec![2usize], &data[..]))]);
    let bytes = potential_models::safetensors_f32_bytes(&meta, &tensors);
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + len]).unwrap();
    assert_eq!(len % 8, 0, "the header is padded to a multiple of 8 bytes");
    assert!(header.contains(r#""note":"a b\"c\\d\ne\u001ff"#), "{header}");
    assert!(header.contains("f\u{7f}é\""), "{header}");
    // And it reads back as the same string.
    let (_, parsed) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    assert_eq!(parsed.metadata().as_ref().unwrap()["note"], meta["note"]);
}
