//! The k-means autoencoder (max activation, Sec. 2.3.8), trained by spherical k-means.

use crate::{Error, Result};
use potential_data::Features;
use potential_kernels::{gemm, MatMut, MatRef, Parallelism};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Rows per block of the similarity gemm.
const BLOCK: usize = 2048;

/// A k-means autoencoder: K unit-norm filters wₖ; for a unit-norm input x the hidden layer is one-hot
/// on s(x) = argmaxₖ ⟨wₖ, x⟩ and r(x) = w_s(x), so the energy is E(x) = −½‖x − w_s(x)‖²
/// = ⟨w_s(x), x⟩ − 1 (Sec. 2.3.8; the paper drops the sign and the ½). Inputs are normalised to
/// unit norm first.
#[derive(Clone, Debug, PartialEq)]
pub struct SphericalKMeans {
    k: usize,
    d: usize,
    centroids: Vec<f32>,
    iterations: usize,
}

fn normalise(row: &[f32], out: &mut [f32]) -> bool {
    let n = potential_kernels::sum_sq(row).sqrt();
    if n > 0.0 && n.is_finite() {
        let s = (1.0 / n) as f32;
        for (o, &v) in out.iter_mut().zip(row) {
            *o = v * s;
        }
        true
    } else {
        false
    }
}

impl SphericalKMeans {
    /// Spherical k-means on the unit-normalised rows of `x`: start from K distinct rows drawn with
    /// `seed`, then alternate assignment (argmax cosine) and centroid update (normalised mean) until
    /// no assignment changes or `max_iterations` passes. An empty cluster is re-seeded with the row
    /// currently worst represented.
    ///
    /// # Errors
    /// [`Error::Data`] if K is 0 or exceeds the row count, or a row has zero or non-finite norm.
    pub fn fit(x: &Features, k: usize, max_iterations: usize, seed: u64) -> Result<Self> {
        let (n, d) = (x.n(), x.d());
        if k == 0 || k > n {
            return Err(Error::Data {
                what: "k-means data",
                reason: format!("K = {k} clusters for {n} rows"),
            });
        }
        let mut xn = vec![0.0f32; n * d];
        for i in 0..n {
            if !normalise(x.row(i), &mut xn[i * d..(i + 1) * d]) {
                return Err(Error::Data {
                    what: "k-means data",
                    reason: format!("row {i} has zero or non-finite norm and cannot be normalised"),
                });
            }
        }
        // K distinct rows by a partial Fisher–Yates shuffle.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut idx: Vec<usize> = (0..n).collect();
        for i in 0..k {
            let j = i + (rng.next_u64() % (n - i) as u64) as usize;
            idx.swap(i, j);
        }
        let mut c = vec![0.0f32; k * d];
        for (ci, &r) in idx[..k].iter().enumerate() {
            c[ci * d..(ci + 1) * d].copy_from_slice(&xn[r * d..(r + 1) * d]);
        }
        let mut assign = vec![usize::MAX; n];
        let mut best = vec![0.0f32; n];
        let mut sims = vec![0.0f32; BLOCK.min(n) * k];
        let mut iterations = 0;
        for _ in 0..max_iterations.max(1) {
            iterations += 1;
            let mut changed = 0usize;
            let mut r0 = 0;
            while r0 < n {
                let nb = BLOCK.min(n - r0);
                let s = &mut sims[..nb * k];
                gemm(
                    1.0,
                    MatRef::from_row_major(&xn[r0 * d..(r0 + nb) * d], nb, d),
                    MatRef::from_row_major(&c, k, d).t(),
                    0.0,
                    MatMut::from_row_major(s, nb, k),
                    Parallelism::Rayon(0),
                );
                for i in 0..nb {
                    let row = &s[i * k..(i + 1) * k];
                    let (mut arg, mut val) = (0, row[0]);
                    for (j, &v) in row.iter().enumerate().skip(1) {
                        if v > val {
                            (arg, val) = (j, v);
                        }
                    }
                    if assign[r0 + i] != arg {
                        changed += 1;
                        assign[r0 + i] = arg;
                    }
                    best[r0 + i] = val;
                }
                r0 += nb;
            }
            if changed == 0 {
                break;
            }
            let mut sums = vec![0.0f64; k * d];
            let mut counts = vec![0usize; k];
            for i in 0..n {
                let a = assign[i];
                counts[a] += 1;
                for (s, &v) in sums[a * d..(a + 1) * d].iter_mut().zip(&xn[i * d..(i + 1) * d]) {
                    *s += v as f64;
                }
            }
            for j in 0..k {
                let cj = &mut c[j * d..(j + 1) * d];
                let norm = sums[j * d..(j + 1) * d].iter().map(|v| v * v).sum::<f64>().sqrt();
                if counts[j] > 0 && norm > 0.0 {
                    for (cv, &s) in cj.iter_mut().zip(&sums[j * d..(j + 1) * d]) {
                        *cv = (s / norm) as f32;
                    }
                } else {
                    // Re-seed an empty cluster with the worst-represented row (ties: first).
                    let (worst, _) = best.iter().enumerate().fold((0, f32::INFINITY), |(bi, bv), (i, &v)| {
                        if v < bv {
                            (i, v)
                        } else {
                            (bi, bv)
                        }
                    });
                    cj.copy_from_slice(&xn[worst * d..(worst + 1) * d]);
                    best[worst] = 1.0;
                    assign[worst] = usize::MAX;
                }
            }
        }
        Ok(Self { k, d, centroids: c, iterations })
    }

    /// Number of filters K.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Input dimension D.
    pub fn visible(&self) -> usize {
        self.d
    }

    /// The unit-norm filters, K×D row-major.
    pub fn centroids(&self) -> &[f32] {
        &self.centroids
    }

    /// Passes of the last [`SphericalKMeans::fit`].
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// s(x) = argmaxₖ ⟨wₖ, x⟩ and E(x) = ⟨w_s, x̂⟩ − 1 = −½‖x̂ − w_s‖² for x̂ = x/‖x‖.
    ///
    /// # Errors
    /// [`Error::Data`] if `x` has the wrong length or zero/non-finite norm.
    pub fn assign_energy(&self, x: &[f32]) -> Result<(usize, f64)> {
        if x.len() != self.d {
            return Err(Error::Data {
                what: "k-means input",
                reason: format!("{} values, expected {}", x.len(), self.d),
            });
        }
        let mut xn = vec![0.0f32; self.d];
        if !normalise(x, &mut xn) {
            return Err(Error::Data { what: "k-means input", reason: "zero or non-finite norm".into() });
        }
        let (mut arg, mut val) = (0, f64::NEG_INFINITY);
        for j in 0..self.k {
            let v = potential_kernels::dot(&self.centroids[j * self.d..(j + 1) * self.d], &xn);
            if v > val {
                (arg, val) = (j, v);
            }
        }
        Ok((arg, val - 1.0))
    }
}
