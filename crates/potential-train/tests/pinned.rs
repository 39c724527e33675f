//! Pinned bits: a short seeded training run for each of the paper's seven activations × both output
//! kinds × both regularisers (contractive, denoising) must reproduce the recorded bits exactly.
//!
//! Each run hashes (FNV-1a, 64 bit) the bytes of the trained weight and biases, the per-epoch
//! objective, reconstruction error, contraction and mean energy, and the energies of eight rows
//! after training; the energy of the first row is pinned on its own as well, so a failure says
//! whether the energy calculus or the training moved. Refactorings of the activations, kernels,
//! models or the training step must leave every entry unchanged.
//!
//! The bits depend on the elementwise path ([`simd_path`]) and, on the portable path, on the
//! kernel `matrixmultiply` picks for this CPU, so there is one table per path, both recorded on an
//! AVX2+FMA CPU (where `matrixmultiply` runs its FMA kernel). The gemms run sequentially: the AVX2
//! path gives the same bits on any thread count, the portable path only for a fixed one. On a CPU
//! without AVX2+FMA the table does not apply; the test then checks that two runs agree bit for bit
//! and says so.

use potential_activations::ActivationKind;
use potential_data::Features;
use potential_kernels::{simd_path, MatRef, Parallelism, SimdPath};
use potential_models::{Output, TiedAutoencoder};
use potential_train::{init_model, Noise, Schedule, TrainConfig, Trainer};
use std::ops::ControlFlow;

/// The paper's seven activations by file name (the name is the file-format contract).
const ACTIVATIONS: [&str; 7] = ["sigmoid", "tanh", "linear", "square", "relu", "modulus", "synchrony"];

