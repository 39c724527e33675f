//! The energy calculus of tied autoencoders, checked numerically (Eq. 9, 11–21, 28, 30, 38–40).
#![allow(clippy::needless_range_loop)] // index loops mirror the formulas

mod common;

use common::{case, net_input, runner, ALL_KINDS, BOTH, REAL};
use potential_activations::ActivationKind;
use potential_kernels::MatRef;
use potential_models::{Output, TiedAutoencoder};
use proptest::prelude::*;

/// The model W = s·I (D = H = 2) with zero biases and real output.
fn scaled_identity(s: f32, act: ActivationKind) -> TiedAutoencoder {
    TiedAutoencoder::new(vec![s, 0.0, 0.0, s], vec![0.0; 2], vec![0.0; 2], act, Output::Real).unwrap()
}

/// Whether a relu/modulus hidden unit has its kink within `reach` of u (finite differences of h′
/// across a kink are meaningless).
fn near_kink(m: &TiedAutoencoder, x: &[f32], reach: f64) -> bool {
    !m.activation().is_smooth() && net_input(m, x).iter().any(|u| u.abs() < reach)
}

#[test]
fn energy_gradient_is_the_vector_field() {
    // ∇ₓE = r(x) − x (real, Eq. 9) and B(x) (binary, Eq. 27), by central differences of E.
    // E is computed with an f32 gemm and f32 H values summed in f64: rounding ~1e-5 in E, divided
    // by 2δ; truncation δ²/6·|∂³E| (binary x ∈ [0.1, 0.9] bounds the entropy's third derivative
    // by 100). relu/modulus energies are C¹, so kinks cost at most O(δ‖w‖²).
    // Every activation gets its own 16 cases (both output kinds).
    for k in 0..ALL_KINDS.len() {
        let name = format!("energy_gradient_{}", ALL_KINDS[k]);
        runner(&name, 16)
            .run(&case(&ALL_KINDS[k..=k], BOTH, 0.1), |c| {
                let (m, x) = (&c.model, &c.x);
                let g = m.vector_field(x).unwrap();
                let delta = if m.output() == Output::Binary { 5e-3f32 } else { 1e-2 };
                for j in 0..x.len() {
                    let (mut xp, mut xm) = (x.clone(), x.clone());
                    xp[j] += delta;
                    xm[j] -= delta;
                    let step = (xp[j] - xm[j]) as f64; // the step actually taken in f32
                    let fd = (m.energy(&xp).unwrap() - m.energy(&xm).unwrap()) / step;
                    let tol = 3e-3 + 1e-3 * (g[j] as f64).abs();
                    prop_assert!(
                        (fd - g[j] as f64).abs() <= tol,
                        "{} {}: ∂E/∂x[{j}] FD {fd} vs field {}",
                        m.activation(),
                        m.output(),
                        g[j]
                    );
                }
                Ok(())
            })
            .unwrap();
    }
}

