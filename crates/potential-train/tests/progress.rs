//! The initialisation choices of [`Init`] (the default streams unchanged, 0 hidden units refused)
//! and the one progress callback [`Monitor`]: the monitored calls give the bits of the plain ones,
//! and a `Break` stops them.

use potential_activations::ActivationKind;
use potential_data::Features;
use potential_models::Output;
use potential_train::detector::{Detector, DetectorConfig, DetectorError};
use potential_train::{
    init_model, init_model_with, silent, Error, Init, Outcome, Progress, TrainConfig, Trainer,
};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};

/// 120 rows on a noisy segment in R^6, values in [0, 1].
fn rows() -> Features {
    let v: Vec<f32> = (0..120 * 6)
        .map(|k| {
            let (i, j) = (k / 6, k % 6);
            let t = i as f32 / 120.0;
            (t * (j as f32 + 1.0) / 6.0 + 0.01 * ((k * 7919 % 101) as f32 / 101.0)).clamp(0.0, 1.0)
        })
        .collect();
    Features::from_vec(v, 120, 6).unwrap()
}

#[test]
fn init_choices_scale_one_stream_and_the_default_stream_is_init_model() {
    for act in [ActivationKind::Sigmoid, ActivationKind::Tanh, ActivationKind::Relu] {
        let old = init_model(7, 5, act, Output::Real, 3).unwrap();
        let x4 = init_model_with(7, 5, act, Output::Real, Init::GlorotSigmoidX4, 3).unwrap();
        assert_eq!(old, x4, "{act}: init_model is Init::GlorotSigmoidX4");
        let plain = init_model_with(7, 5, act, Output::Real, Init::Glorot, 3).unwrap();
        let g = if act == ActivationKind::Sigmoid { 4.0 } else { 1.0 };
        for (a, b) in old.weight().iter().zip(plain.weight()) {
            // Scaling by a power of two is exact: the same draws, a quarter of the size.
            assert_eq!(a.to_bits(), (b * g).to_bits(), "{act}");
        }
        let half = init_model_with(7, 5, act, Output::Real, Init::Scaled(0.5), 3).unwrap();
        for (a, b) in plain.weight().iter().zip(half.weight()) {
            assert_eq!((a * 0.5).to_bits(), b.to_bits(), "{act}");
        }
        let bound = (6.0f32 / 12.0).sqrt();
        assert!(plain.weight().iter().all(|w| w.abs() <= bound));
        assert!(plain.weight().iter().any(|w| w.abs() > 0.5 * bound));
    }
    assert_eq!(Init::default(), Init::Glorot);
}

#[test]
fn zero_hidden_units_and_bad_scales_are_refused() {
    for init in [Init::Glorot, Init::GlorotSigmoidX4] {
        let e = init_model_with(0, 5, ActivationKind::Tanh, Output::Real, init, 0).unwrap_err();
        assert!(matches!(e, Error::InvalidConfig { field: "hidden", .. }), "{e}");
    }
    assert!(matches!(
        init_model(0, 5, ActivationKind::Sigmoid, Output::Real, 0),
        Err(Error::InvalidConfig { field: "hidden", .. })
    ));
    for s in [0.0, -1.0, f32::NAN, f32::INFINITY] {
        let e = init_model_with(3, 5, ActivationKind::Tanh, Output::Real, Init::Scaled(s), 0).unwrap_err();
        assert!(matches!(e, Error::InvalidConfig { field: "init", .. }), "{e}");
    }
}

fn config() -> TrainConfig {
    TrainConfig { epochs: 3, batch_size: 20, learning_rate: 0.05, seed: 5, ..TrainConfig::default() }
}

#[test]
fn trainer_fit_with_equals_fit_and_stops_on_break() {
    let x = rows();
    let model = init_model(8, 6, ActivationKind::Sigmoid, Output::Real, 1).unwrap();
    let mut a = Trainer::new(model.clone(), config()).unwrap();
    a.fit(&x, None, &mut |_| ControlFlow::Continue(())).unwrap();
    let (steps, epochs) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let count = |p: Progress<'_>| {
        match p {
            Progress::Step { model: 0, .. } => steps.fetch_add(1, Ordering::Relaxed),
            Progress::Epoch { model: 0, .. } => epochs.fetch_add(1, Ordering::Relaxed),
            other => panic!("unexpected {other:?}"),
        };
        ControlFlow::Continue(())
    };
    let mut b = Trainer::new(model.clone(), config()).unwrap();
    let report = b.fit_with(&x, None, &count).unwrap();
    assert_eq!(report.outcome, Outcome::Completed);
    assert_eq!(a.model(), b.model(), "the monitored run has the plain run's bits");
    assert_eq!((steps.into_inner(), epochs.into_inner()), (3 * 6, 3));

    let seen = AtomicUsize::new(0);
    let stop = |_: Progress<'_>| {
        if seen.fetch_add(1, Ordering::Relaxed) >= 4 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let mut c = Trainer::new(model, config()).unwrap();
    assert_eq!(c.fit_with(&x, None, &stop).unwrap().outcome, Outcome::Interrupted);
    assert_eq!(seen.into_inner(), 5, "stopped at the fifth report");
}

#[test]
fn detector_fit_with_equals_fit_and_stops_on_break() {
    let x = rows();
    let cfg = DetectorConfig { epochs: Some(2), ..DetectorConfig::default() };
    let a = Detector::fit(&x, &cfg, &mut |_, _| ControlFlow::Continue(())).unwrap();
    let b = Detector::fit_with(&x, &cfg, &silent).unwrap();
    assert_eq!(a.to_safetensors_bytes(), b.to_safetensors_bytes());
    let members = AtomicUsize::new(0);
    let last = |p: Progress<'_>| {
        if let Progress::Epoch { model, .. } = p {
            members.fetch_max(model + 1, Ordering::Relaxed);
        }
        ControlFlow::Continue(())
    };
    Detector::fit_with(&x, &cfg, &last).unwrap();
    // Two stages (the default): the second stage's member i reports as i + members.
    assert_eq!(
        members.into_inner(),
        2 * a.members().len(),
        "every member of each stage reports under its index"
    );
    let e = Detector::fit_with(&x, &cfg, &|_| ControlFlow::Break(())).unwrap_err();
    assert!(matches!(e, DetectorError::Interrupted), "{e}");
}
