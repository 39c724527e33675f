//! bf16 products: the rounding against its definition, the packing, and `Bf16Gemm::xwt` against the
//! scalar reference within the stated bound, on shapes around the 6×64 micro-tile, the 80-pair
//! passes and an odd inner dimension.
#![allow(clippy::needless_range_loop)]

use potential_kernels::{
    bf16_bits, reference, round_bf16, Bf16Gemm, Bf16Kernel, Bf16Weights, MatMut, MatRef,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Every bf16 kernel this process can run (both are tested in one process), printing a skip for
/// the others.
fn kernels() -> Vec<Bf16Gemm> {
    Bf16Kernel::ALL
        .into_iter()
        .filter_map(|k| {
            let g = Bf16Gemm::with_kernel(k);
            if g.is_none() {
                eprintln!("skipped: bf16 kernel {k:?} (not supported by this CPU/OS, or POTENTIAL_FORCE_PORTABLE set)");
            }
            g
        })
        .collect()
}

fn fill(n: usize, seed: u64, lo: f32, hi: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            let u = (s.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40) as f32 / (1u64 << 24) as f32;
            lo + (hi - lo) * u
        })
        .collect()
}

/// The bound of the module docs: |u − Σ x̂ŵ| ≤ γ_k·Σ|x̂||ŵ| (+ k·2⁻¹²⁶ for flushed subnormals).
fn bound(k: usize, scale: f64) -> f64 {
    let ku = k as f64 * 2f64.powi(-24);
    ku / (1.0 - ku) * scale + k as f64 * 2f64.powi(-126)
}

/// `round_bf16` is the nearest bf16 with ties to even: checked against the two bf16 neighbours of
/// x (truncation and the next pattern up) on every 2¹⁶th bit pattern plus the halfway points.
#[test]
fn rounding_is_nearest_ties_to_even() {
    let check = |x: f32| {
        let r = round_bf16(x);
        if x.is_nan() {
            assert!(r.is_nan());
            return;
        }
        let down = f32::from_bits(x.to_bits() & 0xffff_0000);
        let up = f32::from_bits((x.to_bits() & 0xffff_0000) + 0x1_0000);
        // Past the largest finite bf16 the next pattern is ∞, which stands for 2¹²⁸ in IEEE rounding.
        let up_val = if up.is_infinite() { up.signum() as f64 * 2f64.powi(128) } else { up as f64 };
        let (dd, du) = ((x as f64 - down as f64).abs(), (up_val - x as f64).abs());
        let want = if x.to_bits() & 0xffff == 0 {
            x
        } else if dd < du {
            down
        } else if du < dd {
            up
        } else if (down.to_bits() >> 16) & 1 == 0 {
            down
        } else {
            up
        };
        assert_eq!(r.to_bits(), want.to_bits(), "round_bf16({x:e}) = {r:e}, want {want:e}");
        assert_eq!(bf16_bits(x) as u32, r.to_bits() >> 16);
    };
    // Under Miri every 97th high half only (the loop is the whole bf16 range otherwise).
    let step = if cfg!(miri) { 97 } else { 1 };
    for hi in (0..=u16::MAX).step_by(step) {
        for lo in [0u32, 1, 0x7fff, 0x8000, 0x8001, 0xffff, 0x1234] {
            check(f32::from_bits(((hi as u32) << 16) | lo));
        }
    }
    assert_eq!(round_bf16(f32::MAX), f32::INFINITY);
    assert_eq!(round_bf16(1.0 + 2f32.powi(-8)), 1.0); // tie, 1.0 is even
    assert_eq!(round_bf16(1.0 + 3.0 * 2f32.powi(-8)), 1.0 + 2f32.powi(-6)); // tie, rounds up to even
}

/// The packed weights hold round_bf16 of every entry (any strides), zero padding aside. Runs under
/// Miri (no SIMD).
#[test]
fn packing_holds_the_rounded_weights() {
    for (n, k) in [(1, 1), (3, 5), (64, 2), (65, 7), (130, 161)] {
        let w = fill(n * k, (n * 31 + k) as u64, -3.0, 3.0);
        let rm = MatRef::from_row_major(&w, n, k);
        let p = Bf16Weights::from_rows(rm);
        assert_eq!((p.rows(), p.cols()), (n, k));
        // The same matrix stored column-major (a transposed view) packs to the same thing.
        let mut wt = vec![0.0f32; n * k];
        for j in 0..n {
            for c in 0..k {
                wt[c * n + j] = w[j * k + c];
            }
        }
        let q = Bf16Weights::from_rows(MatRef::from_row_major(&wt, k, n).t());
        assert_eq!(p, q, "{n}x{k}");
        for j in 0..n {
            for c in 0..k {
                assert_eq!(
                    p.get(j, c).to_bits(),
                    round_bf16(w[j * k + c]).to_bits(),
                    "({j}, {c}) of {n}x{k}"
                );
            }
        }
    }
}

/// One product against the reference; every output element within the bound.
fn check_product(g: Bf16Gemm, m: usize, n: usize, k: usize, seed: u64, x_trans: bool) {
    let x = fill(m * k, seed, -2.0, 2.0);
    let w = fill(n * k, seed + 1, -0.5, 0.5);
    let wv = MatRef::from_row_major(&w, n, k);
    let xt: Vec<f32> = (0..m * k).map(|t| x[(t % m) * k + t / m]).collect();
    let xv = if x_trans { MatRef::from_row_major(&xt, k, m).t() } else { MatRef::from_row_major(&x, m, k) };
    let packed = Bf16Weights::from_rows(wv);
    let mut out = vec![f32::NAN; m * n]; // β = 0: never read
    g.xwt(xv, &packed, MatMut::from_row_major(&mut out, m, n));
    let (want, scale) = reference::xwt_bf16(xv, wv);
    for t in 0..m * n {
        let err = (out[t] as f64 - want[t]).abs();
        assert!(
            err <= bound(k, scale[t]),
            "{:?} {m}x{n}x{k} (x transposed {x_trans}) element {t}: {} vs {} (err {err:e}, bound {:e})",
            g.kernel(),
            out[t],
            want[t],
            bound(k, scale[t])
        );
    }
}

