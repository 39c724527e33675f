//! The finetuning gradient of [`Finetuner`] equals central finite differences of the objective,
//! computed independently through `Csae::logits` (the energy code of `potential-models`), for real
//! output (Eq. 11–21) and binary output (Eq. 28: the visible term b_rᵀx + pixel entropy, so
//! ∂E/∂b_r = x), every smooth activation on every run.
//!
//! Hidden-unit dropout (`Finetuner::set_hidden_dropout`, not in the paper): the gradient of the
//! masked objective equals its finite differences (the mask is fixed between updates), the masked
//! energies average to the energies of Eq. 45, and the masks depend on the seed, not the threads.

use potential_activations::ActivationKind;
use potential_csae::{log_sum_exp, Csae, Error, FinetuneConfig, Finetuner, Variant};
use potential_kernels::MatRef;
use potential_models::{Output, TiedAutoencoder};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// The objective of the module docs of `finetune`: mean loss over the rows + ½λΣᵢ‖Wᵢ‖².
fn objective(m: &Csae, x: &[f32], y: &[u32], variant: Variant, wd: f32) -> f64 {
    let k = m.num_classes();
    let n = y.len();
    let s = m.logits(MatRef::from_row_major(x, n, m.visible())).unwrap();
    let mut loss = 0.0;
    for (s, &y) in s.chunks_exact(k).zip(y) {
        let y = y as usize;
        loss += match variant {
            Variant::Hinge => {
                let other = (0..k).filter(|&j| j != y).map(|j| s[j]).fold(f64::NEG_INFINITY, f64::max);
                (1.0 + other - s[y]).max(0.0)
            }
            _ => log_sum_exp(s) - s[y],
        };
    }
    let decay: f64 = if variant.trains_class_models() {
        m.class_models().iter().map(|c| c.weight().iter().map(|&w| (w as f64).powi(2)).sum::<f64>()).sum()
    } else {
        0.0
    };
    loss / n as f64 + 0.5 * wd as f64 * decay
}

#[derive(Clone, Copy, Debug)]
enum P {
    W(usize, usize),
    Bh(usize, usize),
    Br(usize, usize),
    C(usize),
    A(usize),
}

fn get_mut(m: &mut Csae, p: P) -> &mut f32 {
    match p {
        P::W(i, j) => &mut m.class_model_mut(i).params_mut().weight[j],
        P::Bh(i, j) => &mut m.class_model_mut(i).params_mut().hidden_bias[j],
        P::Br(i, j) => &mut m.class_model_mut(i).params_mut().visible_bias[j],
        P::C(i) => &mut m.class_bias_mut()[i],
        P::A(j) => {
            unreachable!("read-out entries are perturbed through set_readout (index {j})")
        }
    }
}

fn perturbed(m: &Csae, p: P, delta: f32) -> Csae {
    let mut m = m.clone();
    if let P::A(j) = p {
        let mut a = m.readout().unwrap().to_vec();
        a[j] += delta;
        m.set_readout(Some(a)).unwrap();
    } else {
        *get_mut(&mut m, p) += delta;
    }
    m
}

fn model(k: usize, h: usize, d: usize, act: ActivationKind, vals: &[f32]) -> Csae {
    model_with_output(k, h, d, act, Output::Real, vals)
}

fn model_with_output(
    k: usize,
    h: usize,
    d: usize,
    act: ActivationKind,
    output: Output,
    vals: &[f32],
) -> Csae {
    let mut it = vals.iter().copied().cycle();
    let classes = (0..k)
        .map(|_| {
            let w: Vec<f32> = (0..h * d).map(|_| it.next().unwrap()).collect();
            let bh: Vec<f32> = (0..h).map(|_| it.next().unwrap()).collect();
            let br: Vec<f32> = (0..d).map(|_| it.next().unwrap()).collect();
            TiedAutoencoder::new(w, bh, br, act, output).unwrap()
        })
        .collect();
    let c: Vec<f32> = (0..k).map(|_| it.next().unwrap()).collect();
    Csae::new(classes, (0..k).map(|i| format!("c{i}")).collect(), c).unwrap()
}

const SMOOTH: [ActivationKind; 5] = [
    ActivationKind::Sigmoid,
    ActivationKind::Tanh,
    ActivationKind::Linear,
    ActivationKind::Square,
    ActivationKind::Synchrony,
];

