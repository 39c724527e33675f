//! Elementwise kernels against the `f64` reference, on both dispatch paths.

mod common;

use common::{bit_sweep, check, paths, specials, uniform};
use potential_kernels::{paths as kp, reference, simd_path, SimdPath, UnaryOp};
use proptest::prelude::*;

/// Exact value of `op` at `u` (in `f64`) and the documented bound `(ulps, abs)`.
fn exact(op: UnaryOp, u: f32) -> (f64, f64, f64) {
    let x = u as f64;
    match op {
        UnaryOp::Exp => (x.exp(), 3.0, 0.0),
        UnaryOp::Sigmoid => (reference::sigmoid_f64(x), 3.0, 0.0),
        UnaryOp::Tanh => (x.tanh(), 3.0, 0.0),
        UnaryOp::Softplus => (reference::softplus_f64(x), 3.0, 0.0),
        UnaryOp::LogCosh => {
            let v = reference::log_cosh_f64(x);
            (v, 0.0, 1e-6 * v.abs().max(1.0))
        }
        UnaryOp::Logit => (reference::logit_f64(x), 4.0, 2.5e-7),
        UnaryOp::Square => (x * x, 0.5, 0.0),
        UnaryOp::Cube => (x * x * x, 1.5, 0.0),
        UnaryOp::Relu => (if x > 0.0 || x.is_nan() { x } else { 0.0 }, 0.0, 0.0),
        UnaryOp::Abs => (x.abs(), 0.0, 0.0),
    }
}

/// Run `op` over `xs` on `path` (through `map`, and through `map_inplace`, which must agree
/// bit for bit) and check every element; returns the worst error in units of the bound.
fn check_all(path: SimdPath, op: UnaryOp, xs: &[f32]) -> Result<f64, String> {
    let mut out = vec![0.0f32; xs.len()];
    kp::map(path, op, xs, &mut out);
    let mut inplace = xs.to_vec();
    kp::map_inplace(path, op, &mut inplace);
    let mut worst = 0.0f64;
    for (i, (&u, &y)) in xs.iter().zip(&out).enumerate() {
        if y.to_bits() != inplace[i].to_bits() && !(y.is_nan() && inplace[i].is_nan()) {
            return Err(format!("{op:?} {path:?} u={u:e}: map {y:e} but map_inplace {:e}", inplace[i]));
        }
        let (want, ulps, abs) = exact(op, u);
        worst = worst.max(check(y, want, ulps, abs).map_err(|e| format!("{op:?} {path:?} u={u:e}: {e}"))?);
    }
    Ok(worst)
}

#[test]
fn every_op_within_its_bound_over_the_whole_f32_range() {
    let mut xs = bit_sweep(1 << 18);
    xs.extend(uniform(1 << 16, -110.0, 110.0, 1));
    xs.extend(uniform(1 << 15, -2.0, 2.0, 2));
    for path in paths() {
        for op in UnaryOp::ALL {
            let worst = check_all(path, op, &xs).unwrap_or_else(|e| panic!("{e}"));
            eprintln!("{path:?} {op:?}: worst error {worst:.3} of the bound");
        }
    }
}

