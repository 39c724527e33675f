//! `gemm_momentum` = `gemm(1, A, B, λ, G)` on G holding W, then the separate momentum pass
//! `v ← μv − ηg; w ← w + v`, bit for bit: both paths, sequential and two threads, one and several
//! k-blocks (k > 320), edge tiles, transposed operands and a strided W/V.
#![allow(clippy::needless_range_loop)]

mod common;

use common::{paths, uniform};
use potential_kernels::{paths as kp, MatMut, MatRef, Parallelism};

/// The two-pass reference: the gemm into a copy of W, then the momentum pass.
#[allow(clippy::too_many_arguments)]
fn reference(
    path: potential_kernels::SimdPath,
    a: MatRef<'_>,
    b: MatRef<'_>,
    lambda: f32,
    v: &mut [f32],
    w: &mut [f32],
    (lr, mu): (f32, f32),
    par: Parallelism,
) -> Vec<f32> {
    let (m, n) = (a.rows(), b.cols());
    let mut g = w.to_vec();
    kp::gemm(path, 1.0, a, b, lambda, MatMut::from_row_major(&mut g, m, n), par);
    for ((v, w), &g) in v.iter_mut().zip(w.iter_mut()).zip(&g) {
        *v = mu * *v - lr * g;
        *w += *v;
    }
    g
}

#[test]
fn gemm_momentum_is_gemm_then_the_momentum_pass() {
    let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    for path in paths() {
        for &(m, k, n) in
            &[(1, 1, 1), (7, 5, 13), (6, 16, 16), (13, 333, 33), (40, 1000, 70), (100, 700, 500)]
        {
            for &ta in &[false, true] {
                for par in [Parallelism::Sequential, Parallelism::Rayon(2)] {
                    let seed = (m * 31 + k * 7 + n) as u64;
                    let a0 = uniform(m * k, -1.0, 1.0, seed);
                    let b0 = uniform(k * n, -1.0, 1.0, seed + 1);
                    // A as given, or stored transposed (a k×m matrix viewed through .t()).
                    let at: Vec<f32> = (0..m * k).map(|t| a0[(t % m) * k + t / m]).collect();
                    let a = if ta {
                        MatRef::from_row_major(&at, k, m).t()
                    } else {
                        MatRef::from_row_major(&a0, m, k)
                    };
                    let b = MatRef::from_row_major(&b0, k, n);
                    let w0 = uniform(m * n, -0.5, 0.5, seed + 2);
                    let v0 = uniform(m * n, -0.01, 0.01, seed + 3);
                    let (mut w1, mut v1) = (w0.clone(), v0.clone());
                    let g1 = reference(path, a, b, 1e-3, &mut v1, &mut w1, (0.01, 0.9), par);
                    let (mut w2, mut v2, mut g2) = (w0.clone(), v0.clone(), w0.clone());
                    let finite = kp::gemm_momentum(
                        path,
                        a,
                        b,
                        1e-3,
                        MatMut::from_row_major(&mut g2, m, n),
                        MatMut::from_row_major(&mut v2, m, n),
                        MatMut::from_row_major(&mut w2, m, n),
                        (0.01, 0.9),
                        par,
                    );
                    let what = format!("{path:?} {m}x{k}x{n} ta={ta} {par:?}");
                    assert!(finite, "{what}");
                    assert_eq!(bits(&g1), bits(&g2), "gradient, {what}");
                    assert_eq!(bits(&v1), bits(&v2), "velocity, {what}");
                    assert_eq!(bits(&w1), bits(&w2), "weights, {what}");
                }
            }
        }
    }
}

/// W and V as strided (column-major) views take the scalar epilogue: same bits.
#[test]
fn strided_w_and_v_give_the_same_bits() {
    for path in paths() {
        let (m, k, n) = (9, 50, 21);
        let a0 = uniform(m * k, -1.0, 1.0, 5);
        let b0 = uniform(k * n, -1.0, 1.0, 6);
        let (a, b) = (MatRef::from_row_major(&a0, m, k), MatRef::from_row_major(&b0, k, n));
        let w0 = uniform(m * n, -0.5, 0.5, 7);
        let v0 = uniform(m * n, -0.01, 0.01, 8);
        let (mut w1, mut v1) = (w0.clone(), v0.clone());
        let g1 = reference(path, a, b, 0.0, &mut v1, &mut w1, (0.1, 0.5), Parallelism::Sequential);
        // Column-major copies of W and V.
        let cm = |x: &[f32]| (0..m * n).map(|t| x[(t % m) * n + t / m]).collect::<Vec<f32>>();
        let (mut wc, mut vc, mut g2) = (cm(&w0), cm(&v0), w0.clone());
        assert!(kp::gemm_momentum(
            path,
            a,
            b,
            0.0,
            MatMut::from_row_major(&mut g2, m, n),
            MatMut::from_strided(&mut vc, m, n, 1, m),
            MatMut::from_strided(&mut wc, m, n, 1, m),
            (0.1, 0.5),
            Parallelism::Sequential,
        ));
        assert_eq!(g1, g2, "{path:?}");
        assert_eq!(cm(&w1), wc, "{path:?}");
        assert_eq!(cm(&v1), vc, "{path:?}");
    }
}

#[test]
fn gemm_momentum_reports_non_finite_weights() {
    for path in paths() {
        let a = [1e30f32; 4];
        let mut w = vec![0.0f32; 4];
        let (mut v, mut g) = (vec![0.0f32; 4], vec![0.0f32; 4]);
        let finite = kp::gemm_momentum(
            path,
            MatRef::from_row_major(&a, 2, 2),
            MatRef::from_row_major(&a, 2, 2),
            0.0,
            MatMut::from_row_major(&mut g, 2, 2),
            MatMut::from_row_major(&mut v, 2, 2),
            MatMut::from_row_major(&mut w, 2, 2),
            (1.0, 0.9),
            Parallelism::Sequential,
        );
        assert!(!finite, "{path:?}: 2e60 overflows");
    }
}

#[test]
#[should_panic(expected = "but V is")]
fn gemm_momentum_checks_the_velocity_shape() {
    let x = [1.0f32; 4];
    let (mut g, mut v, mut w) = ([0.0f32; 4], [0.0f32; 2], [0.0f32; 4]);
    potential_kernels::gemm_momentum(
        MatRef::from_row_major(&x, 2, 2),
        MatRef::from_row_major(&x, 2, 2),
        0.0,
        MatMut::from_row_major(&mut g, 2, 2),
        MatMut::from_row_major(&mut v, 1, 2),
        MatMut::from_row_major(&mut w, 2, 2),
        (1.0, 0.9),
        Parallelism::Sequential,
    );
}