fn check(
    m: &Csae,
    x: &[f32],
    y: &[u32],
    variant: Variant,
    wd: f32,
    params: &[P],
) -> Result<(), TestCaseError> {
    let mut ws = Finetuner::new(m, y.len(), variant, wd);
    let f = ws.gradient(m, x, y).unwrap();
    let f_ref = objective(m, x, y, variant, wd);
    prop_assert!((f - f_ref).abs() <= 1e-4 * (1.0 + f_ref.abs()), "objective {f} vs {f_ref}");
    let g = ws.gradient_parts();
    let eps = 1e-2f32;
    for &p in params {
        let analytic = match p {
            P::W(i, j) => g.classes[i].weight[j] as f64,
            P::Bh(i, j) => g.classes[i].hidden_bias[j] as f64,
            P::Br(i, j) => g.classes[i].visible_bias[j] as f64,
            P::C(i) => g.class_bias[i],
            P::A(j) => g.readout.as_ref().unwrap()[j],
        };
        // Central difference: (F(θ + ε) − F(θ − ε)) / 2ε = F′(θ) + O(ε²).
        let fd = (objective(&perturbed(m, p, eps), x, y, variant, wd)
            - objective(&perturbed(m, p, -eps), x, y, variant, wd))
            / (2.0 * eps as f64);
        prop_assert!(
            (analytic - fd).abs() <= 2e-3 + 2e-2 * fd.abs(),
            "{variant} {p:?}: analytic {analytic} vs finite difference {fd}"
        );
    }
    Ok(())
}

proptest! {
    // Seeded: every run draws the same cases (change the seed to explore others).
    #![proptest_config(ProptestConfig { cases: 96, rng_seed: proptest::test_runner::RngSeed::Fixed(3), ..ProptestConfig::default() })]

    #[test]
    fn log_and_hinge_gradients_match_finite_differences(
        k in 2usize..=4, h in 1usize..=4, d in 1usize..=5, nb in 1usize..=5,
        act in 0usize..SMOOTH.len(),
        hinge in any::<bool>(),
        wd in prop_oneof![Just(0.0f32), 0.0f32..0.5],
        vals in prop::collection::vec(-1.0f32..1.0, 64),
        xs in prop::collection::vec(-1.0f32..1.0, 25),
        ys in prop::collection::vec(0u32..4, 5),
        picks in prop::collection::vec((0usize..4, 0usize..64), 6),
    ) {
        let m = model(k, h, d, SMOOTH[act], &vals);
        let x: Vec<f32> = xs.iter().copied().cycle().take(nb * d).collect();
        let y: Vec<u32> = ys.iter().take(nb).map(|&c| c % k as u32).collect();
        let variant = if hinge { Variant::Hinge } else { Variant::Log };
        if hinge {
            // The hinge is not differentiable where a margin is 0: keep the test away from kinks.
            let s = m.logits(MatRef::from_row_major(&x, nb, d)).unwrap();
            for (s, &y) in s.chunks_exact(k).zip(&y) {
                let y = y as usize;
                let mut sorted: Vec<f64> = (0..k).filter(|&j| j != y).map(|j| s[j]).collect();
                sorted.sort_by(f64::total_cmp);
                let top = sorted[sorted.len() - 1];
                prop_assume!((1.0 + top - s[y]).abs() > 0.05);
                if sorted.len() > 1 {
                    prop_assume!((top - sorted[sorted.len() - 2]).abs() > 0.05);
                }
            }
        }
        let mut params = Vec::new();
        for &(kind, idx) in &picks {
            let i = idx % k;
            params.push(match kind {
                0 => P::W(i, idx % (h * d)),
                1 => P::Bh(i, idx % h),
                2 => P::Br(i, idx % d),
                _ => P::C(i),
            });
        }
        check(&m, &x, &y, variant, wd, &params)?;
    }

    #[test]
    fn readout_gradient_matches_finite_differences(
        k in 2usize..=4, d in 1usize..=4, nb in 1usize..=5,
        vals in prop::collection::vec(-1.0f32..1.0, 64),
        a in prop::collection::vec(-1.0f32..1.0, 16),
        xs in prop::collection::vec(-1.0f32..1.0, 20),
        ys in prop::collection::vec(0u32..4, 5),
    ) {
        let mut m = model(k, 3, d, ActivationKind::Sigmoid, &vals);
        m.set_readout(Some(a[..k * k].to_vec())).unwrap();
        let x: Vec<f32> = xs.iter().copied().cycle().take(nb * d).collect();
        let y: Vec<u32> = ys.iter().take(nb).map(|&c| c % k as u32).collect();
        let mut params: Vec<P> = (0..k * k).map(P::A).collect();
        params.extend((0..k).map(P::C));
        check(&m, &x, &y, Variant::Energies, 0.0, &params)?;
        // Finetuning the class models of a model with a read-out (log-loss): their gradients pass
        // back through A (∂L/∂Eⱼ = Σᵢ gᵢ Aᵢⱼ).
        params.retain(|p| matches!(p, P::C(_)));
        for i in 0..k {
            params.extend((0..3 * d).map(|j| P::W(i, j)));
            params.extend((0..3).map(|j| P::Bh(i, j)));
            params.extend((0..d).map(|j| P::Br(i, j)));
        }
        check(&m, &x, &y, Variant::Log, 0.0, &params)?;
    }
}

