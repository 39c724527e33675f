//! Contracts of the factored CSAE: its energies are those of the materialised class autoencoders
//! (Eq. 48–50), do not depend on blocks or threads; predict = argmax of predict_proba; files
//! round-trip with the documented tensor names and fail with typed errors; training on the
//! embedded digits learns and is reproducible; configurations are validated.

use potential_activations::ActivationKind;
use potential_csae::{
    factored_silent, finetune_factored, pretrain_factored, train_factored, AnyCsae, Csae, Error,
    FactoredConfig, FactoredCsae, FactoredFinetuner, FactoredParams, FinetuneConfig, FormatError, Optimizer,
    Variant, FACTORED_CSAE_FORMAT, FACTORED_TENSORS,
};
use potential_data::{embedded_digits, Dataset};
use potential_kernels::MatRef;
use potential_models::{safetensors_f32_bytes, Output, TiedAutoencoder};
use potential_train::{Noise, TrainConfig};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::BTreeMap;

fn uniform(rng: &mut Xoshiro256PlusPlus, n: usize, a: f32) -> Vec<f32> {
    (0..n).map(|_| a * (2.0 * (rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32 - 1.0)).collect()
}

/// A random model with D = 13, F = 5, H = 7, K = 3 (sizes off the 8-lane width).
fn random_model(act: ActivationKind, output: Output, seed: u64) -> FactoredCsae {
    let (d, f, h, k) = (13, 5, 7, 3);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let params = FactoredParams {
        visible: d,
        factors: f,
        hidden: h,
        input_factors: uniform(&mut rng, d * f, 0.6),
        hidden_factors: uniform(&mut rng, f * h, 0.6),
        class_factors: uniform(&mut rng, k * f, 1.5),
        hidden_bias: uniform(&mut rng, k * h, 0.5),
        visible_bias: uniform(&mut rng, k * d, 0.5),
        class_bias: uniform(&mut rng, k, 0.5),
    };
    let mut m = FactoredCsae::new(params, vec!["a".into(), "b".into(), "c".into()], act, output).unwrap();
    m.set_provenance(Some("{\"test\":true}".into()));
    m
}

fn inputs(n: usize, d: usize, seed: u64) -> Vec<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    uniform(&mut rng, n * d, 0.5).into_iter().map(|v| v + 0.5).collect()
}

const TABLE2: [ActivationKind; 5] = [
    ActivationKind::Sigmoid,
    ActivationKind::Tanh,
    ActivationKind::Relu,
    ActivationKind::Modulus,
    ActivationKind::Square,
];

/// Eⱼ of the factored model = the energy of class j's materialised tied autoencoder (Eq. 50), and
/// the whole = the plain CSAE of `to_csae` (f32 rounding of the two orders of summation).
#[test]
fn energies_are_those_of_the_materialised_class_autoencoders() {
    for (i, act) in TABLE2.into_iter().enumerate() {
        for output in [Output::Real, Output::Binary] {
            let m = random_model(act, output, 10 + i as u64);
            let (n, d, k) = (37, m.visible(), m.num_classes());
            let x = inputs(n, d, 99);
            let xv = MatRef::from_row_major(&x, n, d);
            let e = m.energies(xv).unwrap();
            for j in 0..k {
                let cm: TiedAutoencoder = m.class_model(j).unwrap();
                let ej = cm.energy_batch(xv).unwrap();
                for r in 0..n {
                    let (a, b) = (e[r * k + j], ej[r]);
                    assert!(
                        (a - b).abs() <= 1e-4 * (1.0 + b.abs()),
                        "{act} {output}: class {j} row {r}: {a} vs {b}"
                    );
                }
            }
            let plain: Csae = m.to_csae().unwrap();
            let (pl, fl) = (plain.logits(xv).unwrap(), m.logits(xv).unwrap());
            for (a, b) in fl.iter().zip(&pl) {
                assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{act}: logit {a} vs {b}");
            }
            // Class j's weight (Eq. 48), checked entry by entry: Wʲᵢₖ = Σ_f Wˣᵢf Wᶠⱼf Wʰfk.
            let (f, h) = (m.factors(), m.hidden());
            let w1 = m.class_weight(1);
            for kk in 0..h {
                for ii in 0..d {
                    let want: f64 = (0..f)
                        .map(|c| {
                            m.input_factors()[ii * f + c] as f64
                                * m.class_factors()[f + c] as f64
                                * m.hidden_factors()[c * h + kk] as f64
                        })
                        .sum();
                    assert!((w1[kk * d + ii] as f64 - want).abs() <= 1e-6);
                }
            }
        }
    }
}

