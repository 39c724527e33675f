//! The calculus of the vector field of a [`TiedAutoencoder`] (Sec. 3): Jacobian = Hessian of E,
//! Laplacian (Eq. 38), absorbing test (Eq. 39), contraction (Eq. 40).
//!
//! # Binary output
//! For binary output the field is B(x) = Wᵀh(u) + b_r − ξ(x) = ∇ₓE (Eq. 27–28), so its Jacobian —
//! the Hessian of E — is `Wᵀ diag(h′(u)) W − diag(1/(xⱼ(1−xⱼ)))`, still symmetric. The Laplacian
//! (divergence of B, trace of that Hessian) is therefore `Σₖ h′(uₖ)‖wₖ‖² − Σⱼ 1/(xⱼ(1−xⱼ))`: the
//! identity matrix of the real case becomes the curvature of the entropy term. It is −∞ where some
//! xⱼ ∈ {0, 1}, so these quantities need 0 < x < 1 and report [`Error::OnBoundary`] otherwise. The
//! contraction ‖∂h/∂x‖²_F = Σₖ h′(uₖ)²‖wₖ‖² only involves the encoder and is the same for both
//! output kinds.

use crate::energy::logit;
use crate::tied::{check_row, one_row};
use crate::{Error, Output, Result, TiedAutoencoder};
use potential_kernels::{gemm, MatMut, MatRef, Parallelism};

