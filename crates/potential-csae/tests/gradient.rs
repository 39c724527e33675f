//! The finetuning gradient of [`Finetuner`] equals central finite differences of the objective,
//! computed independently through `Csae::logits` (the energy code of `potential-models`).

use potential_activations::ActivationKind;
use potential_csae::{log_sum_exp, Csae, Finetuner, Variant};
use potential_kernels::MatRef;
use potential_models::{Output, TiedAutoencoder};
use proptest::prelude::*;

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
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

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
