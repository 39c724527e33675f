//! The classifier's contracts: class-order invariance, predict = argmax of predict_proba, adding a
//! class leaves the others untouched, files round-trip and fail with typed errors, training does
//! not depend on the thread count, configurations are validated.

use potential_activations::ActivationKind;
use potential_csae::{
    class_features, features_view, fit_class_biases, init_class_model, log_sum_exp, pretrain_class,
    pretrain_classes, pretrain_parallelism, silent, train, train_from_classes, Csae, CsaeConfig, Error,
    FinetuneConfig, Finetuner, FormatError, Optimizer, Variant,
};
use potential_data::{embedded_digits, Dataset};
use potential_kernels::MatRef;
use potential_models::{Output, TiedAutoencoder};
use potential_train::TrainConfig;
use proptest::prelude::*;
use std::ops::ControlFlow;

fn random_model(k: usize, h: usize, d: usize, vals: &[f32]) -> Csae {
    let mut it = vals.iter().copied().cycle();
    let classes = (0..k)
        .map(|_| {
            let w: Vec<f32> = (0..h * d).map(|_| it.next().unwrap()).collect();
            let bh: Vec<f32> = (0..h).map(|_| it.next().unwrap()).collect();
            let br: Vec<f32> = (0..d).map(|_| it.next().unwrap()).collect();
            TiedAutoencoder::new(w, bh, br, ActivationKind::Tanh, Output::Real).unwrap()
        })
        .collect();
    let c = (0..k).map(|_| it.next().unwrap()).collect();
    Csae::new(classes, (0..k).map(|i| format!("class-{i}")).collect(), c).unwrap()
}

proptest! {
    // Seeded: every run draws the same cases (change the seed to explore others).
    #![proptest_config(ProptestConfig { cases: 128, rng_seed: proptest::test_runner::RngSeed::Fixed(2), ..ProptestConfig::default() })]

    /// Permuting the classes permutes energies, probabilities and predictions, nothing else.
    #[test]
    fn class_order_does_not_matter(
        k in 2usize..=5, h in 1usize..=4, d in 1usize..=6, n in 1usize..=8,
        vals in prop::collection::vec(-1.5f32..1.5, 97),
        xs in prop::collection::vec(-2.0f32..2.0, 48),
        rot in 1usize..5,
    ) {
        let m = random_model(k, h, d, &vals);
        let perm: Vec<usize> = (0..k).map(|i| (i + rot) % k).collect();
        let pm = Csae::new(
            perm.iter().map(|&i| m.class_model(i).clone()).collect(),
            perm.iter().map(|&i| m.class_names()[i].clone()).collect(),
            perm.iter().map(|&i| m.class_bias()[i]).collect(),
        ).unwrap();
        let x: Vec<f32> = xs.iter().copied().cycle().take(n * d).collect();
        let xv = MatRef::from_row_major(&x, n, d);
        let (p, pp) = (m.predict_proba(xv).unwrap(), pm.predict_proba(xv).unwrap());
        let (y, py) = (m.predict(xv).unwrap(), pm.predict(xv).unwrap());
        let (o, po) = (m.ood_score(xv).unwrap(), pm.ood_score(xv).unwrap());
        for r in 0..n {
            for (j, &i) in perm.iter().enumerate() {
                prop_assert!((p[r * k + i] - pp[r * k + j]).abs() <= 1e-12);
            }
            // Names follow the classes; a tie could pick a different index, so compare names only
            // when the winner is unique.
            let row = &p[r * k..(r + 1) * k];
            let top = row[y[r] as usize];
            if row.iter().filter(|&&v| (v - top).abs() < 1e-12).count() == 1 {
                prop_assert_eq!(&m.class_names()[y[r] as usize], &pm.class_names()[py[r] as usize]);
            }
            prop_assert!((o[r] - po[r]).abs() <= 1e-9 * (1.0 + o[r].abs()));
        }
    }

    /// predict is the argmax of predict_proba; probabilities sum to 1; the OOD score is the
    /// log-sum-exp of the logits.
    #[test]
    fn predict_is_argmax_of_proba(
        k in 2usize..=5, h in 1usize..=4, d in 1usize..=6, n in 1usize..=8,
        vals in prop::collection::vec(-1.5f32..1.5, 97),
        xs in prop::collection::vec(-2.0f32..2.0, 48),
    ) {
        let m = random_model(k, h, d, &vals);
        let x: Vec<f32> = xs.iter().copied().cycle().take(n * d).collect();
        let xv = MatRef::from_row_major(&x, n, d);
        let p = m.predict_proba(xv).unwrap();
        let y = m.predict(xv).unwrap();
        let s = m.logits(xv).unwrap();
        let o = m.ood_score(xv).unwrap();
        for r in 0..n {
            let row = &p[r * k..(r + 1) * k];
            prop_assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            let best = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            prop_assert_eq!(row[y[r] as usize], best);
            prop_assert!((o[r] - log_sum_exp(&s[r * k..(r + 1) * k])).abs() < 1e-12);
        }
    }
}

