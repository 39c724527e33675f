//! The attribution of `explain`: Gauss–Legendre is exact on polynomials, the contributions sum to
//! E(x) − E(x₀) for every activation × output kind, x₀ itself gets nothing, and an unchanged
//! feature gets exactly 0.

use potential_activations::ActivationKind;
use potential_kernels::MatRef;
use potential_models::explain::{attribute, gauss_legendre};
use potential_models::{Output, TiedAutoencoder};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

#[test]
fn gauss_legendre_integrates_polynomials_of_degree_2n_minus_1_exactly() {
    for n in 1..=12 {
        let (t, w) = gauss_legendre(n);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-13, "n = {n}");
        assert!(t.iter().all(|&x| x > 0.0 && x < 1.0));
        // Ascending, as documented (distinct nodes in order, not merely the right set).
        assert!(t.windows(2).all(|p| p[0] < p[1]), "n = {n}: {t:?}");
        for k in 0..2 * n {
            let q: f64 = t.iter().zip(&w).map(|(&x, &wi)| wi * x.powi(k as i32)).sum();
            assert!((q - 1.0 / (k as f64 + 1.0)).abs() < 1e-12, "n = {n}, degree {k}: {q}");
        }
    }
}

fn model(
    rng: &mut Xoshiro256PlusPlus,
    d: usize,
    h: usize,
    act: ActivationKind,
    out: Output,
) -> TiedAutoencoder {
    let mut u = |s: f32| (rng.random::<f32>() * 2.0 - 1.0) * s;
    let w = (0..h * d).map(|_| u(0.6)).collect();
    let bh = (0..h).map(|_| u(0.3)).collect();
    let bv = (0..d).map(|_| u(0.3)).collect();
    TiedAutoencoder::new(w, bh, bv, act, out).unwrap()
}

/// Every activation × output pair on every run: random seeded models and rows, 16-node quadrature.
#[test]
fn contributions_sum_to_the_energy_difference_for_every_pair() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    for act in ActivationKind::ALL {
        for out in [Output::Real, Output::Binary] {
            for trial in 0..4 {
                let (d, h) = (3 + trial, 2 + 2 * trial);
                let m = model(&mut rng, d, h, act, out);
                let x: Vec<f32> = (0..5 * d).map(|_| rng.random::<f32>()).collect();
                let x0: Vec<f32> = (0..d).map(|_| rng.random::<f32>()).collect();
                let a = attribute(&m, MatRef::from_row_major(&x, 5, d), &x0, 16).unwrap();
                for i in 0..5 {
                    let c = &a.contributions[i * d..(i + 1) * d];
                    let total: f64 = c.iter().sum();
                    let diff = a.energy[i] - a.reference_energy;
                    // f32 field values: rounding of order 1e-6 relative to the contributions.
                    let tol = a.error[i] + 1e-5 * (1.0 + diff.abs() + c.iter().map(|v| v.abs()).sum::<f64>());
                    assert!(
                        (total - diff).abs() <= tol,
                        "{act:?} {out:?} trial {trial} row {i}: {total} vs {diff} (tol {tol})"
                    );
                }
            }
        }
    }
}

#[test]
fn the_reference_gets_nothing_and_unchanged_features_get_exactly_zero() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let m = model(&mut rng, 4, 6, ActivationKind::Tanh, Output::Real);
    let x0 = [0.2f32, -0.1, 0.4, 0.0];
    let a = attribute(&m, MatRef::from_row_major(&x0, 1, 4), &x0, 4).unwrap();
    assert!(a.contributions.iter().all(|&c| c == 0.0));
    let x = [1.0f32, -0.1, 0.4, 2.0]; // features 1 and 2 as in x₀
    let a = attribute(&m, MatRef::from_row_major(&x, 1, 4), &x0, 4).unwrap();
    assert_eq!((a.contributions[1], a.contributions[2]), (0.0, 0.0));
    assert!(a.contributions[0] != 0.0 && a.contributions[3] != 0.0);
    // A reference of the wrong length is a typed error.
    assert!(attribute(&m, MatRef::from_row_major(&x, 1, 4), &[0.0; 3], 4).is_err());
}

/// The linear activation's field is affine in x, so 1 node is already exact (to rounding).
#[test]
fn a_polynomial_field_is_integrated_exactly() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
    let m = model(&mut rng, 5, 3, ActivationKind::Linear, Output::Real);
    let x: Vec<f32> = (0..5).map(|_| rng.random::<f32>() * 3.0).collect();
    let a = attribute(&m, MatRef::from_row_major(&x, 1, 5), &[0.0; 5], 1).unwrap();
    assert!(a.error[0] < 1e-5, "{}", a.error[0]);
    let total: f64 = a.contributions.iter().sum();
    assert!((total - (a.energy[0] - a.reference_energy)).abs() < 1e-4);
}

