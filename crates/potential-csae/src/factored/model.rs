//! [`FactoredCsae`]: shared factor matrices, class factor weights and biases (Eq. 46–50), and the
//! classifier of Eq. 45 on its class energies.

use crate::training::loss::visible_term;
use crate::{Csae, Error, Result};
use potential_activations::ActivationKind;
use potential_kernels::{antiderivative_sum, bias_act, gemm, MatMut, MatRef, Parallelism};
use potential_models::{Output, TiedAutoencoder};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

/// Rows per block of the batched evaluation (each block: one sequential gemm per layer, then row
/// passes); fixed, so results do not depend on the number of threads.
const BLOCK: usize = 256;

/// The factored class-specific autoencoder classifier (Sec. 4.1, Eq. 46–50).
///
/// Parameters (row-major `f32`):
/// - Wˣ \[D, F\] ([`FactoredCsae::input_factors`]) and Wʰ \[F, H\] ([`FactoredCsae::hidden_factors`]),
///   shared by every class;
/// - Wᶠ \[K, F\] ([`FactoredCsae::class_factors`]): row j weighs the F factors for class j;
/// - Bʰ \[K, H\] and Bʳ \[K, D\]: hidden and visible biases of class j's autoencoder;
/// - C \[K\]: the class biases of Eq. 45.
///
/// Class j is the tied autoencoder with D×H weight Wʲ = Wˣ diag(Wᶠⱼ) Wʰ (Eq. 48, 50), hidden net
/// input uʲ(x) = xᵀWʲ + Bʰⱼ (Eq. 46), reconstruction r(x) = Wʲh(uʲ) + Bʳⱼ (Eq. 47, 49; σ of it for
/// binary output), and so it has the energy of Eq. 11–21,
///
/// `Eⱼ(x) = Σₖ H(uʲₖ) − ½‖x − Bʳⱼ‖²` (real output; Eq. 28's visible term for binary output).
///
/// The logits of Eq. 45 are sⱼ(x) = Eⱼ(x) + Cⱼ. Energies follow the sign convention of
/// `potential-models` (higher = better represented).
///
/// Evaluation never forms Wʲ: per block of rows it computes P = X Wˣ once (\[B, F\]), scales it by
/// each class's factor weights and multiplies the K stacked blocks by Wʰ in one gemm, costing
/// B·D·F + K·B·F·H multiply-adds instead of K·B·D·H. [`FactoredCsae::class_model`] materialises a
/// class's autoencoder when one is wanted (filters, interoperability, tests).
#[derive(Clone, Debug, PartialEq)]
pub struct FactoredCsae {
    pub(crate) d: usize,
    pub(crate) f: usize,
    pub(crate) h: usize,
    pub(crate) w_x: Vec<f32>,
    pub(crate) w_h: Vec<f32>,
    pub(crate) w_f: Vec<f32>,
    pub(crate) b_h: Vec<f32>,
    pub(crate) b_r: Vec<f32>,
    pub(crate) class_bias: Vec<f32>,
    pub(crate) names: Vec<String>,
    pub(crate) activation: ActivationKind,
    pub(crate) output: Output,
    pub(crate) provenance: Option<String>,
}

/// The parameters of a [`FactoredCsae`] by value (layouts at [`FactoredCsae`]); K is the length of
/// `class_bias`.
#[derive(Clone, Debug, PartialEq)]
pub struct FactoredParams {
    /// Input dimension D.
    pub visible: usize,
    /// Number of factors F.
    pub factors: usize,
    /// Hidden units H per class.
    pub hidden: usize,
    /// Wˣ \[D, F\].
    pub input_factors: Vec<f32>,
    /// Wʰ \[F, H\].
    pub hidden_factors: Vec<f32>,
    /// Wᶠ \[K, F\].
    pub class_factors: Vec<f32>,
    /// Bʰ \[K, H\].
    pub hidden_bias: Vec<f32>,
    /// Bʳ \[K, D\].
    pub visible_bias: Vec<f32>,
    /// C \[K\].
    pub class_bias: Vec<f32>,
}

/// Mutable views of the parameters of a [`FactoredCsae`] (for training code and tests).
#[derive(Debug)]
pub struct FactoredParamsMut<'a> {
    /// Wˣ \[D, F\].
    pub input_factors: &'a mut [f32],
    /// Wʰ \[F, H\].
    pub hidden_factors: &'a mut [f32],
    /// Wᶠ \[K, F\].
    pub class_factors: &'a mut [f32],
    /// Bʰ \[K, H\].
    pub hidden_bias: &'a mut [f32],
    /// Bʳ \[K, D\].
    pub visible_bias: &'a mut [f32],
    /// C \[K\].
    pub class_bias: &'a mut [f32],
}

