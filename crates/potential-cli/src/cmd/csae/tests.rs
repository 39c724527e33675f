//! `csae` commands end to end on files, called as functions.

use super::args::{EvalArgs, PlotArgs, PredictArgs, PretrainOnArg};
use super::eval::{eval, predict};
use super::plot::plot;
use super::*;
use crate::values::{Activation, Optimizer, OutputKind, Variant};
use potential_activations::ActivationKind;
use potential_kernels::MatRef;

/// train → eval (--json) → predict (.npy, .csv, --proba) → plot, on two digit classes written
/// as .npy files.
#[test]
fn csae_commands_round_trip_on_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = potential_data::embedded_digits().subset_classes(&[3, 8]);
    let y = d.labels().to_vec(); // 3 → 0, 8 → 1
    let x = dir.path().join("x.npy");
    let yp = dir.path().join("y.npy");
    potential_data::write_npy_f32(&x, d.features().as_slice(), &[d.n(), d.d()]).unwrap();
    potential_data::write_npy_labels(&yp, &y).unwrap();
    let model = dir.path().join("c.safetensors");
    let args = TrainArgs {
        data: x.clone(),
        labels: Some(yp.clone()),
        activation: Activation(ActivationKind::Sigmoid),
        hidden: 16,
        factors: None,
        grid_factors: Vec::new(),
        output: OutputKind(potential_models::Output::Real),
        contractive: Some(0.2),
        denoise: None,
        pretrain_epochs: 10,
        pretrain_lr: 0.1,
        pretrain_renormalize: false,
        finetune_epochs: 5,
        lr: 0.03,
        weight_decay: 0.0,
        batch: 20,
        variant: Variant(potential_csae::Variant::Log),
        no_pretrain: false,
        optimizer: Optimizer(potential_csae::Optimizer::Momentum),
        finetune_mask: 0.0,
        finetune_dropout: 0.0,
        init_scale: 1.0,
        valid_rows: 50,
        valid_data: None,
        valid_labels: None,
        pretrain_only: false,
        pretrained: None,
        pretrained_all: None,
        pretrain_on: PretrainOnArg::Train,
        lr_schedule: "exp:0.9".into(),
        refit: false,
        grid_hidden: Vec::new(),
        grid_lr: Vec::new(),
        grid_weight_decay: Vec::new(),
        patience: None,
        seed: 3,
        threads: Some(2),
        out: model.clone(),
        quiet: true,
    };
    train::run(args).unwrap();
    let m = potential_csae::Csae::load(&model).unwrap();
    assert_eq!(m.num_classes(), 2);
    eval(EvalArgs {
        model: model.clone(),
        data: x.clone(),
        labels: Some(yp.clone()),
        json: true,
        threads: None,
    })
    .unwrap();
    let ev = m.evaluate(MatRef::from_row_major(d.features().as_slice(), d.n(), d.d()), &y).unwrap();
    assert!(ev.error_rate < 0.1, "{ev:?}");
    for (name, proba) in [("p.npy", false), ("p.csv", true), ("q.npy", true)] {
        let out = dir.path().join(name);
        predict(PredictArgs {
            model: model.clone(),
            data: x.clone(),
            out: out.clone(),
            proba,
            threads: None,
        })
        .unwrap();
        assert!(out.metadata().unwrap().len() > 0);
    }
    let pred = potential_data::open_labels(dir.path().join("p.npy")).unwrap();
    assert_eq!(pred, m.predict(MatRef::from_row_major(d.features().as_slice(), d.n(), d.d())).unwrap());
    let csv = std::fs::read_to_string(dir.path().join("p.csv")).unwrap();
    assert_eq!(csv.lines().count(), d.n() + 1);
    assert!(predict(PredictArgs {
        model: model.clone(),
        data: x.clone(),
        out: dir.path().join("p.txt"),
        proba: false,
        threads: None
    })
    .is_err());
    let plots = dir.path().join("plots");
    plot(PlotArgs {
        model: model.clone(),
        out: plots.clone(),
        data: Some(x.clone()),
        labels: Some(yp.clone()),
        classes: Some("0,1".into()),
        filters: 16,
        width: None,
    })
    .unwrap();
    for f in ["filters_class0.png", "filters_class1.png", "energies_0_vs_1.png"] {
        let file = std::fs::File::open(plots.join(f)).unwrap();
        let dec = png::Decoder::new(std::io::BufReader::new(file)).read_info().unwrap();
        assert!(dec.info().width > 20 && dec.info().height > 20, "{f}");
    }
    let bad = PlotArgs {
        model,
        out: plots,
        data: Some(x),
        labels: Some(yp),
        classes: Some("0,7".into()),
        filters: 4,
        width: None,
    };
    assert!(matches!(plot(bad), Err(CliError::Usage(_))));
}