/// Energies do not depend on how rows are split into calls or on the rayon pool size (blocks of
/// rows are computed sequentially and independently): bit-identical.
#[test]
fn energies_do_not_depend_on_blocks_or_threads() {
    let m = random_model(ActivationKind::Tanh, Output::Real, 3);
    let (n, d) = (700, m.visible());
    let x = inputs(n, d, 5);
    let all = m.energies(MatRef::from_row_major(&x, n, d)).unwrap();
    let cut = 301;
    let mut parts = m.energies(MatRef::from_row_major(&x[..cut * d], cut, d)).unwrap();
    parts.extend(m.energies(MatRef::from_row_major(&x[cut * d..], n - cut, d)).unwrap());
    assert_eq!(all, parts);
    for threads in [1, 3] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let e = pool.install(|| m.energies(MatRef::from_row_major(&x, n, d)).unwrap());
        assert_eq!(all, e, "{threads} threads");
    }
}

/// predict = argmax predict_proba, probabilities sum to 1, ood_score = log Σ exp logits,
/// evaluate counts the argmax errors; bad input gives typed errors.
#[test]
fn classifier_outputs_agree() {
    let m = random_model(ActivationKind::Modulus, Output::Real, 8);
    let (n, d, k) = (50, m.visible(), m.num_classes());
    let x = inputs(n, d, 6);
    let xv = MatRef::from_row_major(&x, n, d);
    let (p, y, s, o) = (
        m.predict_proba(xv).unwrap(),
        m.predict(xv).unwrap(),
        m.logits(xv).unwrap(),
        m.ood_score(xv).unwrap(),
    );
    let labels: Vec<u32> = (0..n as u32).map(|i| i % k as u32).collect();
    let ev = m.evaluate(xv, &labels).unwrap();
    let mut errors = 0;
    for r in 0..n {
        let row = &p[r * k..(r + 1) * k];
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let best = (0..k).max_by(|&a, &b| row[a].total_cmp(&row[b]).then(b.cmp(&a))).unwrap();
        assert_eq!(y[r] as usize, best);
        assert!((o[r] - potential_csae::log_sum_exp(&s[r * k..(r + 1) * k])).abs() < 1e-12);
        errors += usize::from(y[r] != labels[r]);
    }
    assert_eq!(ev.errors, errors);
    assert!(matches!(m.energies(MatRef::from_row_major(&x[..12], 1, 12)), Err(Error::Data { .. })));
    assert!(matches!(m.evaluate(xv, &labels[..3]), Err(Error::Data { .. })));
    let mut bad = x.clone();
    bad[7] = f32::NAN;
    assert!(matches!(m.energies(MatRef::from_row_major(&bad, n, d)), Err(Error::Data { .. })));
}

fn tensors_of(bytes: &[u8]) -> BTreeMap<String, Vec<usize>> {
    let st = safetensors::SafeTensors::deserialize(bytes).unwrap();
    st.tensors().into_iter().map(|(n, v)| (n.to_string(), v.shape().to_vec())).collect()
}