#[test]
fn laplacian_is_trace_of_hessian_and_of_fd_jacobian() {
    runner("laplacian_trace", 96)
        .run(&case(ALL_KINDS, BOTH, 0.1), |c| {
            let (m, x) = (&c.model, &c.x);
            let d = x.len();
            let lap = m.laplacian(x).unwrap();
            let j = m.jacobian(x).unwrap();
            let tr: f64 = (0..d).map(|i| j[i * d + i] as f64).sum();
            let scale: f64 = (0..d).map(|i| (j[i * d + i] as f64).abs()).sum::<f64>() + 1.0;
            prop_assert!((lap - tr).abs() <= 1e-5 * scale, "ΔE {lap} vs tr J {tr}");
            // Hessian symmetry (Eq. 7): the two products differ only by f32 summation order.
            for a in 0..d {
                for b in 0..a {
                    let (p, q) = (j[a * d + b], j[b * d + a]);
                    prop_assert!((p - q).abs() <= 1e-5 * (1.0 + p.abs()), "J[{a},{b}]={p} J[{b},{a}]={q}");
                }
            }
            // Trace of the finite-difference Jacobian of the field (f32 field, step δ).
            let delta = 1e-3f32;
            prop_assume!(!near_kink(m, x, 10.0 * delta as f64));
            let mut fd_tr = 0.0f64;
            for i in 0..d {
                let (mut xp, mut xm) = (x.clone(), x.clone());
                xp[i] += delta;
                xm[i] -= delta;
                let step = (xp[i] - xm[i]) as f64;
                fd_tr +=
                    (m.vector_field(&xp).unwrap()[i] as f64 - m.vector_field(&xm).unwrap()[i] as f64) / step;
            }
            prop_assert!(
                (lap - fd_tr).abs() <= 2e-3 * scale,
                "{} {}: ΔE {lap} vs FD trace {fd_tr}",
                m.activation(),
                m.output()
            );
            // The FD Jacobian column by column agrees with the analytic one.
            let i = d / 2;
            let (mut xp, mut xm) = (x.clone(), x.clone());
            xp[i] += delta;
            xm[i] -= delta;
            let step = (xp[i] - xm[i]) as f64;
            let (vp, vm) = (m.vector_field(&xp).unwrap(), m.vector_field(&xm).unwrap());
            for r in 0..d {
                let fd = (vp[r] as f64 - vm[r] as f64) / step;
                let an = j[r * d + i] as f64;
                prop_assert!((fd - an).abs() <= 2e-3 * (1.0 + an.abs()), "J[{r},{i}] {an} vs FD {fd}");
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn laplacian_contraction_absorbing_match_their_formulas() {
    // README, File formats: laplacian = Σₖ h′(uₖ)‖wₖ‖² − D (real), contraction = Σₖ h′(uₖ)²‖wₖ‖²,
    // absorbing = [laplacian < 0]; computed here in f64 from the scalar h′.
    runner("scores", 128)
        .run(&case(ALL_KINDS, REAL, 0.1), |c| {
            let (m, x) = (&c.model, &c.x);
            let d = x.len();
            let u = net_input(m, x);
            let (mut lap, mut con) = (-(d as f64), 0.0);
            for (k, &uk) in u.iter().enumerate() {
                let g = m.activation().h_prime(uk as f32) as f64;
                let n: f64 = m.weight()[k * d..(k + 1) * d].iter().map(|&w| w as f64 * w as f64).sum();
                lap += g * n;
                con += g * g * n;
            }
            prop_assume!(!near_kink(m, x, 1e-4));
            let tol = |v: f64| 1e-5 * (1.0 + v.abs());
            prop_assert!((m.laplacian(x).unwrap() - lap).abs() <= tol(lap));
            prop_assert!((m.contraction(x).unwrap() - con).abs() <= tol(con));
            if lap.abs() > 1e-3 {
                prop_assert_eq!(m.is_absorbing(x).unwrap(), lap < 0.0);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn sigmoid_binary_energy_is_minus_rbm_free_energy() {
    // Eq. 30: for sigmoid hiddens, binary output and binary x, E(x) = −F(x) with the RBM free energy
    // F(x) = −b_rᵀx − Σₖ log(1 + exp(wₖᵀx + b_hₖ)), computed here independently in f64.
    let strat = (1usize..=33, 1usize..=33).prop_flat_map(|(d, h)| {
        (
            proptest::collection::vec(-1.0f32..1.0, h * d),
            proptest::collection::vec(-1.0f32..1.0, h),
            proptest::collection::vec(-1.0f32..1.0, d),
            proptest::collection::vec(any::<bool>(), d),
        )
    });
    runner("rbm", 128)
        .run(&strat, |(w, bh, br, bits)| {
            let m = TiedAutoencoder::new(w, bh, br, ActivationKind::Sigmoid, Output::Binary).unwrap();
            let x: Vec<f32> = bits.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect();
            let d = x.len();
            let mut free = 0.0f64;
            for j in 0..d {
                free -= m.visible_bias()[j] as f64 * x[j] as f64;
            }
            for k in 0..m.hidden() {
                let u: f64 = m.hidden_bias()[k] as f64
                    + (0..d).filter(|&j| bits[j]).map(|j| m.weight()[k * d + j] as f64).sum::<f64>();
                free -= (1.0 + u.exp()).ln();
            }
            let e = m.energy(&x).unwrap();
            prop_assert!((e + free).abs() <= 1e-5 * (1.0 + free.abs()), "E {e} vs −F {}", -free);
            Ok(())
        })
        .unwrap();
}

/// Rows of a random matrix orthonormalised in f64 (Gram–Schmidt): W Wᵀ = I, h ≤ d.
fn orthonormal_rows(raw: &[f64], h: usize, d: usize) -> Option<Vec<f64>> {
    let mut w: Vec<f64> = raw.to_vec();
    for k in 0..h {
        for p in 0..k {
            let dot: f64 = (0..d).map(|j| w[k * d + j] * w[p * d + j]).sum();
            for j in 0..d {
                w[k * d + j] -= dot * w[p * d + j];
            }
        }
        let n: f64 = (0..d).map(|j| w[k * d + j].powi(2)).sum::<f64>().sqrt();
        if n < 1e-3 {
            return None;
        }
        for j in 0..d {
            w[k * d + j] /= n;
        }
    }
    Some(w)
}

#[test]
fn linear_orthonormal_energy_is_minus_half_reconstruction_error() {
    // Eq. 16: linear hiddens, W Wᵀ = I, no biases: E(x) = −½‖x − WᵀWx‖².
    let strat = (1usize..=33).prop_flat_map(|d| {
        (1..=d).prop_flat_map(move |h| {
            (
                Just(h),
                Just(d),
                proptest::collection::vec(-1.0f64..1.0, h * d),
                proptest::collection::vec(-3.0f32..3.0, d),
            )
        })
    });
    runner("linear_orthonormal", 128)
        .run(&strat, |(h, d, raw, x)| {
            let Some(w) = orthonormal_rows(&raw, h, d) else { return Ok(()) };
            let w32: Vec<f32> = w.iter().map(|&v| v as f32).collect();
            let m = TiedAutoencoder::new(
                w32.clone(),
                vec![0.0; h],
                vec![0.0; d],
                ActivationKind::Linear,
                Output::Real,
            )
            .unwrap();
            let code: Vec<f64> =
                (0..h).map(|k| (0..d).map(|j| w32[k * d + j] as f64 * x[j] as f64).sum()).collect();
            let err: f64 = (0..d)
                .map(|j| {
                    let r: f64 = (0..h).map(|k| w32[k * d + j] as f64 * code[k]).sum();
                    (x[j] as f64 - r).powi(2)
                })
                .sum();
            let e = m.energy(&x).unwrap();
            let xx: f64 = x.iter().map(|&v| v as f64 * v as f64).sum();
            prop_assert!((e + 0.5 * err).abs() <= 1e-5 * (1.0 + xx), "E {e} vs −½err {}", -0.5 * err);
            // And ΔE = h − D everywhere (PCA-like, Sec. 3.1).
            let lap = m.laplacian(&x).unwrap();
            prop_assert!((lap - (h as f64 - d as f64)).abs() <= 1e-4 * d as f64, "ΔE {lap}");
            Ok(())
        })
        .unwrap();
}

#[test]
fn batch_equals_per_sample_and_is_thread_count_independent() {
    // Batches straddle the 1024-row block; every batched method must equal its single-sample form,
    // and the batched results must be bit-identical in 1- and 2-thread pools.
    let strat = (case(ALL_KINDS, BOTH, 0.1), 1usize..1500, any::<u64>());
    runner("batch", 24)
        .run(&strat, |(c, n, seed)| {
            let m = &c.model;
            let d = m.visible();
            // Rows: deterministic mix of the case's x (keeps binary inputs inside (0, 1)).
            let mut s = seed | 1;
            let mut xs = Vec::with_capacity(n * d);
            for _ in 0..n {
                for &v in &c.x {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    let t = (s >> 40) as f32 / (1u64 << 24) as f32; // [0, 1)
                    xs.push(if m.output() == Output::Binary { 0.1 + 0.8 * t } else { v + (t - 0.5) });
                }
            }
            let x = MatRef::from_row_major(&xs, n, d);
            let run = |threads: usize| {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                pool.install(|| {
                    (
                        m.energy_batch(x).unwrap(),
                        m.reconstruct_batch(x).unwrap(),
                        m.vector_field_batch(x).unwrap(),
                        m.laplacian_batch(x).unwrap(),
                        m.contraction_batch(x).unwrap(),
                        m.reconstruction_error_batch(x).unwrap(),
                        m.encode_batch(x).unwrap(),
                    )
                })
            };
            let one = run(1);
            let two = run(2);
            prop_assert!(one == two, "results differ between 1 and 2 threads");
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * (1.0 + a.abs());
            for i in (0..n).step_by(37).chain([n - 1]) {
                let xi = &xs[i * d..(i + 1) * d];
                prop_assert!(close(one.0[i], m.energy(xi).unwrap()), "energy row {i}");
                prop_assert!(close(one.3[i], m.laplacian(xi).unwrap()), "laplacian row {i}");
                prop_assert!(close(one.4[i], m.contraction(xi).unwrap()), "contraction row {i}");
                prop_assert!(close(one.5[i], m.reconstruction_error(xi).unwrap()), "rec err row {i}");
                let r = m.reconstruct(xi).unwrap();
                let v = m.vector_field(xi).unwrap();
                for j in 0..d {
                    prop_assert!(close(one.1[i * d + j] as f64, r[j] as f64), "r row {i}");
                    prop_assert!(close(one.2[i * d + j] as f64, v[j] as f64), "field row {i}");
                }
                let hcode = m.encode(xi).unwrap();
                for k in 0..m.hidden() {
                    prop_assert!(close(one.6[i * m.hidden() + k] as f64, hcode[k] as f64), "code row {i}");
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn parameter_gradients_match_finite_differences() {
    // L(θ) = Σᵢ cᵢ E(xᵢ; θ); ∂L/∂W = Σ cᵢ h(uᵢ)xᵢᵀ, ∂L/∂b_h = Σ cᵢ h(uᵢ), ∂L/∂b_r = Σ cᵢ(xᵢ − b_r)
    // (real) or Σ cᵢ xᵢ (binary). Checked on a few parameters of each tensor by central differences.
    let strat = (case(ALL_KINDS, BOTH, 0.1), proptest::collection::vec(-1.0f32..1.0, 3), any::<u64>());
    runner("param_grad", 64)
        .run(&strat, |(c, coeff, pick)| {
            let m = &c.model;
            let d = m.visible();
            let mut xs = c.x.clone();
            xs.extend(c.x.iter().map(|&v| if m.output() == Output::Binary { 1.0 - v } else { -0.5 * v }));
            xs.extend(c.x.iter().map(|&v| if m.output() == Output::Binary { 0.5 } else { v * v }));
            let x = MatRef::from_row_major(&xs, 3, d);
            let g = m.energy_param_grad(x, Some(&coeff)).unwrap();
            let loss = |m: &TiedAutoencoder| -> f64 {
                m.energy_batch(x).unwrap().iter().zip(&coeff).map(|(e, &c)| e * c as f64).sum()
            };
            let delta = 1e-2f32;
            let fd = |which: usize, idx: usize| -> f64 {
                let (mut mp, mut mm) = (m.clone(), m.clone());
                let (pp, pm) = (mp.params_mut(), mm.params_mut());
                let (a, b) = match which {
                    0 => (&mut pp.weight[idx], &mut pm.weight[idx]),
                    1 => (&mut pp.hidden_bias[idx], &mut pm.hidden_bias[idx]),
                    _ => (&mut pp.visible_bias[idx], &mut pm.visible_bias[idx]),
                };
                *a += delta;
                *b -= delta;
                let step = (*a - *b) as f64;
                (loss(&mp) - loss(&mm)) / step
            };
            let picks = [
                (0, (pick as usize) % g.weight.len()),
                (0, (pick as usize / 7) % g.weight.len()),
                (1, (pick as usize / 13) % g.hidden_bias.len()),
                (2, (pick as usize / 17) % d),
            ];
            for (which, idx) in picks {
                let an = [&g.weight, &g.hidden_bias, &g.visible_bias][which][idx] as f64;
                let num = fd(which, idx);
                prop_assert!(
                    (num - an).abs() <= 5e-3 + 2e-3 * an.abs(),
                    "{} {}: tensor {which}[{idx}] analytic {an} vs FD {num}",
                    m.activation(),
                    m.output()
                );
            }
            // Without coefficients: the sum of the per-sample gradients.
            let g1 = m.energy_param_grad(x, None).unwrap();
            let mut sum = vec![0.0f64; m.hidden()];
            for i in 0..3 {
                let h = m.encode(&xs[i * d..(i + 1) * d]).unwrap();
                for k in 0..m.hidden() {
                    sum[k] += h[k] as f64;
                }
            }
            for k in 0..m.hidden() {
                prop_assert!((g1.hidden_bias[k] as f64 - sum[k]).abs() <= 1e-5 * (1.0 + sum[k].abs()));
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn dynamics_ascend_the_energy_to_a_fixed_point() {
    // Bounded hiddens (sigmoid, tanh): r is bounded, so E → −∞ as ‖x‖ → ∞ and gradient ascent with a
    // small step stays finite; check the bookkeeping, r(x*) − x* at the end, and that E never decreases.
    const BOUNDED: &[ActivationKind] = &[ActivationKind::Sigmoid, ActivationKind::Tanh];
    runner("dynamics", 48)
        .run(&case(BOUNDED, REAL, 0.1), |c| {
            let m = &c.model;
            let opts = potential_models::DynamicsOptions {
                step: 0.05,
                max_steps: 400,
                tolerance: Some(1e-4),
                record: true,
            };
            let t = m.dynamics(&c.x, &opts).unwrap();
            prop_assert_eq!(t.states.len(), t.steps + 1);
            prop_assert_eq!(t.energies.len(), t.steps + 1);
            prop_assert_eq!(&t.states[0], &c.x);
            prop_assert_eq!(t.states.last().unwrap(), &t.fixed_point);
            for w in t.energies.windows(2) {
                // gradient ascent with a small step: E(x_{t+1}) ≥ E(x_t) up to rounding
                prop_assert!(w[1] >= w[0] - 1e-4 * (1.0 + w[0].abs()), "energy fell {} → {}", w[0], w[1]);
            }
            let res = m.reconstruction_error(&t.fixed_point).unwrap().sqrt();
            prop_assert!((res - t.residual).abs() <= 1e-4 * (1.0 + res));
            if t.converged {
                prop_assert!(t.residual <= 1e-4);
            } else {
                prop_assert_eq!(t.steps, 400);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn diverging_dynamics_report_a_typed_error() {
    // Square hiddens: E = Σ uₖ³/3 − ½‖x‖² is unbounded above, so ascent runs off to infinity.
    let m =
        TiedAutoencoder::new(vec![1.0, 1.0], vec![0.0], vec![0.0, 0.0], ActivationKind::Square, Output::Real)
            .unwrap();
    let opts = potential_models::DynamicsOptions {
        step: 0.5,
        max_steps: 10_000,
        tolerance: Some(1e-6),
        record: false,
    };
    match m.dynamics(&[1.0, 1.0], &opts) {
        Err(potential_models::Error::NonFiniteResult { .. }) => {}
        other => panic!("expected a non-finite error, got {other:?}"),
    }
    let bad = potential_models::DynamicsOptions { step: f32::NAN, ..opts };
    assert!(matches!(
        m.dynamics(&[1.0, 1.0], &bad),
        Err(potential_models::Error::InvalidParameter { name: "step", .. })
    ));
}

#[test]
fn dynamics_check_their_options_and_keep_start_and_end_when_not_recording() {
    use potential_models::{DynamicsOptions, Error};
    // Sigmoid, W = I (D = H = 2): r(x) = σ(x) is bounded, so the dynamics stay finite.
    let m = scaled_identity(1.0, ActivationKind::Sigmoid);
    let x0 = [2.0f32, -1.0];
    let base = DynamicsOptions { step: 0.5, max_steps: 3, tolerance: None, record: false };
    // ε must be finite and > 0; the tolerance ≥ 0 (0 itself is allowed) and not NaN.
    for step in [0.0, -1.0, f32::INFINITY, f32::NAN] {
        let res = m.dynamics(&x0, &DynamicsOptions { step, ..base });
        assert!(matches!(res, Err(Error::InvalidParameter { name: "step", .. })), "step {step}: {res:?}");
    }
    for t in [-1.0, f64::NAN, -f64::INFINITY] {
        let res = m.dynamics(&x0, &DynamicsOptions { tolerance: Some(t), ..base });
        assert!(
            matches!(res, Err(Error::InvalidParameter { name: "tolerance", .. })),
            "tolerance {t}: {res:?}"
        );
    }
    let t = m.dynamics(&x0, &DynamicsOptions { tolerance: Some(0.0), ..base }).unwrap();
    assert_eq!((t.steps, t.converged), (3, false));
    // Not recording: the start and the last state only, each with its energy.
    let recorded = m.dynamics(&x0, &DynamicsOptions { record: true, ..base }).unwrap();
    assert_eq!(recorded.states.len(), 4);
    let t = m.dynamics(&x0, &base).unwrap();
    assert_eq!(t.steps, 3);
    assert_eq!(t.states, vec![x0.to_vec(), recorded.fixed_point.clone()]);
    assert_eq!(t.energies, vec![recorded.energies[0], recorded.energies[3]]);
    assert_eq!(t.fixed_point, recorded.fixed_point);
    // Converged where it starts (zero steps): the start once, not twice.
    let t = m.dynamics(&x0, &DynamicsOptions { tolerance: Some(1e9), ..base }).unwrap();
    assert_eq!((t.steps, t.converged), (0, true));
    assert_eq!(t.states, vec![x0.to_vec()]);
    assert_eq!(t.energies, vec![m.energy(&x0).unwrap()]);
}

#[test]
fn binary_domain_errors_name_the_row_and_column() {
    use potential_models::Error;
    let m =
        TiedAutoencoder::new(vec![0.5; 6], vec![0.0; 2], vec![0.1; 3], ActivationKind::Tanh, Output::Binary)
            .unwrap();
    let xs = [0.2f32, 0.3, 0.4, 0.5, 1.5, 0.1];
    match m.energy_batch(MatRef::from_row_major(&xs, 2, 3)) {
        Err(Error::OutOfRange { row: 1, col: 1, value }) => assert_eq!(value, 1.5),
        other => panic!("expected OutOfRange at (1, 1), got {other:?}"),
    }
    // Entropy convention 0·log 0 = 0: binary x is fine for the energy ...
    let e = m.energy(&[0.0, 1.0, 1.0]).unwrap();
    let u = net_input(&m, &[0.0, 1.0, 1.0]);
    let want: f64 = u.iter().map(|&v| v.cosh().ln()).sum::<f64>() + 0.2f32 as f64;
    assert!((e - want).abs() < 1e-6, "{e} vs {want}");
    // ... but B(x) and the Laplacian are infinite there.
    assert!(matches!(m.vector_field(&[0.0, 0.5, 0.5]), Err(Error::OnBoundary { row: 0, col: 0, .. })));
    assert!(matches!(m.laplacian(&[0.5, 1.0, 0.5]), Err(Error::OnBoundary { row: 0, col: 1, .. })));
    assert!(matches!(m.jacobian(&[0.5, 0.5, 1.0]), Err(Error::OnBoundary { col: 2, .. })));
    // Non-finite inputs, real or binary.
    let r =
        TiedAutoencoder::new(vec![0.5; 6], vec![0.0; 2], vec![0.1; 3], ActivationKind::Relu, Output::Real)
            .unwrap();
    let bad = [0.0f32, 1.0, 2.0, 3.0, f32::NAN, 5.0];
    for res in [
        r.energy_batch(MatRef::from_row_major(&bad, 2, 3)).map(|_| ()),
        r.reconstruct_batch(MatRef::from_row_major(&bad, 2, 3)).map(|_| ()),
        r.laplacian_batch(MatRef::from_row_major(&bad, 2, 3)).map(|_| ()),
        r.encode_batch(MatRef::from_row_major(&bad, 2, 3)).map(|_| ()),
        r.energy_param_grad(MatRef::from_row_major(&bad, 2, 3), None).map(|_| ()),
        m.energy_batch(MatRef::from_row_major(&[0.0, 0.5, 0.5, 0.5, f32::NAN, 0.5], 2, 3)).map(|_| ()),
    ] {
        assert!(matches!(res, Err(Error::NonFinite { what: "input", row: 1, col: 1, .. })), "{res:?}");
    }
    // No hidden units: the inputs are still checked, and ∂E/∂b_r = Σᵢ (xᵢ − b_r) (real output).
    let z = TiedAutoencoder::new(vec![], vec![], vec![0.5; 3], ActivationKind::Relu, Output::Real).unwrap();
    let res = z.energy_param_grad(MatRef::from_row_major(&bad, 2, 3), None);
    assert!(matches!(res, Err(Error::NonFinite { what: "input", row: 1, col: 1, .. })), "{res:?}");
    let g = z.energy_param_grad(MatRef::from_row_major(&[1.0, 2.0, 3.0], 1, 3), None).unwrap();
    assert_eq!((g.weight.len(), g.hidden_bias.len()), (0, 0));
    assert_eq!(g.visible_bias, vec![0.5, 1.5, 2.5]);
    // Shape errors are typed too.
    assert!(matches!(r.energy(&[1.0, 2.0]), Err(Error::Shape { expected: 3, found: 2, .. })));
    // An output buffer of the wrong length is named with the length it needed (n·1 for energies).
    for len in [1, 3] {
        let mut out = vec![0.0f64; len];
        let res = r.energy_batch_into(MatRef::from_row_major(&xs, 2, 3), &mut out);
        assert!(
            matches!(res, Err(Error::Shape { what: "output length", expected: 2, found, .. }) if found == len),
            "{res:?}"
        );
    }
    assert!(matches!(
        TiedAutoencoder::new(vec![0.0; 5], vec![0.0; 2], vec![0.0; 3], ActivationKind::Relu, Output::Real),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        TiedAutoencoder::new(
            vec![0.0, 0.0, f32::INFINITY, 0.0],
            vec![0.0; 2],
            vec![0.0; 2],
            ActivationKind::Relu,
            Output::Real
        ),
        Err(Error::NonFinite { what: "weight", row: 1, col: 0, .. })
    ));
    // A weight gradient that overflows is reported with its row (the hidden unit): relu, unit 0
    // silent (u₀ < 0), unit 1 with Σᵢ cᵢ h(u₁) x overflowing f32.
    let g = TiedAutoencoder::new(
        vec![-1.0, -1.0, 1.0, 1.0],
        vec![0.0; 2],
        vec![0.0; 2],
        ActivationKind::Relu,
        Output::Real,
    )
    .unwrap();
    let res = g.energy_param_grad(MatRef::from_row_major(&[1e19, 1e19], 1, 2), Some(&[10.0]));
    assert!(matches!(res, Err(Error::NonFiniteResult { what: "weight gradient", row: 1 })), "{res:?}");
    // Overflow in the energy is reported, never returned as ∞.
    let big =
        TiedAutoencoder::new(vec![1.0], vec![0.0], vec![0.0], ActivationKind::Square, Output::Real).unwrap();
    assert!(matches!(big.energy(&[1e30]), Err(Error::NonFiniteResult { what: "energy", row: 0 })));
}

#[test]
fn strided_input_views_give_the_same_energies() {
    let m = TiedAutoencoder::new(
        (0..12).map(|i| (i as f32 * 0.37).sin()).collect(),
        vec![0.1, -0.2, 0.3, 0.0],
        vec![0.05, 0.0, -0.05],
        ActivationKind::Sigmoid,
        Output::Real,
    )
    .unwrap();
    let xs: Vec<f32> = (0..15).map(|i| (i as f32 * 0.71).cos()).collect();
    let dense = m.energy_batch(MatRef::from_row_major(&xs, 5, 3)).unwrap();
    // The same data transposed in memory, viewed through strides.
    let mut t = vec![0.0f32; 15];
    for i in 0..5 {
        for j in 0..3 {
            t[j * 5 + i] = xs[i * 3 + j];
        }
    }
    let strided = m.energy_batch(MatRef::from_row_major(&t, 3, 5).t()).unwrap();
    for (a, b) in dense.iter().zip(&strided) {
        assert!((a - b).abs() < 1e-6);
    }
    // Rows of a wider buffer (row stride 5 > D = 3, unit column stride: borrowed, not copied).
    let mut wide = [f32::NAN; 5 * 5];
    for i in 0..5 {
        wide[i * 5..i * 5 + 3].copy_from_slice(&xs[i * 3..i * 3 + 3]);
    }
    let padded = m.energy_batch(MatRef::from_strided(&wide[..4 * 5 + 3], 5, 3, 5, 1)).unwrap();
    assert_eq!(padded, dense);
}

#[test]
fn arbitrary_input_bits_give_a_finite_score_or_a_typed_error() {
    // NaN policy: any f32 bit pattern in the input yields Ok(finite) or an error, never a panic and
    // never a non-finite value in the output.
    let strat = (case(ALL_KINDS, BOTH, 0.1), proptest::collection::vec(any::<u32>(), 1..4));
    runner("input_bits", 128)
        .run(&strat, |(c, bits)| {
            let m = &c.model;
            let mut x = c.x.clone();
            for (i, b) in bits.iter().enumerate() {
                let n = x.len();
                x[(*b as usize + i) % n] = f32::from_bits(*b);
            }
            for s in potential_models::Score::ALL {
                if let Ok(v) = m.score_batch(MatRef::from_row_major(&x, 1, x.len()), s) {
                    prop_assert!(v[0].is_finite(), "{s}: {}", v[0]);
                }
            }
            if let Ok(v) = m.vector_field(&x) {
                prop_assert!(v.iter().all(|a| a.is_finite()));
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn hessian_log_odds_and_absorbing_batch_are_their_definitions() {
    // Sigmoid, W = 3·I (D = H = 2), zero biases: ΔE = 9·Σₖ h′(uₖ) − 2 (Eq. 39), which is 2.5 at
    // x = 0 (h′ = 1/4, not absorbing) and about −2 at x = (10, 10) (h′ ≈ 0, absorbing).
    let m = scaled_identity(3.0, ActivationKind::Sigmoid);
    let xs = [0.0f32, 0.0, 10.0, 10.0, 0.1, -0.2];
    let x = MatRef::from_row_major(&xs, 3, 2);
    let lap = m.laplacian_batch(x).unwrap();
    let absorbing = m.absorbing_batch(x).unwrap();
    assert_eq!(absorbing, vec![false, true, false]);
    assert_eq!(absorbing, lap.iter().map(|&l| l < 0.0).collect::<Vec<_>>());
    for (i, row) in xs.chunks_exact(2).enumerate() {
        assert_eq!(m.is_absorbing(row).unwrap(), absorbing[i], "row {i}");
        // The Hessian of E is the field's Jacobian (Sec. 3), bit for bit.
        let h = m.hessian(row).unwrap();
        assert_eq!(h.len(), 4);
        assert_eq!(h, m.jacobian(row).unwrap(), "row {i}");
    }
    // Linear, W = I: ΔE = Σₖ ‖wₖ‖² − D = 0 exactly, which is not absorbing (the test is strict).
    let m = scaled_identity(1.0, ActivationKind::Linear);
    assert_eq!(m.laplacian(&[0.3, -0.7]).unwrap(), 0.0);
    assert!(!m.is_absorbing(&[0.3, -0.7]).unwrap());
    assert_eq!(m.absorbing_batch(MatRef::from_row_major(&[0.3, -0.7], 1, 2)).unwrap(), vec![false]);
    // ξ = log(x / (1 − x)) per coordinate (Eq. 26).
    let xi = TiedAutoencoder::log_odds(&[0.5, 0.25, 0.9]);
    assert_eq!(xi.len(), 3);
    assert!(xi[0].abs() < 1e-12, "{xi:?}");
    assert!((xi[1] - (1.0f64 / 3.0).ln()).abs() < 1e-12, "{xi:?}");
    assert!((xi[2] - (0.9f32 as f64 / (1.0 - 0.9f32 as f64)).ln()).abs() < 1e-9, "{xi:?}");
}