/// The digits of `classes`, relabelled 0..len in the order given and named by their digit.
fn two_digit_classes(classes: &[u32]) -> Dataset {
    let d = embedded_digits().subset_classes(classes);
    let names: Vec<String> = classes.iter().map(|c| c.to_string()).collect();
    assert_eq!(d.class_names(), &names[..]);
    d
}

fn small_config() -> CsaeConfig {
    CsaeConfig {
        hidden: 16,
        pretrain: Some(TrainConfig {
            epochs: 20,
            batch_size: 20,
            learning_rate: 0.1,
            contractive: 0.2,
            metric_rows: 50,
            ..TrainConfig::default()
        }),
        finetune: FinetuneConfig {
            epochs: 10,
            batch_size: 20,
            learning_rate: 0.03,
            ..FinetuneConfig::default()
        },
        ..CsaeConfig::default()
    }
}

#[test]
fn adding_a_class_keeps_the_others_and_classifies_the_new_one() {
    let data = two_digit_classes(&[3, 5, 8]);
    let (tr, te) = data.split_tail(120).unwrap();
    let old = tr.subset_classes(&[0, 1]);
    assert_eq!(old.class_names(), &["3", "5"]);
    let cfg = small_config();
    let (mut model, _) = train(&cfg, &old, None, &silent).unwrap();
    let before = model.clone();
    // The new class's autoencoder, trained on class 8 alone.
    let new = pretrain_classes(&tr, 3, &cfg, cfg.pretrain.as_ref().unwrap(), &silent).unwrap().remove(2);
    model.add_class("8", new).unwrap();
    let rep = fit_class_biases(&mut model, &cfg.finetune, &tr, None).unwrap();
    assert_eq!(rep.history.len(), cfg.finetune.epochs);
    assert_eq!(model.num_classes(), 3);
    for i in 0..2 {
        assert_eq!(model.class_model(i), before.class_model(i), "class {i} changed");
    }
    assert_eq!(model.class_names(), ["3", "5", "8"]);
    let ev = model.evaluate(features_view(&te), te.labels()).unwrap();
    eprintln!("3-class error after adding a class: {:.3}, per class {:?}", ev.error_rate, ev.per_class_error);
    assert!(ev.error_rate < 0.15, "{ev:?}");
    assert!(ev.per_class_error[2].unwrap() < 0.25, "{ev:?}");
    // An incompatible model is refused.
    let bad = TiedAutoencoder::zeros(4, 10, ActivationKind::Tanh, Output::Real).unwrap();
    assert!(matches!(model.add_class("x", bad), Err(Error::Incompatible { class: 3, .. })));
    let dup = model.class_model(0).clone();
    assert!(matches!(model.add_class("3", dup), Err(Error::Data { .. })));
}

#[test]
fn training_is_independent_of_the_thread_count_and_variants_run() {
    let data = two_digit_classes(&[3, 8]);
    let (tr, va) = data.split_tail(80).unwrap();
    let cfg = small_config();
    let run = |threads: usize, cfg: &CsaeConfig| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| train(cfg, &tr, Some(&va), &silent)).unwrap()
    };
    let (a, ra) = run(1, &cfg);
    let (b, rb) = run(2, &cfg);
    assert_eq!(a.to_safetensors_bytes(), b.to_safetensors_bytes());
    let strip = |r: &potential_csae::FinetuneReport| -> Vec<(f64, f64, Option<f64>)> {
        r.history.iter().map(|e| (e.loss, e.train_error, e.valid_nll)).collect()
    };
    assert_eq!(strip(&ra), strip(&rb));
    assert_eq!(ra.best_epoch, rb.best_epoch);
    for variant in Variant::ALL {
        let mut c = cfg.clone();
        c.finetune.variant = variant;
        let (m, r) = run(2, &c);
        let err = r.best_valid_error.unwrap();
        eprintln!("variant {variant}: validation error {err:.3}");
        assert!(err < 0.25, "variant {variant}: {err} (chance is 0.5)");
        assert_eq!(m.readout().is_some(), variant == Variant::Energies);
        let back = Csae::from_safetensors_bytes(&m.to_safetensors_bytes()).unwrap();
        assert_eq!(back.predict(features_view(&va)).unwrap(), m.predict(features_view(&va)).unwrap());
    }
    let mut c = cfg.clone();
    c.pretrain = None;
    let (_, r) = run(2, &c);
    assert!(r.best_valid_error.unwrap() < 0.3);
}

