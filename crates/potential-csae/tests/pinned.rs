//! Pinned bits: a short seeded run of every CSAE training path must reproduce the recorded bytes
//! exactly — plain pretraining and finetuning (momentum, Adam, hinge, input masking and hidden
//! dropout, the normalize-only and energies read-outs, binary output, no pretraining), early
//! stopping and the choice of the best validation epoch, the selection protocol of Sec. 4.4 under
//! both [`PretrainOn`] choices and from pretrained models, adding a class, and the factored CSAE
//! (denoising pretraining, finetuning with momentum or Adam, normalize-only, selection).
//!
//! Each run hashes (FNV-1a, 64 bit) two things, pinned separately: the tensor bytes of the model's
//! safetensors file followed by every number of its report (per-epoch loss, training and validation
//! error and NLL, best epoch, early stop; the trials of a selection), and the file's JSON header
//! (metadata: classes, activation, output, provenance with the configuration). Refactorings of the
//! training code must leave every entry unchanged.
//!
//! The runs use one rayon thread. The bits depend on the elementwise path ([`simd_path`]) and, on
//! the portable path, on the gemm kernel `matrixmultiply` picks for this CPU, so there is one table
//! per path, both recorded on an AVX2+FMA CPU. On a CPU without AVX2+FMA the tables do not apply;
//! the test then checks that two runs agree bit for bit and says so.

use potential_activations::ActivationKind;
use potential_csae::{
    factored_silent, finetune, fit_class_biases, init_class_model, pretrain_classes, pretrain_csae,
    select_and_fit, select_and_fit_factored, select_and_fit_from, silent, train, train_factored, Csae,
    CsaeConfig, FactoredConfig, FactoredCsae, FactoredGrid, FactoredSelection, FinetuneConfig,
    FinetuneReport, Grid, Optimizer, PretrainOn, Pretrained, Selection, Variant,
};
use potential_data::{embedded_digits, Dataset, Features};
use potential_kernels::{simd_path, SimdPath};
use potential_models::Output;
use potential_train::{Noise, Schedule, TrainConfig};