/// `(activation, output, regulariser, hash, energy of row 0 as f64 bits)`.
type Pin = (&'static str, &'static str, &'static str, u64, u64);

/// Recorded on the AVX2+FMA path.
#[rustfmt::skip]
const PINNED_AVX2: &[Pin] = &[
    ("sigmoid", "real", "contractive", 0x2a99ae76c99f465f, 0x3ff03282f2c0b7b6), // E₀ = 1.0123319132357955
    ("sigmoid", "real", "denoising", 0x9de34ca4f133ea21, 0x3ff7d6d7a4f801b0), // E₀ = 1.4899517482846072
    ("sigmoid", "binary", "contractive", 0x7b841ecd2af35c0a, 0x402402996a11a02e), // E₀ = 10.005076708461356
    ("sigmoid", "binary", "denoising", 0xad8c023c405301d7, 0x4024838f9fd4b6cc), // E₀ = 10.256955141750403
    ("tanh", "real", "contractive", 0x6d11293266a125c6, 0x3fdd18650c6a883c), // E₀ = 0.4546139355899219
    ("tanh", "real", "denoising", 0x7cf3983307f67fcb, 0x3fd56817cd66a53a), // E₀ = 0.334478331171869
    ("tanh", "binary", "contractive", 0x5b6153899a74dd5b, 0x401460ead6cc1e59), // E₀ = 5.094645839889915
    ("tanh", "binary", "denoising", 0x4212a34cfed2034f, 0x40146f89d745ff08), // E₀ = 5.108924258849363
    ("linear", "real", "contractive", 0xdde3338b1d2a3e87, 0x3fa7748b9b3ed1e0), // E₀ = 0.04581104536137892
    ("linear", "real", "denoising", 0xfa260c21d092844d, 0x3fd3afd4503c3dde), // E₀ = 0.3076067718074834
    ("linear", "binary", "contractive", 0x339fa6cd897ae80d, 0x4014959e5e45a8b1), // E₀ = 5.146111939431806
    ("linear", "binary", "denoising", 0x55a1de94fc53f099, 0x401470501edc57e4), // E₀ = 5.109680635641755
    ("square", "real", "contractive", 0xa2932eeca5540a87, 0xbfb03217a4cc0a38), // E₀ = -0.06326434872975362
    ("square", "real", "denoising", 0x4cf48e68384cc66f, 0x3fa3d9e0f87cbd1c), // E₀ = 0.038771658261220504
    ("square", "binary", "contractive", 0xc771ffda76406f58, 0x40148774e495af60), // E₀ = 5.132281848560382
    ("square", "binary", "denoising", 0x0e297002e0b51c1d, 0x40145c30b748863a), // E₀ = 5.09002958660272
    ("relu", "real", "contractive", 0xc384d0c0e06b35e2, 0x3f97118e19111a58), // E₀ = 0.022527904777485425
    ("relu", "real", "denoising", 0x0c1126831abda089, 0x3fc644cdfd8f94ec), // E₀ = 0.17397475129033724
    ("relu", "binary", "contractive", 0x482aa1048156ad94, 0x40146920526a43a5), // E₀ = 5.1026623608931105
    ("relu", "binary", "denoising", 0x4e2e9b19981d5334, 0x401475c6cae714d6), // E₀ = 5.115016146043862
    ("modulus", "real", "contractive", 0x3ba2e60e88c7be4e, 0x3fbe451cc3651e40), // E₀ = 0.11824207086930816
    ("modulus", "real", "denoising", 0x9f7e559eeb1fa445, 0x3fce0ec96a84c86a), // E₀ = 0.2348262567625768
    ("modulus", "binary", "contractive", 0x9207b0943eab4ea1, 0x4013656b2fe982ab), // E₀ = 4.849041699054093
    ("modulus", "binary", "denoising", 0x5004776c16a4a7fa, 0x4013012fe1aab89e), // E₀ = 4.751159215970032
    ("synchrony", "real", "contractive", 0xf0d7a84f029d9f46, 0x4008a5e2eff8cea5), // E₀ = 3.080999254971021
    ("synchrony", "real", "denoising", 0xb873651b9b5632d1, 0x400a46153bfff09c), // E₀ = 3.284220188854375
    ("synchrony", "binary", "contractive", 0xb4f125ace1ec0ced, 0x40207652850e0c80), // E₀ = 8.231098325695939
    ("synchrony", "binary", "denoising", 0x1a22360ba73140d7, 0x4020817d94acf1a4), // E₀ = 8.25291123019344
];

/// Recorded on the portable path (POTENTIAL_FORCE_PORTABLE=1) of an AVX2+FMA CPU.
#[rustfmt::skip]
const PINNED_PORTABLE: &[Pin] = &[
    ("sigmoid", "real", "contractive", 0x2bdfcc69ed6c52a0, 0x3ff03282da581e74), // E₀ = 1.0123318223067175
    ("sigmoid", "real", "denoising", 0x07e98abd07fec425, 0x3ff7d6d7a19ae058), // E₀ = 1.4899517357535128
    ("sigmoid", "binary", "contractive", 0xa91517eedcf710e7, 0x402402996a1d34a5), // E₀ = 10.005076709809439
    ("sigmoid", "binary", "denoising", 0xd930486f77122b09, 0x4024838fa2d7f3a7), // E₀ = 10.25695523153429
    ("tanh", "real", "contractive", 0xc926af2cb94a8e70, 0x3fdd186544f5320a), // E₀ = 0.45461398824844024
    ("tanh", "real", "denoising", 0x9feabcfd4ccba202, 0x3fd56817ce9402d4), // E₀ = 0.33447833226823076
    ("tanh", "binary", "contractive", 0x84d8fc2b46547109, 0x401460ead2cc1e59), // E₀ = 5.09464578028527
    ("tanh", "binary", "denoising", 0x3daa2392e0f31881, 0x40146f89df45ff08), // E₀ = 5.108924378058653
    ("linear", "real", "contractive", 0x311675341c687d39, 0x3fa7748bc3075d00), // E₀ = 0.04581104999277308
    ("linear", "real", "denoising", 0x0d6d70a0f57ae781, 0x3fd3afd46e686459), // E₀ = 0.30760679990777856
    ("linear", "binary", "contractive", 0xc7eb2381c3d52e79, 0x4014959e5e1de8b1), // E₀ = 5.146111937118051
    ("linear", "binary", "denoising", 0x91d1c7811944e796, 0x401470501ea857e4), // E₀ = 5.109680632614957
    ("square", "real", "contractive", 0x6d574760a620a9c4, 0xbfb03217b2118a38), // E₀ = -0.06326435181976187
    ("square", "real", "denoising", 0x5739a0690a5da435, 0x3fa3d9e0fafcbd1c), // E₀ = 0.03877165855225881
    ("square", "binary", "contractive", 0x2742e57193c174b9, 0x40148774e4974460), // E₀ = 5.132281848652468
    ("square", "binary", "denoising", 0xf14b90021f769da6, 0x40145c30b6f6863a), // E₀ = 5.0900295818296915
    ("relu", "real", "contractive", 0x7ca0804429011b31, 0x3f97118e19111a58), // E₀ = 0.022527904777485425
    ("relu", "real", "denoising", 0xeaaf6ee717149684, 0x3fc644ce0398fd41), // E₀ = 0.1739747541014172
    ("relu", "binary", "contractive", 0xe554c4773d485bea, 0x40146920526a43a5), // E₀ = 5.1026623608931105
    ("relu", "binary", "denoising", 0xad5dc7e338260769, 0x401475c6cae714d6), // E₀ = 5.115016146043862
    ("modulus", "real", "contractive", 0x4a7dc9bfcc197c49, 0x3fbe451c8b68aa80), // E₀ = 0.11824205783401887
    ("modulus", "real", "denoising", 0x28deeeb704fafe71, 0x3fce0ec9a71a860b), // E₀ = 0.23482628497463084
    ("modulus", "binary", "contractive", 0x7cf33a969964b805, 0x4013656b30129052), // E₀ = 4.849041701443712
    ("modulus", "binary", "denoising", 0x39eea42f561098f4, 0x4013012fe13ec7bb), // E₀ = 4.751159209687041
    ("synchrony", "real", "contractive", 0x6d8f0eb871781ff2, 0x4008a5e2ec5888f9), // E₀ = 3.0809992279547456
    ("synchrony", "real", "denoising", 0x39c217edc6dbda16, 0x400a461537dc9741), // E₀ = 3.28422015802326
    ("synchrony", "binary", "contractive", 0xe35576011f8e33f4, 0x40207652850e0c80), // E₀ = 8.231098325695939
    ("synchrony", "binary", "denoising", 0xcde97366ea78acc5, 0x4020817d95acf1a4), // E₀ = 8.252911259995763
];

/// 64-bit FNV-1a.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= x as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn f32s(&mut self, v: &[f32]) {
        v.iter().for_each(|x| self.bytes(&x.to_le_bytes()));
    }
    fn f64(&mut self, v: f64) {
        self.bytes(&v.to_le_bytes());
    }
}

