//! [`Precision`]: the arithmetic of the batched energy's encoder product, and the bf16 error bound.
//!
//! # The bf16 energy and its error bound
//! With [`Precision::Bf16`] the product u = Wx of the energy (Eq. 11–21, 28) is computed from x and
//! W rounded to bfloat16 (8 significant bits, relative rounding u_b = 2⁻⁸ per operand) with
//! products summed in `f32`; the bias add, Σₖ H(uₖ + b_hₖ) and the visible term are those of the
//! `f32` path. Per hidden unit k, with sₖ = Σⱼ |xⱼ||wₖⱼ|, aₖ = Σⱼ xⱼwₖⱼ + b_hₖ (exact) and
//! γ_D = D·2⁻²⁴/(1 − D·2⁻²⁴):
//!
//! - each product is off by ≤ (2u_b + u_b²)|xⱼ||wₖⱼ| (bf16 products are exact in `f32`), each
//!   path's `f32` summation by ≤ γ_D·Σ|operands| (≤ γ_D(1 + u_b)²sₖ on the bf16 path), and flushed
//!   subnormals by ≤ D·2⁻¹²⁶, so the two net inputs differ by
//!   δₖ = (2u_b + u_b² + γ_D(1 + (1 + u_b)²))·sₖ + D·2⁻¹²⁶;
//! - after the `f32` bias add both lie in [aₖ − δ′ₖ, aₖ + δ′ₖ], δ′ₖ = δₖ + 2⁻²³(|aₖ| + δₖ);
//! - H′ = h, and |h| is quasi-convex for every activation (its maximum on an interval is at an
//!   end), so |ΔH| ≤ δ′ₖ·Lₖ with Lₖ = max(|h(aₖ − δ′ₖ)|, |h(aₖ + δ′ₖ)|);
//! - each evaluation of H has error ≤ 10⁻⁶·max(1, |H|) (the activation bounds of
//!   `potential-kernels`), twice per unit.
//!
//! So |E_bf16(x) − E_f32(x)| ≤ Σₖ [δ′ₖLₖ + 2·10⁻⁶·max(1, |H(aₖ)| + δ′ₖLₖ)], which
//! [`TiedAutoencoder::bf16_energy_error_bound`] evaluates; for a sigmoid or tanh model (|h| ≤ 1)
//! it is ≈ 2⁻⁷·Σₖ sₖ, about 0.8 % of the ℓ₁ mass of the products. Rankings of many samples move
//! much less than this worst case, since the rounding errors of the 2·D operands are independent
//! and mostly cancel.

use crate::tied::{one_row, rows_of, Encoder};
use crate::{Error, Result, Score, TiedAutoencoder};
use potential_kernels::{Bf16Gemm, Bf16Weights, MatRef};

/// The arithmetic of the encoder product u = Wx of the batched energy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Precision {
    /// `f32` operands and accumulation (the default; every pinned result is on this path).
    #[default]
    F32,
    /// x and W rounded to bfloat16, products accumulated in `f32` (AVX-512 BF16 CPUs only); the
    /// energy moves by at most [`TiedAutoencoder::bf16_energy_error_bound`].
    Bf16,
}

impl Precision {
    /// Every precision.
    pub const ALL: [Precision; 2] = [Precision::F32, Precision::Bf16];

    /// The command-line name: `f32` or `bf16`.
    pub const fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::Bf16 => "bf16",
        }
    }

    /// Whether this CPU (and process) can compute in this precision.
    pub fn is_available(self) -> bool {
        match self {
            Precision::F32 => true,
            Precision::Bf16 => Bf16Gemm::is_available(),
        }
    }
}

impl core::fmt::Display for Precision {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown precision name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown precision `{name}` (expected f32 or bf16)")]
pub struct ParsePrecisionError {
    /// The name given.
    pub name: String,
}

impl core::str::FromStr for Precision {
    type Err = ParsePrecisionError;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Precision::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| ParsePrecisionError { name: s.to_owned() })
    }
}