#[test]
fn configurations_are_validated() {
    let data = two_digit_classes(&[0, 1]);
    let mut c = small_config();
    c.hidden = 0;
    assert!(matches!(train(&c, &data, None, &silent), Err(Error::InvalidConfig { field: "hidden", .. })));
    let mut c = small_config();
    c.finetune.learning_rate = f32::NAN;
    assert!(matches!(train(&c, &data, None, &silent), Err(Error::InvalidConfig { .. })));
    let mut c = small_config();
    c.pretrain = None;
    c.finetune.variant = Variant::NormalizeOnly;
    assert!(matches!(train(&c, &data, None, &silent), Err(Error::InvalidConfig { field: "pretrain", .. })));
    assert!("bogus".parse::<Variant>().is_err());
    // A class without rows cannot be pretrained.
    let names = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
    let lonely = Dataset::new(data.features().clone(), data.labels().to_vec(), Some(names)).unwrap();
    assert!(matches!(train(&small_config(), &lonely, None, &silent), Err(Error::Data { .. })));
}

// ------------------------------------------------------------------------------------------
// Files

fn header_and_data(bytes: &[u8]) -> (serde_json::Value, Vec<u8>) {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    (serde_json::from_slice(&bytes[8..8 + n]).unwrap(), bytes[8 + n..].to_vec())
}

fn rebuild(header: &serde_json::Value, data: &[u8]) -> Vec<u8> {
    let mut h = serde_json::to_vec(header).unwrap();
    while !h.len().is_multiple_of(8) {
        h.push(b' ');
    }
    let mut out = (h.len() as u64).to_le_bytes().to_vec();
    out.extend(h);
    out.extend_from_slice(data);
    out
}

fn format_err(bytes: &[u8]) -> FormatError {
    match Csae::from_safetensors_bytes(bytes) {
        Err(Error::Format(e)) => e,
        other => panic!("expected a format error, got {other:?}"),
    }
}