/// save → load is the identity; the bytes are deterministic; the tensors are exactly the
/// documented names and shapes; the metadata names the format.
#[test]
fn file_round_trip_with_documented_tensor_names() {
    let dir = tempfile::tempdir().unwrap();
    for output in [Output::Real, Output::Binary] {
        let m = random_model(ActivationKind::Relu, output, 21);
        let path = dir.path().join("f.safetensors");
        m.save(&path).unwrap();
        let back = FactoredCsae::load(&path).unwrap();
        assert_eq!(back, m);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes, m.to_safetensors_bytes());
        assert_eq!(bytes, back.to_safetensors_bytes());
        let (d, f, h, k) = (m.visible(), m.factors(), m.hidden(), m.num_classes());
        let want: BTreeMap<String, Vec<usize>> = [
            ("factor.input", vec![d, f]),
            ("factor.hidden", vec![f, h]),
            ("factor.class", vec![k, f]),
            ("class.hidden_bias", vec![k, h]),
            ("class.visible_bias", vec![k, d]),
            ("class_bias", vec![k]),
        ]
        .into_iter()
        .map(|(n, s)| (n.to_owned(), s))
        .collect();
        assert_eq!(tensors_of(&bytes), want);
        assert_eq!(FACTORED_TENSORS.len(), want.len());
        let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
        let meta = meta.metadata().clone().unwrap();
        assert_eq!(meta["format"], FACTORED_CSAE_FORMAT);
        assert_eq!(meta["activation"], "relu");
        assert_eq!(meta["output"], output.name());
        assert_eq!(meta["classes"], "[\"a\",\"b\",\"c\"]");
        // The tensors hold the parameters in the documented layout.
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let wx: Vec<f32> = st
            .tensor("factor.input")
            .unwrap()
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        assert_eq!(wx, m.input_factors());
        // AnyCsae dispatches on the format.
        let any = AnyCsae::load(&path).unwrap();
        assert_eq!(any, AnyCsae::Factored(m.clone()));
        assert_eq!(any.format(), FACTORED_CSAE_FORMAT);
    }
}

fn meta(format: &str) -> BTreeMap<&'static str, String> {
    let mut m = BTreeMap::new();
    m.insert("format", format.to_owned());
    m.insert("activation", "tanh".to_owned());
    m.insert("output", "real".to_owned());
    m.insert("classes", "[\"a\",\"b\",\"c\"]".to_owned());
    m
}

/// Bytes of `m` with tensor `name` replaced by (`shape`, `data`) (or removed when `None`), plus
/// an optional extra tensor.
fn edited(m: &FactoredCsae, name: &str, new: Option<(Vec<usize>, Vec<f32>)>, extra: bool) -> Vec<u8> {
    let (d, f, h, k) = (m.visible(), m.factors(), m.hidden(), m.num_classes());
    let shapes = [vec![d, f], vec![f, h], vec![k, f], vec![k, h], vec![k, d], vec![k]];
    let vals = [
        m.input_factors(),
        m.hidden_factors(),
        m.class_factors(),
        m.hidden_bias(),
        m.visible_bias(),
        m.class_bias(),
    ];
    let mut owned: BTreeMap<String, (Vec<usize>, Vec<f32>)> = FACTORED_TENSORS
        .iter()
        .zip(shapes)
        .zip(vals)
        .map(|((n, s), v)| (n.to_string(), (s, v.to_vec())))
        .collect();
    match new {
        Some(t) => {
            owned.insert(name.to_owned(), t);
        }
        None => {
            owned.remove(name);
        }
    }
    if extra {
        owned.insert("class.0.weight".into(), (vec![1], vec![0.0]));
    }
    let t: BTreeMap<String, (Vec<usize>, &[f32])> =
        owned.iter().map(|(n, (s, v))| (n.clone(), (s.clone(), v.as_slice()))).collect();
    safetensors_f32_bytes(&meta(FACTORED_CSAE_FORMAT), &t)
}

fn format_error(bytes: &[u8]) -> FormatError {
    match FactoredCsae::from_safetensors_bytes(bytes) {
        Err(Error::Format(e)) => e,
        other => panic!("expected a format error, got {other:?}"),
    }
}

