//! Why is this row strange? An exact per-feature attribution of the energy.
//!
//! The energy's gradient is the reconstruction field, ∇E = r(x) − x (Eq. 9), so along the straight
//! path x(t) = x₀ + t(x − x₀) from a reference point x₀,
//!
//! E(x) − E(x₀) = Σⱼ cⱼ,  cⱼ = (xⱼ − x₀ⱼ) ∫₀¹ (r(x(t)) − x(t))ⱼ dt,
//!
//! exactly (the field is a gradient, so the path integral does not depend on the path; the straight
//! one gives each feature its own share: integrated gradients with no approximation of the model).
//! cⱼ < 0 means feature j lowers the energy — makes the row less typical than x₀.
//!
//! For relu and modulus hiddens the field has kinks where some uₖ(x(t)) = 0 (uₖ is affine in t); the
//! path is cut there and each smooth piece integrated on its own. Each integral is computed by
//! Gauss–Legendre quadrature with n and 2n nodes per piece; the 2n-node
//! values are returned and |Σⱼ (c⁽²ⁿ⁾ⱼ − c⁽ⁿ⁾ⱼ)|, the change of the total, is the error estimate
//! (for a smooth field it bounds the n-node error and so, loosely, the 2n-node one). Fields that
//! are polynomials along the path (linear, square hiddens: degree ≤ 3) are integrated exactly
//! once 2n ≥ 2 nodes.
//!
//! # Example
//! ```
//! use potential_activations::ActivationKind;
//! use potential_kernels::MatRef;
//! use potential_models::{explain, Output, TiedAutoencoder};
//!
//! let m = TiedAutoencoder::new(vec![0.6, -0.8, 0.3, 0.5], vec![0.1, -0.2], vec![0.0, 0.1], ActivationKind::Sigmoid, Output::Real)?;
//! let x = [1.5f32, -2.0];
//! let a = explain::attribute(&m, MatRef::from_row_major(&x, 1, 2), &[0.0, 0.0], 8)?;
//! let total: f64 = a.contributions.iter().sum();
//! assert!((total - (a.energy[0] - a.reference_energy)).abs() <= a.error[0] + 1e-5);
//! # Ok::<(), potential_models::Error>(())
//! ```

use crate::{Error, Result, TiedAutoencoder};
use potential_activations::ActivationKind;
use potential_kernels::MatRef;

/// Gauss–Legendre nodes and weights on [0, 1] for `n` ≥ 1 points (Newton iteration on the
/// Legendre polynomial Pₙ in f64; exact for polynomials of degree ≤ 2n − 1).
pub fn gauss_legendre(n: usize) -> (Vec<f64>, Vec<f64>) {
    let n = n.max(1);
    let (mut nodes, mut weights) = (vec![0.0; n], vec![0.0; n]);
    for i in 0..n {
        // Initial guess (Tricomi), then Newton on Pₙ(z) over [−1, 1].
        let mut z = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            let (mut p0, mut p1) = (1.0f64, z);
            for k in 2..=n {
                let p2 = ((2 * k - 1) as f64 * z * p1 - (k - 1) as f64 * p0) / k as f64;
                p0 = p1;
                p1 = p2;
            }
            let pn = if n == 1 { z } else { p1 };
            let pn1 = if n == 1 { 1.0 } else { p0 };
            dp = n as f64 * (z * pn - pn1) / (z * z - 1.0);
            let dz = pn / dp;
            z -= dz;
            if dz.abs() < 1e-16 {
                break;
            }
        }
        // Map [−1, 1] → [0, 1]: t = (1 − z)/2 (ascending in i), weight halves.
        nodes[i] = 0.5 * (1.0 - z);
        weights[i] = 1.0 / ((1.0 - z * z) * dp * dp);
    }
    (nodes, weights)
}

/// The attribution of a block of rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribution {
    /// Rows.
    pub n: usize,
    /// Columns.
    pub d: usize,
    /// [n, D] row-major: cⱼ of every row (2n-node quadrature).
    pub contributions: Vec<f64>,
    /// E(x) of every row.
    pub energy: Vec<f64>,
    /// E(x₀).
    pub reference_energy: f64,
    /// Per row, |Σⱼ (c⁽²ⁿ⁾ⱼ − c⁽ⁿ⁾ⱼ)|: the quadrature's error estimate of the total.
    pub error: Vec<f64>,
}

