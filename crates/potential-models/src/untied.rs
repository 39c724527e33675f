//! [`UntiedAutoencoder`]: separate encoder and decoder weights — a vector field without an energy.

use crate::tied::{check_row, one_row, rows_of};
use crate::{Error, Output, Result, TiedAutoencoder};
use potential_activations::ActivationKind;
use potential_kernels::{gemm, MatMut, MatRef, Parallelism};
use rayon::prelude::*;

/// An autoencoder with untied weights, `r(x) = W_d h(W_e x + b_h) + b_r` (real output).
///
/// Its field r(x) − x has Jacobian `W_d diag(h′(u)) W_e − I`, which is not symmetric in general, so
/// the field is not a gradient (Eq. 7 fails) and the model has **no energy**: this type deliberately
/// has no `energy` method. [`UntiedAutoencoder::integrability`] measures how far from a gradient
/// field it is at a point.
///
/// ```compile_fail
/// # use potential_models::UntiedAutoencoder;
/// # fn f(m: &UntiedAutoencoder) {
/// let _ = m.energy(&[0.0]); // no energy for untied weights
/// # }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct UntiedAutoencoder {
    hidden: usize,
    visible: usize,
    encoder: Vec<f32>,
    decoder: Vec<f32>,
    hidden_bias: Vec<f32>,
    visible_bias: Vec<f32>,
    activation: ActivationKind,
}

