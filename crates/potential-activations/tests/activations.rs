//! Property tests of the activations: the calculus identities (H′ = h, h′ and h″ are the
//! derivatives) against independent `f64` formulas, and the batched kernels against the scalar spec.

use potential_activations::ActivationKind;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

fn runner(cases: u32) -> TestRunner {
    let seed: [u8; 32] = *b"potential-activations-seed-0001!";
    TestRunner::new_with_rng(
        Config { cases, ..Config::default() },
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
    )
}

const N_KINDS: usize = ActivationKind::ALL.len();

/// ∫₋₅₀ᵘ log(1 + eˢ) ds by composite Simpson (20 000 panels; the tail below −50 is < 2e-22): the
/// softplus antiderivative with H(−∞) = 0, independent of the dilogarithm.
fn softplus_integral_by_quadrature(u: f64) -> f64 {
    let f = |s: f64| (1.0 + s.exp()).ln();
    let (a, n) = (-50.0, 20_000);
    let h = (u - a) / n as f64;
    let inner: f64 = (1..n).map(|i| f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 }).sum();
    (f(a) + inner + f(u)) * h / 3.0
}

/// Independent `f64` formulas of h and H (written from the paper's table, not from the crate).
fn reference(kind: ActivationKind, u: f64) -> (f64, f64) {
    let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
    let softplus = |v: f64| (1.0 + v.exp()).ln();
    match kind {
        ActivationKind::Sigmoid => (sig(u), softplus(u)),
        ActivationKind::Tanh => (u.tanh(), u.cosh().ln()),
        ActivationKind::Linear => (u, u * u / 2.0),
        ActivationKind::Square => (u * u, u * u * u / 3.0),
        ActivationKind::Relu => (u.max(0.0), u.max(0.0).powi(2) / 2.0),
        ActivationKind::Modulus => (u.abs(), u * u.abs() / 2.0),
        ActivationKind::Synchrony => (u * sig(u * u), softplus(u * u) / 2.0),
        ActivationKind::Softplus => (softplus(u), softplus_integral_by_quadrature(u)),
    }
}