#[test]
fn xwt_matches_the_reference_around_the_tiles() {
    for g in kernels() {
        for &m in &[1usize, 5, 6, 7, 13, 31, 32, 33, 97, 300] {
            for &n in &[1usize, 15, 16, 31, 32, 33, 63, 64, 65, 130] {
                for &k in &[1usize, 2, 3, 31, 32, 33, 160, 161, 163, 784] {
                    check_product(g, m, n, k, (m * 1000 + n * 10 + k) as u64, false);
                }
            }
        }
        check_product(g, 20, 70, 99, 7, true);
    }
}

/// The hardware conversion of X equals `round_bf16` on normal values, in the vector body (the
/// first 32·⌊k/32⌋ columns) and the scalar tail: with W = I, out = x̂ exactly.
#[test]
fn conversion_of_x_equals_round_bf16() {
    for g in kernels() {
        conversion_check(g);
    }
}

fn conversion_check(g: Bf16Gemm) {
    let k = 77;
    let mut x = fill(3 * k, 5, -100.0, 100.0);
    // Exact halfway cases (ties) and values at the top of the range.
    x[0] = 1.0 + 2f32.powi(-8);
    x[1] = 1.0 + 3.0 * 2f32.powi(-8);
    x[40] = -(1.0 + 2f32.powi(-8));
    x[76] = 1.0 + 3.0 * 2f32.powi(-8);
    x[78] = 3.0e38;
    let eye: Vec<f32> = (0..k * k).map(|t| if t / k == t % k { 1.0 } else { 0.0 }).collect();
    let mut out = vec![0.0f32; 3 * k];
    g.xwt(
        MatRef::from_row_major(&x, 3, k),
        &Bf16Weights::from_rows(MatRef::from_row_major(&eye, k, k)),
        MatMut::from_row_major(&mut out, 3, k),
    );
    for t in 0..3 * k {
        assert_eq!(out[t].to_bits(), round_bf16(x[t]).to_bits(), "element {t}: x = {:e}", x[t]);
    }
}

#[test]
fn empty_and_degenerate_shapes() {
    for g in kernels() {
        let w = Bf16Weights::from_rows(MatRef::from_row_major(&[], 4, 0));
        let mut out = vec![f32::NAN; 8];
        g.xwt(MatRef::from_row_major(&[], 2, 0), &w, MatMut::from_row_major(&mut out, 2, 4));
        assert_eq!(out, vec![0.0; 8]);
        let w = Bf16Weights::from_rows(MatRef::from_row_major(&[], 0, 3));
        g.xwt(MatRef::from_row_major(&[1.0; 6], 2, 3), &w, MatMut::from_row_major(&mut [], 2, 0));
    }
}

#[test]
#[should_panic(expected = "X has 3 columns, W has 2")]
fn inner_dimension_mismatch_panics() {
    let Some(g) = Bf16Gemm::new() else { panic!("X has 3 columns, W has 2 (skipped: no bf16 kernel)") };
    let w = Bf16Weights::from_rows(MatRef::from_row_major(&[1.0; 4], 2, 2));
    g.xwt(MatRef::from_row_major(&[1.0; 3], 1, 3), &w, MatMut::from_row_major(&mut [0.0; 2], 1, 2));
}

/// Seeded property: random shapes up to 2 tiles × 2 panels × 3 passes.
#[test]
fn xwt_property_random_shapes() {
    for g in kernels() {
        let config = Config { cases: 48, ..Config::default() };
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[19; 32]);
        let mut runner = TestRunner::new_with_rng(config, rng);
        runner
            .run(
                &(1usize..=70, 1usize..=140, 1usize..=500, any::<u64>(), any::<bool>()),
                |(m, n, k, seed, t)| {
                    check_product(g, m, n, k, seed, t);
                    Ok(())
                },
            )
            .unwrap();
    }
}

/// The AVX-512 and AMX kernels agree within twice the bound (each is within it of the reference),
/// and AMX is the default where supported.
#[test]
fn kernels_agree_and_amx_is_preferred() {
    let ks = kernels();
    if ks.len() < 2 {
        eprintln!("skipped: comparing the kernels needs both");
        return;
    }
    assert_eq!(Bf16Gemm::new().unwrap().kernel(), Bf16Kernel::Amx);
    let (m, n, k) = (70, 100, 300);
    let x = fill(m * k, 3, -1.0, 1.0);
    let w = fill(n * k, 4, -1.0, 1.0);
    let p = Bf16Weights::from_rows(MatRef::from_row_major(&w, n, k));
    let outs: Vec<Vec<f32>> = ks
        .iter()
        .map(|g| {
            let mut o = vec![0.0f32; m * n];
            g.xwt(MatRef::from_row_major(&x, m, k), &p, MatMut::from_row_major(&mut o, m, n));
            o
        })
        .collect();
    let (_, scale) = reference::xwt_bf16(MatRef::from_row_major(&x, m, k), MatRef::from_row_major(&w, n, k));
    for t in 0..m * n {
        assert!((outs[0][t] as f64 - outs[1][t] as f64).abs() <= 2.0 * bound(k, scale[t]), "element {t}");
    }
}