/// Truncated files, wrong shapes, NaN, missing and unexpected tensors, other formats: typed errors.
#[test]
fn load_errors_are_typed() {
    let m = random_model(ActivationKind::Tanh, Output::Real, 4);
    let good = m.to_safetensors_bytes();
    for cut in [0, 7, 40, good.len() / 2, good.len() - 1] {
        assert!(matches!(format_error(&good[..cut]), FormatError::Corrupt(_)), "cut at {cut}");
    }
    let (d, f, h, k) = (m.visible(), m.factors(), m.hidden(), m.num_classes());
    let cases: Vec<(&str, Vec<usize>)> = vec![
        ("factor.class", vec![k, f + 1]),
        ("factor.hidden", vec![f + 1, h]),
        ("class.hidden_bias", vec![k, h + 1]),
        ("class.visible_bias", vec![k + 1, d]),
        ("class_bias", vec![k, 1]),
        ("factor.input", vec![d * f]),
    ];
    for (name, shape) in cases {
        let n: usize = shape.iter().product();
        let e = format_error(&edited(&m, name, Some((shape.clone(), vec![0.1; n])), false));
        assert!(
            matches!(&e, FormatError::WrongShape { tensor, found, .. } if tensor == name && *found == shape),
            "{name}: {e:?}"
        );
    }
    let mut nan = m.class_factors().to_vec();
    nan[4] = f32::NAN;
    let e = format_error(&edited(&m, "factor.class", Some((vec![k, f], nan)), false));
    assert!(
        matches!(e, FormatError::NonFinite { ref tensor, index: 4, .. } if tensor == "factor.class"),
        "{e:?}"
    );
    let e = format_error(&edited(&m, "class_bias", None, false));
    assert!(matches!(e, FormatError::MissingTensor { ref tensor } if tensor == "class_bias"), "{e:?}");
    let e = format_error(&edited(&m, "class_bias", Some((vec![k], m.class_bias().to_vec())), true));
    assert!(matches!(e, FormatError::UnexpectedTensor { .. }), "{e:?}");
    // A plain CSAE file: the factored loader names both formats, AnyCsae reads it as plain.
    let plain = m.to_csae().unwrap();
    let pb = plain.to_safetensors_bytes();
    assert!(
        matches!(format_error(&pb), FormatError::WrongFormat { ref found, .. } if found == "potential.csae")
    );
    assert_eq!(AnyCsae::from_safetensors_bytes(&pb).unwrap(), AnyCsae::Plain(plain));
    let other = safetensors_f32_bytes(&meta("potential.tied-autoencoder"), &BTreeMap::new());
    assert!(matches!(
        AnyCsae::from_safetensors_bytes(&other),
        Err(Error::Format(FormatError::UnknownFormat { .. }))
    ));
    // Load from a path: the error carries the path.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.safetensors");
    std::fs::write(&p, &good[..good.len() - 3]).unwrap();
    assert!(matches!(FactoredCsae::load(&p), Err(Error::File { .. })));
    assert!(matches!(FactoredCsae::load(dir.path().join("missing")), Err(Error::Io { .. })));
}

fn digits(classes: &[u32]) -> (Dataset, Dataset) {
    let data = embedded_digits().subset_classes(classes);
    data.split_tail(data.n() / 4).unwrap()
}

fn small_config(act: ActivationKind) -> FactoredConfig {
    FactoredConfig {
        factors: 24,
        hidden: 24,
        activation: act,
        output: Output::Real,
        pretrain: Some(TrainConfig {
            epochs: 20,
            batch_size: 20,
            learning_rate: 0.01,
            noise: Some(Noise::Mask(0.2)),
            seed: 2,
            ..TrainConfig::default()
        }),
        finetune: FinetuneConfig {
            epochs: 20,
            batch_size: 20,
            learning_rate: 0.01,
            seed: 2,
            ..FinetuneConfig::default()
        },
        seed: 7,
        ..FactoredConfig::default()
    }
}

