//! The detector's input scaler: fitted on the training rows, stored in the detector file, applied to
//! every scored row before the autoencoders see it.

use super::{percentile_sorted, DetectorError};
use serde::{Deserialize, Serialize};

/// How the columns are scaled before the autoencoders see them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScalerKind {
    /// x' = (x − min) / (max − min), per column (a constant column is only shifted).
    MinMax,
    /// x' = (x − mean) / sd, per column (a constant column is only shifted).
    Standard,
    /// Per column, the empirical CDF of the training rows followed by the standard normal quantile
    /// function Φ⁻¹ (scikit-learn's `QuantileTransformer(output_distribution="normal")`): every
    /// column becomes standard normal on the training rows whatever its marginal, heavy tails and
    /// ties included. Values beyond the training range map to the extreme quantiles
    /// Φ⁻¹(1e-7), Φ⁻¹(1 − 1e-7) = ∓5.2.
    Quantile,
}

impl ScalerKind {
    /// The name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ScalerKind::MinMax => "min-max",
            ScalerKind::Standard => "standard",
            ScalerKind::Quantile => "quantile",
        }
    }

    /// Parse a name of [`ScalerKind::name`].
    ///
    /// # Errors
    /// [`DetectorError::Config`] for an unknown name.
    pub fn from_name(s: &str) -> Result<Self, DetectorError> {
        match s {
            "min-max" | "minmax" => Ok(Self::MinMax),
            "standard" => Ok(Self::Standard),
            "quantile" => Ok(Self::Quantile),
            _ => Err(DetectorError::Config {
                field: "scaler",
                value: s.to_owned(),
                reason: "must be one of min-max, standard, quantile".into(),
            }),
        }
    }
}

/// Largest number of quantiles stored per column (scikit-learn's default `n_quantiles`).
pub const MAX_QUANTILES: usize = 1000;

/// The clip of the quantile scaler's probabilities, as scikit-learn's `BOUNDS_THRESHOLD`.
const P_CLIP: f64 = 1e-7;

/// A fitted per-column scaler.
///
/// `MinMax` and `Standard` are affine, x' = (x − shift)·scale, with `shift` and `scale` of
/// length D. `Quantile` stores, per column, the training values at `q` evenly spaced probabilities
/// (`quantiles`, [q, D] row-major, each column non-decreasing).
#[derive(Clone, Debug, PartialEq)]
pub enum Scaler {
    /// x' = (x − shift)·scale.
    Affine {
        /// Which affine scaler.
        kind: ScalerKind,
        /// Per-column shift.
        shift: Vec<f32>,
        /// Per-column scale (finite, > 0).
        scale: Vec<f32>,
    },
    /// The quantile transform.
    Quantile {
        /// Number of columns.
        d: usize,
        /// [q, D] row-major: row i holds the training values at probability i / (q − 1).
        quantiles: Vec<f32>,
    },
}

impl Scaler {
    /// Fit `kind` on the row-major [n, d] matrix `x` (finite values, n ≥ 1, d ≥ 1).
    pub fn fit(kind: ScalerKind, x: &[f32], n: usize, d: usize) -> Self {
        debug_assert_eq!(x.len(), n * d);
        match kind {
            ScalerKind::MinMax => {
                let mut lo = vec![f32::INFINITY; d];
                let mut hi = vec![f32::NEG_INFINITY; d];
                for row in x.chunks_exact(d) {
                    for j in 0..d {
                        lo[j] = lo[j].min(row[j]);
                        hi[j] = hi[j].max(row[j]);
                    }
                }
                let scale = lo.iter().zip(&hi).map(|(&l, &h)| inverse_spread(h as f64 - l as f64)).collect();
                Scaler::Affine { kind, shift: lo, scale }
            }
            ScalerKind::Standard => {
                let mut mean = vec![0.0f64; d];
                for row in x.chunks_exact(d) {
                    for j in 0..d {
                        mean[j] += row[j] as f64;
                    }
                }
                mean.iter_mut().for_each(|m| *m /= n as f64);
                let mut var = vec![0.0f64; d];
                for row in x.chunks_exact(d) {
                    for j in 0..d {
                        let c = row[j] as f64 - mean[j];
                        var[j] += c * c;
                    }
                }
                let scale = var.iter().map(|v| inverse_spread((v / n as f64).sqrt())).collect();
                Scaler::Affine { kind, shift: mean.iter().map(|&m| m as f32).collect(), scale }
            }
            ScalerKind::Quantile => {
                let q = n.clamp(2, MAX_QUANTILES);
                let mut quantiles = vec![0.0f32; q * d];
                let mut col = vec![0.0f64; n];
                for j in 0..d {
                    for (c, row) in col.iter_mut().zip(x.chunks_exact(d)) {
                        *c = row[j] as f64;
                    }
                    col.sort_by(f64::total_cmp);
                    for i in 0..q {
                        quantiles[i * d + j] = percentile_sorted(&col, i as f64 / (q - 1) as f64) as f32;
                    }
                }
                Scaler::Quantile { d, quantiles }
            }
        }
    }

    /// Which scaler this is.
    pub fn kind(&self) -> ScalerKind {
        match self {
            Scaler::Affine { kind, .. } => *kind,
            Scaler::Quantile { .. } => ScalerKind::Quantile,
        }
    }

