//! The estimator layer against the crates it wraps: the same bits as the direct calls, shaped
//! outputs that agree with the flat ones, inputs of every layout, interruption as a typed error.

use potential::models::novelty::{outliers_from_labels, roc_auc};
use potential::prelude::*;
use potential::{Error, Evaluation};
use std::ops::ControlFlow;

fn digits() -> (Dataset, Dataset) {
    embedded_digits().split_tail(597).unwrap()
}

#[test]
fn autoencoder_config_is_init_then_trainer_and_ranks_zeros_first() {
    let (train, test) = digits();
    let zeros = train.subset_classes(&[0]);
    let config = AutoencoderConfig {
        hidden: 32,
        train: TrainConfig {
            epochs: 100,
            batch_size: 10,
            learning_rate: 0.1,
            contractive: 0.1,
            ..TrainConfig::default()
        },
        ..AutoencoderConfig::default()
    };
    let model = config.fit(zeros.features()).unwrap();
    let init =
        potential::train::init_model_with(32, 64, ActivationKind::Sigmoid, Output::Real, Init::Glorot, 0)
            .unwrap();
    let mut t = potential::train::Trainer::new(init, config.train.clone()).unwrap();
    t.fit_with(zeros.features(), None, &silent).unwrap();
    assert!(model == t.into_model(), "fit = init_model_with + Trainer, bit for bit");
    let e = model.energy_batch(test.features().as_mat()).unwrap();
    let s: Vec<f64> = e.iter().map(|e| -e).collect();
    let auc = roc_auc(&s, &outliers_from_labels(test.labels(), 0)).unwrap();
    eprintln!("embedded digits, zeros against the rest: ROC AUC {auc:.4} (crate docs ask > 0.95)");
    assert!(auc > 0.95);
    // The classic ×4 start is still there, and differs.
    let x4 =
        AutoencoderConfig { init: Init::GlorotSigmoidX4, ..config.clone() }.fit(zeros.features()).unwrap();
    assert!(x4 != model);
    // 0 hidden units: a typed error.
    let bad = AutoencoderConfig { hidden: 0, ..config.clone() }.fit(zeros.features());
    assert!(matches!(bad, Err(Error::Train(potential::train::Error::InvalidConfig { field: "hidden", .. }))));
    // A monitor that stops: Interrupted.
    let stop = |_: Progress<'_>| ControlFlow::Break(());
    assert!(matches!(config.fit_with(zeros.features(), &stop), Err(Error::Interrupted)));
}

#[test]
fn novelty_detector_is_the_cli_detector_and_takes_any_layout() {
    let (train, test) = digits();
    let cfg = DetectorConfig { epochs: Some(3), ..DetectorConfig::default() };
    let det = cfg.fit(train.features()).unwrap();
    let direct =
        potential::Detector::fit(train.features(), &cfg, &mut |_, _| ControlFlow::Continue(())).unwrap();
    assert_eq!(det.detector().to_safetensors_bytes(), direct.to_safetensors_bytes());
    let s = det.score(test.features()).unwrap();
    assert_eq!(s, direct.outlier_scores(test.features().as_slice()).unwrap());
    let flags = det.predict(test.features()).unwrap();
    assert_eq!(flags, s.iter().map(|&v| v > det.threshold()).collect::<Vec<_>>());
    // A column-major copy of the test rows, viewed through its transpose: the same scores.
    let (n, d) = (test.n(), test.d());
    let mut cm = vec![0.0f32; n * d];
    for i in 0..n {
        for j in 0..d {
            cm[j * n + i] = test.features().row(i)[j];
        }
    }
    let view = MatRef::from_row_major(&cm, d, n).t();
    assert_eq!(det.score(view).unwrap(), s);
    let m = Matrix::from_vec(test.features().as_slice().to_vec(), n, d).unwrap();
    assert_eq!(det.score(&m).unwrap(), s);
    let dir = tempfile::tempdir().unwrap();
    det.save(dir.path().join("d.safetensors")).unwrap();
    assert_eq!(NoveltyDetector::load(dir.path().join("d.safetensors")).unwrap(), det);
    // Wrong width: a typed error.
    let narrow = Features::from_vec(vec![0.0; 6], 2, 3).unwrap();
    assert!(matches!(det.score(&narrow), Err(Error::Detector(_))));
    assert!(matches!(cfg.fit_with(train.features(), &|_| ControlFlow::Break(())), Err(Error::Interrupted)));
}

fn csae_config() -> CsaeConfig {
    CsaeConfig {
        hidden: 32,
        pretrain: Some(TrainConfig {
            epochs: 10,
            batch_size: 20,
            learning_rate: 0.05,
            contractive: 0.2,
            ..TrainConfig::default()
        }),
        finetune: FinetuneConfig {
            epochs: 20,
            batch_size: 20,
            learning_rate: 0.01,
            ..FinetuneConfig::default()
        },
        ..CsaeConfig::default()
    }
}

#[test]
fn csae_classifier_wraps_train_with_shaped_outputs() {
    let (train, test) = digits();
    let cfg = csae_config();
    let clf = cfg.fit(&train).unwrap();
    let (direct, _) = potential::csae::train(&cfg, &train, None, &potential::csae::silent).unwrap();
    assert!(clf.model() == &direct, "the estimator's classifier is potential_csae::train's, bit for bit");
    let p = clf.predict_proba(test.features()).unwrap();
    assert_eq!(p.shape(), (test.n(), 10));
    assert_eq!(p.as_slice(), &direct.predict_proba(test.features().as_mat()).unwrap()[..]);
    let y = clf.predict(test.features()).unwrap();
    for (row, &c) in p.iter_rows().zip(&y) {
        let best = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(row[c as usize], best);
    }
    let e = clf.energies(test.features()).unwrap();
    assert_eq!((e.rows(), e.cols(), e[(3, 4)]), (test.n(), 10, e.row(3)[4]));
    let ev: Evaluation = clf.evaluate(&test).unwrap();
    eprintln!("embedded digits, ten classes: CSAE test error {:.4} (crate docs ask < 0.1)", ev.error_rate);
    assert!(ev.error_rate < 0.1);
    assert_eq!(clf.class_names(), train.class_names());
    // Classes are matched by name.
    let renamed = Dataset::new(
        test.features().clone(),
        test.labels().to_vec(),
        Some((0..10).map(|c| format!("digit {c}")).collect()),
    )
    .unwrap();
    assert!(matches!(clf.evaluate(&renamed), Err(Error::Csae(_))));
    let stop = |p: Progress<'_>| match p {
        Progress::FinetuneStep { .. } => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    };
    assert!(matches!(cfg.fit_with(&train, &stop), Err(Error::Interrupted)));
}

#[test]
fn matrices_check_their_shape() {
    let m = Matrix::from_vec(vec![1, 2, 3, 4, 5, 6], 2, 3).unwrap();
    assert_eq!((m.shape(), m[(1, 0)], m.get(2, 0), m.row(1)), ((2, 3), 4, None, &[4, 5, 6][..]));
    assert_eq!(m.iter_rows().count(), 2);
    assert!(Matrix::from_vec(vec![0.0f32; 5], 2, 3).is_err());
    assert!(Matrix::from_vec(vec![0u8; 0], usize::MAX, 2).is_err());
    assert_eq!(m.into_vec(), vec![1, 2, 3, 4, 5, 6]);
}