/// On four digit classes of the embedded UCI digits (8×8, values in [0, 1]), every Table 2 activation
/// reaches a low test error; pretraining lowers the reconstruction error; the run is reproducible.
#[test]
fn training_on_digits_learns_and_is_reproducible() {
    let (tr, te) = digits(&[0, 1, 2, 3]);
    let xv = MatRef::from_row_major(te.features().as_slice(), te.n(), te.d());
    for act in [ActivationKind::Tanh, ActivationKind::Modulus, ActivationKind::Relu, ActivationKind::Square] {
        let cfg = small_config(act);
        let (m, rep) = train_factored(&cfg, &tr, Some(&te), &factored_silent).unwrap();
        let first = rep.pretrain.first().unwrap().reconstruction_error;
        let last = rep.pretrain.last().unwrap().reconstruction_error;
        assert!(last < 0.75 * first, "{act}: reconstruction error {first} → {last}");
        let ev = m.evaluate(xv, te.labels()).unwrap();
        eprintln!("{act}: test error {:.4}, kept epoch {:?}", ev.error_rate, rep.finetune.best_epoch);
        assert!(ev.error_rate < 0.05, "{act}: test error {}", ev.error_rate);
        assert!(m.provenance().unwrap().contains("\"factors\":24"));
        if act == ActivationKind::Tanh {
            let (m2, _) = train_factored(&cfg, &tr, Some(&te), &factored_silent).unwrap();
            assert!(m == m2, "same seed, different model");
        }
    }
}

/// Pretraining leaves C alone and moves every other tensor; rows only change their own class's
/// class-specific parameters.
#[test]
fn pretraining_touches_only_the_classes_it_sees() {
    let (tr, _) = digits(&[0, 1, 2]);
    let only01 = tr.select(&(0..tr.n()).filter(|&i| tr.labels()[i] < 2).collect::<Vec<_>>());
    let mut m = FactoredCsae::init(
        tr.d(),
        6,
        5,
        vec!["0".into(), "1".into(), "2".into()],
        ActivationKind::Tanh,
        Output::Real,
        None,
        1,
    )
    .unwrap();
    let before = m.clone();
    let cfg = TrainConfig {
        epochs: 1,
        batch_size: 16,
        learning_rate: 1e-4,
        noise: Some(Noise::Mask(0.5)),
        ..TrainConfig::default()
    };
    pretrain_factored(&mut m, &cfg, &only01, &factored_silent).unwrap();
    assert_eq!(m.class_bias(), before.class_bias());
    assert_ne!(m.input_factors(), before.input_factors());
    assert_ne!(m.hidden_factors(), before.hidden_factors());
    let (f, h, d) = (m.factors(), m.hidden(), m.visible());
    assert_eq!(&m.class_factors()[2 * f..], &before.class_factors()[2 * f..], "class 2 saw no rows");
    assert_eq!(&m.hidden_bias()[2 * h..], &before.hidden_bias()[2 * h..]);
    assert_eq!(&m.visible_bias()[2 * d..], &before.visible_bias()[2 * d..]);
    assert_ne!(&m.class_factors()[..f], &before.class_factors()[..f]);
}

/// Configurations the factored model cannot run are rejected before anything runs.
#[test]
fn configurations_are_validated() {
    let (tr, _) = digits(&[0, 1]);
    let ok = small_config(ActivationKind::Tanh);
    let bad = |c: FactoredConfig| {
        matches!(
            train_factored(&c, &tr, None, &factored_silent),
            Err(Error::InvalidConfig { .. }) | Err(Error::Train(_))
        )
    };
    assert!(bad(FactoredConfig { factors: 0, ..ok.clone() }));
    assert!(bad(FactoredConfig { hidden: 0, ..ok.clone() }));
    let mut c = ok.clone();
    c.pretrain.as_mut().unwrap().contractive = 0.5;
    assert!(bad(c));
    let mut c = ok.clone();
    c.finetune.variant = Variant::Energies;
    assert!(bad(c));
    let mut c = ok.clone();
    c.finetune.learning_rate = -1.0;
    assert!(bad(c));
    let c = FactoredConfig {
        pretrain: None,
        finetune: FinetuneConfig { variant: Variant::NormalizeOnly, ..ok.finetune.clone() },
        ..ok.clone()
    };
    assert!(bad(c));
    // Input masking and hidden-unit dropout are the plain CSAE's: refused by the library, naming
    // the field, by train_factored and by finetune_factored alike.
    for (field, ft) in [
        ("finetune.input_mask", FinetuneConfig { input_mask: 0.2, ..ok.finetune.clone() }),
        ("finetune.hidden_dropout", FinetuneConfig { hidden_dropout: 0.2, ..ok.finetune.clone() }),
    ] {
        let c = FactoredConfig { finetune: ft.clone(), ..ok.clone() };
        assert!(matches!(c.validate(), Err(Error::InvalidConfig { field: f, .. }) if f == field), "{field}");
        assert!(bad(c), "{field}");
        let mut m = FactoredCsae::init(
            tr.d(),
            2,
            2,
            tr.class_names().to_vec(),
            ActivationKind::Tanh,
            Output::Real,
            None,
            0,
        )
        .unwrap();
        let r = finetune_factored(&mut m, &ft, &tr, None, &factored_silent);
        assert!(matches!(r, Err(Error::InvalidConfig { field: f, .. }) if f == field), "{field}");
    }
    // Data that does not fit: a model for other inputs.
    let mut m = FactoredCsae::init(
        5,
        2,
        2,
        vec!["0".into(), "1".into()],
        ActivationKind::Tanh,
        Output::Real,
        None,
        0,
    )
    .unwrap();
    let r = pretrain_factored(&mut m, ok.pretrain.as_ref().unwrap(), &tr, &factored_silent);
    assert!(matches!(r, Err(Error::Data { .. })));
}

