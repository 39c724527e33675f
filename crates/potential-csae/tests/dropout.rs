//! Hidden-unit dropout during finetuning (`Finetuner::set_hidden_dropout`, not in the paper):
//! the gradient of the masked objective equals its finite differences (the mask is fixed between
//! updates), the masked energies average to the energies of Eq. 45, and the masks depend on the
//! seed only, not on the thread count.

use potential_activations::ActivationKind;
use potential_csae::{Csae, Finetuner, Variant};
use potential_kernels::MatRef;
use potential_models::{Output, TiedAutoencoder};
use proptest::prelude::*;

fn model(k: usize, h: usize, d: usize, act: ActivationKind, vals: &[f32]) -> Csae {
    let mut it = vals.iter().copied().cycle();
    let classes = (0..k)
        .map(|_| {
            let w: Vec<f32> = (0..h * d).map(|_| it.next().unwrap()).collect();
            let bh: Vec<f32> = (0..h).map(|_| it.next().unwrap()).collect();
            let br: Vec<f32> = (0..d).map(|_| it.next().unwrap()).collect();
            TiedAutoencoder::new(w, bh, br, act, Output::Real).unwrap()
        })
        .collect();
    let c: Vec<f32> = (0..k).map(|_| it.next().unwrap()).collect();
    Csae::new(classes, (0..k).map(|i| format!("c{i}")).collect(), c).unwrap()
}

/// `m` with parameter `j` of class `i` moved by `delta`: kind 0 = W, 1 = b_h, 2 = b_r.
fn perturbed(m: &Csae, kind: usize, i: usize, j: usize, delta: f32) -> Csae {
    let mut m = m.clone();
    let p = m.class_model_mut(i).params_mut();
    match kind {
        0 => p.weight[j] += delta,
        1 => p.hidden_bias[j] += delta,
        _ => p.visible_bias[j] += delta,
    }
    m
}

const SMOOTH: [ActivationKind; 4] =
    [ActivationKind::Sigmoid, ActivationKind::Tanh, ActivationKind::Linear, ActivationKind::Square];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// ∂/∂θ of the masked objective (Finetuner::gradient) = central differences of the same
    /// objective, the mask held fixed (no update between the calls).
    #[test]
    fn masked_gradient_matches_finite_differences(
        k in 2usize..=3, h in 2usize..=6, d in 1usize..=4, nb in 1usize..=4,
        act in 0usize..SMOOTH.len(),
        p in 0.1f32..0.7,
        wd in prop_oneof![Just(0.0f32), 0.0f32..0.3],
        seed in any::<u64>(),
        vals in prop::collection::vec(-1.0f32..1.0, 64),
        xs in prop::collection::vec(-1.0f32..1.0, 16),
        ys in prop::collection::vec(0u32..3, 4),
        picks in prop::collection::vec((0usize..3, 0usize..64), 6),
    ) {
        let m = model(k, h, d, SMOOTH[act], &vals);
        let x: Vec<f32> = xs.iter().copied().cycle().take(nb * d).collect();
        let y: Vec<u32> = ys.iter().take(nb).map(|&c| c % k as u32).collect();
        let mut ws = Finetuner::new(&m, nb, Variant::Log, wd);
        ws.set_hidden_dropout(p, seed).unwrap();
        ws.gradient(&m, &x, &y).unwrap();
        let g = ws.gradient_parts();
        let eps = 1e-2f32;
        for &(kind, idx) in &picks {
            let i = idx % k;
            let j = idx % [h * d, h, d][kind];
            let analytic = [&g.classes[i].weight, &g.classes[i].hidden_bias, &g.classes[i].visible_bias][kind][j] as f64;
            let (plus, minus) = (perturbed(&m, kind, i, j, eps), perturbed(&m, kind, i, j, -eps));
            let fp = ws.gradient(&plus, &x, &y).unwrap();
            let fm = ws.gradient(&minus, &x, &y).unwrap();
            let fd = (fp - fm) / (2.0 * eps as f64);
            prop_assert!(
                (analytic - fd).abs() <= 2e-3 + 2e-2 * fd.abs(),
                "p {p} kind {kind}: analytic {analytic} vs finite difference {fd}"
            );
        }
    }
}