#[test]
fn files_round_trip_and_fail_with_typed_errors() {
    let mut m = random_model(3, 2, 4, &[0.1, -0.2, 0.3, 0.45, -0.5, 0.25, 0.7]);
    m.set_provenance(Some("{\"note\":\"test\"}".into()));
    let bytes = m.to_safetensors_bytes();
    let back = Csae::from_safetensors_bytes(&bytes).unwrap();
    assert_eq!(back, m);
    assert_eq!(back.to_safetensors_bytes(), bytes, "bytes are deterministic");
    let (header, data) = header_and_data(&bytes);
    assert_eq!(header["__metadata__"]["format"], "potential.csae");
    assert_eq!(header["__metadata__"]["classes"], "[\"class-0\",\"class-1\",\"class-2\"]");
    assert_eq!(header["__metadata__"]["activation"], "tanh");
    assert_eq!(header["class_bias"]["shape"], serde_json::json!([3]));
    assert_eq!(header["class.2.weight"]["shape"], serde_json::json!([2, 4]));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    m.save(&path).unwrap();
    assert_eq!(Csae::load(&path).unwrap(), m);
    let missing = dir.path().join("nope.safetensors");
    assert!(matches!(Csae::load(&missing), Err(Error::Io { path, .. }) if path == missing));
    std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
    assert!(matches!(Csae::load(&path), Err(Error::File { source: FormatError::Corrupt(_), .. })));

    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut h = header.clone();
        f(&mut h);
        format_err(&rebuild(&h, &data))
    };
    assert!(matches!(
        edit(&|h| h["__metadata__"]["format"] = "potential.tied-autoencoder".into()),
        FormatError::UnknownFormat { .. }
    ));
    assert!(matches!(
        edit(&|h| {
            h["__metadata__"].as_object_mut().unwrap().remove("classes");
        }),
        FormatError::MissingMetadata { key: "classes" }
    ));
    assert!(matches!(
        edit(&|h| h["__metadata__"]["classes"] = "not json".into()),
        FormatError::BadMetadata { key: "classes", .. }
    ));
    assert!(matches!(
        edit(&|h| h["__metadata__"]["activation"] = "softsign".into()),
        FormatError::BadMetadata { key: "activation", .. }
    ));
    assert!(matches!(
        edit(&|h| h["__metadata__"]["classes"] = "[\"a\",\"b\"]".into()),
        FormatError::UnexpectedTensor { .. }
    ));
    assert!(matches!(
        edit(&|h| h["__metadata__"]["classes"] = "[\"a\",\"b\",\"c\",\"d\"]".into()),
        FormatError::WrongShape { .. } | FormatError::MissingTensor { .. }
    ));
    assert!(matches!(edit(&|h| h["class_bias"]["dtype"] = "I32".into()), FormatError::WrongDtype { .. }));
    // Reshape class 1's hidden bias [2] as [1, 2] (same byte count): wrong shape.
    assert!(matches!(
        edit(&|h| h["class.1.hidden_bias"]["shape"] = serde_json::json!([1, 2])),
        FormatError::WrongShape { .. }
    ));
    // A NaN in class_bias.
    let off = header["class_bias"]["data_offsets"][0].as_u64().unwrap() as usize;
    let mut nan = data.clone();
    nan[off..off + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    assert!(matches!(format_err(&rebuild(&header, &nan)), FormatError::NonFinite { .. }));
    assert!(matches!(format_err(b"garbage"), FormatError::Corrupt(_)));
}

#[test]
fn finetuning_options_are_validated_and_init_scale_bounds_the_weights() {
    let bad_mask = CsaeConfig {
        finetune: FinetuneConfig { input_mask: 1.0, ..FinetuneConfig::default() },
        ..CsaeConfig::default()
    };
    assert!(matches!(bad_mask.validate(), Err(Error::InvalidConfig { field: "finetune.input_mask", .. })));
    for s in [0.0, -1.0, f32::NAN] {
        let c = CsaeConfig { init_scale: Some(s), ..CsaeConfig::default() };
        assert!(matches!(c.validate(), Err(Error::InvalidConfig { field: "init_scale", .. })), "{s}");
    }
    let bad_schedule = CsaeConfig {
        finetune: FinetuneConfig {
            schedule: potential_train::Schedule::Exponential { gamma: 1.5 },
            ..FinetuneConfig::default()
        },
        ..CsaeConfig::default()
    };
    assert!(matches!(bad_schedule.validate(), Err(Error::InvalidConfig { field: "finetune.schedule", .. })));
    assert!("adam".parse::<Optimizer>().is_ok() && "sgd".parse::<Optimizer>().is_err());
    // The bound ±s·√(6/(H+D)) holds and is nearly reached, for sigmoid (init_model's ×4) and tanh.
    for (act, s) in
        [(ActivationKind::Sigmoid, 1.0f32), (ActivationKind::Sigmoid, 0.5), (ActivationKind::Tanh, 2.0)]
    {
        let cfg = CsaeConfig { hidden: 30, activation: act, init_scale: Some(s), ..CsaeConfig::default() };
        let m = init_class_model(&cfg, 70, 3).unwrap();
        let bound = s * (6.0f32 / 100.0).sqrt();
        let max = m.weight().iter().fold(0.0f32, |a, w| a.max(w.abs()));
        assert!(max <= bound * (1.0 + 1e-6) && max > 0.95 * bound, "{act:?} {s}: max {max}, bound {bound}");
    }
}