/// Training does not depend on the rayon pool size: bit-identical on the AVX2 path (its gemm is
/// bit-identical across thread counts and the row passes are sequential), within rounding of
/// the gemm sums on the portable path.
#[test]
fn training_does_not_depend_on_the_thread_count() {
    let (tr, te) = digits(&[5, 6, 7]);
    let mut cfg = small_config(ActivationKind::Relu);
    cfg.pretrain.as_mut().unwrap().epochs = 3;
    cfg.finetune.epochs = 3;
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| train_factored(&cfg, &tr, Some(&te), &factored_silent).unwrap().0)
    };
    let (a, b) = (run(1), run(3));
    if potential_kernels::simd_path() == potential_kernels::SimdPath::Avx2Fma {
        assert!(a == b, "1 and 3 threads differ");
    } else {
        for (x, y) in a.input_factors().iter().zip(b.input_factors()) {
            assert!((x - y).abs() <= 1e-3 * (1.0 + x.abs()), "{x} vs {y}");
        }
    }
}

/// The finetuning schedule is applied per epoch: γ = 1 is the constant rate, γ = 0.5 is not; Adam
/// trains too.
#[test]
fn finetuning_follows_the_schedule_and_the_optimizer() {
    let (tr, te) = digits(&[1, 2, 3]);
    let mut cfg = small_config(ActivationKind::Tanh);
    cfg.pretrain.as_mut().unwrap().epochs = 2;
    cfg.finetune.epochs = 3;
    // Parameters only: the provenance records the configuration.
    let run = |c: &FactoredConfig| {
        let (mut m, rep) = train_factored(c, &tr, Some(&te), &factored_silent).unwrap();
        m.set_provenance(None);
        (m, rep)
    };
    let (constant, _) = run(&cfg);
    cfg.finetune.schedule = potential_train::Schedule::Exponential { gamma: 1.0 };
    assert!(run(&cfg).0 == constant, "γ = 1 differs from the constant rate");
    cfg.finetune.schedule = potential_train::Schedule::Exponential { gamma: 0.5 };
    assert!(run(&cfg).0 != constant, "γ = 0.5 equals the constant rate");
    cfg.finetune.schedule = potential_train::Schedule::Constant;
    cfg.finetune.optimizer = Optimizer::Adam;
    cfg.finetune.learning_rate = 0.001;
    let (adam, rep) = run(&cfg);
    assert!(adam != constant, "Adam equals momentum");
    assert!(rep.finetune.best_valid_error.unwrap() < 0.15, "{:?}", rep.finetune.best_valid_error);
}

