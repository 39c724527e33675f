//! Classes are matched by name when a classifier (plain or factored) is refitted, extended or evaluated; class subsets
//! train (digits 0–8); `train_with` reports to the one progress callback, gives `train`'s bits and
//! stops on `Break`.

use potential_csae::{
    factored_silent, finetune_factored, fit_class_biases, pretrain_classes, pretrain_factored, silent, train,
    train_factored, train_with, CsaeConfig, Error, FactoredConfig, FinetuneConfig, Variant,
};
use potential_data::{embedded_digits, Dataset};
use potential_train::{Progress, TrainConfig};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};

fn small_config() -> CsaeConfig {
    CsaeConfig {
        hidden: 12,
        pretrain: Some(TrainConfig {
            epochs: 4,
            batch_size: 25,
            learning_rate: 0.1,
            contractive: 0.2,
            metric_rows: 50,
            ..TrainConfig::default()
        }),
        finetune: FinetuneConfig {
            epochs: 4,
            batch_size: 25,
            learning_rate: 0.03,
            ..FinetuneConfig::default()
        },
        ..CsaeConfig::default()
    }
}

/// The same rows under other class names.
fn renamed(d: &Dataset, names: &[&str]) -> Dataset {
    let names = names.iter().map(|s| s.to_string()).collect();
    Dataset::new(d.features().clone(), d.labels().to_vec(), Some(names)).unwrap()
}

#[test]
fn nine_of_ten_digits_train_as_nine_classes() {
    let d = embedded_digits().subset_classes(&[0, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(d.num_classes(), 9);
    assert!(d.labels().iter().all(|&l| l < 9));
    let (tr, te) = d.split_tail(300).unwrap();
    let (model, _) = train(&small_config(), &tr, None, &silent).unwrap();
    assert_eq!(model.class_names(), ["0", "1", "2", "3", "4", "5", "6", "7", "8"]);
    let ev = model.evaluate_dataset(&te).unwrap();
    assert!(ev.error_rate < 0.2, "{ev:?}");
}

#[test]
fn a_class_added_as_nine_is_not_refitted_against_data_naming_it_9() {
    let d = embedded_digits().subset_classes(&[3, 5, 9]);
    let (tr, te) = d.split_tail(100).unwrap();
    let cfg = small_config();
    let (mut model, _) = train(&cfg, &tr.subset_classes(&[0, 1]), None, &silent).unwrap();
    let nine = pretrain_classes(&tr, 3, &cfg, cfg.pretrain.as_ref().unwrap(), &silent).unwrap().remove(2);
    model.add_class("nine", nine).unwrap();
    assert_eq!(model.class_names(), ["3", "5", "nine"]);
    // The data calls class 2 "9": refitting the class biases or evaluating against it is refused.
    let e = fit_class_biases(&mut model, &cfg.finetune, &tr, None).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, Error::Data { what: "training data", .. }) && msg.contains("\"nine\""), "{msg}");
    assert!(matches!(model.evaluate_dataset(&te), Err(Error::Data { what: "labels", .. })));
    let valid = Some(&te);
    let e = potential_csae::finetune(
        &mut model,
        &cfg.finetune,
        &renamed(&tr, &["3", "5", "nine"]),
        valid,
        &silent,
    );
    assert!(matches!(e, Err(Error::Data { what: "validation data", .. })), "{e:?}");
    // Named alike, both run; a dataset naming fewer classes (a prefix) is accepted.
    let (tr, te) = (renamed(&tr, &["3", "5", "nine"]), renamed(&te, &["3", "5", "nine"]));
    fit_class_biases(&mut model, &cfg.finetune, &tr, None).unwrap();
    let ev = model.evaluate_dataset(&te).unwrap();
    assert!(ev.error_rate < 0.2, "{ev:?}");
    let only_3_5 = tr.select(&(0..tr.n()).filter(|&i| tr.labels()[i] < 2).collect::<Vec<_>>());
    let only_3_5 = renamed(&only_3_5, &["3", "5"]);
    model.evaluate_dataset(&only_3_5).unwrap();
    // More classes than the classifier has: refused.
    let four = renamed(&te, &["3", "5", "nine", "x"]);
    assert!(matches!(model.evaluate_dataset(&four), Err(Error::Data { .. })));
}