#[test]
fn relu_and_modulus_gradients_match_away_from_kinks() {
    // h′ jumps at u = 0; with inputs and parameters on a grid that keeps every |u| ≥ 0.1, the
    // finite difference with ε = 1e-3 never crosses a kink.
    for act in [ActivationKind::Relu, ActivationKind::Modulus] {
        let vals: Vec<f32> = (0..64).map(|i| ((i * 37 % 23) as f32 - 11.0) / 10.0).collect();
        let m = model(3, 4, 3, act, &vals);
        let x = [0.3f32, -0.7, 0.9, 0.2, 0.5, -0.4];
        let y = [2u32, 0];
        let mut ws = Finetuner::new(&m, 2, Variant::Log, 0.1);
        ws.gradient(&m, &x, &y).unwrap();
        let g = ws.gradient_parts();
        for i in 0..3 {
            for j in 0..12 {
                let p = P::W(i, j);
                let eps = 1e-3f32;
                let fd = (objective(&perturbed(&m, p, eps), &x, &y, Variant::Log, 0.1)
                    - objective(&perturbed(&m, p, -eps), &x, &y, Variant::Log, 0.1))
                    / (2.0 * eps as f64);
                let an = g.classes[i].weight[j] as f64;
                assert!((an - fd).abs() <= 5e-3 + 2e-2 * fd.abs(), "{act} W[{i}][{j}]: {an} vs {fd}");
            }
        }
    }
}