/// Sec. 4.4: every grid point is tried, the lowest validation error is chosen, and the returned
/// model has the chosen sizes and was refit for the chosen number of epochs.
#[test]
fn selection_tries_the_grid_and_refits_the_best() {
    let (tr, va) = digits(&[0, 4, 9]);
    let mut base = small_config(ActivationKind::Modulus);
    base.pretrain.as_mut().unwrap().epochs = 4;
    base.finetune.epochs = 4;
    let grid = potential_csae::FactoredGrid {
        factors: vec![6, 12],
        hidden: vec![8],
        learning_rate: vec![0.01, 0.001],
        weight_decay: vec![0.0],
    };
    let mut seen = 0;
    let (m, sel) =
        potential_csae::select_and_fit_factored(&base, &grid, &tr, &va, &factored_silent, &mut |_| seen += 1)
            .unwrap();
    assert_eq!((seen, sel.trials.len()), (4, 4));
    let best = &sel.trials[sel.best];
    assert!(sel.trials.iter().all(|t| t.valid_error >= best.valid_error));
    assert_eq!((m.factors(), m.hidden()), (best.factors, best.hidden));
    assert_eq!(sel.final_fit.history.len(), best.best_epoch);
    // A selection needs a finetuning epoch to choose.
    let none =
        FactoredConfig { finetune: FinetuneConfig { epochs: 0, ..base.finetune.clone() }, ..base.clone() };
    assert!(matches!(
        potential_csae::select_and_fit_factored(&none, &grid, &tr, &va, &factored_silent, &mut |_| {}),
        Err(Error::InvalidConfig { field: "finetune.epochs", .. })
    ));
    let empty = potential_csae::FactoredGrid { factors: vec![], ..grid };
    assert!(matches!(
        potential_csae::select_and_fit_factored(&base, &empty, &tr, &va, &factored_silent, &mut |_| {}),
        Err(Error::InvalidConfig { .. })
    ));
}

/// Every way a minibatch can disagree with the workspace is a typed error from both `gradient` and
/// `step` (momentum and Adam), each on its own, and a refused step leaves the model as it was: no
/// rows, more rows than the workspace holds, a value count that is not rows × inputs, a label past
/// the last class.
#[test]
fn factored_minibatches_of_the_wrong_shape_are_typed_errors() {
    let mut model = random_model(ActivationKind::Sigmoid, Output::Real, 8);
    let (d, batch) = (model.visible(), 4);
    let rows =
        |n: usize| -> (Vec<f32>, Vec<u32>) { (inputs(n, d, 9), (0..n).map(|r| (r % 3) as u32).collect()) };
    let (x2, y2) = rows(2);
    let (x5, y5) = rows(batch + 1);
    let cases: [(&str, Vec<f32>, Vec<u32>); 4] = [
        ("no rows", Vec::new(), Vec::new()),
        ("more rows than the workspace", x5, y5),
        ("values not rows × inputs", x2[1..].to_vec(), y2.clone()),
        ("a label past the last class", x2.clone(), vec![0, 3]),
    ];
    for optimizer in [Optimizer::Momentum, Optimizer::Adam] {
        for (what, x, y) in &cases {
            let mut ws = FactoredFinetuner::new(&model, batch, Variant::Log, 1e-3).unwrap();
            ws.set_optimizer(&model, optimizer);
            let before = model.clone();
            let e = ws.gradient(&model, x, y).unwrap_err();
            assert!(matches!(e, Error::Data { .. }), "{what}: gradient gave {e}");
            let e = ws.step(&mut model, x, y, 0.1, 0.9).unwrap_err();
            assert!(matches!(e, Error::Data { .. }), "{what}, {optimizer:?}: step gave {e}");
            assert_eq!(model, before, "{what}, {optimizer:?}: a refused step changed the model");
        }
        // The same workspace takes a minibatch of the right shape.
        let mut ws = FactoredFinetuner::new(&model, batch, Variant::Log, 1e-3).unwrap();
        ws.set_optimizer(&model, optimizer);
        let before = model.clone();
        assert!(ws.step(&mut model, &x2, &y2, 0.1, 0.9).unwrap().is_finite());
        assert_ne!(model, before, "{optimizer:?}: an accepted step moved nothing");
    }
}
