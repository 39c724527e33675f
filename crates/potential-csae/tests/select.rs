//! The protocol of Sec. 4.4 under both [`PretrainOn`] choices equals its composition from the
//! public steps, bit for bit: with `Train` every selection run starts from a pretraining on the
//! training rows only and the final fit from a second pretraining on train + validation; with
//! `All` (the protocol of every run before the option) one pretraining on train + validation
//! starts both. The same holds for the factored CSAE, and starting from pretrained files
//! ([`Pretrained`]) gives the one-shot run's model.

use potential_activations::ActivationKind;
use potential_csae::{
    class_means, concat, factored_silent, finetune, finetune_factored, pretrain_csae, pretrain_factored,
    select_and_fit, select_and_fit_factored, select_and_fit_from, silent, Csae, CsaeConfig, Event,
    FactoredConfig, FactoredCsae, FactoredGrid, FinetuneConfig, Grid, PretrainOn, Pretrained,
};
use potential_data::{embedded_digits, Dataset};
use potential_train::{Noise, TrainConfig};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Digits 2, 3 and 5 relabelled 0..3, split into training and validation rows.
fn data() -> (Dataset, Dataset) {
    let all = embedded_digits().subset_classes(&[2, 3, 5]);
    assert_eq!(all.class_names(), &["2", "3", "5"]);
    all.split_tail(120).unwrap()
}

fn config(pretrain_on: PretrainOn) -> CsaeConfig {
    CsaeConfig {
        hidden: 8,
        pretrain: Some(TrainConfig {
            epochs: 4,
            batch_size: 20,
            learning_rate: 0.1,
            contractive: 0.2,
            seed: 3,
            ..TrainConfig::default()
        }),
        finetune: FinetuneConfig {
            epochs: 6,
            batch_size: 20,
            learning_rate: 0.03,
            patience: Some(3),
            seed: 3,
            ..FinetuneConfig::default()
        },
        seed: 3,
        pretrain_on,
        ..CsaeConfig::default()
    }
}

fn tensors(m: &Csae) -> Vec<u32> {
    let mut v: Vec<u32> = m.class_bias().iter().map(|c| c.to_bits()).collect();
    for c in m.class_models() {
        v.extend(c.weight().iter().chain(c.hidden_bias()).chain(c.visible_bias()).map(|x| x.to_bits()));
    }
    v
}

/// A trial as (hidden, learning rate, validation error, validation NLL, best epoch).
type TrialRow = (usize, f32, f64, f64, usize);

/// The protocol written out from `pretrain_csae` and `finetune`: the trials and the final model.
fn composed(base: &CsaeConfig, grid: &Grid, tr: &Dataset, va: &Dataset) -> (Vec<TrialRow>, Csae) {
    let all = concat(tr, va).unwrap();
    let rows = if base.pretrain_on == PretrainOn::Train { tr } else { &all };
    let mut trials = Vec::new();
    for &hidden in &grid.hidden {
        let cfg = CsaeConfig { hidden, ..base.clone() };
        let start = pretrain_csae(&cfg, rows, &silent).unwrap();
        for &lr in &grid.learning_rate {
            let mut m = start.clone();
            let ft = FinetuneConfig { learning_rate: lr, ..base.finetune.clone() };
            let rep = finetune(&mut m, &ft, tr, Some(va), &silent).unwrap();
            let e = rep.best_epoch.unwrap();
            let h = &rep.history[e - 1];
            trials.push((hidden, lr, h.valid_error.unwrap(), h.valid_nll.unwrap(), e));
        }
    }
    let best = trials.iter().min_by(|a, b| a.2.total_cmp(&b.2).then(a.3.total_cmp(&b.3))).copied().unwrap();
    // Both choices end on a pretraining on train + validation (for All the one the trials used).
    let cfg = CsaeConfig { hidden: best.0, ..base.clone() };
    let mut m = pretrain_csae(&cfg, &all, &silent).unwrap();
    let ft = FinetuneConfig { learning_rate: best.1, epochs: best.4, ..base.finetune.clone() };
    finetune(&mut m, &ft, &all, None, &silent).unwrap();
    (trials, m)
}