/// Averaged over many masks, the masked energies are the energies of Eq. 45 (the kept units are
/// scaled by 1/(1 − p)); a single mask moves them.
#[test]
fn masked_energies_average_to_the_energies() {
    let vals: Vec<f32> = (0..97).map(|i| ((i * 53 % 41) as f32 - 20.0) / 20.0).collect();
    let (k, h, d, nb) = (2, 60, 5, 3);
    let m = model(k, h, d, ActivationKind::Sigmoid, &vals);
    let x: Vec<f32> = (0..nb * d).map(|i| ((i * 7 % 11) as f32) / 11.0).collect();
    let y = [0u32, 1, 0];
    let mut ws = Finetuner::new(&m, nb, Variant::Log, 0.0);
    ws.gradient(&m, &x, &y).unwrap();
    let exact = ws.energies(nb).to_vec();
    let reference = m.energies(MatRef::from_row_major(&x, nb, d)).unwrap();
    for (a, b) in exact.iter().zip(&reference) {
        assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{a} vs {b}");
    }
    let draws = 4000usize;
    let (mut sum, mut sq) = (vec![0.0f64; nb * k], vec![0.0f64; nb * k]);
    for seed in 0..draws as u64 {
        ws.set_hidden_dropout(0.3, seed).unwrap();
        ws.gradient(&m, &x, &y).unwrap();
        for (j, &e) in ws.energies(nb).iter().enumerate() {
            sum[j] += e;
            sq[j] += e * e;
        }
    }
    let mut moved = 0.0f64;
    for j in 0..nb * k {
        let mean = sum[j] / draws as f64;
        let sd = (sq[j] / draws as f64 - mean * mean).max(0.0).sqrt();
        moved = moved.max(sd);
        let se = sd / (draws as f64).sqrt();
        assert!(
            (mean - exact[j]).abs() <= 5.0 * se + 1e-6,
            "energy {j}: mean {mean} vs {} (se {se})",
            exact[j]
        );
    }
    assert!(moved > 0.1, "masks should move the energies (largest sd {moved})");
}

/// The same seed gives the same finetuned model at 1 and 2 threads; another seed or no dropout a
/// different one. Probabilities outside [0, 1) are refused.
#[test]
fn dropout_masks_depend_on_the_seed_not_the_threads() {
    let vals: Vec<f32> = (0..89).map(|i| ((i * 31 % 29) as f32 - 14.0) / 14.0).collect();
    let (k, h, d, nb) = (3, 16, 6, 8);
    let m0 = model(k, h, d, ActivationKind::Sigmoid, &vals);
    let x: Vec<f32> = (0..nb * d).map(|i| ((i * 13 % 17) as f32) / 17.0).collect();
    let y: Vec<u32> = (0..nb as u32).map(|r| r % k as u32).collect();
    let run = |threads: usize, p: f32, seed: u64| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let mut m = m0.clone();
            let mut ws = Finetuner::new(&m, nb, Variant::Log, 0.0);
            ws.set_hidden_dropout(p, seed).unwrap();
            for _ in 0..5 {
                ws.step(&mut m, &x, &y, 0.1, 0.9).unwrap();
            }
            m.class_models().iter().flat_map(|c| c.weight().to_vec()).collect::<Vec<f32>>()
        })
    };
    let a = run(1, 0.4, 7);
    assert_eq!(a, run(2, 0.4, 7));
    assert_ne!(a, run(1, 0.4, 8));
    assert_ne!(a, run(1, 0.0, 7));
    let mut ws = Finetuner::new(&m0, nb, Variant::Log, 0.0);
    for bad in [1.0f32, -0.1, f32::NAN] {
        assert!(ws.set_hidden_dropout(bad, 0).is_err(), "{bad}");
    }
    let cfg = potential_csae::FinetuneConfig { hidden_dropout: 1.0, ..Default::default() };
    assert!(matches!(
        cfg.validate(),
        Err(potential_csae::Error::InvalidConfig { field: "finetune.hidden_dropout", .. })
    ));
}
