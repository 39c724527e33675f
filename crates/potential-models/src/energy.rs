//! Batched forward quantities of a [`TiedAutoencoder`]: hidden code, reconstruction, vector field,
//! energy (Eq. 11–21, 28) and reconstruction error, with single-sample conveniences.

use crate::tied::{check_row, non_finite_in, one_row, Encoder, Scratch};
use crate::{Error, Output, Result, TiedAutoencoder};
use potential_kernels::reference::sigmoid;
use potential_kernels::MatRef;

/// log-odds ξ(x) = log(x/(1 − x)) in f64 (finite for 0 < x < 1).
pub(crate) fn logit(x: f32) -> f64 {
    let x = x as f64;
    (x / (1.0 - x)).ln()
}

/// x log x with 0 log 0 = 0.
fn xlogx(x: f64) -> f64 {
    if x == 0.0 {
        0.0
    } else {
        x * x.ln()
    }
}

impl TiedAutoencoder {
    fn check_out<T>(&self, op: &'static str, out: &[T], n: usize, per_row: usize) -> Result<()> {
        if out.len() != n * per_row {
            return Err(Error::Shape { op, what: "output length", expected: n * per_row, found: out.len() });
        }
        Ok(())
    }

    /// Energies of the rows of `x` ([n, D]) into `out` (length n), accumulated in `f64`:
    ///
    /// - real output (Eq. 11–21): `E(x) = Σₖ H(uₖ) − ½‖x − b_r‖²`, `u = Wx + b_h`;
    /// - binary output (Eq. 28): `E(x) = Σₖ H(uₖ) + b_rᵀx − Σⱼ [xⱼ log xⱼ + (1−xⱼ) log(1−xⱼ)]`
    ///   with 0·log 0 = 0, so binary x have no entropy term.
    ///
    /// H is the antiderivative of the activation with the constants of `potential-activations`
    /// (no constant dropped). ∇ₓE = r(x) − x (real) or B(x) (binary): higher E = better represented.
    /// One gemm per block of rows plus one fused pass; rows run in parallel on the current rayon pool.
    ///
    /// # Errors
    /// [`Error::Shape`] if `x` does not have D columns or `out` has not n entries;
    /// [`Error::NonFinite`] naming the row and column of a NaN/∞ input; [`Error::OutOfRange`] for a
    /// binary model and an input outside [0, 1]; [`Error::NonFiniteResult`] if an energy overflows.
    pub fn energy_batch_into(&self, x: MatRef<'_>, out: &mut [f64]) -> Result<()> {
        self.energy_blocks(Encoder::F32, x, out)
    }

    /// [`TiedAutoencoder::energy_batch_into`] with the encoder product computed by `enc`.
    pub(crate) fn energy_blocks(&self, enc: Encoder<'_>, x: MatRef<'_>, out: &mut [f64]) -> Result<()> {
        const OP: &str = "energy";
        let xs = self.rows(x, OP)?;
        self.check_out(OP, out, xs.n, 1)?;
        let h = self.hidden;
        let f = self.activation;
        // The gemm writes Wx without the bias (β = 0: no bias rows to fill); the bias add is fused
        // into the row sum Σₖ H(uₖ + b_hₖ), so each row of the block is read once after the product.
        self.blocks_with(enc, &xs, out, 1, |r0, _nb, s: &mut Scratch, ob| {
            for (i, o) in ob.iter_mut().enumerate() {
                let row = r0 + i;
                let xr = xs.row(row);
                let wx = &s.u[i * h..(i + 1) * h]; // Wx, bias not yet added
                let hidden = potential_kernels::antiderivative_sum_bias(wx, &self.hidden_bias, f);
                let visible = match self.output {
                    Output::Real => {
                        let q = potential_kernels::sq_dist(xr, &self.visible_bias);
                        if !q.is_finite() {
                            if let Some(e) = non_finite_in(row, xr) {
                                return Err(e);
                            }
                        }
                        -0.5 * q
                    }
                    Output::Binary => binary_visible_term(row, xr, &self.visible_bias)?,
                };
                let e = hidden + visible;
                if !e.is_finite() {
                    return Err(Error::NonFiniteResult { what: "energy", row });
                }
                *o = e;
            }
            Ok(())
        })
    }