#[test]
fn values_match_independent_formulas() {
    runner(256)
        .run(&(0..N_KINDS, -8.0f32..8.0), |(k, u)| {
            let kind = ActivationKind::ALL[k];
            let (h, big_h) = reference(kind, u as f64);
            // f32 evaluation: a few ulps relative to the magnitude (plus an absolute floor).
            prop_assert!((kind.h(u) as f64 - h).abs() <= 1e-6 * (1.0 + h.abs()), "{kind} h({u})");
            prop_assert!(
                (kind.antiderivative(u) as f64 - big_h).abs() <= 2e-6 * (1.0 + big_h.abs()),
                "{kind} H({u}) = {} vs {big_h}",
                kind.antiderivative(u)
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn derivatives_match_finite_differences() {
    // Central differences of the f64 references at step δ: error O(δ²) plus rounding; the f32 values
    // under test carry ~1e-7 relative error. Kinks of relu/modulus (|u| < δ) are avoided.
    runner(256)
        .run(&(0..N_KINDS, -6.0f32..6.0), |(k, u)| {
            let kind = ActivationKind::ALL[k];
            prop_assume!(u.abs() > 1e-2);
            let d = 1e-4f64;
            let u64 = u as f64;
            let (hp, hm) = (reference(kind, u64 + d), reference(kind, u64 - d));
            // H′ = h
            let dbig = (hp.1 - hm.1) / (2.0 * d);
            prop_assert!((dbig - kind.h(u) as f64).abs() <= 1e-5 * (1.0 + dbig.abs()), "{kind}: H′({u})");
            // h′ = d h / du
            let dh = (hp.0 - hm.0) / (2.0 * d);
            prop_assert!((dh - kind.h_prime(u) as f64).abs() <= 1e-5 * (1.0 + dh.abs()), "{kind}: h′({u})");
            // h″ = d h′ / du, with h′ evaluated by the crate in f32 (step larger for its rounding).
            let e = 1e-2f32;
            let d2 = (kind.h_prime(u + e) as f64 - kind.h_prime(u - e) as f64) / (2.0 * e as f64);
            prop_assert!(
                (d2 - kind.h_second(u) as f64).abs() <= 2e-3 * (1.0 + d2.abs()),
                "{kind}: h″({u}) = {} vs FD {d2}",
                kind.h_second(u)
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn batched_forms_match_scalar_spec() {
    let strat = (0..N_KINDS, proptest::collection::vec(-10.0f32..10.0, 0..600), -3.0f32..3.0);
    runner(128)
        .run(&strat, |(k, u, b)| {
            let kind = ActivationKind::ALL[k];
            let n = u.len();
            // The SIMD kernels and the scalar spec are each within a few ulp of the exact value: 8 ulp.
            let close = |a: f32, b: f32, ulps: f32| {
                (a - b).abs() <= ulps * f32::EPSILON * a.abs().max(b.abs()) + f32::MIN_POSITIVE
            };
            // Fused: u ← u + b, h, h′.
            let (mut h, mut dh) = (vec![0.0; n], vec![0.0; n]);
            let bias = vec![b; n];
            let mut uu = u.clone();
            potential_kernels::bias_act(&mut uu, &bias, kind, &mut h, Some(&mut dh));
            for i in 0..n {
                prop_assert_eq!(uu[i], u[i] + b);
                prop_assert!(close(h[i], kind.h(uu[i]), 8.0), "{} bias_act h[{}]", kind, i);
                prop_assert!(close(dh[i], kind.h_prime(uu[i]), 8.0), "{} bias_act h′[{}]", kind, i);
                // h″ from the fused pass's (h, h′), as the contractive gradient forms it.
                let (p, q) = kind.h_second_factors(uu[i], h[i], dh[i]);
                let want = kind.h_second(uu[i]);
                prop_assert!(
                    (p * q - want).abs() <= 1e-5 * (1.0 + want.abs()),
                    "{} h″({}) from the fused pass: {} vs {}",
                    kind,
                    uu[i],
                    p * q,
                    want
                );
            }
            let s = potential_kernels::antiderivative_sum(&u, kind);
            let s_ref: f64 = u.iter().map(|&v| kind.antiderivative(v) as f64).sum();
            let scale: f64 = u.iter().map(|&v| (kind.antiderivative(v) as f64).abs()).sum::<f64>() + 1.0;
            prop_assert!((s - s_ref).abs() <= 1e-6 * scale, "{kind} antiderivative_sum {s} vs {s_ref}");
            Ok(())
        })
        .unwrap();
}

#[test]
fn piecewise_linear_kinds_have_no_curvature() {
    for k in ActivationKind::ALL {
        for i in -40..=40 {
            let u = i as f32 * 0.25 + 0.01;
            if k.is_piecewise_linear() {
                assert_eq!(k.h_second(u), 0.0, "{k}");
                assert_eq!(k.h_second_factors(u, k.h(u), k.h_prime(u)), (0.0, 0.0), "{k}");
            } else {
                // Smooth with curvature somewhere in [−10, 10].
                assert!(k.is_smooth(), "{k}");
            }
        }
        if !k.is_piecewise_linear() {
            assert!((-40..=40).any(|i| k.h_second(i as f32 * 0.25 + 0.01) != 0.0), "{k}: h″ ≡ 0");
        }
    }
}

#[test]
fn names_round_trip_and_unknown_names_fail() {
    let names = ["sigmoid", "tanh", "linear", "square", "relu", "modulus", "synchrony", "softplus"];
    assert_eq!(ActivationKind::ALL.len(), names.len());
    for (k, name) in ActivationKind::ALL.iter().zip(names) {
        assert_eq!(k.to_string(), name);
        assert_eq!(k.name(), name);
        assert_eq!(name.parse::<ActivationKind>().unwrap(), *k);
    }
    for bad in ["", "Sigmoid", " relu", "relu ", "softmax", "max", "Softplus"] {
        let err = bad.parse::<ActivationKind>().unwrap_err();
        assert_eq!(err.name(), bad);
        let msg = err.to_string();
        assert!(msg.contains("unknown activation"), "{msg}");
        assert!(names.iter().all(|n| msg.contains(n)), "the message lists every name: {msg}");
    }
}

#[test]
fn stable_at_extremes() {
    for k in ActivationKind::ALL {
        for u in [-1e4f32, -90.0, 90.0, 1e4] {
            assert!(k.h(u).is_finite() || matches!(k, ActivationKind::Square), "{k} h({u})");
            assert!(k.h_prime(u).is_finite(), "{k} h′({u})");
            assert!(k.h_second(u).is_finite(), "{k} h″({u})");
            assert!(!k.antiderivative(u).is_nan(), "{k} H({u})");
        }
    }
    use ActivationKind::{Sigmoid, Softplus, Synchrony, Tanh};
    // softplus and log cosh must not overflow where exp would.
    assert_eq!(Sigmoid.antiderivative(100.0), 100.0);
    assert!(Sigmoid.antiderivative(-100.0) >= 0.0 && Sigmoid.antiderivative(-100.0) < 1e-40);
    assert!((Tanh.antiderivative(100.0) - (100.0 - std::f32::consts::LN_2)).abs() < 1e-4);
    assert!((Sigmoid.antiderivative(0.0) - std::f32::consts::LN_2).abs() < 1e-7);
    assert!((Synchrony.antiderivative(0.0) - std::f32::consts::LN_2 / 2.0).abs() < 1e-7);
    // Softplus: H(−∞) = 0 with H ≈ eᵘ in the tail, H(0) = π²/12, H(u) ≈ u²/2 + π²/6 for large u.
    let pi2 = std::f64::consts::PI * std::f64::consts::PI;
    assert_eq!(Softplus.antiderivative(0.0), (pi2 / 12.0) as f32);
    assert_eq!(Softplus.antiderivative(100.0), (5000.0 + pi2 / 6.0) as f32);
    assert_eq!(Softplus.antiderivative(-100.0), (-100.0f64).exp() as f32);
    assert_eq!(Softplus.antiderivative(f32::NEG_INFINITY), 0.0);
    assert_eq!(Softplus.antiderivative(f32::INFINITY), f32::INFINITY);
    assert!(Softplus.antiderivative(f32::NAN).is_nan());
    assert_eq!(Softplus.h(100.0), 100.0);
    assert_eq!(Softplus.h_prime(-200.0), 0.0);
}

/// The scalar softplus H is −Li₂(−eᵘ) rounded to `f32`: against mpmath 1.4.1 at 60 digits
/// (`-mp.polylog(2, -mp.exp(mp.mpf(u)))`), within half an ulp plus 1e-6 ulp.
#[allow(clippy::excessive_precision)] // mpmath's 25 digits as printed; the literals round to f64
#[test]
fn softplus_antiderivative_is_the_dilogarithm_correctly_rounded() {
    let mpmath: [(f32, f64); 12] = [
        (-40.0, 4.248354255291588990817106e-18),
        (-20.0, 2.061153621376469265115989e-9),
        (-5.0, 6.726630877522398122871046e-3),
        (-1.0, 3.386479964034521798214137e-1),
        (-0.125, 7.39648537411299757081608e-1),
        (0.0, 8.224670334241132182362076e-1),
        (0.125, 9.130980294369266793908072e-1),
        (1.0, 1.806286070444774256651001),
        (2.5, 4.68947479759976166659035),
        (5.0, 1.413820743597070403834954e+1),
        (20.0, 2.016449340647870728150959e+2),
        (40.0, 8.016449340668482264322241e+2),
    ];
    for (u, want) in mpmath {
        let got = ActivationKind::Softplus.antiderivative(u) as f64;
        let ulp = (want as f32).to_bits();
        let ulp = (f32::from_bits(ulp + 1) - f32::from_bits(ulp)) as f64;
        assert!((got - want).abs() <= (0.5 + 1e-6) * ulp, "H({u}) = {got:e}, mpmath {want:e}");
    }
}

/// `is_smooth` is false exactly where h′ jumps: h′ differs across 0 by more than rounding for
/// relu and modulus, and is continuous there for every smooth kind.
#[test]
fn is_smooth_is_false_exactly_where_h_prime_jumps_at_zero() {
    let eps = 1e-4f32;
    for k in ActivationKind::ALL {
        let jump = (k.h_prime(eps) - k.h_prime(-eps)).abs();
        if k.is_smooth() {
            assert!(jump < 1e-2, "{k}: h′ jumps by {jump} at 0 but is_smooth");
        } else {
            assert!(jump > 0.5, "{k}: h′ is continuous at 0 but not is_smooth");
        }
    }
    assert!(!ActivationKind::Relu.is_smooth() && !ActivationKind::Modulus.is_smooth());
}

/// The documented value of h′ at the kink u = 0 of relu and modulus is 0 (either sign of zero),
/// and h there is +0 (bit for bit: relu(−0) is +0, as |−0| is).
#[test]
fn kinks_take_the_documented_values_at_zero() {
    for k in [ActivationKind::Relu, ActivationKind::Modulus] {
        for u in [0.0f32, -0.0] {
            assert_eq!(k.h_prime(u), 0.0, "{k}: h′({u})");
            assert_eq!(k.h(u).to_bits(), 0.0f32.to_bits(), "{k}: h({u})");
        }
        assert_eq!(k.h_prime(f32::MIN_POSITIVE), 1.0, "{k}");
    }
    assert_eq!(ActivationKind::Relu.h_prime(-f32::MIN_POSITIVE), 0.0);
    assert_eq!(ActivationKind::Modulus.h_prime(-f32::MIN_POSITIVE), -1.0);
}

/// An unknown name is refused with every known name listed once, comma-separated, in `ALL`'s
/// order (kills a mutant of the separator logic that cargo mutants found).
#[test]
fn unknown_activation_error_lists_every_name() {
    let err = "softmax".parse::<ActivationKind>().unwrap_err();
    assert_eq!(err.name(), "softmax");
    assert_eq!(
        err.to_string(),
        "unknown activation `softmax` (expected one of sigmoid, tanh, linear, square, relu, modulus, synchrony, softplus)"
    );
}