/// Buffers of one forward pass over `nb` rows: P \[nb, F\], Q \[K·nb, F\], U and h(U) \[K·nb, H\]
/// (class j's rows at j·nb..(j+1)·nb), energies class-major \[K·nb\].
pub(crate) struct Forward<'a> {
    pub p: &'a mut [f32],
    pub q: &'a mut [f32],
    pub u: &'a mut [f32],
    pub hu: &'a mut [f32],
    pub e: &'a mut [f64],
}

impl FactoredCsae {
    /// A classifier from its parameters, class names (K = `names.len()`), activation and output.
    ///
    /// # Errors
    /// [`Error::Data`] for a zero size, a length that does not match the shapes, a name count
    /// other than K, or a non-finite parameter (naming the tensor).
    pub fn new(
        params: FactoredParams,
        names: Vec<String>,
        activation: ActivationKind,
        output: Output,
    ) -> Result<Self> {
        let FactoredParams {
            visible: d,
            factors: f,
            hidden: h,
            input_factors,
            hidden_factors,
            class_factors,
            hidden_bias,
            visible_bias,
            class_bias,
        } = params;
        let m = Self {
            d,
            f,
            h,
            w_x: input_factors,
            w_h: hidden_factors,
            w_f: class_factors,
            b_h: hidden_bias,
            b_r: visible_bias,
            class_bias,
            names,
            activation,
            output,
            provenance: None,
        };
        m.validate()?;
        Ok(m)
    }