    /// Number of columns.
    pub fn dim(&self) -> usize {
        match self {
            Scaler::Affine { shift, .. } => shift.len(),
            Scaler::Quantile { d, .. } => *d,
        }
    }

    /// Scale the row-major matrix `x` (`x.len()` a multiple of [`Scaler::dim`]) into `out`.
    pub fn transform_into(&self, x: &[f32], out: &mut Vec<f32>) {
        out.clear();
        out.reserve(x.len());
        match self {
            Scaler::Affine { shift, scale, .. } => {
                for row in x.chunks_exact(shift.len()) {
                    out.extend(row.iter().zip(shift).zip(scale).map(|((&v, &s), &k)| (v - s) * k));
                }
            }
            Scaler::Quantile { d, quantiles } => {
                let q = quantiles.len() / d;
                let mut colq = vec![0.0f32; q];
                let start = out.len();
                out.resize(start + x.len(), 0.0);
                for j in 0..*d {
                    for (i, c) in colq.iter_mut().enumerate() {
                        *c = quantiles[i * d + j];
                    }
                    for (o, row) in out[start..].chunks_exact_mut(*d).zip(x.chunks_exact(*d)) {
                        o[j] = quantile_normal(&colq, row[j]) as f32;
                    }
                }
            }
        }
    }

    /// [`Scaler::transform_into`] into a new vector.
    pub fn transform(&self, x: &[f32]) -> Vec<f32> {
        let mut out = Vec::new();
        self.transform_into(x, &mut out);
        out
    }
}

/// 1 / spread, or 1 for a spread that is 0 (a constant column) or not finite.
fn inverse_spread(spread: f64) -> f32 {
    let s = (1.0 / spread) as f32;
    if spread > 0.0 && s.is_finite() && s > 0.0 {
        s
    } else {
        1.0
    }
}

/// Where `v` falls in the non-decreasing `q` (evenly spaced probabilities 0 … 1), as scikit-learn's
/// `QuantileTransformer` computes it: the mean of the forward and the backward linear
/// interpolation (so a run of tied quantiles maps to the middle of its probability range), clipped
/// to [1e-7, 1 − 1e-7], then Φ⁻¹.
fn quantile_normal(q: &[f32], v: f32) -> f64 {
    let n = q.len();
    let step = 1.0 / (n - 1) as f64;
    let p = if v <= q[0] {
        0.0
    } else if v >= q[n - 1] {
        1.0
    } else {
        let v = v as f64;
        // Forward: the last index with q[i] <= v; backward: the first index with q[i] >= v.
        let hi_f = q.partition_point(|&x| (x as f64) <= v); // q[hi_f - 1] <= v < q[hi_f]
        let lo_b = q.partition_point(|&x| (x as f64) < v); // q[lo_b - 1] < v <= q[lo_b]
        let interp = |i: usize| {
            let (a, b) = (q[i - 1] as f64, q[i] as f64);
            let t = if b > a { (v - a) / (b - a) } else { 0.0 };
            ((i - 1) as f64 + t) * step
        };
        let fwd = interp(hi_f);
        let bwd = if q[lo_b] as f64 == v { lo_b as f64 * step } else { interp(lo_b) };
        0.5 * (fwd + bwd)
    };
    probit(p.clamp(P_CLIP, 1.0 - P_CLIP))
}

/// Φ⁻¹(p), the standard normal quantile function, for p in (0, 1): Wichura's AS 241 (PPND16),
/// relative error about 1e-16.
// The coefficients are AS 241's as published, digit for digit (more than f64 holds).
#[allow(clippy::excessive_precision)]
pub fn probit(p: f64) -> f64 {
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q
            * (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853)
                * r
                + 45921.953931549871457)
                * r
                + 13731.693765509461125)
                * r
                + 1971.5909503065514427)
                * r
                + 133.14166789178437745)
                * r
                + 3.387132872796366608)
            / (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r
                + 21213.794301586595867)
                * r
                + 5394.1960214247511077)
                * r
                + 687.1870074920579083)
                * r
                + 42.313330701600911252)
                * r
                + 1.0);
    }
    let mut r = if q < 0.0 { p } else { 1.0 - p };
    r = (-r.ln()).sqrt();
    let val = if r <= 5.0 {
        let r = r - 1.6;
        (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r
            + 1.27045825245236838258)
            * r
            + 3.64784832476320460504)
            * r
            + 5.7694972214606914055)
            * r
            + 4.6303378461565452959)
            * r
            + 1.42343711074968357734)
            / (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r
                + 0.0151986665636164571966)
                * r
                + 0.14810397642748007459)
                * r
                + 0.68976733498510000455)
                * r
                + 1.6763848301838038494)
                * r
                + 2.05319162663775882187)
                * r
                + 1.0)
    } else {
        let r = r - 5.0;
        (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386)
            * r
            + 0.026532189526576123093)
            * r
            + 0.29656057182850489123)
            * r
            + 1.7848265399172913358)
            * r
            + 5.4637849111641143699)
            * r
            + 6.6579046435011037772)
            / (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r
                + 1.8463183175100546818e-5)
                * r
                + 7.868691311456132591e-4)
                * r
                + 0.0148753612908506148525)
                * r
                + 0.13692988092273580531)
                * r
                + 0.59983220655588793769)
                * r
                + 1.0)
    };
    if q < 0.0 {
        -val
    } else {
        val
    }
}
