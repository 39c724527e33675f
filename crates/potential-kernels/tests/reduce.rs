//! Reductions (dot, sum, sum_sq, row_norms_sq) on both paths against exactly-rounded-ish f64 sums.
#![allow(clippy::needless_range_loop)]

mod common;

use common::{paths, uniform};
use potential_kernels::{paths as kp, row_norms_sq, MatRef};
use proptest::prelude::*;

/// Σ terms with a compensated (Neumaier) sum: the ground truth to ≈ 1 ulp of f64.
fn exact_sum(terms: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for t in terms {
        let u = s + t;
        c += if s.abs() >= t.abs() { (s - u) + t } else { (t - u) + s };
        s = u;
    }
    s + c
}

/// The documented bound: (n/16 + 4)·2⁻⁵³·Σ|terms| (plus a little slack for the final merge).
fn bound(n: usize, abs_sum: f64) -> f64 {
    (n as f64 / 8.0 + 8.0) * f64::EPSILON * abs_sum
}

fn check_all(a: &[f32], b: &[f32]) {
    let n = a.len();
    let dots: Vec<f64> = a.iter().zip(b).map(|(&x, &y)| x as f64 * y as f64).collect();
    let sq: Vec<f64> = a.iter().map(|&x| x as f64 * x as f64).collect();
    let sums: Vec<f64> = a.iter().map(|&x| x as f64).collect();
    for path in paths() {
        for (name, got, terms) in [
            ("dot", kp::dot(path, a, b), &dots),
            ("sum_sq", kp::sum_sq(path, a), &sq),
            ("sum", kp::sum(path, a), &sums),
        ] {
            let want = exact_sum(terms.iter().copied());
            let tol = bound(n, terms.iter().map(|t| t.abs()).sum());
            assert!((got - want).abs() <= tol, "{name} {path:?} n={n}: {got} vs {want} (tol {tol:e})");
        }
    }
    assert_eq!(potential_kernels::dot(a, b), kp::dot(potential_kernels::simd_path(), a, b));
    assert_eq!(potential_kernels::sum(a), kp::sum(potential_kernels::simd_path(), a));
    assert_eq!(potential_kernels::sum_sq(a), kp::sum_sq(potential_kernels::simd_path(), a));
}

#[test]
fn reductions_on_lengths_around_the_block() {
    for (i, n) in [0usize, 1, 7, 8, 15, 16, 17, 31, 33, 500, 784, 100_003].into_iter().enumerate() {
        let a = uniform(n, -10.0, 10.0, i as u64 + 1);
        let b = uniform(n, -1.0, 1.0, i as u64 + 50);
        check_all(&a, &b);
    }
}

#[test]
fn cancellation_and_wide_magnitudes() {
    // Large terms that cancel: the f64 accumulation keeps the small ones.
    let mut a = vec![1e7f32, 1.0, -1e7, 1.0];
    a.extend(uniform(61, -1e-3, 1e-3, 9));
    let b = vec![1.0f32; a.len()];
    check_all(&a, &b);
    for path in paths() {
        assert!(kp::sum(path, &[1.0, f32::NAN, 2.0]).is_nan());
        assert_eq!(kp::sum_sq(path, &[f32::INFINITY; 20]), f64::INFINITY);
        // f32::MAX² does not overflow in f64.
        assert_eq!(kp::sum_sq(path, &[f32::MAX]), (f32::MAX as f64).powi(2));
    }
}

#[test]
fn row_norms_of_contiguous_and_strided_views() {
    let (r, c) = (9, 13);
    let data = uniform(r * c, -2.0, 2.0, 77);
    let m = MatRef::from_row_major(&data, r, c);
    let mut out = vec![0.0; r];
    row_norms_sq(m, &mut out);
    let mut out_t = vec![0.0; c];
    row_norms_sq(m.t(), &mut out_t);
    for i in 0..r {
        let want = exact_sum((0..c).map(|j| (m.get(i, j) as f64).powi(2)));
        assert!((out[i] - want).abs() <= 1e-14 * want, "row {i}");
    }
    for j in 0..c {
        let want = exact_sum((0..r).map(|i| (m.get(i, j) as f64).powi(2)));
        assert!((out_t[j] - want).abs() <= 1e-14 * want, "column {j}");
    }
    // A submatrix view (row stride > cols).
    let sub = m.submatrix(2, 3, 4, 5);
    let mut out_s = vec![0.0; 4];
    row_norms_sq(sub, &mut out_s);
    for i in 0..4 {
        let want = exact_sum((0..5).map(|j| (m.get(i + 2, j + 3) as f64).powi(2)));
        assert!((out_s[i] - want).abs() <= 1e-14 * want);
    }
}

#[test]
#[should_panic(expected = "row_norms_sq: 3 rows but out has 2")]
fn row_norms_panics_on_wrong_output_length() {
    row_norms_sq(MatRef::from_row_major(&[0.0; 6], 3, 2), &mut [0.0; 2]);
}

#[test]
#[should_panic(expected = "dot: 2 vs 3 elements")]
fn dot_panics_on_length_mismatch() {
    potential_kernels::dot(&[0.0; 2], &[0.0; 3]);
}

proptest! {
    // Seeded: every run draws the same cases (change the seed to explore others).
    #![proptest_config(ProptestConfig { cases: 128, rng_seed: proptest::test_runner::RngSeed::Fixed(6), ..ProptestConfig::default() })]

    #[test]
    fn reductions_match_compensated_sums(v in prop::collection::vec((-1e6f32..1e6, -1e3f32..1e3), 0..100)) {
        let (a, b): (Vec<f32>, Vec<f32>) = v.into_iter().unzip();
        check_all(&a, &b);
    }
}

#[test]
fn all_finite_finds_any_nan_or_infinity_anywhere() {
    use potential_kernels::all_finite;
    assert!(all_finite(&[]));
    let extremes = [0.0f32, -0.0, f32::MAX, f32::MIN, f32::MIN_POSITIVE, 1e-45, -1e-45];
    assert!(all_finite(&extremes));
    for n in [1usize, 7, 16, 4095, 4096, 4097, 10_000] {
        let base: Vec<f32> = (0..n).map(|i| (i as f32 - 50.0) * 1e30).collect();
        assert!(all_finite(&base), "{n}");
        for at in [0, n / 2, n - 1] {
            for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -f32::NAN] {
                let mut v = base.clone();
                v[at] = bad;
                assert!(!all_finite(&v), "{n} elements, {bad} at {at}");
            }
        }
    }
}
