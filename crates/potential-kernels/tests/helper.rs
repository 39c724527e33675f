//! Two-thread products through the spin-then-park helper: bit-identical to the sequential product
//! back to back, after pauses longer and shorter than the spin window, and when two rayon workers
//! run parallel products at once (one of them finds the helper busy and computes both pieces).

use potential_kernels::{gemm, MatMut, MatRef, Parallelism};
use rayon::prelude::*;
use std::time::Duration;

fn fill(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            ((s.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

fn product(a: &[f32], w: &[f32], (m, k, n): (usize, usize, usize), par: Parallelism) -> Vec<u32> {
    let mut c = vec![f32::NAN; m * n];
    gemm(
        1.0,
        MatRef::from_row_major(a, m, k),
        MatRef::from_row_major(w, n, k).t(),
        0.0,
        MatMut::from_row_major(&mut c, m, n),
        par,
    );
    c.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn helper_products_equal_the_sequential_ones() {
    let shape = (100, 784, 500);
    let a = fill(100 * 784, 1);
    let w = fill(500 * 784, 2);
    let want = product(&a, &w, shape, Parallelism::Sequential);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    pool.install(|| {
        for pause in [0u64, 0, 1, 30, 0, 5] {
            std::thread::sleep(Duration::from_millis(pause));
            assert_eq!(product(&a, &w, shape, Parallelism::Rayon(2)), want, "after {pause} ms");
        }
        // Two workers at once: the helper serves at most one of them.
        let got: Vec<Vec<u32>> =
            (0..6).into_par_iter().map(|_| product(&a, &w, shape, Parallelism::Rayon(2))).collect();
        assert!(got.iter().all(|g| *g == want));
    });
    // A one-thread pool runs both pieces on the caller (no helper), same bits.
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    assert_eq!(one.install(|| product(&a, &w, shape, Parallelism::Rayon(2))), want);
}
