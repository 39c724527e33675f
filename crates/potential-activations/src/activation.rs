//! The [`Activation`] trait: a hidden-unit nonlinearity with its derivatives and antiderivative.

use crate::ActivationKind;
use potential_kernels::HiddenFn;

/// Chunk length of the slice forms' stack buffers.
const CHUNK: usize = 256;

/// A hidden-unit nonlinearity h of a tied autoencoder, with h′, h″ and an antiderivative H (H′ = h).
///
/// The scalar methods are the specification; the slice methods run the batched kernels of
/// `potential-kernels` (SIMD where available) and agree with the scalar ones to within a few ulps.
///
/// The energy of a tied autoencoder with real-valued output is `E(x) = Σₖ H(uₖ) − ½‖x − b_r‖²`
/// (Eq. 11–21), so the integration constant of H is part of the energy's value: every implementation
/// documents it, and [`Activation::antiderivative`] returns exactly the H column of the paper's table
/// (see the crate docs).
pub trait Activation: Copy + Send + Sync + core::fmt::Debug {
    /// The closed-enum tag of this activation (file and config name via [`ActivationKind`]'s `Display`).
    fn kind(&self) -> ActivationKind;

    /// The activation's name as written in model files, e.g. `"sigmoid"`.
    fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// The fused-kernel selector of `potential-kernels` for this activation.
    fn hidden_fn(&self) -> HiddenFn {
        self.kind().hidden_fn()
    }

    /// h(u).
    fn h(&self, u: f32) -> f32;

    /// h′(u). For the piecewise-linear activations (relu, modulus) the value at the kink u = 0 is 0.
    fn h_prime(&self, u: f32) -> f32;

    /// h″(u), used by the gradient of the contractive penalty. Zero almost everywhere for relu and
    /// modulus (their kink contributes a Dirac mass, which is not represented).
    fn h_second(&self, u: f32) -> f32;

    /// H(u) with H′ = h and the integration constant of the paper's table (crate docs).
    fn antiderivative(&self, u: f32) -> f32;

    /// `out[i] = h(u[i])`, through the fused kernel (in stack-sized chunks, no allocation).
    ///
    /// # Panics
    /// If the slices differ in length.
    fn h_slice(&self, u: &[f32], out: &mut [f32]) {
        assert_eq!(u.len(), out.len(), "h_slice: u has {} elements, out {}", u.len(), out.len());
        let zero = [0.0f32; CHUNK];
        let mut tmp = [0.0f32; CHUNK];
        for (uc, oc) in u.chunks(CHUNK).zip(out.chunks_mut(CHUNK)) {
            let n = uc.len();
            tmp[..n].copy_from_slice(uc);
            potential_kernels::bias_act(&mut tmp[..n], &zero[..n], self.hidden_fn(), oc, None);
        }
    }

    /// `out[i] = h′(u[i])`, through the fused kernel (in stack-sized chunks, no allocation).
    ///
    /// # Panics
    /// If the slices differ in length.
    fn h_prime_slice(&self, u: &[f32], out: &mut [f32]) {
        assert_eq!(u.len(), out.len(), "h_prime_slice: u has {} elements, out {}", u.len(), out.len());
        let zero = [0.0f32; CHUNK];
        let mut tmp = [0.0f32; CHUNK];
        let mut h = [0.0f32; CHUNK];
        for (uc, oc) in u.chunks(CHUNK).zip(out.chunks_mut(CHUNK)) {
            let n = uc.len();
            tmp[..n].copy_from_slice(uc);
            potential_kernels::bias_act(&mut tmp[..n], &zero[..n], self.hidden_fn(), &mut h[..n], Some(oc));
        }
    }

    /// `out[i] = h″(u[i])` (scalar loop: only the contractive gradient needs it).
    ///
    /// # Panics
    /// If the slices differ in length.
    fn h_second_slice(&self, u: &[f32], out: &mut [f32]) {
        assert_eq!(u.len(), out.len(), "h_second_slice: u has {} elements, out {}", u.len(), out.len());
        for (o, &v) in out.iter_mut().zip(u) {
            *o = self.h_second(v);
        }
    }

    /// The fused hidden-layer pass of one row: `u ← u + bias; h = h(u); dh = h′(u)` (when `dh` is
    /// given), in one sweep of the kernels.
    ///
    /// # Panics
    /// If the slices differ in length.
    fn bias_act(&self, u: &mut [f32], bias: &[f32], h: &mut [f32], dh: Option<&mut [f32]>) {
        potential_kernels::bias_act(u, bias, self.hidden_fn(), h, dh);
    }

    /// `Σᵢ H(u[i])`, accumulated in `f64`.
    fn antiderivative_sum(&self, u: &[f32]) -> f64 {
        potential_kernels::antiderivative_sum(u, self.hidden_fn())
    }
}