/// `(run, hash of tensors and report, hash of the header)`.
type Pin = (&'static str, u64, u64);

/// Recorded on the AVX2+FMA path.
#[rustfmt::skip]
const PINNED_AVX2: &[Pin] = &[
    ("plain momentum, patience", 0x0d38d98563bcb1c3, 0xf2b2a468633ff271),
    ("plain adam", 0x3371b89f3dfc613b, 0x802cd0e7f9e1da02),
    ("plain hinge, no pretraining", 0xf55804075b6c5538, 0x6d684060bf4557de),
    ("plain input mask, hidden dropout", 0x4813a0d69e700b02, 0x2c7a65fd679e1a46),
    ("plain normalize-only", 0xdb552392a333fc11, 0x2c282ad4b55c3aa5),
    ("plain energies", 0xb29d0ae23931efac, 0x806b3ba1233b2bc5),
    ("plain binary relu", 0x19859825e6338df1, 0x363bbeed81425042),
    ("pretrain_csae", 0x47d7c25060ea3bcc, 0x340e4675b7309686),
    ("finetune from pretrain_csae", 0x734a440f6cc4c8a8, 0x340e4675b7309686),
    ("select, pretrain on train", 0xa80e2b21cf5150bd, 0xd8eee978018e62e3),
    ("select, pretrain on all", 0xb1e1a176038de9d8, 0x1cbe485dbaf014da),
    ("select from pretrained", 0x7cd50649a64613d0, 0xbe16260c15bb58f0),
    ("add_class, fit_class_biases", 0xb410955188db6a94, 0xdfe195e1ccf27946),
    ("init_class_model", 0xd1b4b493c238d035, 0x060a84b8080ea786),
    ("factored momentum, patience", 0x5a897691a911f664, 0x86511d3f7c24f94e),
    ("factored adam hinge", 0xda546a0920a0823d, 0x0196766464414657),
    ("factored normalize-only", 0x442290c6a0967766, 0x7cbaba437aa84725),
    ("factored binary sigmoid", 0x81477041efd3b682, 0x589d80af7c1ac682),
    ("factored select, pretrain on train", 0x95f1cc8dc56b4d36, 0xc058d47f9cc74860),
    ("factored select, pretrain on all", 0x5a38c0a15884ebfe, 0x7201481fd00deebc),
];

/// Recorded on the portable path (POTENTIAL_FORCE_PORTABLE=1) of an AVX2+FMA CPU.
#[rustfmt::skip]
const PINNED_PORTABLE: &[Pin] = &[
    ("plain momentum, patience", 0x605609155f743b3c, 0xf2b2a468633ff271),
    ("plain adam", 0xfd138cba6aeed72b, 0x802cd0e7f9e1da02),
    ("plain hinge, no pretraining", 0xc0c7f9ee5e298081, 0x6d684060bf4557de),
    ("plain input mask, hidden dropout", 0x5c9faf44e1ca21d8, 0x2c7a65fd679e1a46),
    ("plain normalize-only", 0xe99c830ff66606ed, 0x2c282ad4b55c3aa5),
    ("plain energies", 0xeb7565bdeef8dcc3, 0x806b3ba1233b2bc5),
    ("plain binary relu", 0x10b1e9b6145b8404, 0x363bbeed81425042),
    ("pretrain_csae", 0x15c1a483f97f6c78, 0x340e4675b7309686),
    ("finetune from pretrain_csae", 0xef883416d9d7ab7d, 0x340e4675b7309686),
    ("select, pretrain on train", 0xf4406754d8a7d118, 0xb2c71ae21fb73ac6),
    ("select, pretrain on all", 0xced53df84f09f63c, 0x0b09e6743507f94b),
    ("select from pretrained", 0xd3a65b839c4a9034, 0x5b6439a5ce0e40f1),
    ("add_class, fit_class_biases", 0xab489abe90f8e893, 0xdfe195e1ccf27946),
    ("init_class_model", 0xd1b4b493c238d035, 0x060a84b8080ea786),
    ("factored momentum, patience", 0x879343a9b3da1cda, 0x960f64a906194c76),
    ("factored adam hinge", 0x512ec6cac6bd173d, 0x8a9d6e2a4939e707),
    ("factored normalize-only", 0x568552d8fffecefa, 0xf0898a28b4de9e4d),
    ("factored binary sigmoid", 0x02d4b0e3953a0e9f, 0x75315ae07e877ab7),
    ("factored select, pretrain on train", 0x6f2d80b1005ea84b, 0x5833786fa1fda409),
    ("factored select, pretrain on all", 0x731e38165e1a9e73, 0x45ed223b05482968),
];

/// 64-bit FNV-1a.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= u64::from(x);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn f64(&mut self, v: f64) {
        self.bytes(&v.to_le_bytes());
    }
    fn opt(&mut self, v: Option<f64>) {
        self.f64(v.unwrap_or(-1.5));
    }
    fn usize(&mut self, v: usize) {
        self.bytes(&(v as u64).to_le_bytes());
    }
    fn report(&mut self, r: &FinetuneReport) {
        for e in &r.history {
            self.usize(e.epoch);
            self.f64(e.loss);
            self.f64(e.train_error);
            self.opt(e.valid_error);
            self.opt(e.valid_nll);
        }
        self.usize(r.best_epoch.unwrap_or(usize::MAX));
        self.opt(r.best_valid_error);
        self.usize(usize::from(r.stopped_early));
    }
}

/// The two hashes of a model file's bytes (tensors then `extra`, and the header).
fn hashes(bytes: &[u8], extra: &Fnv) -> (u64, u64) {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut t = Fnv(extra.0);
    t.bytes(&bytes[8 + n..]);
    let mut h = Fnv::new();
    h.bytes(&bytes[8..8 + n]);
    (t.0, h.0)
}

