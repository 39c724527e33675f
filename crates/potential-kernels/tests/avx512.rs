//! The AVX-512 micro-tiles (6×32) of the AVX2+FMA path give the same bits as the AVX2 6×16 tiles:
//! plain products (all transposes, α/β, edges, several k-blocks, a column-major C), `gemm_update`,
//! `gemm_momentum` (with its finiteness flag, an overflow included) and `gemm_packed`, sequential
//! and on two threads — both kernels in one process, switched with `paths::set_gemm_avx512`. (One
//! test function: the switch is process-wide.)

mod common;

use common::{bits, uniform};
use potential_kernels::{gemm_packed, paths as kp, MatMut, MatRef, PackedB, Parallelism, SimdPath};

/// Every kind of product on one shape, returning all outputs' bits.
fn products(m: usize, k: usize, n: usize, ta: bool, tb: bool, par: Parallelism) -> Vec<Vec<u32>> {
    let path = SimdPath::Avx2Fma;
    let seed = (m * 7 + k * 3 + n) as u64;
    let a0 = uniform(m * k, -1.0, 1.0, seed);
    let b0 = uniform(k * n, -1.0, 1.0, seed + 1);
    let at: Vec<f32> = (0..m * k).map(|t| a0[(t % m) * k + t / m]).collect();
    let bt: Vec<f32> = (0..k * n).map(|t| b0[(t % k) * n + t / k]).collect();
    let a = if ta { MatRef::from_row_major(&at, k, m).t() } else { MatRef::from_row_major(&a0, m, k) };
    let b = if tb { MatRef::from_row_major(&bt, n, k).t() } else { MatRef::from_row_major(&b0, k, n) };
    let c0 = uniform(m * n, -1.0, 1.0, seed + 2);
    let w0 = uniform(m * n, -0.5, 0.5, seed + 3);
    let gamma = uniform(m, -0.1, 0.1, seed + 4);
    let mut out = Vec::new();
    for (alpha, beta) in [(1.0f32, 0.0f32), (0.5, -0.75)] {
        let mut c = c0.clone();
        kp::gemm(path, alpha, a, b, beta, MatMut::from_row_major(&mut c, m, n), par);
        out.push(bits(&c));
    }
    // C column-major (unit row stride): the tiles' strided store.
    let mut ct = c0.clone();
    kp::gemm(path, 0.5, a, b, -0.75, MatMut::from_strided(&mut ct, m, n, 1, m), par);
    out.push(bits(&ct));
    let (mut c, mut w) = (c0.clone(), w0.clone());
    let finite = kp::gemm_update(
        path,
        -0.1,
        a,
        b,
        0.9,
        MatMut::from_row_major(&mut c, m, n),
        &gamma,
        MatMut::from_row_major(&mut w, m, n),
        par,
    );
    out.extend([bits(&c), bits(&w), vec![finite as u32]]);
    // The momentum step from V = C₀, W = W₀, with V's and W's last element set to `last` if given:
    // (G, V, W, whether every W is finite).
    let momentum = |last: Option<f32>| {
        let (mut g, mut v, mut w) = (w0.clone(), c0.clone(), w0.clone());
        if let Some(big) = last {
            v[m * n - 1] = big;
            w[m * n - 1] = big;
        }
        let finite = kp::gemm_momentum(
            path,
            a,
            b,
            1e-3,
            MatMut::from_row_major(&mut g, m, n),
            MatMut::from_row_major(&mut v, m, n),
            MatMut::from_row_major(&mut w, m, n),
            (0.01, 0.9),
            par,
        );
        (g, v, w, finite)
    };
    let (g, v, w, finite) = momentum(None);
    out.extend([bits(&g), bits(&v), bits(&w), vec![finite as u32]]);
    // The last element's w + v overflows: both kernels must report it (it sits in the last,
    // possibly partial, column vector of its tile).
    let (g, v, w, finite) = momentum(Some(f32::MAX));
    assert!(!finite, "{m}x{k}x{n}: an overflowing w was not reported");
    out.extend([bits(&g), bits(&v), bits(&w)]);
    let p = PackedB::new_on(path, b);
    let mut c = c0.clone();
    gemm_packed(1.0, a, &p, 0.25, MatMut::from_row_major(&mut c, m, n), par);
    out.push(bits(&c));
    out
}

#[test]
fn avx512_tiles_equal_avx2_tiles() {
    if !SimdPath::Avx2Fma.is_supported() || !kp::set_gemm_avx512(true) {
        eprintln!("skipped: this CPU lacks AVX2+FMA or AVX-512 F");
        return;
    }
    let shapes =
        [(1, 1, 17), (5, 7, 31), (6, 16, 32), (7, 33, 33), (13, 70, 47), (100, 784, 500), (37, 700, 70)];
    let mut compared = 0;
    for &(m, k, n) in &shapes {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            for par in [Parallelism::Sequential, Parallelism::Rayon(2)] {
                assert!(!kp::set_gemm_avx512(false));
                let narrow = products(m, k, n, ta, tb, par);
                assert!(kp::set_gemm_avx512(true));
                let wide = products(m, k, n, ta, tb, par);
                assert_eq!(narrow, wide, "{m}x{k}x{n} ta={ta} tb={tb} {par:?}");
                compared += 1;
            }
        }
    }
    assert_eq!(compared, shapes.len() * 8);
}