    /// Energies of the rows of `x` ([n, D]); see [`TiedAutoencoder::energy_batch_into`].
    ///
    /// # Errors
    /// As [`TiedAutoencoder::energy_batch_into`].
    pub fn energy_batch(&self, x: MatRef<'_>) -> Result<Vec<f64>> {
        let mut out = vec![0.0; x.rows()];
        self.energy_batch_into(x, &mut out)?;
        Ok(out)
    }

    /// The energy E(x) of one sample (Eq. 11–21 real, Eq. 28 binary); higher = more confident.
    ///
    /// # Errors
    /// As [`TiedAutoencoder::energy_batch_into`].
    pub fn energy(&self, x: &[f32]) -> Result<f64> {
        let mut out = [0.0];
        self.energy_batch_into(one_row(x), &mut out)?;
        Ok(out[0])
    }

    /// Hidden codes h(Wx + b_h) of the rows of `x`, as [n, H] row-major.
    ///
    /// # Errors
    /// [`Error::Shape`], [`Error::NonFinite`] (input), [`Error::OutOfRange`] (binary model).
    pub fn encode_batch(&self, x: MatRef<'_>) -> Result<Vec<f32>> {
        const OP: &str = "encode";
        let xs = self.rows(x, OP)?;
        let h = self.hidden;
        let mut out = vec![0.0f32; xs.n * h];
        if h == 0 {
            for i in 0..xs.n {
                check_row(i, xs.row(i), self.output, None)?;
            }
            return Ok(out);
        }
        self.blocks(&xs, &mut out, h, |r0, nb, s, ob| {
            for i in 0..nb {
                check_row(r0 + i, xs.row(r0 + i), self.output, None)?;
            }
            self.hidden_pass(s, nb, false);
            ob.copy_from_slice(&s.h[..nb * h]);
            Ok(())
        })?;
        Ok(out)
    }

    /// The hidden code h(Wx + b_h) of one sample (length H).
    ///
    /// # Errors
    /// As [`TiedAutoencoder::encode_batch`].
    pub fn encode(&self, x: &[f32]) -> Result<Vec<f32>> {
        self.encode_batch(one_row(x))
    }

    /// Shared driver: hidden pass, decoder, then `g(row, x_row, a_row, out_row)` with
    /// `a = Wᵀh + b_r` (pre-sigmoid for binary output).
    fn decode_rows<G>(
        &self,
        op: &'static str,
        x: MatRef<'_>,
        per_row: usize,
        out: &mut [f32],
        g: G,
    ) -> Result<()>
    where
        G: Fn(usize, &[f32], &[f32], &mut [f32]) -> Result<()> + Sync,
    {
        let xs = self.rows(x, op)?;
        self.check_out(op, out, xs.n, per_row)?;
        let d = self.visible;
        self.blocks(&xs, out, per_row, |r0, nb, s, ob| {
            self.hidden_pass(s, nb, false);
            self.decode_pass(s, nb);
            for i in 0..nb {
                let row = r0 + i;
                g(row, xs.row(row), &s.r[i * d..(i + 1) * d], &mut ob[i * per_row..(i + 1) * per_row])?;
            }
            Ok(())
        })
    }