fn plain(m: &Csae, r: &Fnv) -> (u64, u64) {
    hashes(&m.to_safetensors_bytes(), r)
}

fn factored(m: &FactoredCsae, r: &Fnv) -> (u64, u64) {
    hashes(&m.to_safetensors_bytes(), r)
}

/// Digits 1, 4 and 7 relabelled 0..3: 240 training rows, 90 validation rows.
fn data() -> (Dataset, Dataset) {
    let all = embedded_digits().subset_classes(&[1, 4, 7]);
    assert_eq!(all.class_names(), &["1", "4", "7"]);
    (all.rows(0..240), all.rows(240..330))
}

/// `data` with every value divided by 16 (in [0, 1], for binary output).
fn unit(d: &Dataset) -> Dataset {
    let x: Vec<f32> = d.features().as_slice().iter().map(|v| v / 16.0).collect();
    let f = Features::from_vec(x, d.n(), d.d()).unwrap();
    Dataset::new(f, d.labels().to_vec(), Some(d.class_names().to_vec())).unwrap()
}

fn pretrain() -> TrainConfig {
    TrainConfig {
        epochs: 2,
        batch_size: 20,
        learning_rate: 0.01,
        contractive: 0.1,
        seed: 5,
        ..TrainConfig::default()
    }
}

fn finetuning() -> FinetuneConfig {
    FinetuneConfig {
        epochs: 4,
        batch_size: 20,
        learning_rate: 0.03,
        schedule: Schedule::Exponential { gamma: 0.9 },
        weight_decay: 1e-3,
        seed: 5,
        ..FinetuneConfig::default()
    }
}

fn config() -> CsaeConfig {
    CsaeConfig {
        hidden: 6,
        pretrain: Some(pretrain()),
        finetune: finetuning(),
        seed: 5,
        pretrain_on: PretrainOn::Train,
        ..CsaeConfig::default()
    }
}

fn factored_config() -> FactoredConfig {
    FactoredConfig {
        factors: 6,
        hidden: 5,
        activation: ActivationKind::Tanh,
        pretrain: Some(TrainConfig {
            epochs: 2,
            batch_size: 20,
            learning_rate: 0.003,
            noise: Some(Noise::Mask(0.2)),
            weight_decay: 1e-4,
            seed: 5,
            ..TrainConfig::default()
        }),
        finetune: FinetuneConfig { learning_rate: 0.01, ..finetuning() },
        seed: 5,
        pretrain_on: PretrainOn::Train,
        ..FactoredConfig::default()
    }
}

fn run_plain(cfg: &CsaeConfig, tr: &Dataset, va: Option<&Dataset>) -> (u64, u64) {
    let (m, rep) = train(cfg, tr, va, &silent).unwrap();
    let mut f = Fnv::new();
    f.report(&rep);
    plain(&m, &f)
}

fn selection_hash(sel: &Selection) -> Fnv {
    let mut f = Fnv::new();
    for t in &sel.trials {
        f.usize(t.hidden);
        f.f64(f64::from(t.learning_rate));
        f.f64(f64::from(t.weight_decay));
        f.f64(t.valid_error);
        f.f64(t.valid_nll);
        f.usize(t.best_epoch);
    }
    f.usize(sel.best);
    f.report(&sel.final_fit);
    f
}

fn factored_selection_hash(sel: &FactoredSelection) -> Fnv {
    let mut f = Fnv::new();
    for t in &sel.trials {
        f.usize(t.factors);
        f.usize(t.hidden);
        f.f64(f64::from(t.learning_rate));
        f.f64(f64::from(t.weight_decay));
        f.f64(t.valid_error);
        f.f64(t.valid_nll);
        f.usize(t.best_epoch);
    }
    f.usize(sel.best);
    f.report(&sel.final_fit);
    f
}