/// Attribute E(x) − E(x₀) to the features of every row of `x` along the straight path from
/// `reference` (e.g. the mean training row), with `nodes` and 2·`nodes` Gauss–Legendre points.
///
/// # Errors
/// [`Error::Shape`] for a `reference` whose length differs from the rows'; the errors of
/// [`TiedAutoencoder::vector_field_batch`] and [`TiedAutoencoder::energy`] (wrong width, non-finite
/// values).
pub fn attribute(
    model: &TiedAutoencoder,
    x: MatRef<'_>,
    reference: &[f32],
    nodes: usize,
) -> Result<Attribution> {
    let (n, d) = (x.rows(), x.cols());
    if d != reference.len() {
        return Err(Error::Shape {
            op: "attribute",
            what: "reference length",
            expected: d,
            found: reference.len(),
        });
    }
    let reference_energy = model.energy(reference)?;
    let coarse = path_integral(model, x, reference, nodes)?;
    let fine = path_integral(model, x, reference, 2 * nodes.max(1))?;
    let mut error = Vec::with_capacity(n);
    let mut contributions = Vec::with_capacity(n * d);
    for i in 0..n {
        let (c, f) = (&coarse[i * d..(i + 1) * d], &fine[i * d..(i + 1) * d]);
        error.push((f.iter().sum::<f64>() - c.iter().sum::<f64>()).abs());
        contributions.extend_from_slice(f);
    }
    let energy = model.energy_batch(x)?;
    Ok(Attribution { n, d, contributions, energy, reference_energy, error })
}

/// The quadrature points of one row's path: `q`-node Gauss–Legendre on every piece of [0, 1]
/// between the kinks of a piecewise activation (relu, modulus: where some uₖ(x(t)) = 0, uₖ being
/// affine in t), so that each piece's integrand is smooth.
fn row_rule(model: &TiedAutoencoder, x: &[f32], x0: &[f32], t: &[f64], w: &[f64]) -> Vec<(f64, f64)> {
    let mut cuts = vec![0.0, 1.0];
    if matches!(model.activation(), ActivationKind::Relu | ActivationKind::Modulus) {
        let d = x.len();
        for (k, wk) in model.weight().chunks_exact(d).enumerate() {
            let b = model.hidden_bias()[k] as f64;
            let u0: f64 = b + wk.iter().zip(x0).map(|(&a, &v)| a as f64 * v as f64).sum::<f64>();
            let u1: f64 = b + wk.iter().zip(x).map(|(&a, &v)| a as f64 * v as f64).sum::<f64>();
            if (u0 < 0.0) != (u1 < 0.0) {
                cuts.push(u0 / (u0 - u1));
            }
        }
        cuts.sort_unstable_by(f64::total_cmp);
        cuts.dedup();
    }
    let mut rule = Vec::with_capacity((cuts.len() - 1) * t.len());
    for pair in cuts.windows(2) {
        let (a, len) = (pair[0], pair[1] - pair[0]);
        if len > 0.0 {
            rule.extend(t.iter().zip(w).map(|(&ti, &wi)| (a + len * ti, len * wi)));
        }
    }
    rule
}

/// (xⱼ − x₀ⱼ) Σ_q w_q (r − x)ⱼ(x(t_q)) for every row, with `q` nodes per smooth piece.
fn path_integral(model: &TiedAutoencoder, x: MatRef<'_>, x0: &[f32], q: usize) -> Result<Vec<f64>> {
    let (n, d) = (x.rows(), x.cols());
    let (t, w) = gauss_legendre(q);
    let mut out = vec![0.0f64; n * d];
    let mut row = vec![0.0f32; d];
    for i in 0..n {
        for (j, r) in row.iter_mut().enumerate() {
            *r = x.get(i, j);
        }
        let rule = row_rule(model, &row, x0, &t, &w);
        let mut pts = Vec::with_capacity(rule.len() * d);
        for &(tk, _) in &rule {
            pts.extend(row.iter().zip(x0).map(|(&v, &v0)| (v0 as f64 + tk * (v as f64 - v0 as f64)) as f32));
        }
        let field = model.vector_field_batch(MatRef::from_row_major(&pts, rule.len(), d))?;
        let o = &mut out[i * d..(i + 1) * d];
        for (&(_, wk), f) in rule.iter().zip(field.chunks_exact(d)) {
            for (oj, &fj) in o.iter_mut().zip(f) {
                *oj += wk * fj as f64;
            }
        }
        for ((oj, &v), &v0) in o.iter_mut().zip(&row).zip(x0) {
            *oj *= v as f64 - v0 as f64;
        }
    }
    Ok(out)
}
