//! [`KMeansAutoencoder`]: the max-activation ("k-means") autoencoder of Sec. 2.3.8 and 3.2.

use crate::tied::{non_finite_in, one_row, rows_of};
use crate::{Error, Result};
use potential_kernels::{gemm, MatMut, MatRef, Parallelism};
use rayon::prelude::*;

/// An autoencoder with unit-norm filters wₖ and a one-hot hidden layer on s(x) = argmaxₖ ⟨wₖ, x⟩,
/// so r(x) = w_{s(x)} (Sec. 2.3.8). Its energy is `E(x) = −½‖x − w_{s(x)}‖²` (the paper drops the
/// sign and the ½), its field r(x) − x, its Jacobian −I and its Laplacian −D almost everywhere
/// (Sec. 3.2): every point is absorbing.
///
/// Because the filters have unit norm, ‖x − wₖ‖² = ‖x‖² − 2⟨wₖ, x⟩ + 1, so the arg-max filter is also
/// the nearest centre for any x (not only unit-norm x) and E(x) = −½ minₖ ‖x − wₖ‖².
#[derive(Clone, Debug, PartialEq)]
pub struct KMeansAutoencoder {
    k: usize,
    d: usize,
    filters: Vec<f32>,
}

impl KMeansAutoencoder {
    /// A model from K×D row-major filters, each normalised to unit length.
    ///
    /// # Errors
    /// [`Error::Shape`] if `filters.len() ≠ k·d`, k = 0 or d = 0; [`Error::NonFinite`] for a NaN/∞
    /// entry (`what = "filter"`); [`Error::ZeroFilter`] for a filter of zero length.
    pub fn new(mut filters: Vec<f32>, k: usize, d: usize) -> Result<Self> {
        const OP: &str = "KMeansAutoencoder::new";
        if k == 0 || d == 0 {
            return Err(Error::Shape { op: OP, what: "filter count and dimension", expected: 1, found: 0 });
        }
        if filters.len() != k * d {
            return Err(Error::Shape {
                op: OP,
                what: "filter length",
                expected: k * d,
                found: filters.len(),
            });
        }
        for (row, f) in filters.chunks_exact_mut(d).enumerate() {
            if let Some(col) = f.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFinite { what: "filter", row, col, value: f[col] });
            }
            let n = potential_kernels::sum_sq(f).sqrt();
            if n == 0.0 || !n.is_finite() {
                return Err(Error::ZeroFilter { row });
            }
            f.iter_mut().for_each(|v| *v = (*v as f64 / n) as f32);
        }
        Ok(Self { k, d, filters })
    }

    /// Number of filters K.
    pub fn clusters(&self) -> usize {
        self.k
    }
    /// Input dimension D.
    pub fn visible(&self) -> usize {
        self.d
    }
    /// The unit-norm filters, K×D row-major.
    pub fn filters(&self) -> &[f32] {
        &self.filters
    }

    /// s(x) = argmaxₖ ⟨wₖ, x⟩ for every row of `x` (ties go to the lowest k): one gemm.
    ///
    /// # Errors
    /// [`Error::Shape`] if `x` has not D columns; [`Error::NonFinite`] naming the input row and column.
    pub fn assign_batch(&self, x: MatRef<'_>) -> Result<Vec<usize>> {
        let xs = rows_of(x, self.d, "assign")?;
        let (n, k) = (xs.n, self.k);
        let mut dots = vec![0.0f32; n * k];
        gemm(
            1.0,
            xs.view(0, n),
            MatRef::from_row_major(&self.filters, k, self.d).t(),
            0.0,
            MatMut::from_row_major(&mut dots, n, k),
            Parallelism::Rayon(0),
        );
        dots.par_chunks_exact(k)
            .enumerate()
            .map(|(i, row)| {
                if let Some(e) = non_finite_in(i, xs.row(i)) {
                    return Err(e);
                }
                let mut best = 0;
                for (j, &v) in row.iter().enumerate() {
                    if v > row[best] {
                        best = j;
                    }
                }
                Ok(best)
            })
            .collect()
    }

    /// Energies `E(x) = −½‖x − w_{s(x)}‖²` of the rows of `x`, in `f64`.
    ///
    /// # Errors
    /// As [`KMeansAutoencoder::assign_batch`].
    pub fn energy_batch(&self, x: MatRef<'_>) -> Result<Vec<f64>> {
        let s = self.assign_batch(x)?;
        let xs = rows_of(x, self.d, "energy")?;
        Ok(s.par_iter()
            .enumerate()
            .map(|(i, &c)| {
                -0.5 * potential_kernels::sq_dist(xs.row(i), &self.filters[c * self.d..(c + 1) * self.d])
            })
            .collect())
    }

    /// The energy of one sample.
    ///
    /// # Errors
    /// As [`KMeansAutoencoder::assign_batch`].
    pub fn energy(&self, x: &[f32]) -> Result<f64> {
        Ok(self.energy_batch(one_row(x))?[0])
    }

    /// The reconstruction r(x) = w_{s(x)} of one sample.
    ///
    /// # Errors
    /// As [`KMeansAutoencoder::assign_batch`].
    pub fn reconstruct(&self, x: &[f32]) -> Result<Vec<f32>> {
        let c = self.assign_batch(one_row(x))?[0];
        Ok(self.filters[c * self.d..(c + 1) * self.d].to_vec())
    }

    /// The vector field r(x) − x = ∇ₓE of one sample.
    ///
    /// # Errors
    /// As [`KMeansAutoencoder::assign_batch`].
    pub fn vector_field(&self, x: &[f32]) -> Result<Vec<f32>> {
        let r = self.reconstruct(x)?;
        Ok(r.iter().zip(x).map(|(a, b)| a - b).collect())
    }

    /// The Laplacian ΔE = −D (Sec. 3.2; the Jacobian is −I away from the cell boundaries).
    ///
    /// # Errors
    /// As [`KMeansAutoencoder::assign_batch`] (the input is still validated).
    pub fn laplacian(&self, x: &[f32]) -> Result<f64> {
        self.assign_batch(one_row(x))?;
        Ok(-(self.d as f64))
    }
}