fn all_runs() -> Vec<Pin> {
    let (tr, va) = data();
    let mut got: Vec<Pin> = Vec::new();
    let mut pin = |name: &'static str, (a, b): (u64, u64)| got.push((name, a, b));
    let ft = finetuning();

    // Plain CSAE: train (pretraining, finetuning, best validation epoch, early stopping).
    let cfg = CsaeConfig {
        finetune: FinetuneConfig { patience: Some(1), epochs: 8, learning_rate: 0.5, ..ft.clone() },
        ..config()
    };
    pin("plain momentum, patience", run_plain(&cfg, &tr, Some(&va)));
    let adam = FinetuneConfig { optimizer: Optimizer::Adam, learning_rate: 0.003, ..ft.clone() };
    pin("plain adam", run_plain(&CsaeConfig { finetune: adam, ..config() }, &tr, Some(&va)));
    let hinge = CsaeConfig {
        activation: ActivationKind::Tanh,
        pretrain: None,
        finetune: FinetuneConfig { variant: Variant::Hinge, ..ft.clone() },
        ..config()
    };
    pin("plain hinge, no pretraining", run_plain(&hinge, &tr, Some(&va)));
    let noisy = FinetuneConfig { input_mask: 0.2, hidden_dropout: 0.2, ..ft.clone() };
    pin(
        "plain input mask, hidden dropout",
        run_plain(&CsaeConfig { finetune: noisy, ..config() }, &tr, None),
    );
    for (name, variant) in
        [("plain normalize-only", Variant::NormalizeOnly), ("plain energies", Variant::Energies)]
    {
        let cfg = CsaeConfig { finetune: FinetuneConfig { variant, ..ft.clone() }, ..config() };
        pin(name, run_plain(&cfg, &tr, Some(&va)));
    }
    let binary = CsaeConfig { activation: ActivationKind::Relu, output: Output::Binary, ..config() };
    pin("plain binary relu", run_plain(&binary, &unit(&tr), Some(&unit(&va))));

    // Finetuning from a pretrained model.
    let mut m = pretrain_csae(&config(), &tr, &silent).unwrap();
    pin("pretrain_csae", plain(&m, &Fnv::new()));
    let rep = finetune(&mut m, &ft, &tr, Some(&va), &silent).unwrap();
    let mut f = Fnv::new();
    f.report(&rep);
    pin("finetune from pretrain_csae", plain(&m, &f));

    // Selection (Sec. 4.4).
    let grid = Grid { hidden: vec![4, 6], learning_rate: vec![0.03], weight_decay: vec![0.0, 1e-3] };
    for (name, on) in
        [("select, pretrain on train", PretrainOn::Train), ("select, pretrain on all", PretrainOn::All)]
    {
        let cfg = CsaeConfig { pretrain_on: on, ..config() };
        let (m, sel) = select_and_fit(&cfg, &grid, &tr, &va, &silent, &mut |_| {}).unwrap();
        pin(name, plain(&m, &selection_hash(&sel)));
    }
    let all = potential_csae::concat(&tr, &va).unwrap();
    let start = pretrain_csae(&config(), &tr, &silent).unwrap();
    let refit = pretrain_csae(&config(), &all, &silent).unwrap();
    let one = Grid { hidden: vec![6], ..grid.clone() };
    let from = Some(Pretrained { selection: &start, refit: &refit });
    let (m, sel) = select_and_fit_from(&config(), &one, &tr, &va, from, &silent, &mut |_| {}).unwrap();
    pin("select from pretrained", plain(&m, &selection_hash(&sel)));

    // A class added to a two-class model, then the class biases fitted.
    let keep: Vec<usize> = (0..tr.n()).filter(|&i| tr.labels()[i] < 2).collect();
    let first_two = tr.select(&keep);
    let two = Dataset::new(
        first_two.features().clone(),
        first_two.labels().to_vec(),
        Some(vec!["1".into(), "4".into()]),
    )
    .unwrap();
    let (mut m, _) = train(&config(), &two, None, &silent).unwrap();
    let new = pretrain_classes(&tr, 3, &config(), &pretrain(), &silent).unwrap().pop().unwrap();
    m.add_class("7", new).unwrap();
    let rep = fit_class_biases(&mut m, &ft, &tr, Some(&va)).unwrap();
    let mut f = Fnv::new();
    f.report(&rep);
    pin("add_class, fit_class_biases", plain(&m, &f));
    let fresh = init_class_model(&config(), tr.d(), 2).unwrap();
    pin("init_class_model", hashes(&fresh.to_safetensors_bytes().unwrap(), &Fnv::new()));

    // The factored CSAE.
    let run_factored = |cfg: &FactoredConfig, tr: &Dataset, va: Option<&Dataset>| {
        let (m, rep) = train_factored(cfg, tr, va, &factored_silent).unwrap();
        let mut f = Fnv::new();
        for e in &rep.pretrain {
            f.usize(e.epoch);
            f.f64(f64::from(e.learning_rate));
            f.f64(e.loss);
            f.f64(e.reconstruction_error);
        }
        f.report(&rep.finetune);
        factored(&m, &f)
    };
    let fcfg = factored_config();
    let patient = FactoredConfig {
        finetune: FinetuneConfig {
            patience: Some(1),
            epochs: 8,
            learning_rate: 0.3,
            ..fcfg.finetune.clone()
        },
        ..fcfg.clone()
    };
    pin("factored momentum, patience", run_factored(&patient, &tr, Some(&va)));
    let adam = FactoredConfig {
        finetune: FinetuneConfig {
            optimizer: Optimizer::Adam,
            variant: Variant::Hinge,
            learning_rate: 0.003,
            ..fcfg.finetune.clone()
        },
        ..fcfg.clone()
    };
    pin("factored adam hinge", run_factored(&adam, &tr, Some(&va)));
    let norm = FactoredConfig {
        finetune: FinetuneConfig { variant: Variant::NormalizeOnly, ..fcfg.finetune.clone() },
        ..fcfg.clone()
    };
    pin("factored normalize-only", run_factored(&norm, &tr, None));
    let binary =
        FactoredConfig { activation: ActivationKind::Sigmoid, output: Output::Binary, ..fcfg.clone() };
    pin("factored binary sigmoid", run_factored(&binary, &unit(&tr), Some(&unit(&va))));
    let fgrid = FactoredGrid {
        factors: vec![4, 6],
        hidden: vec![5],
        learning_rate: vec![0.01, 0.03],
        weight_decay: vec![0.0],
    };
    for (name, on) in [
        ("factored select, pretrain on train", PretrainOn::Train),
        ("factored select, pretrain on all", PretrainOn::All),
    ] {
        let cfg = FactoredConfig { pretrain_on: on, ..fcfg.clone() };
        let (m, sel) =
            select_and_fit_factored(&cfg, &fgrid, &tr, &va, &factored_silent, &mut |_| {}).unwrap();
        pin(name, factored(&m, &factored_selection_hash(&sel)));
    }
    got
}

fn one_thread_runs() -> Vec<Pin> {
    rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(all_runs)
}

fn table(pins: &[Pin]) -> String {
    pins.iter().map(|(n, a, b)| format!("    ({n:?}, {a:#018x}, {b:#018x}),\n")).collect()
}

#[test]
fn every_training_path_reproduces_its_pinned_bits() {
    let got = one_thread_runs();
    if !SimdPath::Avx2Fma.is_supported() {
        eprintln!(
            "skipped: pinned bits (recorded on an AVX2+FMA CPU, whose matrixmultiply kernel differs); \
             checking run-to-run determinism only"
        );
        assert_eq!(got, one_thread_runs(), "two identical runs differ");
        return;
    }
    let want: &[Pin] = match simd_path() {
        SimdPath::Avx2Fma => PINNED_AVX2,
        SimdPath::Portable => PINNED_PORTABLE,
    };
    assert!(
        got == want,
        "pinned bits moved on {:?}:\n got:\n{}\n want:\n{}",
        simd_path(),
        table(&got),
        table(want)
    );
}