    /// Reconstructions r(x) of the rows of `x`, [n, D] row-major: `Wᵀh(u) + b_r` (real) or
    /// `σ(Wᵀh(u) + b_r)` (binary).
    ///
    /// # Errors
    /// [`Error::Shape`], [`Error::NonFinite`] (input), [`Error::OutOfRange`] (binary model),
    /// [`Error::NonFiniteResult`] on overflow.
    pub fn reconstruct_batch(&self, x: MatRef<'_>) -> Result<Vec<f32>> {
        let d = self.visible;
        let mut out = vec![0.0f32; x.rows() * d];
        let output = self.output;
        self.decode_rows("reconstruct", x, d, &mut out, |row, xr, a, o| {
            check_row(row, xr, output, None)?;
            for (oj, &aj) in o.iter_mut().zip(a) {
                *oj = if output == Output::Binary { sigmoid(aj) } else { aj };
            }
            if o.iter().any(|v| !v.is_finite()) {
                return Err(Error::NonFiniteResult { what: "reconstruction", row });
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The reconstruction r(x) of one sample.
    ///
    /// # Errors
    /// As [`TiedAutoencoder::reconstruct_batch`].
    pub fn reconstruct(&self, x: &[f32]) -> Result<Vec<f32>> {
        self.reconstruct_batch(one_row(x))
    }

    /// The vector field ∇ₓE of the rows of `x`, [n, D]: `r(x) − x` for real output (Eq. 9), and for
    /// binary output `B(x) = ξ(r(x)) − ξ(x) = Wᵀh(u) + b_r − ξ(x)` with ξ = log(x/(1−x)) (Eq. 27).
    ///
    /// # Errors
    /// [`Error::Shape`], [`Error::NonFinite`]; for a binary model [`Error::OutOfRange`] and
    /// [`Error::OnBoundary`] (B is infinite where some xⱼ ∈ {0, 1}).
    pub fn vector_field_batch(&self, x: MatRef<'_>) -> Result<Vec<f32>> {
        let d = self.visible;
        let mut out = vec![0.0f32; x.rows() * d];
        let output = self.output;
        self.decode_rows("vector_field", x, d, &mut out, |row, xr, a, o| {
            match output {
                Output::Real => {
                    check_row(row, xr, output, None)?;
                    for ((oj, &aj), &xj) in o.iter_mut().zip(a).zip(xr) {
                        *oj = aj - xj;
                    }
                }
                Output::Binary => {
                    check_row(row, xr, output, Some("vector field B(x)"))?;
                    for ((oj, &aj), &xj) in o.iter_mut().zip(a).zip(xr) {
                        *oj = (aj as f64 - logit(xj)) as f32;
                    }
                }
            }
            if o.iter().any(|v| !v.is_finite()) {
                return Err(Error::NonFiniteResult { what: "vector field", row });
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The vector field ∇ₓE(x) of one sample; see [`TiedAutoencoder::vector_field_batch`].
    ///
    /// # Errors
    /// As [`TiedAutoencoder::vector_field_batch`].
    pub fn vector_field(&self, x: &[f32]) -> Result<Vec<f32>> {
        self.vector_field_batch(one_row(x))
    }

    /// Reconstruction errors ‖r(x) − x‖² (summed over dimensions, in `f64`) of the rows of `x`.
    ///
    /// # Errors
    /// As [`TiedAutoencoder::reconstruct_batch`].
    pub fn reconstruction_error_batch(&self, x: MatRef<'_>) -> Result<Vec<f64>> {
        const OP: &str = "reconstruction_error";
        let xs = self.rows(x, OP)?;
        let d = self.visible;
        let mut out = vec![0.0f64; xs.n];
        let output = self.output;
        self.blocks(&xs, &mut out, 1, |r0, nb, s, ob| {
            self.hidden_pass(s, nb, false);
            self.decode_pass(s, nb);
            for (i, o) in ob.iter_mut().enumerate() {
                let row = r0 + i;
                let xr = xs.row(row);
                check_row(row, xr, output, None)?;
                let a = &mut s.r[i * d..(i + 1) * d];
                if output == Output::Binary {
                    for v in a.iter_mut() {
                        *v = sigmoid(*v);
                    }
                }
                let e = potential_kernels::sq_dist(a, xr);
                if !e.is_finite() {
                    return Err(Error::NonFiniteResult { what: "reconstruction error", row });
                }
                *o = e;
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The reconstruction error ‖r(x) − x‖² of one sample.
    ///
    /// # Errors
    /// As [`TiedAutoencoder::reconstruct_batch`].
    pub fn reconstruction_error(&self, x: &[f32]) -> Result<f64> {
        Ok(self.reconstruction_error_batch(one_row(x))?[0])
    }
}

/// `b_rᵀx − Σⱼ [xⱼ log xⱼ + (1−xⱼ) log(1−xⱼ)]` (Eq. 28 without the hidden term), checking x ∈ [0, 1].
fn binary_visible_term(row: usize, x: &[f32], br: &[f32]) -> Result<f64> {
    let mut acc = 0.0f64;
    for (col, (&xj, &bj)) in x.iter().zip(br).enumerate() {
        if !xj.is_finite() {
            return Err(Error::NonFinite { what: "input", row, col, value: xj });
        }
        if !(0.0..=1.0).contains(&xj) {
            return Err(Error::OutOfRange { row, col, value: xj });
        }
        let v = xj as f64;
        acc += bj as f64 * v - xlogx(v) - xlogx(1.0 - v);
    }
    Ok(acc)
}