impl UntiedAutoencoder {
    /// A model from an H×D `encoder`, a D×H `decoder` (both row-major) and the biases
    /// (H = `hidden_bias.len()`, D = `visible_bias.len()`).
    ///
    /// # Errors
    /// [`Error::Shape`] on inconsistent sizes; [`Error::NonFinite`] naming the parameter.
    pub fn new(
        encoder: Vec<f32>,
        decoder: Vec<f32>,
        hidden_bias: Vec<f32>,
        visible_bias: Vec<f32>,
        activation: ActivationKind,
    ) -> Result<Self> {
        const OP: &str = "UntiedAutoencoder::new";
        let (h, d) = (hidden_bias.len(), visible_bias.len());
        if d == 0 {
            return Err(Error::Shape { op: OP, what: "visible size", expected: 1, found: 0 });
        }
        for (what, len) in [("encoder length", encoder.len()), ("decoder length", decoder.len())] {
            if len != h * d {
                return Err(Error::Shape { op: OP, what, expected: h * d, found: len });
            }
        }
        for (what, v, cols) in [
            ("encoder", &encoder, d),
            ("decoder", &decoder, h.max(1)),
            ("hidden_bias", &hidden_bias, h.max(1)),
            ("visible_bias", &visible_bias, d),
        ] {
            if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                return Err(Error::NonFinite { what, row: i / cols, col: i % cols, value: v[i] });
            }
        }
        Ok(Self { hidden: h, visible: d, encoder, decoder, hidden_bias, visible_bias, activation })
    }

    /// The same model with the decoder stored separately (W_d = Wᵀ): integrable by construction.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a binary-output model (this type has real output only).
    pub fn from_tied(m: &TiedAutoencoder) -> Result<Self> {
        if m.output() != Output::Real {
            return Err(Error::InvalidParameter { name: "output", reason: "untied models have real output" });
        }
        let (h, d) = (m.hidden(), m.visible());
        let mut dec = vec![0.0f32; d * h];
        for k in 0..h {
            for j in 0..d {
                dec[j * h + k] = m.weight()[k * d + j];
            }
        }
        Self::new(
            m.weight().to_vec(),
            dec,
            m.hidden_bias().to_vec(),
            m.visible_bias().to_vec(),
            m.activation(),
        )
    }

    /// Number of hidden units H.
    pub fn hidden(&self) -> usize {
        self.hidden
    }
    /// Input dimension D.
    pub fn visible(&self) -> usize {
        self.visible
    }
    /// W_e, H×D row-major.
    pub fn encoder(&self) -> &[f32] {
        &self.encoder
    }
    /// W_d, D×H row-major.
    pub fn decoder(&self) -> &[f32] {
        &self.decoder
    }
    /// The hidden activation.
    pub fn activation(&self) -> ActivationKind {
        self.activation
    }

    /// Reconstructions of the rows of `x`, [n, D] row-major.
    ///
    /// # Errors
    /// [`Error::Shape`]; [`Error::NonFinite`] naming the input row and column.
    pub fn reconstruct_batch(&self, x: MatRef<'_>) -> Result<Vec<f32>> {
        let xs = rows_of(x, self.visible, "reconstruct")?;
        let (n, h, d) = (xs.n, self.hidden, self.visible);
        for i in 0..n {
            check_row(i, xs.row(i), Output::Real, None)?;
        }
        let mut u = vec![0.0f32; n * h];
        gemm(
            1.0,
            xs.view(0, n),
            MatRef::from_row_major(&self.encoder, h, d).t(),
            0.0,
            MatMut::from_row_major(&mut u, n, h),
            Parallelism::Rayon(0),
        );
        let mut hv = vec![0.0f32; n * h];
        if h > 0 {
            u.par_chunks_exact_mut(h).zip(hv.par_chunks_exact_mut(h)).for_each(|(ur, hr)| {
                potential_kernels::bias_act(ur, &self.hidden_bias, self.activation, hr, None);
            });
        }
        let mut r = vec![0.0f32; n * d];
        gemm(
            1.0,
            MatRef::from_row_major(&hv, n, h),
            MatRef::from_row_major(&self.decoder, d, h).t(),
            0.0,
            MatMut::from_row_major(&mut r, n, d),
            Parallelism::Rayon(0),
        );
        for row in r.chunks_exact_mut(d) {
            row.iter_mut().zip(&self.visible_bias).for_each(|(a, &b)| *a += b);
        }
        Ok(r)
    }

    /// The reconstruction of one sample.
    ///
    /// # Errors
    /// As [`UntiedAutoencoder::reconstruct_batch`].
    pub fn reconstruct(&self, x: &[f32]) -> Result<Vec<f32>> {
        self.reconstruct_batch(one_row(x))
    }

    /// The field r(x) − x at one sample (not a gradient in general).
    ///
    /// # Errors
    /// As [`UntiedAutoencoder::reconstruct_batch`].
    pub fn vector_field(&self, x: &[f32]) -> Result<Vec<f32>> {
        let r = self.reconstruct(x)?;
        Ok(r.iter().zip(x).map(|(a, b)| a - b).collect())
    }

    /// The Jacobian of the field at `x`, `W_d diag(h′(u)) W_e − I`, dense D×D row-major.
    ///
    /// # Errors
    /// As [`UntiedAutoencoder::reconstruct_batch`].
    pub fn jacobian(&self, x: &[f32]) -> Result<Vec<f32>> {
        let xs = rows_of(one_row(x), self.visible, "jacobian")?;
        check_row(0, xs.row(0), Output::Real, None)?;
        let (h, d) = (self.hidden, self.visible);
        let mut m = self.encoder.clone();
        for (k, row) in m.chunks_exact_mut(d).enumerate() {
            let u = self.hidden_bias[k] as f64 + potential_kernels::dot(row, x);
            let g = self.activation.h_prime(u as f32);
            row.iter_mut().for_each(|v| *v *= g);
        }
        let mut j = vec![0.0f32; d * d];
        gemm(
            1.0,
            MatRef::from_row_major(&self.decoder, d, h),
            MatRef::from_row_major(&m, h, d),
            0.0,
            MatMut::from_row_major(&mut j, d, d),
            Parallelism::Sequential,
        );
        for i in 0..d {
            j[i * d + i] -= 1.0;
        }
        Ok(j)
    }

    /// The integrability defect ‖J − Jᵀ‖_F / ‖J‖_F of the field's Jacobian at `x` (0 for a gradient
    /// field, e.g. a tied model; 0 also when J = 0).
    ///
    /// # Errors
    /// As [`UntiedAutoencoder::reconstruct_batch`].
    pub fn integrability(&self, x: &[f32]) -> Result<f64> {
        let j = self.jacobian(x)?;
        let d = self.visible;
        let (mut asym, mut norm) = (0.0f64, 0.0f64);
        for a in 0..d {
            for b in 0..d {
                let v = j[a * d + b] as f64;
                norm += v * v;
                let t = v - j[b * d + a] as f64;
                asym += t * t;
            }
        }
        Ok(if norm == 0.0 { 0.0 } else { (asym / norm).sqrt() })
    }
}
