//! Reconstruction dynamics x ← x + ε(r(x) − x): gradient ascent on the energy (Sec. 3).

use crate::tied::one_row;
use crate::{Error, Result, TiedAutoencoder};

/// Options of [`TiedAutoencoder::dynamics`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DynamicsOptions {
    /// Step size ε > 0 (ε = 1 iterates the reconstruction map x ← r(x)).
    pub step: f32,
    /// Maximum number of steps.
    pub max_steps: usize,
    /// Stop once ‖r(x) − x‖ ≤ tolerance (Euclidean norm); `None` runs all `max_steps`.
    pub tolerance: Option<f64>,
    /// Keep every state in [`Trajectory::states`] (otherwise only the start and the end).
    pub record: bool,
}

impl Default for DynamicsOptions {
    /// ε = 0.1, at most 1000 steps, tolerance 1e-5, recording.
    fn default() -> Self {
        Self { step: 0.1, max_steps: 1000, tolerance: Some(1e-5), record: true }
    }
}

/// The result of [`TiedAutoencoder::dynamics`].
#[derive(Clone, Debug, PartialEq)]
pub struct Trajectory {
    /// The visited states x₀, x₁, …, each of length D (all of them when recording, else x₀ and the last).
    pub states: Vec<Vec<f32>>,
    /// The last state: a fixed point r(x*) ≈ x* when [`Trajectory::converged`].
    pub fixed_point: Vec<f32>,
    /// Steps taken.
    pub steps: usize,
    /// Whether ‖r(x) − x‖ fell to the tolerance.
    pub converged: bool,
    /// ‖r(x) − x‖ at the last state.
    pub residual: f64,
    /// E at every recorded state (non-decreasing for small enough ε: the dynamics ascend E).
    pub energies: Vec<f64>,
}

impl TiedAutoencoder {
    /// Run the reconstruction dynamics `x ← x + ε(r(x) − x)` from `x0` for at most
    /// `opts.max_steps` steps, or until ‖r(x) − x‖ ≤ `opts.tolerance`.
    ///
    /// For real output this is gradient ascent on E (∇E = r(x) − x, Eq. 9) and stops near a local
    /// maximum (an attractor, where the Laplacian is typically negative). For binary output it moves
    /// every coordinate in the direction of B(x) (ξ is increasing, so sign(r − x) = sign(B)) and stays
    /// in [0, 1] for 0 < ε ≤ 1.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if ε is not finite and positive; the errors of
    /// [`TiedAutoencoder::reconstruct`] and [`TiedAutoencoder::energy`] at any state.
    pub fn dynamics(&self, x0: &[f32], opts: &DynamicsOptions) -> Result<Trajectory> {
        if !(opts.step.is_finite() && opts.step > 0.0) {
            return Err(Error::InvalidParameter { name: "step", reason: "must be finite and > 0" });
        }
        if let Some(t) = opts.tolerance {
            if t.is_nan() || t < 0.0 {
                return Err(Error::InvalidParameter { name: "tolerance", reason: "must be ≥ 0" });
            }
        }
        let mut x = x0.to_vec();
        let mut states = vec![x.clone()];
        let mut energies = vec![self.energy(&x)?];
        let mut steps = 0;
        let (mut residual, mut converged);
        loop {
            let r = self.reconstruct_batch(one_row(&x))?;
            residual = potential_kernels::sq_dist(&r, &x).sqrt();
            converged = opts.tolerance.is_some_and(|t| residual <= t);
            if converged || steps == opts.max_steps {
                break;
            }
            for (xi, ri) in x.iter_mut().zip(&r) {
                *xi += opts.step * (ri - *xi);
            }
            steps += 1;
            if opts.record {
                states.push(x.clone());
                energies.push(self.energy(&x)?);
            }
        }
        if !opts.record && steps > 0 {
            states.push(x.clone());
            energies.push(self.energy(&x)?);
        }
        Ok(Trajectory { states, fixed_point: x, steps, converged, residual, energies })
    }
}