    /// A freshly initialised classifier for `names.len()` classes: Wˣ uniform in ±√(6/(D + F)), Wʰ
    /// uniform in ±√(6/(F + H)) (Glorot; for D ≈ F ≈ H each Wʲ then has about the spread of a
    /// Glorot-initialised D×H matrix), every class factor weight 1 (also for sigmoid hiddens: Glorot's
    /// ×4 sigmoid bound saturates tied autoencoders on pixels, see `CsaeConfig::init_scale`; on
    /// RECTANGLES-image it left every hidden unit dead from the first epoch), Bʰ = 0, C = 0, and Bʳⱼ = `class_means` row j when given (else 0).
    /// Drawn from a Xoshiro256++ generator seeded with `seed`.
    ///
    /// # Errors
    /// [`Error::Data`] for a zero size or `class_means` of the wrong length;
    /// [`Error::InvalidConfig`] (field `factors`) when the parameters would exceed
    /// [`potential_train::MAX_PARAMETERS`], checked before anything is allocated.
    pub fn init(
        visible: usize,
        factors: usize,
        hidden: usize,
        names: Vec<String>,
        activation: ActivationKind,
        output: Output,
        class_means: Option<&[f32]>,
        seed: u64,
    ) -> Result<Self> {
        let k = names.len();
        check_size(visible, factors, hidden, k)?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut uniform = |n: usize, a: usize, b: usize| -> Vec<f32> {
            let s = (6.0 / (a + b).max(1) as f64).sqrt() as f32;
            (0..n).map(|_| (2.0 * unit(rng.next_u32()) - 1.0) * s).collect()
        };
        let w_x = uniform(visible * factors, visible, factors);
        let w_h = uniform(factors * hidden, factors, hidden);
        let s = 1.0f32;
        let b_r = match class_means {
            Some(m) if m.len() == k * visible => m.to_vec(),
            Some(m) => {
                return Err(Error::Data {
                    what: "class means",
                    reason: format!("{} values for {k} classes × {visible} inputs", m.len()),
                })
            }
            None => vec![0.0; k * visible],
        };
        Self::new(
            FactoredParams {
                visible,
                factors,
                hidden,
                input_factors: w_x,
                hidden_factors: w_h,
                class_factors: vec![s; k * factors],
                hidden_bias: vec![0.0; k * hidden],
                visible_bias: b_r,
                class_bias: vec![0.0; k],
            },
            names,
            activation,
            output,
        )
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let (d, f, h, k) = (self.d, self.f, self.h, self.names.len());
        let bad = |reason: String| Error::Data { what: "factored CSAE", reason };
        if d == 0 || f == 0 || h == 0 || k == 0 {
            return Err(bad(format!("zero size: D = {d}, F = {f}, H = {h}, K = {k}")));
        }
        for (name, v, n) in self.tensors() {
            if v.len() != n {
                return Err(bad(format!("{name} has {} values, expected {n}", v.len())));
            }
            if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                return Err(bad(format!("{name} holds the non-finite value {} at flat index {i}", v[i])));
            }
        }
        Ok(())
    }

    /// (tensor name, values, expected length) of every parameter, in file-name terms.
    pub(crate) fn tensors(&self) -> [(&'static str, &[f32], usize); 6] {
        let (d, f, h, k) = (self.d, self.f, self.h, self.names.len());
        [
            ("factor.input", &self.w_x, d * f),
            ("factor.hidden", &self.w_h, f * h),
            ("factor.class", &self.w_f, k * f),
            ("class.hidden_bias", &self.b_h, k * h),
            ("class.visible_bias", &self.b_r, k * d),
            ("class_bias", &self.class_bias, k),
        ]
    }

    /// Number of classes K.
    pub fn num_classes(&self) -> usize {
        self.names.len()
    }
    /// Input dimension D.
    pub fn visible(&self) -> usize {
        self.d
    }
    /// Number of factors F.
    pub fn factors(&self) -> usize {
        self.f
    }
    /// Hidden units H of every class autoencoder.
    pub fn hidden(&self) -> usize {
        self.h
    }
    /// The hidden activation.
    pub fn activation(&self) -> ActivationKind {
        self.activation
    }
    /// The output kind.
    pub fn output(&self) -> Output {
        self.output
    }
    /// Class names, indexed by class.
    pub fn class_names(&self) -> &[String] {
        &self.names
    }
    /// Wˣ, \[D, F\] row-major.
    pub fn input_factors(&self) -> &[f32] {
        &self.w_x
    }
    /// Wʰ, \[F, H\] row-major.
    pub fn hidden_factors(&self) -> &[f32] {
        &self.w_h
    }
    /// Wᶠ, \[K, F\] row-major.
    pub fn class_factors(&self) -> &[f32] {
        &self.w_f
    }
    /// Bʰ, \[K, H\] row-major.
    pub fn hidden_bias(&self) -> &[f32] {
        &self.b_h
    }
    /// Bʳ, \[K, D\] row-major.
    pub fn visible_bias(&self) -> &[f32] {
        &self.b_r
    }
    /// C, \[K\].
    pub fn class_bias(&self) -> &[f32] {
        &self.class_bias
    }
    /// Every parameter, mutable (shapes are fixed; finiteness is checked by training code and when
    /// saving is not: keep them finite).
    pub fn params_mut(&mut self) -> FactoredParamsMut<'_> {
        FactoredParamsMut {
            input_factors: &mut self.w_x,
            hidden_factors: &mut self.w_h,
            class_factors: &mut self.w_f,
            hidden_bias: &mut self.b_h,
            visible_bias: &mut self.b_r,
            class_bias: &mut self.class_bias,
        }
    }
    /// Free-form provenance (JSON) written to model files.
    pub fn provenance(&self) -> Option<&str> {
        self.provenance.as_deref()
    }
    /// Set the provenance string.
    pub fn set_provenance(&mut self, provenance: Option<String>) {
        self.provenance = provenance;
    }

    /// Class j's tied weight in the layout of [`TiedAutoencoder`]: (Wʲ)ᵀ = Wʰᵀ diag(Wᶠⱼ) Wˣᵀ,
    /// \[H, D\] row-major (Eq. 50).
    ///
    /// # Panics
    /// If `j ≥ K`.
    pub fn class_weight(&self, j: usize) -> Vec<f32> {
        assert!(j < self.num_classes(), "class_weight: class {j} of {}", self.num_classes());
        let (d, f, h) = (self.d, self.f, self.h);
        let fj = &self.w_f[j * f..(j + 1) * f];
        // S = diag(fⱼ) Wˣᵀ [F, D], then Wʰᵀ S [H, D].
        let mut s = vec![0.0f32; f * d];
        for i in 0..d {
            for (c, &fc) in fj.iter().enumerate() {
                s[c * d + i] = fc * self.w_x[i * f + c];
            }
        }
        let mut w = vec![0.0f32; h * d];
        gemm(
            1.0,
            MatRef::from_row_major(&self.w_h, f, h).t(),
            MatRef::from_row_major(&s, f, d),
            0.0,
            MatMut::from_row_major(&mut w, h, d),
            Parallelism::Sequential,
        );
        w
    }

    /// Class j as an ordinary tied autoencoder (Eq. 48–50): weight [`FactoredCsae::class_weight`],
    /// hidden bias Bʰⱼ, visible bias Bʳⱼ. Its energy is Eⱼ.
    ///
    /// # Errors
    /// [`Error::Model`] if the product overflows to a non-finite value.
    ///
    /// # Panics
    /// If `j ≥ K`.
    pub fn class_model(&self, j: usize) -> Result<TiedAutoencoder> {
        let (d, h) = (self.d, self.h);
        Ok(TiedAutoencoder::new(
            self.class_weight(j),
            self.b_h[j * h..(j + 1) * h].to_vec(),
            self.b_r[j * d..(j + 1) * d].to_vec(),
            self.activation,
            self.output,
        )?)
    }

    /// The equivalent plain [`Csae`]: every class model materialised ([`FactoredCsae::class_model`]),
    /// the same class biases and names. Its energies and logits equal this model's up to `f32`
    /// rounding (it forgets the sharing: saving it stores K full matrices).
    ///
    /// # Errors
    /// As [`FactoredCsae::class_model`].
    pub fn to_csae(&self) -> Result<Csae> {
        let classes = (0..self.num_classes()).map(|j| self.class_model(j)).collect::<Result<Vec<_>>>()?;
        let mut c = Csae::new(classes, self.names.clone(), self.class_bias.clone())?;
        c.set_provenance(self.provenance.clone());
        Ok(c)
    }

    fn check_input(&self, x: MatRef<'_>) -> Result<()> {
        if x.cols() != self.d {
            return Err(Error::Data {
                what: "input",
                reason: format!("{} columns, the classifier has {} inputs", x.cols(), self.d),
            });
        }
        Ok(())
    }

    /// The forward pass over `nb` contiguous rows `x` \[nb, D\] into `fw` (layouts at [`Forward`]).
    /// The gemms run on `par`, the row passes on the calling thread.
    pub(crate) fn forward(&self, x: &[f32], nb: usize, fw: Forward<'_>, par: Parallelism) {
        let (d, f, h, k) = (self.d, self.f, self.h, self.num_classes());
        let p = &mut fw.p[..nb * f];
        let q = &mut fw.q[..k * nb * f];
        let u = &mut fw.u[..k * nb * h];
        let hu = &mut fw.hu[..k * nb * h];
        let e = &mut fw.e[..k * nb];
        let xv = MatRef::from_row_major(&x[..nb * d], nb, d);
        // P = X Wˣ [nb, F]; Qⱼ = P diag(Wᶠⱼ).
        gemm(1.0, xv, MatRef::from_row_major(&self.w_x, d, f), 0.0, MatMut::from_row_major(p, nb, f), par);
        for (j, qj) in q.chunks_exact_mut(nb * f).enumerate() {
            let fj = &self.w_f[j * f..(j + 1) * f];
            for (qr, pr) in qj.chunks_exact_mut(f).zip(p.chunks_exact(f)) {
                for ((o, &pv), &fv) in qr.iter_mut().zip(pr).zip(fj) {
                    *o = pv * fv;
                }
            }
        }
        // U = Q Wʰ [K·nb, H], then + Bʰⱼ, h(U), and Eⱼ(xₙ) = Σ H(u) + visible term.
        gemm(
            1.0,
            MatRef::from_row_major(q, k * nb, f),
            MatRef::from_row_major(&self.w_h, f, h),
            0.0,
            MatMut::from_row_major(u, k * nb, h),
            par,
        );
        let hf = self.activation;
        // Row passes stay on this thread: they are cheap next to the gemms, and fine-grained rayon
        // jobs stall on a loaded machine (a worker descheduled by another process).
        for (i, ((ur, hr), e)) in
            u.chunks_exact_mut(h).zip(hu.chunks_exact_mut(h)).zip(e.iter_mut()).enumerate()
        {
            let (j, r) = (i / nb, i % nb);
            bias_act(ur, &self.b_h[j * h..(j + 1) * h], hf, hr, None);
            *e = antiderivative_sum(ur, hf)
                + visible_term(self.output, &x[r * d..(r + 1) * d], &self.b_r[j * d..(j + 1) * d]);
        }
    }

    /// The class energies Eⱼ(x) of every row of `x` (\[n, D\]): a row-major \[n, K\] matrix in `f64`.
    /// Blocks of rows run in parallel on the current rayon pool; the result does not depend on its
    /// size.
    ///
    /// # Errors
    /// [`Error::Data`] for a wrong column count or a non-finite input or energy.
    pub fn energies(&self, x: MatRef<'_>) -> Result<Vec<f64>> {
        self.check_input(x)?;
        let (n, d, f, h, k) = (x.rows(), self.d, self.f, self.h, self.num_classes());
        // A contiguous copy only when the view is not row-major already.
        let owned;
        let xs: &[f32] = if x.col_stride() == 1 && (x.row_stride() == d || n <= 1) {
            &x.as_slice()[..n * d]
        } else {
            owned = (0..n)
                .flat_map(|i| (0..d).map(move |j| (i, j)))
                .map(|(i, j)| x.get(i, j))
                .collect::<Vec<_>>();
            &owned
        };
        if let Some(i) = xs.iter().position(|v| !v.is_finite()) {
            return Err(Error::Data { what: "input", reason: format!("non-finite value at row {}", i / d) });
        }
        let mut out = vec![0.0f64; n * k];
        out.par_chunks_mut(BLOCK * k).zip(xs.par_chunks(BLOCK * d)).for_each(|(o, xb)| {
            let nb = xb.len() / d;
            let (mut p, mut q) = (vec![0.0f32; nb * f], vec![0.0f32; k * nb * f]);
            let (mut u, mut hu) = (vec![0.0f32; k * nb * h], vec![0.0f32; k * nb * h]);
            let mut e = vec![0.0f64; k * nb];
            let fw = Forward { p: &mut p, q: &mut q, u: &mut u, hu: &mut hu, e: &mut e };
            self.forward(xb, nb, fw, Parallelism::Sequential);
            for j in 0..k {
                for r in 0..nb {
                    o[r * k + j] = e[j * nb + r];
                }
            }
        });
        if let Some(i) = out.iter().position(|v| !v.is_finite()) {
            return Err(Error::Data {
                what: "energies",
                reason: format!("class {} energy of row {} is {}", i % k, i / k, out[i]),
            });
        }
        Ok(out)
    }

    /// Logits sⱼ = Eⱼ + Cⱼ of every row, \[n, K\].
    ///
    /// # Errors
    /// As [`FactoredCsae::energies`].
    pub fn logits(&self, x: MatRef<'_>) -> Result<Vec<f64>> {
        let k = self.num_classes();
        let mut s = self.energies(x)?;
        for row in s.chunks_exact_mut(k) {
            for (v, &c) in row.iter_mut().zip(&self.class_bias) {
                *v += c as f64;
            }
        }
        Ok(s)
    }

    crate::model::classifier_outputs!();
}