/// The attribution is the documented rule, row by row: contributions from the 2q-node Gauss–Legendre
/// path integral, the error estimate |Σ(2q nodes) − Σ(q nodes)| — recomputed here from
/// `gauss_legendre` and the vector field for a smooth (sigmoid) model, q = 1 — and each row of a
/// block the same as that row alone.
#[test]
fn a_block_is_attributed_row_by_row_with_the_documented_rules() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let (d, n) = (3, 3);
    let m = model(&mut rng, d, 4, ActivationKind::Sigmoid, Output::Real);
    let x: Vec<f32> = (0..n * d).map(|_| rng.random::<f32>() * 4.0 - 2.0).collect();
    let x0 = [0.1f32, -0.3, 0.2];
    // Σ_q w_q (r − x)(x(t_q)) · (x − x₀) per feature, as the documentation states it.
    let integral = |row: &[f32], q: usize| -> Vec<f64> {
        let (t, w) = gauss_legendre(q);
        let mut out = vec![0.0f64; d];
        for (&tk, &wk) in t.iter().zip(&w) {
            let p: Vec<f32> = row
                .iter()
                .zip(&x0)
                .map(|(&v, &v0)| (v0 as f64 + tk * (v as f64 - v0 as f64)) as f32)
                .collect();
            let f = m.vector_field(&p).unwrap();
            for j in 0..d {
                out[j] += wk * f[j] as f64;
            }
        }
        (0..d).map(|j| out[j] * (row[j] as f64 - x0[j] as f64)).collect()
    };
    let block = attribute(&m, MatRef::from_row_major(&x, n, d), &x0, 1).unwrap();
    for i in 0..n {
        let row = &x[i * d..(i + 1) * d];
        let (fine, coarse) = (integral(row, 2), integral(row, 1));
        let got = &block.contributions[i * d..(i + 1) * d];
        for j in 0..d {
            assert!((got[j] - fine[j]).abs() <= 1e-12 * (1.0 + fine[j].abs()), "row {i} feature {j}");
        }
        let want = (fine.iter().sum::<f64>() - coarse.iter().sum::<f64>()).abs();
        assert!(
            (block.error[i] - want).abs() <= 1e-12 * (1.0 + want),
            "row {i}: {} vs {want}",
            block.error[i]
        );
        // The rules differ on this model, so the estimate is not trivially zero.
        assert!(want > 1e-9, "row {i}: {want}");
        let alone = attribute(&m, MatRef::from_row_major(row, 1, d), &x0, 1).unwrap();
        assert_eq!(alone.contributions, got, "row {i}");
        assert_eq!(alone.error[0], block.error[i], "row {i}");
        assert!((alone.energy[0] - block.energy[i]).abs() <= 1e-12 * (1.0 + alone.energy[0].abs()));
    }
}

/// Relu and modulus with real output: along the straight path the field is piecewise linear in t,
/// with its kinks where some uₖ(x(t)) = 0. The rule cuts [0, 1] exactly there, so even one node
/// per piece integrates it exactly (to f32 rounding), and the 1- and 2-node rules agree. A cut
/// misplaced or missing leaves a piece with a kink inside, which one node cannot integrate.
#[test]
fn piecewise_linear_fields_are_cut_at_their_kinks_and_integrated_exactly() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(13);
    for act in [ActivationKind::Relu, ActivationKind::Modulus] {
        for trial in 0..6 {
            let (d, h) = (3 + trial % 3, 4 + trial);
            let m = model(&mut rng, d, h, act, Output::Real);
            let x: Vec<f32> = (0..4 * d).map(|_| rng.random::<f32>() * 6.0 - 3.0).collect();
            let x0: Vec<f32> = (0..d).map(|_| rng.random::<f32>() * 2.0 - 1.0).collect();
            let a = attribute(&m, MatRef::from_row_major(&x, 4, d), &x0, 1).unwrap();
            for i in 0..4 {
                let total: f64 = a.contributions[i * d..(i + 1) * d].iter().sum();
                let diff = a.energy[i] - a.reference_energy;
                let scale = 1.0 + diff.abs();
                assert!(
                    (total - diff).abs() <= 2e-5 * scale,
                    "{act:?} trial {trial} row {i}: {total} vs {diff}"
                );
                assert!(a.error[i] <= 2e-5 * scale, "{act:?} trial {trial} row {i}: error {}", a.error[i]);
            }
        }
    }
}
