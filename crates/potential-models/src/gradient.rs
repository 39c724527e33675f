//! Gradients of the energy with respect to the parameters (from Eq. 11–21 and Eq. 28), batched,
//! for discriminative training (CSAE, Eq. 45).
//!
//! Real output, E = Σₖ H(wₖᵀx + b_hₖ) − ½‖x − b_r‖²:
//! `∂E/∂W = h(u) xᵀ`, `∂E/∂b_h = h(u)`, `∂E/∂b_r = x − b_r`.
//!
//! Binary output, E = Σₖ H(uₖ) + b_rᵀx − Σⱼ[xⱼ log xⱼ + (1−xⱼ) log(1−xⱼ)] (Eq. 28): the entropy term
//! does not depend on the parameters and ∂(b_rᵀx)/∂b_r = x, so
//! `∂E/∂W = h(u) xᵀ`, `∂E/∂b_h = h(u)`, `∂E/∂b_r = x`.

use crate::tied::check_row;
use crate::{Error, Output, Result, TiedAutoencoder};
use potential_kernels::{gemm, MatMut, MatRef, Parallelism};

/// Buffers with the shapes of the parameters of a [`TiedAutoencoder`]: a gradient, or an
/// optimiser's velocity or moment (the training crates name it `Params` and `ClassGrad`).
#[derive(Clone, Debug, PartialEq)]
pub struct TiedGradient {
    /// ∂/∂W, H×D row-major.
    pub weight: Vec<f32>,
    /// ∂/∂b_h, length H.
    pub hidden_bias: Vec<f32>,
    /// ∂/∂b_r, length D.
    pub visible_bias: Vec<f32>,
}

impl TiedGradient {
    /// All zeros, shaped for `hidden` × `visible`.
    pub fn zeros(hidden: usize, visible: usize) -> Self {
        Self {
            weight: vec![0.0; hidden * visible],
            hidden_bias: vec![0.0; hidden],
            visible_bias: vec![0.0; visible],
        }
    }

    /// All-zero gradients for a model.
    pub fn zeros_like(model: &TiedAutoencoder) -> Self {
        Self::zeros(model.hidden(), model.visible())
    }

    /// The first non-finite tensor, by name (`weight`, `hidden_bias`, `visible_bias`).
    ///
    /// ```
    /// use potential_models::TiedGradient;
    ///
    /// let mut g = TiedGradient::zeros(2, 3);
    /// assert_eq!(g.first_non_finite(), None);
    /// g.visible_bias[2] = f32::NAN;
    /// assert_eq!(g.first_non_finite(), Some("visible_bias"));
    /// g.hidden_bias[0] = f32::INFINITY;
    /// assert_eq!(g.first_non_finite(), Some("hidden_bias"));
    /// g.weight[5] = f32::NEG_INFINITY;
    /// assert_eq!(g.first_non_finite(), Some("weight"));
    /// ```
    pub fn first_non_finite(&self) -> Option<&'static str> {
        Self::first_non_finite_in(&self.weight, &self.hidden_bias, &self.visible_bias)
    }

    /// The name of the first of three parameter-shaped tensors (weight, hidden bias, visible bias)
    /// that holds a NaN or ±∞.
    pub fn first_non_finite_in(
        weight: &[f32],
        hidden_bias: &[f32],
        visible_bias: &[f32],
    ) -> Option<&'static str> {
        for (name, v) in [("weight", weight), ("hidden_bias", hidden_bias), ("visible_bias", visible_bias)] {
            if v.iter().any(|x| !x.is_finite()) {
                return Some(name);
            }
        }
        None
    }
}

impl TiedAutoencoder {
    /// The weighted sum of parameter gradients `Σᵢ cᵢ ∂E(xᵢ)/∂θ` over the rows xᵢ of `x` ([n, D]),
    /// with coefficients `coeff` (length n; `None` means all 1). The weight part is one gemm
    /// `(diag(c) h(U))ᵀ X`; the bias parts are accumulated in `f64`.
    ///
    /// # Errors
    /// [`Error::Shape`] if `x` has not D columns or `coeff` not n entries; [`Error::NonFinite`]
    /// (inputs or coefficients); [`Error::OutOfRange`] for a binary model.
    pub fn energy_param_grad(&self, x: MatRef<'_>, coeff: Option<&[f32]>) -> Result<TiedGradient> {
        const OP: &str = "energy_param_grad";
        let xs = self.rows(x, OP)?;
        let (n, h, d) = (xs.n, self.hidden, self.visible);
        if let Some(c) = coeff {
            if c.len() != n {
                return Err(Error::Shape { op: OP, what: "coefficients", expected: n, found: c.len() });
            }
            if let Some(i) = c.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFinite { what: "coefficient", row: i, col: 0, value: c[i] });
            }
        }
        let c = |i: usize| coeff.map_or(1.0, |c| c[i]);
        // Hc = diag(c) h(U), [n, H]
        let mut hc = vec![0.0f32; n * h];
        if h > 0 {
            self.blocks(&xs, &mut hc, h, |r0, nb, s, ob| {
                for i in 0..nb {
                    check_row(r0 + i, xs.row(r0 + i), self.output, None)?;
                }
                self.hidden_pass(s, nb, false);
                for i in 0..nb {
                    let ci = c(r0 + i);
                    for (o, &v) in ob[i * h..(i + 1) * h].iter_mut().zip(&s.h[i * h..(i + 1) * h]) {
                        *o = ci * v;
                    }
                }
                Ok(())
            })?;
        } else {
            for i in 0..n {
                check_row(i, xs.row(i), self.output, None)?;
            }
        }
        let mut g = TiedGradient::zeros_like(self);
        gemm(
            1.0,
            MatRef::from_row_major(&hc, n, h).t(),
            xs.view(0, n),
            0.0,
            MatMut::from_row_major(&mut g.weight, h, d),
            Parallelism::Rayon(0),
        );
        let mut bh = vec![0.0f64; h];
        let mut br = vec![0.0f64; d];
        let mut csum = 0.0f64;
        for i in 0..n {
            for (a, &v) in bh.iter_mut().zip(&hc[i * h..(i + 1) * h]) {
                *a += v as f64;
            }
            let ci = c(i) as f64;
            csum += ci;
            for (a, &v) in br.iter_mut().zip(xs.row(i)) {
                *a += ci * v as f64;
            }
        }
        if self.output == Output::Real {
            for (a, &b) in br.iter_mut().zip(&self.visible_bias) {
                *a -= csum * b as f64;
            }
        }
        g.hidden_bias = bh.into_iter().map(|v| v as f32).collect();
        g.visible_bias = br.into_iter().map(|v| v as f32).collect();
        if let Some(i) = g.weight.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFiniteResult { what: "weight gradient", row: i / d.max(1) });
        }
        Ok(g)
    }
}