proptest! {
    // Seeded: every run draws the same cases (change the seed to explore others).
    #![proptest_config(ProptestConfig { cases: 64, rng_seed: proptest::test_runner::RngSeed::Fixed(4), ..ProptestConfig::default() })]

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
            let (p_, analytic) = match kind {
                0 => (P::W(i, idx % (h * d)), g.classes[i].weight[idx % (h * d)]),
                1 => (P::Bh(i, idx % h), g.classes[i].hidden_bias[idx % h]),
                _ => (P::Br(i, idx % d), g.classes[i].visible_bias[idx % d]),
            };
            let (plus, minus) = (perturbed(&m, p_, eps), perturbed(&m, p_, -eps));
            let fp = ws.gradient(&plus, &x, &y).unwrap();
            let fm = ws.gradient(&minus, &x, &y).unwrap();
            let fd = (fp - fm) / (2.0 * eps as f64);
            prop_assert!(
                (f64::from(analytic) - fd).abs() <= 2e-3 + 2e-2 * fd.abs(),
                "dropout {p} {p_:?}: analytic {analytic} vs finite difference {fd}"
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
    let cfg = FinetuneConfig { hidden_dropout: 1.0, ..Default::default() };
    assert!(matches!(cfg.validate(), Err(Error::InvalidConfig { field: "finetune.hidden_dropout", .. })));
}

/// A proptest runner with a fixed seed derived from `name` (reproducible CI runs).
fn seeded_runner(name: &str, cases: u32) -> TestRunner {
    let mut seed = [11u8; 32];
    for (i, b) in name.bytes().enumerate() {
        seed[i % 32] ^= b.wrapping_mul(31).wrapping_add(i as u8);
    }
    TestRunner::new_with_rng(
        Config { cases, failure_persistence: None, ..Config::default() },
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
    )
}

/// Binary output (cross-entropy pretraining, the headline MNIST runs): the log-loss and hinge
/// gradients of every parameter equal central differences of the objective, for each smooth
/// activation in turn (random models, inputs in (0, 1), minibatches, weight decay).
#[test]
fn binary_output_gradients_match_finite_differences() {
    for act in SMOOTH {
        let mut runner = seeded_runner(&format!("binary-{act}"), 24);
        let strategy = (
            (2usize..=4, 1usize..=4, 1usize..=5, 1usize..=5),
            any::<bool>(),
            prop_oneof![Just(0.0f32), 0.0f32..0.5],
            prop::collection::vec(-1.0f32..1.0, 64),
            prop::collection::vec(0.02f32..0.98, 25),
            prop::collection::vec(0u32..4, 5),
            prop::collection::vec((0usize..4, 0usize..64), 8),
        );
        runner
            .run(&strategy, |((k, h, d, nb), hinge, wd, vals, xs, ys, picks)| {
                let m = model_with_output(k, h, d, act, Output::Binary, &vals);
                let x: Vec<f32> = xs.iter().copied().cycle().take(nb * d).collect();
                let y: Vec<u32> = ys.iter().take(nb).map(|&c| c % k as u32).collect();
                let variant = if hinge { Variant::Hinge } else { Variant::Log };
                if hinge {
                    // Away from the hinge's kinks (a margin of 0 or a tie for the runner-up).
                    let s = m.logits(MatRef::from_row_major(&x, nb, d)).unwrap();
                    for (s, &y) in s.chunks_exact(k).zip(&y) {
                        let y = y as usize;
                        let mut sorted: Vec<f64> = (0..k).filter(|&j| j != y).map(|j| s[j]).collect();
                        sorted.sort_by(f64::total_cmp);
                        let top = sorted[sorted.len() - 1];
                        prop_assume!((1.0 + top - s[y]).abs() > 0.05);
                        if sorted.len() > 1 {
                            prop_assume!((top - sorted[sorted.len() - 2]).abs() > 0.05);
                        }
                    }
                }
                let mut params: Vec<P> = (0..k).flat_map(|i| (0..d).map(move |j| P::Br(i, j))).collect();
                for &(kind, idx) in &picks {
                    let i = idx % k;
                    params.push(match kind {
                        0 | 1 => P::W(i, idx % (h * d)),
                        2 => P::Bh(i, idx % h),
                        _ => P::C(i),
                    });
                }
                check(&m, &x, &y, variant, wd, &params)
            })
            .unwrap_or_else(|e| panic!("{act}: {e}"));
    }
}

/// Binary output with the piecewise-linear activations, away from their kinks: every weight.
#[test]
fn binary_output_relu_and_modulus_gradients_match_away_from_kinks() {
    for act in [ActivationKind::Relu, ActivationKind::Modulus] {
        let vals: Vec<f32> = (0..64).map(|i| ((i * 37 % 23) as f32 - 11.0) / 10.0).collect();
        let m = model_with_output(3, 4, 3, act, Output::Binary, &vals);
        let x = [0.8f32, 0.7, 0.5, 0.7, 0.3, 0.3];
        // Every pre-activation u = Wx + b_h stays ≥ 0.2 from the kink at 0, so the differences
        // (which move u by at most ε·Σx < 0.002) never cross it.
        for c in m.class_models() {
            for r in x.chunks_exact(3) {
                for (w, b) in c.weight().chunks_exact(3).zip(c.hidden_bias()) {
                    let u: f32 = w.iter().zip(r).map(|(a, b)| a * b).sum::<f32>() + b;
                    assert!(u.abs() >= 0.2, "{act}: pre-activation {u} too near the kink");
                }
            }
        }
        for (ya, yb) in [(0u32, 1u32), (2, 0)] {
            let y = [ya, yb];
            let mut ws = Finetuner::new(&m, 2, Variant::Log, 0.1);
            ws.gradient(&m, &x, &y).unwrap();
            let g = ws.gradient_parts();
            let eps = 1e-3f32;
            let fd = |p: P| {
                (objective(&perturbed(&m, p, eps), &x, &y, Variant::Log, 0.1)
                    - objective(&perturbed(&m, p, -eps), &x, &y, Variant::Log, 0.1))
                    / (2.0 * eps as f64)
            };
            for i in 0..3 {
                for j in 0..12 {
                    let (an, f) = (g.classes[i].weight[j] as f64, fd(P::W(i, j)));
                    assert!((an - f).abs() <= 5e-3 + 2e-2 * f.abs(), "{act} W[{i}][{j}]: {an} vs {f}");
                }
                for j in 0..3 {
                    let (an, f) = (g.classes[i].visible_bias[j] as f64, fd(P::Br(i, j)));
                    assert!((an - f).abs() <= 5e-3 + 2e-2 * f.abs(), "{act} b_r[{i}][{j}]: {an} vs {f}");
                }
            }
        }
    }
}
