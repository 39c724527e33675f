//! Flush-to-zero and the parallel gemm: every piece runs in the caller's mode, on the helper
//! thread and on rayon workers alike, so a product whose results are subnormal gives the same bits
//! at one and two threads in either mode (flushed to zero under [`FlushToZero`], kept outside).

use potential_kernels::{gemm, FlushToZero, MatMut, MatRef, Parallelism};

/// A product 100×784 · (500×784)ᵀ (split in two at two threads) whose every entry is
/// Σₖ aₖ·bₖ with aₖ = ±2⁻¹²⁶·(1 + small) and bₖ ∈ [2⁻¹⁰, 2⁻⁹): far below 2⁻¹²⁶, so subnormal
/// (or zero where the signs cancel exactly).
fn tiny_product(par: Parallelism) -> Vec<u32> {
    let (m, k, n) = (100, 784, 500);
    let a: Vec<f32> = (0..m * k)
        .map(|i| {
            let s = if (i * 7 + i / 13) % 3 == 0 { -1.0 } else { 1.0 };
            s * f32::MIN_POSITIVE * (1.0 + (i % 17) as f32 / 64.0)
        })
        .collect();
    let b: Vec<f32> = (0..n * k).map(|i| (1.0 + (i % 29) as f32 / 32.0) / 1024.0).collect();
    let mut c = vec![f32::NAN; m * n];
    gemm(
        1.0,
        MatRef::from_row_major(&a, m, k),
        MatRef::from_row_major(&b, n, k).t(),
        0.0,
        MatMut::from_row_major(&mut c, m, n),
        par,
    );
    c.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn parallel_pieces_follow_the_callers_mode() {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    // Default mode: subnormal entries, the same at one and two threads (helper and rayon paths).
    let kept = tiny_product(Parallelism::Sequential);
    let subnormal =
        kept.iter().filter(|&&v| f32::from_bits(v) != 0.0 && f32::from_bits(v).is_subnormal()).count();
    assert!(subnormal > 40_000, "only {subnormal} of 50000 entries are subnormal");
    for _ in 0..3 {
        assert_eq!(pool.install(|| tiny_product(Parallelism::Rayon(2))), kept);
    }
    if !cfg!(all(target_arch = "x86_64", not(miri))) {
        return; // no flush-to-zero mode to test
    }
    // Flush-to-zero on the caller: every entry ±0 on every thread, in both pieces.
    pool.install(|| {
        let _ftz = FlushToZero::set(true);
        let seq = tiny_product(Parallelism::Sequential);
        assert!(seq.iter().all(|&v| f32::from_bits(v) == 0.0), "a subnormal survived flush-to-zero");
        for _ in 0..3 {
            assert_eq!(tiny_product(Parallelism::Rayon(2)), seq);
        }
    });
    // And the helper thread went back to the caller's (default) mode afterwards.
    for _ in 0..3 {
        assert_eq!(pool.install(|| tiny_product(Parallelism::Rayon(2))), kept);
    }
}