#[test]
fn both_protocols_are_their_compositions() {
    let (tr, va) = data();
    let grid = Grid { hidden: vec![6, 8], learning_rate: vec![0.03, 0.1], weight_decay: vec![0.0] };
    let mut starts = Vec::new();
    for on in PretrainOn::ALL {
        let base = config(on);
        let pretrainings = AtomicUsize::new(0);
        let observer = |e: Event<'_>| {
            if let Event::PretrainDone { .. } = e {
                pretrainings.fetch_add(1, Ordering::Relaxed);
            }
        };
        let (m, sel) = select_and_fit(&base, &grid, &tr, &va, &observer, &mut |_| {}).unwrap();
        let (trials, want) = composed(&base, &grid, &tr, &va);
        let got: Vec<_> = sel
            .trials
            .iter()
            .map(|t| (t.hidden, t.learning_rate, t.valid_error, t.valid_nll, t.best_epoch))
            .collect();
        assert_eq!(got, trials, "{on}");
        assert_eq!(tensors(&m), tensors(&want), "{on}: final model");
        // One pretraining of the 3 classes per hidden size, and for Train one more for the refit.
        let runs = grid.hidden.len() + usize::from(on == PretrainOn::Train);
        assert_eq!(pretrainings.into_inner(), 3 * runs, "{on}");
        assert!(m.provenance().unwrap().contains(&format!("\"pretrain_on\":\"{on}\"")), "{on}");
        starts.push(sel.trials);
    }
    // The two choices start their selection runs from different models.
    assert_ne!(starts[0], starts[1]);
}

/// Pretrained models in the roles of [`Pretrained`] give the one-shot run's model under both
/// choices.
#[test]
fn pretrained_models_reproduce_the_one_shot_run() {
    let (tr, va) = data();
    let all = concat(&tr, &va).unwrap();
    let grid = Grid { hidden: vec![8], learning_rate: vec![0.03, 0.1], weight_decay: vec![0.0] };
    for on in PretrainOn::ALL {
        let base = config(on);
        let (one_shot, sel) = select_and_fit(&base, &grid, &tr, &va, &silent, &mut |_| {}).unwrap();
        let on_all = pretrain_csae(&base, &all, &silent).unwrap();
        let on_train = pretrain_csae(&base, &tr, &silent).unwrap();
        let pre = match on {
            PretrainOn::Train => Pretrained { selection: &on_train, refit: &on_all },
            PretrainOn::All => Pretrained::same(&on_all),
        };
        let (m, sel2) = select_and_fit_from(&base, &grid, &tr, &va, Some(pre), &silent, &mut |_| {}).unwrap();
        assert_eq!(sel.trials, sel2.trials, "{on}");
        assert_eq!(tensors(&m), tensors(&one_shot), "{on}");
    }
    // The pretraining records how many rows it saw.
    let p = pretrain_csae(&config(PretrainOn::Train), &tr, &silent).unwrap();
    assert!(p.provenance().unwrap().contains(&format!("\"rows\":{}", tr.n())));
}

#[test]
fn pretrain_on_names_and_defaults() {
    for on in PretrainOn::ALL {
        assert_eq!(on.name().parse::<PretrainOn>().unwrap(), on);
        assert_eq!(on.to_string(), on.name());
    }
    assert!("both".parse::<PretrainOn>().is_err());
    assert_eq!(CsaeConfig::default().pretrain_on, PretrainOn::Train);
    assert_eq!(FactoredConfig::default().pretrain_on, PretrainOn::Train);
    // A configuration recorded before the option existed meant the paper's reading.
    let mut v = serde_json::to_value(CsaeConfig::default()).unwrap();
    v.as_object_mut().unwrap().remove("pretrain_on");
    let old: CsaeConfig = serde_json::from_value(v).unwrap();
    assert_eq!(old.pretrain_on, PretrainOn::All);
    let mut v = serde_json::to_value(FactoredConfig::default()).unwrap();
    v.as_object_mut().unwrap().remove("pretrain_on");
    let old: FactoredConfig = serde_json::from_value(v).unwrap();
    assert_eq!(old.pretrain_on, PretrainOn::All);
}