#[test]
fn train_with_reports_progress_gives_trains_bits_and_stops_on_break() {
    let d = embedded_digits().subset_classes(&[1, 7]);
    let (tr, va) = d.split_tail(60).unwrap();
    let cfg = small_config();
    let (plain, plain_report) = train(&cfg, &tr, Some(&va), &silent).unwrap();
    let (pre_steps, ft_steps, done) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0));
    let count = |p: Progress<'_>| {
        match p {
            Progress::Step { model, .. } => {
                assert!(model < 2);
                pre_steps.fetch_add(1, Ordering::Relaxed);
            }
            Progress::ModelDone { .. } => {
                done.fetch_add(1, Ordering::Relaxed);
            }
            Progress::FinetuneStep { .. } => {
                ft_steps.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
        ControlFlow::Continue(())
    };
    let (monitored, report) = train_with(&cfg, &tr, Some(&va), &count).unwrap();
    assert!(monitored == plain, "the monitored run has the plain run's bits");
    assert_eq!(report.best_epoch, plain_report.best_epoch);
    let rows = |c: u32| tr.labels().iter().filter(|&&l| l == c).count();
    let pre = (0..2).map(|c| 4 * rows(c).div_ceil(25)).sum::<usize>();
    assert_eq!(pre_steps.into_inner(), pre);
    assert_eq!(done.into_inner(), 2);
    assert_eq!(ft_steps.into_inner(), 4 * tr.n().div_ceil(25));

    // Stop in pretraining, and in finetuning.
    let stop_first = |p: Progress<'_>| match p {
        Progress::Step { .. } => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    };
    assert!(matches!(train_with(&cfg, &tr, None, &stop_first), Err(Error::Interrupted)));
    let stop_finetune = |p: Progress<'_>| match p {
        Progress::FinetuneEpoch { epoch: 2, .. } => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    };
    assert!(matches!(train_with(&cfg, &tr, Some(&va), &stop_finetune), Err(Error::Interrupted)));
    // The read-out variants run the same finetuning loop: a Break stops them too.
    let readout = CsaeConfig {
        finetune: FinetuneConfig { variant: Variant::NormalizeOnly, ..cfg.finetune.clone() },
        ..cfg
    };
    let stop_step = |p: Progress<'_>| match p {
        Progress::FinetuneStep { step: 1, .. } => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    };
    assert!(matches!(train_with(&readout, &tr, None, &stop_step), Err(Error::Interrupted)));
}

#[test]
fn the_factored_model_matches_classes_by_name_too() {
    let d = embedded_digits().subset_classes(&[3, 5]);
    let (tr, te) = d.split_tail(60).unwrap();
    let small = small_config();
    let cfg = FactoredConfig {
        factors: 8,
        hidden: 8,
        pretrain: small.pretrain.map(|p| TrainConfig { contractive: 0.0, ..p }),
        finetune: small.finetune,
        ..FactoredConfig::default()
    };
    let (mut model, _) = train_factored(&cfg, &tr, None, &factored_silent).unwrap();
    assert_eq!(model.class_names(), ["3", "5"]);
    let other = renamed(&tr, &["3", "five"]);
    let e = finetune_factored(
        &mut model,
        &cfg.finetune,
        &tr,
        Some(&renamed(&te, &["3", "five"])),
        &factored_silent,
    );
    assert!(matches!(e, Err(Error::Data { what: "validation data", .. })), "{e:?}");
    let e = pretrain_factored(&mut model, cfg.pretrain.as_ref().unwrap(), &other, &factored_silent);
    assert!(matches!(e, Err(Error::Data { what: "training data", .. })), "{e:?}");
    assert!(matches!(
        model.evaluate_dataset(&renamed(&te, &["3", "five"])),
        Err(Error::Data { what: "labels", .. })
    ));
    let ev = model.evaluate_dataset(&te).unwrap();
    assert_eq!(ev, model.evaluate(te.features().as_mat(), te.labels()).unwrap());
}