impl TiedAutoencoder {
    /// [`TiedAutoencoder::energy_batch_into`] in the given precision (bit-identical to it for
    /// [`Precision::F32`]).
    ///
    /// # Errors
    /// As [`TiedAutoencoder::energy_batch_into`], and [`Error::Bf16Unavailable`] for
    /// [`Precision::Bf16`] on a CPU without AVX-512 BF16.
    pub fn energy_batch_into_with(&self, x: MatRef<'_>, out: &mut [f64], precision: Precision) -> Result<()> {
        match precision {
            Precision::F32 => self.energy_blocks(Encoder::F32, x, out),
            Precision::Bf16 => {
                let g = Bf16Gemm::new().ok_or(Error::Bf16Unavailable { what: "energy" })?;
                let w = Bf16Weights::from_rows(self.weight_view());
                self.energy_blocks(Encoder::Bf16(g, &w), x, out)
            }
        }
    }

    /// Energies of the rows of `x` in the given precision; see
    /// [`TiedAutoencoder::energy_batch_into_with`].
    ///
    /// # Errors
    /// As [`TiedAutoencoder::energy_batch_into_with`].
    pub fn energy_batch_with(&self, x: MatRef<'_>, precision: Precision) -> Result<Vec<f64>> {
        let mut out = vec![0.0; x.rows()];
        self.energy_batch_into_with(x, &mut out, precision)?;
        Ok(out)
    }

    /// [`TiedAutoencoder::score_batch`] in the given precision: bf16 applies to the energy only.
    ///
    /// # Errors
    /// As [`TiedAutoencoder::score_batch`]; [`Error::PrecisionUnsupported`] for a score other than
    /// the energy with [`Precision::Bf16`]; [`Error::Bf16Unavailable`] as
    /// [`TiedAutoencoder::energy_batch_into_with`].
    pub fn score_batch_with(&self, x: MatRef<'_>, what: Score, precision: Precision) -> Result<Vec<f64>> {
        match (what, precision) {
            (_, Precision::F32) => self.score_batch(x, what),
            (Score::Energy, Precision::Bf16) => self.energy_batch_with(x, precision),
            (_, Precision::Bf16) => {
                Err(Error::PrecisionUnsupported { score: what.name(), precision: "bf16" })
            }
        }
    }

    /// The bound of the module docs on |E_bf16(x) − E_f32(x)| for one sample, evaluated in `f64`
    /// (O(H·D); for tests and for judging whether bf16 suits a model).
    ///
    /// # Errors
    /// [`Error::Shape`] if `x` does not have D entries; [`Error::NonFinite`] for a NaN/∞ entry.
    pub fn bf16_energy_error_bound(&self, x: &[f32]) -> Result<f64> {
        let xs = rows_of(one_row(x), self.visible, "bf16_energy_error_bound")?;
        if let Some(e) = crate::tied::non_finite_in(0, xs.row(0)) {
            return Err(e);
        }
        let d = self.visible as f64;
        let ub = 2f64.powi(-8);
        let gamma = d * 2f64.powi(-24) / (1.0 - d * 2f64.powi(-24));
        let c = 2.0 * ub + ub * ub + gamma * (1.0 + (1.0 + ub) * (1.0 + ub));
        let f = self.activation;
        let mut total = 0.0f64;
        for (wk, &bk) in self.weight.chunks_exact(self.visible).zip(&self.hidden_bias) {
            let (mut s, mut a) = (0.0f64, bk as f64);
            for (&xj, &wj) in x.iter().zip(wk) {
                let p = xj as f64 * wj as f64;
                s += p.abs();
                a += p;
            }
            let delta = c * s + d * 2f64.powi(-126);
            let delta = delta + 2f64.powi(-23) * (a.abs() + delta);
            let l = (f.h((a - delta) as f32) as f64).abs().max((f.h((a + delta) as f32) as f64).abs());
            let dh = delta * l;
            let h_abs = (f.antiderivative(a as f32) as f64).abs();
            total += dh + 2e-6 * (h_abs + dh).max(1.0);
        }
        // Margin for the f64 evaluation of this bound and of the f32 rounding of h's arguments.
        Ok(total * (1.0 + 1e-6))
    }
}