fn factored_tensors(m: &FactoredCsae) -> Vec<u32> {
    [
        m.input_factors(),
        m.hidden_factors(),
        m.class_factors(),
        m.hidden_bias(),
        m.visible_bias(),
        m.class_bias(),
    ]
    .iter()
    .flat_map(|t| t.iter().map(|x| x.to_bits()))
    .collect()
}

/// The factored selection: trials start from a model initialised on the class means of the
/// pretraining rows and pretrained on them; the final fit starts from one initialised and
/// pretrained on train + validation.
#[test]
fn factored_protocols_are_their_compositions() {
    let (tr, va) = data();
    let all = concat(&tr, &va).unwrap();
    let k = all.num_classes();
    let grid = FactoredGrid {
        factors: vec![6],
        hidden: vec![5],
        learning_rate: vec![0.01, 0.03],
        weight_decay: vec![0.0],
    };
    let mut seen = Vec::new();
    for on in PretrainOn::ALL {
        let base = FactoredConfig {
            factors: 6,
            hidden: 5,
            activation: ActivationKind::Tanh,
            pretrain: Some(TrainConfig {
                epochs: 3,
                batch_size: 20,
                learning_rate: 0.003,
                noise: Some(Noise::Mask(0.2)),
                seed: 4,
                ..TrainConfig::default()
            }),
            finetune: FinetuneConfig { epochs: 5, batch_size: 20, seed: 4, ..FinetuneConfig::default() },
            seed: 4,
            pretrain_on: on,
            ..FactoredConfig::default()
        };
        let (m, sel) =
            select_and_fit_factored(&base, &grid, &tr, &va, &factored_silent, &mut |_| {}).unwrap();
        let start = |rows: &Dataset| {
            let mut s = FactoredCsae::init(
                all.d(),
                6,
                5,
                all.class_names().to_vec(),
                base.activation,
                base.output,
                Some(&class_means(rows, k)),
                base.seed,
            )
            .unwrap();
            pretrain_factored(&mut s, base.pretrain.as_ref().unwrap(), rows, &factored_silent).unwrap();
            s
        };
        let s = start(if on == PretrainOn::Train { &tr } else { &all });
        let mut trials = Vec::new();
        for &lr in &grid.learning_rate {
            let mut t = s.clone();
            let ft = FinetuneConfig { learning_rate: lr, ..base.finetune.clone() };
            let rep = finetune_factored(&mut t, &ft, &tr, Some(&va), &factored_silent).unwrap();
            let e = rep.best_epoch.unwrap();
            trials.push((
                lr,
                rep.history[e - 1].valid_error.unwrap(),
                rep.history[e - 1].valid_nll.unwrap(),
                e,
            ));
        }
        let got: Vec<_> =
            sel.trials.iter().map(|t| (t.learning_rate, t.valid_error, t.valid_nll, t.best_epoch)).collect();
        assert_eq!(got, trials, "{on}");
        let best = trials.iter().min_by(|a, b| a.1.total_cmp(&b.1).then(a.2.total_cmp(&b.2))).unwrap();
        let mut want = start(&all);
        let ft = FinetuneConfig { learning_rate: best.0, epochs: best.3, ..base.finetune.clone() };
        finetune_factored(&mut want, &ft, &all, None, &factored_silent).unwrap();
        assert_eq!(factored_tensors(&m), factored_tensors(&want), "{on}: final model");
        seen.push(got);
    }
    assert_ne!(seen[0], seen[1]);
}