impl TiedAutoencoder {
    /// Per-row Σₖ cₖ(h′(uₖ))·‖wₖ‖² for the rows of `x`, with `c` = identity (Laplacian part) or
    /// square (contraction).
    fn filter_weighted(
        &self,
        op: &'static str,
        x: MatRef<'_>,
        square: bool,
        open: Option<&'static str>,
    ) -> Result<Vec<f64>> {
        let xs = self.rows(x, op)?;
        let norms = self.filter_norms_sq();
        let h = self.hidden;
        let mut out = vec![0.0f64; xs.n];
        if h == 0 {
            for i in 0..xs.n {
                check_row(i, xs.row(i), self.output, open)?;
            }
            return Ok(out);
        }
        self.blocks(&xs, &mut out, 1, |r0, nb, s, ob| {
            self.hidden_pass(s, nb, true);
            for (i, o) in ob.iter_mut().enumerate() {
                let row = r0 + i;
                check_row(row, xs.row(row), self.output, open)?;
                let dh = &s.dh[i * h..(i + 1) * h];
                let mut acc = 0.0f64;
                for (&g, &n) in dh.iter().zip(&norms) {
                    let g = g as f64;
                    acc += if square { g * g * n } else { g * n };
                }
                if !acc.is_finite() {
                    return Err(Error::NonFiniteResult { what: op, row });
                }
                *o = acc;
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Laplacians ΔE = div ∇ₓE of the rows of `x` (Eq. 38), in `f64`:
    /// real output `Σₖ h′(uₖ)‖wₖ‖² − D`; binary output `Σₖ h′(uₖ)‖wₖ‖² − Σⱼ 1/(xⱼ(1−xⱼ))` (module docs).
    ///
    /// # Errors
    /// [`Error::Shape`], [`Error::NonFinite`]; binary: [`Error::OutOfRange`], [`Error::OnBoundary`].
    pub fn laplacian_batch(&self, x: MatRef<'_>) -> Result<Vec<f64>> {
        let open = (self.output == Output::Binary).then_some("laplacian");
        let mut out = self.filter_weighted("laplacian", x, false, open)?;
        let xs = self.rows(x, "laplacian")?;
        for (i, o) in out.iter_mut().enumerate() {
            *o -= match self.output {
                Output::Real => self.visible as f64,
                Output::Binary => xs
                    .row(i)
                    .iter()
                    .map(|&v| {
                        let v = v as f64;
                        1.0 / (v * (1.0 - v))
                    })
                    .sum::<f64>(),
            };
        }
        Ok(out)
    }

    /// The Laplacian ΔE(x) of one sample; see [`TiedAutoencoder::laplacian_batch`].
    ///
    /// # Errors
    /// As [`TiedAutoencoder::laplacian_batch`].
    pub fn laplacian(&self, x: &[f32]) -> Result<f64> {
        Ok(self.laplacian_batch(one_row(x))?[0])
    }

    /// Contractions ‖∂h/∂x‖²_F = Σₖ h′(uₖ)²‖wₖ‖² of the rows of `x` (Eq. 40; the penalty of
    /// contractive autoencoders), for either output kind.
    ///
    /// # Errors
    /// [`Error::Shape`], [`Error::NonFinite`]; binary: [`Error::OutOfRange`].
    pub fn contraction_batch(&self, x: MatRef<'_>) -> Result<Vec<f64>> {
        self.filter_weighted("contraction", x, true, None)
    }

    /// The contraction of one sample; see [`TiedAutoencoder::contraction_batch`].
    ///
    /// # Errors
    /// As [`TiedAutoencoder::contraction_batch`].
    pub fn contraction(&self, x: &[f32]) -> Result<f64> {
        Ok(self.contraction_batch(one_row(x))?[0])
    }

    /// The absorbing test of Eq. 39 for the rows of `x`: true where ΔE(x) < 0 (x is a sink of the
    /// reconstruction dynamics; real output: Σₖ h′(uₖ)‖wₖ‖² < D).
    ///
    /// # Errors
    /// As [`TiedAutoencoder::laplacian_batch`].
    pub fn absorbing_batch(&self, x: MatRef<'_>) -> Result<Vec<bool>> {
        Ok(self.laplacian_batch(x)?.into_iter().map(|l| l < 0.0).collect())
    }

    /// The absorbing test (Eq. 39) at one sample.
    ///
    /// # Errors
    /// As [`TiedAutoencoder::laplacian_batch`].
    pub fn is_absorbing(&self, x: &[f32]) -> Result<bool> {
        Ok(self.laplacian(x)? < 0.0)
    }

    /// The Jacobian of the vector field at `x`, which is the Hessian of E (Sec. 3), dense D×D
    /// row-major: `Wᵀ diag(h′(u)) W − I` (real) or `Wᵀ diag(h′(u)) W − diag(1/(xⱼ(1−xⱼ)))` (binary).
    /// Symmetric: the field of a tied autoencoder is integrable (Eq. 7).
    ///
    /// # Errors
    /// [`Error::Shape`], [`Error::NonFinite`]; binary: [`Error::OutOfRange`], [`Error::OnBoundary`].
    pub fn jacobian(&self, x: &[f32]) -> Result<Vec<f32>> {
        let (h, d) = (self.hidden, self.visible);
        let xs = self.rows(one_row(x), "jacobian")?;
        let open = (self.output == Output::Binary).then_some("jacobian");
        check_row(0, xs.row(0), self.output, open)?;
        // u = Wx + b_h, h′(u)
        let mut u = vec![0.0f32; h];
        gemm(
            1.0,
            self.weight_view(),
            MatRef::from_row_major(x, d, 1),
            0.0,
            MatMut::from_row_major(&mut u, h, 1),
            Parallelism::Sequential,
        );
        let mut hv = vec![0.0f32; h];
        let mut dh = vec![0.0f32; h];
        potential_kernels::bias_act(&mut u, &self.hidden_bias, self.activation, &mut hv, Some(&mut dh));
        // M = diag(h′) W, J = Wᵀ M
        let mut m = self.weight.clone();
        for (row, &g) in m.chunks_exact_mut(d.max(1)).zip(&dh) {
            row.iter_mut().for_each(|v| *v *= g);
        }
        let mut j = vec![0.0f32; d * d];
        gemm(
            1.0,
            self.weight_view().t(),
            MatRef::from_row_major(&m, h, d),
            0.0,
            MatMut::from_row_major(&mut j, d, d),
            Parallelism::Rayon(0),
        );
        for (i, &xi) in x.iter().enumerate() {
            j[i * d + i] -= match self.output {
                Output::Real => 1.0,
                Output::Binary => {
                    let v = xi as f64;
                    (1.0 / (v * (1.0 - v))) as f32
                }
            };
        }
        if j.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFiniteResult { what: "jacobian", row: 0 });
        }
        Ok(j)
    }

    /// The Hessian of E at `x` (equal to [`TiedAutoencoder::jacobian`]).
    ///
    /// # Errors
    /// As [`TiedAutoencoder::jacobian`].
    pub fn hessian(&self, x: &[f32]) -> Result<Vec<f32>> {
        self.jacobian(x)
    }

    /// ξ(x) = log(x/(1−x)) per coordinate (the binary model's log-odds coordinates, Eq. 26), in `f64`.
    pub fn log_odds(x: &[f32]) -> Vec<f64> {
        x.iter().map(|&v| logit(v)).collect()
    }
}