/// Uniform in [0, 1) from the top 24 bits of a 32-bit draw.
pub(crate) fn unit(bits: u32) -> f32 {
    (bits >> 8) as f32 * (1.0 / (1u32 << 24) as f32)
}

/// Parameters of a factored CSAE with `visible` inputs, `factors` factors, `hidden` hidden units
/// and `k` classes: the shared factor matrices, (D + H)·F, and per class F + H + D + 1 (`None` on
/// overflow).
pub(crate) fn parameters(visible: usize, factors: usize, hidden: usize, k: usize) -> Option<u64> {
    let (d, f, h, k) = (visible as u64, factors as u64, hidden as u64, k as u64);
    let per_class = f.checked_add(h)?.checked_add(d)?.checked_add(1)?;
    d.checked_add(h)?.checked_mul(f)?.checked_add(k.checked_mul(per_class)?)
}

/// Refuse a factored model of more than [`potential_train::MAX_PARAMETERS`] parameters (with
/// checked arithmetic), before its buffers are allocated.
pub(crate) fn check_size(visible: usize, factors: usize, hidden: usize, k: usize) -> Result<()> {
    let total = parameters(visible, factors, hidden, k);
    match total {
        Some(p) if p <= potential_train::MAX_PARAMETERS as u64 => Ok(()),
        _ => Err(Error::InvalidConfig {
            field: "factors",
            value: format!("{factors} (with {hidden} hidden, {visible} inputs, {k} classes)"),
            reason: "the model would exceed 2^28 parameters (1 GiB of f32, several GiB to train)",
        }),
    }
}
