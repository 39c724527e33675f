//! `gemm_packed` with a `PackedB` equals `gemm` with the same B bit for bit: both paths, shapes
//! around the 6×16 micro-tile, several k-blocks (k > 320), B row-major or a transposed view (Wᵀ),
//! α/β, one and two threads, and a `PackedB` refilled for another shape. The small shapes also run
//! under Miri (portable path there).

mod common;

use common::{bits, paths, uniform};
use potential_kernels::{gemm_packed, paths as kp, MatMut, MatRef, PackedB, Parallelism};

fn check(shapes: &[(usize, usize, usize)], pars: &[Parallelism]) {
    for path in paths() {
        let mut packed = PackedB::default();
        for &(m, k, n) in shapes {
            for &bt in &[false, true] {
                let seed = (m * 131 + k * 17 + n) as u64;
                let a = uniform(m * k, -1.0, 1.0, seed);
                let b0 = uniform(k * n, -1.0, 1.0, seed + 1);
                // B row-major k×n, or Wᵀ for a row-major n×k W.
                let w: Vec<f32> = (0..k * n).map(|t| b0[(t % k) * n + t / k]).collect();
                let b =
                    if bt { MatRef::from_row_major(&w, n, k).t() } else { MatRef::from_row_major(&b0, k, n) };
                packed.repack_on(path, b);
                assert_eq!((packed.rows(), packed.cols()), (k, n));
                for &par in pars {
                    for &(alpha, beta) in &[(1.0f32, 0.0f32), (-0.5, 0.75)] {
                        let c0 = uniform(m * n, -1.0, 1.0, seed + 2);
                        let (mut c1, mut c2) = (c0.clone(), c0.clone());
                        let av = MatRef::from_row_major(&a, m, k);
                        kp::gemm(path, alpha, av, b, beta, MatMut::from_row_major(&mut c1, m, n), par);
                        gemm_packed(alpha, av, &packed, beta, MatMut::from_row_major(&mut c2, m, n), par);
                        assert_eq!(
                            bits(&c1),
                            bits(&c2),
                            "{path:?} {m}x{k}x{n} bt={bt} {par:?} α={alpha} β={beta}"
                        );
                        if path == potential_kernels::simd_path() && !cfg!(miri) {
                            // Packed on two threads (the helper shares the k-blocks' halves).
                            let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
                            let two = pool.install(|| {
                                let mut p2 = PackedB::default();
                                p2.repack_with(b, Parallelism::Rayon(2));
                                p2
                            });
                            let mut c3 = c0.clone();
                            gemm_packed(alpha, av, &two, beta, MatMut::from_row_major(&mut c3, m, n), par);
                            assert_eq!(
                                bits(&c1),
                                bits(&c3),
                                "two-thread packing, {path:?} {m}x{k}x{n} bt={bt}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn packed_equals_gemm_around_the_tiles() {
    check(
        &[(1, 1, 1), (7, 9, 15), (6, 16, 16), (13, 33, 17), (100, 784, 500), (37, 700, 70), (500, 100, 784)],
        &[Parallelism::Sequential, Parallelism::Rayon(2)],
    );
}

#[test]
fn small_shapes_for_miri() {
    check(&[(1, 1, 1), (3, 5, 2), (7, 4, 17)], &[Parallelism::Sequential]);
}

#[test]
#[should_panic(expected = "gemm: A is 2×3 but B is 2×2")]
fn shape_mismatch_panics() {
    let p = PackedB::new(MatRef::from_row_major(&[1.0; 4], 2, 2));
    let mut c = [0.0f32; 4];
    gemm_packed(
        1.0,
        MatRef::from_row_major(&[1.0; 6], 2, 3),
        &p,
        0.0,
        MatMut::from_row_major(&mut c, 2, 2),
        Parallelism::Sequential,
    );
}
