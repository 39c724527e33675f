//! k-means, untied and PCA autoencoders (Sec. 2.3.8, 3.1, 3.2).
#![allow(clippy::needless_range_loop)] // index loops mirror the formulas

mod common;

use common::{case, runner, ALL_KINDS, REAL};
use potential_activations::ActivationKind;
use potential_kernels::MatRef;
use potential_models::{Error, KMeansAutoencoder, Output, TiedAutoencoder, UntiedAutoencoder};
use proptest::prelude::*;

/// Trace of the Hessian of `e` at `x` by second central differences, in f64 around f32 points.
fn fd_laplacian(e: impl Fn(&[f32]) -> f64, x: &[f32], delta: f32) -> f64 {
    let e0 = e(x);
    let mut acc = 0.0;
    for j in 0..x.len() {
        let (mut xp, mut xm) = (x.to_vec(), x.to_vec());
        xp[j] += delta;
        xm[j] -= delta;
        let (hp, hm) = ((xp[j] - x[j]) as f64, (x[j] - xm[j]) as f64);
        // non-uniform second difference (the f32 steps may differ by an ulp)
        acc += 2.0 * ((e(&xp) - e0) / hp - (e0 - e(&xm)) / hm) / (hp + hm);
    }
    acc
}

#[test]
fn kmeans_energy_is_nearest_centre_and_laplacian_is_minus_d() {
    let strat = (1usize..=33, 1usize..=12).prop_flat_map(|(d, k)| {
        (
            Just(d),
            Just(k),
            proptest::collection::vec(-1.0f32..1.0, k * d),
            proptest::collection::vec(-2.0f32..2.0, 5 * d),
        )
    });
    runner("kmeans", 128)
        .run(&strat, |(d, k, raw, xs)| {
            let m = match KMeansAutoencoder::new(raw, k, d) {
                Ok(m) => m,
                Err(Error::ZeroFilter { .. }) => return Ok(()),
                Err(e) => panic!("{e}"),
            };
            for c in m.filters().chunks_exact(d) {
                let n: f64 = c.iter().map(|&v| v as f64 * v as f64).sum();
                prop_assert!((n - 1.0).abs() < 1e-5);
            }
            let e = m.energy_batch(MatRef::from_row_major(&xs, 5, d)).unwrap();
            for i in 0..5 {
                let x = &xs[i * d..(i + 1) * d];
                // brute force: −½ minₖ ‖x − wₖ‖²
                let mut dists: Vec<f64> = m
                    .filters()
                    .chunks_exact(d)
                    .map(|c| c.iter().zip(x).map(|(&a, &b)| (a as f64 - b as f64).powi(2)).sum())
                    .collect();
                dists.sort_by(f64::total_cmp);
                let want = -0.5 * dists[0];
                prop_assert!((e[i] - want).abs() <= 1e-5 * (1.0 + want.abs()), "E {} vs {want}", e[i]);
                // ΔE = −D: by the method, and by finite differences away from cell boundaries.
                prop_assert_eq!(m.laplacian(x).unwrap(), -(d as f64));
                let gap = if dists.len() > 1 { dists[1] - dists[0] } else { f64::INFINITY };
                if gap > 0.1 {
                    let fd = fd_laplacian(|y| m.energy(y).unwrap(), x, 1e-2);
                    prop_assert!((fd + d as f64).abs() <= 2e-2 * d as f64, "FD ΔE {fd} vs −{d}");
                    // and the field is the gradient: r(x) − x = w_s − x
                    let v = m.vector_field(x).unwrap();
                    let r = m.reconstruct(x).unwrap();
                    for j in 0..d {
                        prop_assert!((v[j] - (r[j] - x[j])).abs() < 1e-6);
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    assert!(matches!(
        KMeansAutoencoder::new(vec![0.0, 0.0, 1.0, 0.0], 2, 2),
        Err(Error::ZeroFilter { row: 0 })
    ));
    assert!(matches!(
        KMeansAutoencoder::new(vec![1.0, f32::NAN], 1, 2),
        Err(Error::NonFinite { row: 0, col: 1, .. })
    ));
}

#[test]
fn untied_integrability_is_zero_for_tied_weights_and_positive_otherwise() {
    runner("untied", 96)
        .run(&(case(ALL_KINDS, REAL, 0.1), any::<u64>()), |(c, seed)| {
            let (m, x) = (&c.model, &c.x);
            let u = UntiedAutoencoder::from_tied(m).unwrap();
            // Same function as the tied model.
            let (r1, r2) = (m.reconstruct(x).unwrap(), u.reconstruct(x).unwrap());
            for (a, b) in r1.iter().zip(&r2) {
                prop_assert!((a - b).abs() <= 1e-5 * (1.0 + a.abs()));
            }
            let (j1, j2) = (m.jacobian(x).unwrap(), u.jacobian(x).unwrap());
            for (a, b) in j1.iter().zip(&j2) {
                prop_assert!((a - b).abs() <= 1e-5 * (1.0 + a.abs()));
            }
            prop_assert!(u.integrability(x).unwrap() <= 1e-5);
            // Perturb the decoder: J = W_d diag(h′) W_e − I becomes asymmetric (unless h′ vanishes).
            let (h, d) = (m.hidden(), m.visible());
            prop_assume!(d >= 2);
            let mut dec = u.decoder().to_vec();
            let mut s = seed | 1;
            for v in dec.iter_mut() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                *v += ((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.5;
            }
            let w = UntiedAutoencoder::new(
                m.weight().to_vec(),
                dec.clone(),
                m.hidden_bias().to_vec(),
                m.visible_bias().to_vec(),
                m.activation(),
            )
            .unwrap();
            // Independent f64 computation of ‖J − Jᵀ‖_F / ‖J‖_F.
            let un = common::net_input(m, x);
            let g: Vec<f64> = un.iter().map(|&v| m.activation().h_prime(v as f32) as f64).collect();
            let mut jj = vec![0.0f64; d * d];
            for a in 0..d {
                for b in 0..d {
                    jj[a * d + b] = (0..h)
                        .map(|k| dec[a * h + k] as f64 * g[k] * m.weight()[k * d + b] as f64)
                        .sum::<f64>()
                        - if a == b { 1.0 } else { 0.0 };
                }
            }
            let (mut asym, mut norm) = (0.0, 0.0);
            for a in 0..d {
                for b in 0..d {
                    norm += jj[a * d + b].powi(2);
                    asym += (jj[a * d + b] - jj[b * d + a]).powi(2);
                }
            }
            let want = (asym / norm).sqrt();
            let got = w.integrability(x).unwrap();
            prop_assert!((got - want).abs() <= 1e-4 * (1.0 + want), "integrability {got} vs {want}");
            Ok(())
        })
        .unwrap();
    let b = TiedAutoencoder::zeros(2, 3, ActivationKind::Sigmoid, Output::Binary).unwrap();
    assert!(matches!(UntiedAutoencoder::from_tied(&b), Err(Error::InvalidParameter { .. })));
}

#[test]
#[cfg(feature = "pca")]
fn pca_autoencoder_has_laplacian_d_minus_big_d_and_projects() {
    let strat = (1usize..=12).prop_flat_map(|dim| {
        (0..=dim).prop_flat_map(move |d| {
            (
                Just(dim),
                Just(d),
                proptest::collection::vec(-1.0f32..1.0, 40 * dim),
                proptest::collection::vec(-2.0f32..2.0, dim),
            )
        })
    });
    runner("pca", 64)
        .run(&strat, |(dim, d, mut data, x)| {
            // Anisotropic data: scale column j by (j + 1) so the spectrum is spread out.
            for (i, v) in data.iter_mut().enumerate() {
                *v *= (i % dim + 1) as f32;
            }
            let m = TiedAutoencoder::pca(MatRef::from_row_major(&data, 40, dim), d).unwrap();
            prop_assert_eq!((m.hidden(), m.visible()), (d, dim));
            let want = d as f64 - dim as f64;
            prop_assert!((m.laplacian(&x).unwrap() - want).abs() <= 1e-4 * dim as f64);
            let fd = fd_laplacian(|y| m.energy(y).unwrap(), &x, 5e-2);
            prop_assert!((fd - want).abs() <= 1e-2 * dim as f64, "FD ΔE {fd} vs {want}");
            // W Wᵀ = I
            for a in 0..d {
                for b in 0..d {
                    let dot: f64 = (0..dim)
                        .map(|j| m.weight()[a * dim + j] as f64 * m.weight()[b * dim + j] as f64)
                        .sum();
                    let id = if a == b { 1.0 } else { 0.0 };
                    prop_assert!((dot - id).abs() < 1e-5);
                }
            }
            // Reconstruction is idempotent (a projection): r(r(x)) = r(x).
            let r = m.reconstruct(&x).unwrap();
            let rr = m.reconstruct(&r).unwrap();
            for (a, b) in r.iter().zip(&rr) {
                prop_assert!((a - b).abs() <= 1e-4 * (1.0 + a.abs()));
            }
            Ok(())
        })
        .unwrap();
}

#[test]
#[cfg(feature = "pca")]
fn pca_recovers_the_principal_axis() {
    // Points on the line t·(3, 4)/5 plus a small orthogonal wobble: the first direction is ±(0.6, 0.8)
    // and the mean goes to b_r.
    let mut data = Vec::new();
    for i in 0..50 {
        let t = (i as f32 - 24.5) / 10.0; // mean 0
        let wob = if i % 2 == 0 { 0.01 } else { -0.01 };
        data.extend([1.0 + 0.6 * t - 0.8 * wob, -2.0 + 0.8 * t + 0.6 * wob]);
    }
    let m = TiedAutoencoder::pca(MatRef::from_row_major(&data, 50, 2), 1).unwrap();
    let w = m.weight();
    assert!((w[0].abs() - 0.6).abs() < 1e-3 && (w[1].abs() - 0.8).abs() < 1e-3, "{w:?}");
    assert!(w[0] * w[1] > 0.0);
    assert!((m.visible_bias()[0] - 1.0).abs() < 1e-4 && (m.visible_bias()[1] + 2.0).abs() < 1e-4);
    // A point on the line has energy 0 (it is reconstructed exactly), off the line −½dist².
    assert!(m.energy(&[1.0 + 0.6, -2.0 + 0.8]).unwrap().abs() < 1e-6);
    let e = m.energy(&[1.0 - 0.8, -2.0 + 0.6]).unwrap();
    assert!((e + 0.5).abs() < 1e-3, "{e}");
    assert!(matches!(
        TiedAutoencoder::pca(MatRef::from_row_major(&data, 50, 2), 3),
        Err(Error::InvalidParameter { .. })
    ));
    data[7] = f32::INFINITY;
    assert!(matches!(
        TiedAutoencoder::pca(MatRef::from_row_major(&data, 50, 2), 1),
        Err(Error::NonFinite { row: 3, col: 1, .. })
    ));
}

#[test]
fn kmeans_sizes_ties_and_reconstruction_are_as_documented() {
    // Three filters in 2-D (normalised on construction); the second and third are the same.
    let m = KMeansAutoencoder::new(vec![2.0, 0.0, 0.0, 3.0, 0.0, 1.0], 3, 2).unwrap();
    assert_eq!((m.clusters(), m.visible()), (3, 2));
    assert_eq!(m.filters(), &[1.0, 0.0, 0.0, 1.0, 0.0, 1.0]);
    // ⟨w₁, x⟩ = ⟨w₂, x⟩ > ⟨w₀, x⟩ for the first row: the tie goes to the lowest k.
    let xs = [0.1f32, 2.0, 3.0, 0.5];
    assert_eq!(m.assign_batch(MatRef::from_row_major(&xs, 2, 2)).unwrap(), vec![1, 0]);
    // r(x) = w_{s(x)}, for a cluster other than the first too.
    assert_eq!(m.reconstruct(&[0.1, 2.0]).unwrap(), vec![0.0, 1.0]);
    assert_eq!(m.reconstruct(&[3.0, 0.5]).unwrap(), vec![1.0, 0.0]);
}

#[test]
fn untied_sizes_weights_and_reconstruction_are_as_given() {
    // H = 2, D = 3, linear: r(x) = W_d (W_e x + b_h) + b_r, worked by hand (exact in f32).
    let we = vec![1.0, 0.0, 2.0, 0.0, -1.0, 1.0]; // 2×3
    let wd = vec![1.0, 0.5, 0.0, 1.0, -1.0, 0.0]; // 3×2
    let m = UntiedAutoencoder::new(
        we.clone(),
        wd.clone(),
        vec![0.5, -0.5],
        vec![0.0, 1.0, 2.0],
        ActivationKind::Linear,
    )
    .unwrap();
    assert_eq!((m.hidden(), m.visible(), m.encoder(), m.decoder()), (2, 3, &we[..], &wd[..]));
    let x = [1.0, 2.0, 3.0, 0.0, 0.0, 0.0];
    // Row 0: u = (7.5, 0.5), r = (7.75, 1.5, −5.5); row 1: u = (0.5, −0.5), r = (0.25, 0.5, 1.5).
    let r = m.reconstruct_batch(MatRef::from_row_major(&x, 2, 3)).unwrap();
    assert_eq!(r, vec![7.75, 1.5, -5.5, 0.25, 0.5, 1.5]);
    // One sample, and its field r(x) − x.
    assert_eq!(m.reconstruct(&x[..3]).unwrap(), vec![7.75, 1.5, -5.5]);
    assert_eq!(m.vector_field(&x[..3]).unwrap(), vec![6.75, -0.5, -8.5]);
    // No hidden units: r(x) = b_r.
    let z =
        UntiedAutoencoder::new(vec![], vec![], vec![], vec![0.0, 1.0, 2.0], ActivationKind::Sigmoid).unwrap();
    assert_eq!((z.hidden(), z.visible()), (0, 3));
    let r = z.reconstruct_batch(MatRef::from_row_major(&x, 2, 3)).unwrap();
    assert_eq!(r, vec![0.0, 1.0, 2.0, 0.0, 1.0, 2.0]);
}