#[test]
fn adam_first_step_moves_every_parameter_by_the_learning_rate_against_its_gradient() {
    let data = two_digit_classes(&[0, 1]);
    let mut model = train(
        &CsaeConfig {
            pretrain: None,
            finetune: FinetuneConfig { epochs: 1, ..small_config().finetune },
            ..small_config()
        },
        &data,
        None,
        &silent,
    )
    .unwrap()
    .0;
    let (x, y) = (&data.features().as_slice()[..20 * data.d()], &data.labels()[..20]);
    let before = model.clone();
    let mut ws = Finetuner::new(&model, 20, Variant::Log, 0.0);
    ws.set_optimizer(Optimizer::Adam);
    let lr = 1e-3f32;
    ws.step(&mut model, x, y, lr, 0.9).unwrap();
    let g = ws.gradient_parts();
    // Adam's first bias-corrected step is −η·g/(|g| + ε′): −η·sign(g) wherever |g| ≫ ε.
    let mut checked = 0;
    for i in 0..2 {
        let (a, b) = (before.class_model(i).weight(), model.class_model(i).weight());
        for ((&w0, &w1), &gw) in a.iter().zip(b).zip(&g.classes[i].weight) {
            if gw.abs() > 1e-4 {
                let want = w0 - lr * gw.signum();
                assert!((w1 - want).abs() <= 1e-6 + 1e-5 * lr, "w {w0} → {w1}, g {gw}, want {want}");
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "only {checked} weights had a gradient");
    for (c0, (c1, gc)) in before.class_bias().iter().zip(model.class_bias().iter().zip(&g.class_bias)) {
        if gc.abs() > 1e-4 {
            assert!((c1 - (c0 - lr * gc.signum() as f32)).abs() < 1e-6, "C {c0} → {c1}, g {gc}");
        }
    }
}

/// A model of `k` classes of `h` hiddens over `d` inputs with seeded weights of scale `s`.
fn seeded_model(k: usize, h: usize, d: usize, act: ActivationKind, out: Output, s: f32, seed: u64) -> Csae {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        ((state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * s
    };
    let classes = (0..k)
        .map(|_| {
            let w = (0..h * d).map(|_| next()).collect();
            let bh = (0..h).map(|_| next()).collect();
            let br = (0..d).map(|_| next()).collect();
            TiedAutoencoder::new(w, bh, br, act, out).unwrap()
        })
        .collect();
    Csae::new(classes, (0..k).map(|i| i.to_string()).collect(), (0..k).map(|_| next()).collect()).unwrap()
}

/// Every parameter of the model, flattened (class models in order, then C).
fn flat(m: &Csae) -> Vec<f32> {
    let mut v = Vec::new();
    for i in 0..m.num_classes() {
        let c = m.class_model(i);
        v.extend_from_slice(c.weight());
        v.extend_from_slice(c.hidden_bias());
        v.extend_from_slice(c.visible_bias());
    }
    v.extend_from_slice(m.class_bias());
    v
}

/// The gradient flattened like [`flat`].
fn flat_grad(ws: &Finetuner) -> Vec<f32> {
    let g = ws.gradient_parts();
    let mut v = Vec::new();
    for c in &g.classes {
        v.extend_from_slice(&c.weight);
        v.extend_from_slice(&c.hidden_bias);
        v.extend_from_slice(&c.visible_bias);
    }
    v.extend(g.class_bias.iter().map(|&c| c as f32));
    v
}

/// The fused momentum step (weight gradient straight into the velocity, decay and update in the
/// gemm's store) is `v ← μv − η∇; θ ← θ + v` with ∇ from `Finetuner::gradient`, over two steps (so
/// the velocity carries over), for real and binary outputs, with and without weight decay; and it
/// returns the same objective as `gradient`.
#[test]
fn momentum_step_is_the_momentum_rule_on_the_exact_gradient() {
    let (k, h, d, nb) = (3, 21, 19, 7);
    for (case, (act, out, wd)) in [
        (ActivationKind::Sigmoid, Output::Real, 1e-2f32),
        (ActivationKind::Tanh, Output::Binary, 0.0),
        (ActivationKind::Sigmoid, Output::Binary, 0.3),
    ]
    .into_iter()
    .enumerate()
    {
        let mut model = seeded_model(k, h, d, act, out, 0.5, case as u64);
        let x: Vec<f32> = (0..nb * d).map(|i| (i * 37 % 101) as f32 / 100.0).collect();
        let y: Vec<u32> = (0..nb).map(|r| (r % k) as u32).collect();
        let (lr, mu) = (0.05f32, 0.9f32);
        let mut ws = Finetuner::new(&model, nb, Variant::Log, wd);
        let mut check = Finetuner::new(&model, nb, Variant::Log, wd);
        let mut v = vec![0.0f32; flat(&model).len()];
        for step in 0..2 {
            let before = flat(&model);
            let want_loss = check.gradient(&model, &x, &y).unwrap();
            let g = flat_grad(&check);
            let loss = ws.step(&mut model, &x, &y, lr, mu).unwrap();
            assert_eq!(loss, want_loss, "case {case} step {step}: objective");
            let after = flat(&model);
            for (j, ((&t0, &t1), &gj)) in before.iter().zip(&after).zip(&g).enumerate() {
                v[j] = mu * v[j] - lr * gj;
                let want = t0 + v[j];
                let tol = 1e-6 * (1.0 + t0.abs()) + 1e-5 * v[j].abs();
                assert!(
                    (t1 - want).abs() <= tol,
                    "case {case} step {step}: parameter {j}: {t0} → {t1}, want {want} (∇ {gj})"
                );
            }
        }
    }
}

#[test]
fn a_diverging_momentum_step_is_a_typed_error() {
    let mut model = seeded_model(2, 5, 4, ActivationKind::Sigmoid, Output::Real, 0.5, 9);
    // Inputs of 10⁴ keep the loss finite but make η·∇W overflow f32.
    let x: Vec<f32> = (0..12).map(|i| if i % 2 == 0 { 1e4 } else { -1e4 }).collect();
    let y = [0u32, 1, 0];
    let mut ws = Finetuner::new(&model, 3, Variant::Log, 1e-3);
    let err = ws.step(&mut model, &x, &y, 1e36, 0.9).unwrap_err();
    assert!(matches!(err, Error::Diverged { ref parameter, .. } if parameter.starts_with("class.")), "{err}");
}

/// 64-bit FNV-1a of `b`: pins a seeded run's file without storing it.
fn fnv1a(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325, |h, &x| (h ^ x as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

/// A short seeded CSAE run is pinned on the AVX2+FMA path, and pretraining its classes one at a
/// time ([`potential_csae::pretrain_class`], as a distributed fit does) and finetuning them
/// ([`potential_csae::train_from_classes`]) gives the same file byte for byte.
#[test]
fn a_seeded_run_is_pinned_and_equals_its_classes_pretrained_one_by_one() {
    let data = two_digit_classes(&[1, 4, 7]);
    let (tr, _) = data.split_tail(200).unwrap();
    let cfg = CsaeConfig {
        pretrain: Some(TrainConfig { epochs: 3, ..small_config().pretrain.unwrap() }),
        finetune: FinetuneConfig { epochs: 2, ..small_config().finetune },
        seed: 5,
        ..small_config()
    };
    let (model, _) = train(&cfg, &tr, None, &silent).unwrap();
    let bytes = model.to_safetensors_bytes();
    eprintln!("pinned CSAE hash {:#018x}", fnv1a(&bytes));
    if potential_kernels::simd_path() == potential_kernels::SimdPath::Avx2Fma {
        assert_eq!(fnv1a(&bytes), 0x46df_ddee_1232_c830, "the bits of a seeded CSAE run moved");
    } else {
        assert_eq!(train(&cfg, &tr, None, &silent).unwrap().0.to_safetensors_bytes(), bytes);
    }
    let pretrain = cfg.pretrain.as_ref().unwrap();
    let par = pretrain_parallelism(tr.num_classes());
    let classes: Vec<TiedAutoencoder> = (0..tr.num_classes())
        .map(|c| {
            let x = class_features(&tr, c as u32);
            pretrain_class(&x, &cfg, pretrain, c, par, &potential_train::silent).unwrap()
        })
        .collect();
    let (apart, _) = train_from_classes(&cfg, classes.clone(), &tr, None, &potential_train::silent).unwrap();
    assert_eq!(apart.to_safetensors_bytes(), bytes);
    // Too few class models for the data's classes are an error; a monitor that says stop
    // interrupts the pretraining of a class and the finetuning.
    assert!(matches!(
        train_from_classes(&cfg, classes[..2].to_vec(), &tr, None, &potential_train::silent),
        Err(Error::Data { .. })
    ));
    let stop = |_: potential_train::Progress<'_>| ControlFlow::Break(());
    let x = class_features(&tr, 0);
    let e = pretrain_class(&x, &cfg, pretrain, 0, par, &stop).unwrap_err();
    assert!(matches!(e, Error::Interrupted), "{e}");
    let e = train_from_classes(&cfg, classes, &tr, None, &stop).unwrap_err();
    assert!(matches!(e, Error::Interrupted), "{e}");
}

/// Every way a minibatch can disagree with the workspace or the model is a typed error from both
/// `gradient` and `step`, each on its own: no rows, more rows than the workspace holds, a value
/// count that is not rows × inputs, a model with another number of classes.
#[test]
fn minibatches_of_the_wrong_shape_are_typed_errors() {
    let (k, h, d, batch) = (3, 4, 5, 4);
    let mut model = seeded_model(k, h, d, ActivationKind::Sigmoid, Output::Real, 0.5, 3);
    let mut other = seeded_model(k - 1, h, d, ActivationKind::Sigmoid, Output::Real, 0.5, 4);
    let rows =
        |n: usize| -> (Vec<f32>, Vec<u32>) { (vec![0.5; n * d], (0..n).map(|r| (r % 2) as u32).collect()) };
    let (x2, y2) = rows(2);
    let (x5, y5) = rows(batch + 1);
    let cases: [(&str, bool, Vec<f32>, Vec<u32>); 4] = [
        ("no rows", false, Vec::new(), Vec::new()),
        ("more rows than the workspace", false, x5, y5),
        ("values not rows × inputs", false, x2[1..].to_vec(), y2.clone()),
        ("another class count", true, x2.clone(), y2.clone()),
    ];
    for (what, use_other, x, y) in cases {
        let mut ws = Finetuner::new(&model, batch, Variant::Log, 0.0);
        let m = if use_other { &mut other } else { &mut model };
        let before = flat(m);
        let e = ws.gradient(m, &x, &y).unwrap_err();
        assert!(matches!(e, Error::Data { what: "minibatch", .. }), "{what}: gradient gave {e}");
        let e = ws.step(m, &x, &y, 0.1, 0.9).unwrap_err();
        assert!(matches!(e, Error::Data { what: "minibatch", .. }), "{what}: step gave {e}");
        assert_eq!(flat(m), before, "{what}: a refused step changed the model");
    }
    // The same workspace takes a minibatch of the right shape, and says what it is for.
    let mut ws = Finetuner::new(&model, batch, Variant::Log, 0.0);
    let shown = format!("{ws:?}");
    assert!(
        shown.starts_with("Finetuner") && shown.contains("batch: 4") && shown.contains("classes: 3"),
        "{shown}"
    );
    assert!(ws.step(&mut model, &x2, &y2, 0.1, 0.9).is_ok());
}

/// A step that leaves the weights finite but overflows a visible bias is a divergence, with
/// momentum and with Adam. Inputs of 0 give every weight a zero gradient (∂E/∂W = h(u)·xᵀ); one
/// visible bias starts at 10³⁸, so a step of the learning rate 3·10³⁸ (Adam's first step is about
/// the learning rate; momentum's is far larger) carries it past f32's largest value, while the
/// hidden and class biases, whose gradients are at most 1, stay finite.
#[test]
fn a_visible_bias_overflow_alone_is_a_divergence() {
    for opt in [Optimizer::Momentum, Optimizer::Adam] {
        let (k, h, d, nb) = (2, 3, 4, 2);
        let classes = (0..k)
            .map(|_| {
                let br = vec![1e38, 0.0, 0.0, 0.0];
                TiedAutoencoder::new(
                    vec![0.25; h * d],
                    vec![1.0; h],
                    br,
                    ActivationKind::Sigmoid,
                    Output::Real,
                )
                .unwrap()
            })
            .collect();
        let mut model = Csae::new(classes, vec!["a".into(), "b".into()], vec![0.0; k]).unwrap();
        let (x, y) = (vec![0.0f32; nb * d], vec![0u32; nb]);
        let mut ws = Finetuner::new(&model, nb, Variant::Log, 0.0);
        ws.set_optimizer(opt);
        let e = ws.step(&mut model, &x, &y, 3e38, 0.9).unwrap_err();
        assert!(
            matches!(e, Error::Diverged { ref parameter, .. } if parameter.starts_with("class.")),
            "{opt:?}: {e}"
        );
        let finite = |v: &[f32]| v.iter().all(|v| v.is_finite());
        assert!(finite(model.class_bias()), "{opt:?}: {:?}", model.class_bias());
        let mut overflowed = 0;
        for i in 0..k {
            let m = model.class_model(i);
            assert!(finite(m.weight()) && finite(m.hidden_bias()), "{opt:?}: class {i}");
            overflowed += usize::from(!finite(m.visible_bias()));
        }
        assert!(overflowed > 0, "{opt:?}: no visible bias overflowed");
    }
}