#[test]
fn logit_inside_the_unit_interval() {
    let mut xs = uniform(1 << 16, 0.0, 1.0, 3);
    xs.extend(uniform(1 << 12, 0.49, 0.51, 4));
    xs.extend([0.0, 1.0, 0.5, 1e-45, 1e-30, 0.999_999_94, -1e-30, 1.000_000_1]);
    for path in paths() {
        check_all(path, UnaryOp::Logit, &xs).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn special_values_are_exact() {
    for path in paths() {
        let run = |op: UnaryOp, u: f32| {
            let mut o = [0.0f32];
            kp::map(path, op, &[u], &mut o);
            o[0]
        };
        let inf = f32::INFINITY;
        assert_eq!(run(UnaryOp::Exp, inf), inf);
        assert_eq!(run(UnaryOp::Exp, -inf), 0.0);
        assert_eq!(run(UnaryOp::Exp, 0.0), 1.0);
        assert_eq!(run(UnaryOp::Exp, 89.0), inf);
        assert_eq!(run(UnaryOp::Exp, -104.0), 0.0);
        assert!(run(UnaryOp::Exp, -100.0) > 0.0, "exp(-100) is a positive subnormal");
        assert_eq!(run(UnaryOp::Sigmoid, inf), 1.0);
        assert_eq!(run(UnaryOp::Sigmoid, -inf), 0.0);
        assert_eq!(run(UnaryOp::Sigmoid, 0.0), 0.5);
        assert_eq!(run(UnaryOp::Tanh, inf), 1.0);
        assert_eq!(run(UnaryOp::Tanh, -inf), -1.0);
        assert_eq!(run(UnaryOp::Tanh, 1e30), 1.0);
        assert_eq!(run(UnaryOp::Tanh, -0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(run(UnaryOp::Softplus, inf), inf);
        assert_eq!(run(UnaryOp::Softplus, -inf), 0.0);
        assert_eq!(run(UnaryOp::Softplus, 1e30), 1e30);
        assert_eq!(run(UnaryOp::LogCosh, inf), inf);
        assert_eq!(run(UnaryOp::LogCosh, -inf), inf);
        assert_eq!(run(UnaryOp::LogCosh, 0.0), 0.0);
        assert_eq!(run(UnaryOp::LogCosh, -1e30), 1e30);
        assert_eq!(run(UnaryOp::Logit, 0.0), -inf);
        assert_eq!(run(UnaryOp::Logit, 1.0), inf);
        assert!(run(UnaryOp::Logit, -0.5).is_nan());
        assert!(run(UnaryOp::Logit, 1.5).is_nan());
        assert_eq!(run(UnaryOp::Relu, -0.0).to_bits(), 0.0f32.to_bits());
        assert_eq!(run(UnaryOp::Relu, -inf), 0.0);
        assert_eq!(run(UnaryOp::Square, 1e30), inf);
        for op in UnaryOp::ALL {
            assert!(run(op, f32::NAN).is_nan(), "{op:?}({path:?}) must propagate NaN");
            assert!(op.scalar(f32::NAN).is_nan(), "{op:?}::scalar must propagate NaN");
        }
    }
}

#[test]
fn scalar_reference_is_close_to_the_exact_function() {
    // The scalar baseline (used by benchmarks and by activations' scalar paths) is itself within
    // a few ulp where its formula is stable.
    for u in uniform(4096, -30.0, 30.0, 5) {
        for op in [UnaryOp::Sigmoid, UnaryOp::Softplus, UnaryOp::Tanh, UnaryOp::Exp] {
            let (want, ..) = exact(op, u);
            check(op.scalar(u), want, 4.0, 0.0).unwrap_or_else(|e| panic!("{op:?}::scalar u={u}: {e}"));
        }
    }
}

#[test]
fn dispatch_follows_the_environment() {
    let forced =
        std::env::var("POTENTIAL_FORCE_PORTABLE").map(|v| !v.is_empty() && v != "0").unwrap_or(false);
    let want =
        if !forced && SimdPath::Avx2Fma.is_supported() { SimdPath::Avx2Fma } else { SimdPath::Portable };
    assert_eq!(simd_path(), want);
    eprintln!("simd_path() = {:?}", simd_path());
    // The default entry points use that path: results are bit-identical to the explicit call.
    let xs = uniform(1000, -20.0, 20.0, 6);
    for op in UnaryOp::ALL {
        let (mut a, mut b) = (vec![0.0; xs.len()], vec![0.0; xs.len()]);
        potential_kernels::map(op, &xs, &mut a);
        kp::map(want, op, &xs, &mut b);
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()), "{op:?}");
    }
}

#[test]
#[should_panic(expected = "map: src has 3 elements, dst 2")]
fn map_panics_on_length_mismatch() {
    potential_kernels::map(UnaryOp::Exp, &[1.0, 2.0, 3.0], &mut [0.0; 2]);
}

fn any_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        prop::num::f32::ANY,
        -120.0f32..120.0,
        -3.0f32..3.0,
        prop::sample::select(specials()),
        (-1e30f32..1e30),
    ]
}

proptest! {
    // Under Miri (`.ci/run`: undefined-behaviour check of the SIMD maps) 6 cases keep it to minutes.
    // Seeded: every run draws the same cases (change the seed to explore others).
    #![proptest_config(ProptestConfig { cases: if cfg!(miri) { 6 } else { 128 }, rng_seed: proptest::test_runner::RngSeed::Fixed(7), ..ProptestConfig::default() })]

    /// Random rows of every length around the eight-lane block (tails included) on both paths.
    #[test]
    fn map_matches_reference(xs in prop::collection::vec(any_f32(), 0..40)) {
        for path in paths() {
            for op in UnaryOp::ALL {
                if let Err(e) = check_all(path, op, &xs) {
                    prop_assert!(false, "{}", e);
                }
            }
        }
    }
}