/// Seeded data in [0, 1] near a 2-D subspace of R^10 (valid for both output kinds).
fn data(n: usize, seed: u64) -> Features {
    let d = 10;
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((s >> 40) as f32) / (1u64 << 24) as f32
    };
    let mut v = Vec::with_capacity(n * d);
    for _ in 0..n {
        let (a, b) = (next(), next());
        for j in 0..d {
            let t = j as f32 / d as f32;
            v.push((0.6 * a * t + 0.4 * b * (1.0 - t) + 0.1 * next()).clamp(0.0, 1.0));
        }
    }
    Features::from_vec(v, n, d).unwrap()
}

/// One short run; returns `(hash, energy of row 0)`.
fn run(act: ActivationKind, out: Output, contractive: bool, train: &Features) -> (u64, f64) {
    let seed = 17;
    let model = init_model(9, train.d(), act, out, seed).unwrap();
    let config = TrainConfig {
        epochs: 3,
        batch_size: 16,
        learning_rate: 0.01,
        schedule: Schedule::InverseTime { tau: 2.0 },
        momentum: 0.9,
        weight_decay: 1e-4,
        contractive: if contractive { 0.3 } else { 0.0 },
        noise: if contractive { None } else { Some(Noise::Mask(0.25)) },
        seed,
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(model, config).unwrap();
    trainer.set_parallelism(Parallelism::Sequential);
    let report = trainer.fit(train, None, &mut |_| ControlFlow::Continue(())).unwrap();
    let m: TiedAutoencoder = trainer.into_model();
    let mut h = Fnv::new();
    h.f32s(m.weight());
    h.f32s(m.hidden_bias());
    h.f32s(m.visible_bias());
    for e in &report.history {
        for v in [e.loss, e.reconstruction_error, e.contraction, e.energy] {
            h.f64(v);
        }
    }
    let rows = MatRef::from_row_major(&train.as_slice()[..8 * train.d()], 8, train.d());
    let energies = m.energy_batch(rows).unwrap();
    energies.iter().for_each(|&e| h.f64(e));
    (h.0, energies[0])
}

fn all_runs() -> Vec<Pin> {
    let train = data(96, 5);
    let mut got = Vec::new();
    for name in ACTIVATIONS {
        let act: ActivationKind = name.parse().unwrap();
        for (out, out_name) in [(Output::Real, "real"), (Output::Binary, "binary")] {
            for (contractive, reg) in [(true, "contractive"), (false, "denoising")] {
                let (hash, e0) = run(act, out, contractive, &train);
                got.push((name, out_name, reg, hash, e0.to_bits()));
            }
        }
    }
    got
}

fn table(pins: &[Pin]) -> String {
    pins.iter()
        .map(|(a, o, r, h, e)| {
            format!("    ({a:?}, {o:?}, {r:?}, {h:#018x}, {e:#018x}), // E₀ = {}\n", f64::from_bits(*e))
        })
        .collect()
}

#[test]
fn short_runs_of_every_activation_reproduce_their_pinned_bits() {
    let got = all_runs();
    assert_eq!(got.len(), 28);
    if !SimdPath::Avx2Fma.is_supported() {
        eprintln!(
            "skipped: pinned bits (recorded on an AVX2+FMA CPU, whose matrixmultiply kernel differs); \
             checking run-to-run determinism only"
        );
        assert_eq!(got, all_runs(), "two identical runs differ");
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
