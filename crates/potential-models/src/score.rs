//! [`Score`]: the per-sample scores of the command line (README, *File formats*), by name.

use crate::{Error, Result, TiedAutoencoder};
use potential_kernels::MatRef;

/// A per-sample score of a tied autoencoder (README, *File formats*: the scores `potential score`
/// writes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Score {
    /// `energy`: E(x) exactly as [`TiedAutoencoder::energy_batch`] (Eq. 11–21, 28).
    Energy,
    /// `reconstruction-error`: ‖r(x) − x‖² summed over dimensions.
    ReconstructionError,
    /// `laplacian`: ΔE(x) (Eq. 38); real output Σₖ h′(uₖ)‖wₖ‖² − D.
    Laplacian,
    /// `contraction`: Σₖ h′(uₖ)²‖wₖ‖² (Eq. 40).
    Contraction,
    /// `absorbing`: 1 where the Laplacian is negative, else 0 (Eq. 39).
    Absorbing,
}

impl Score {
    /// Every score.
    pub const ALL: [Score; 5] =
        [Score::Energy, Score::ReconstructionError, Score::Laplacian, Score::Contraction, Score::Absorbing];

    /// The command-line name: `energy`, `reconstruction-error`, `laplacian`, `contraction`, `absorbing`.
    pub const fn name(self) -> &'static str {
        match self {
            Score::Energy => "energy",
            Score::ReconstructionError => "reconstruction-error",
            Score::Laplacian => "laplacian",
            Score::Contraction => "contraction",
            Score::Absorbing => "absorbing",
        }
    }
}

impl core::fmt::Display for Score {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown score name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown score `{name}` (expected energy, reconstruction-error, laplacian, contraction or absorbing)"
)]
pub struct ParseScoreError {
    /// The name given.
    pub name: String,
}

impl core::str::FromStr for Score {
    type Err = ParseScoreError;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Score::ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| ParseScoreError { name: s.to_owned() })
    }
}

impl TiedAutoencoder {
    /// The score `what` of every row of `x` ([n, D]), in `f64` (absorbing as 1.0 / 0.0).
    ///
    /// # Errors
    /// Those of the underlying method ([`TiedAutoencoder::energy_batch`], …).
    pub fn score_batch(&self, x: MatRef<'_>, what: Score) -> Result<Vec<f64>> {
        match what {
            Score::Energy => self.energy_batch(x),
            Score::ReconstructionError => self.reconstruction_error_batch(x),
            Score::Laplacian => self.laplacian_batch(x),
            Score::Contraction => self.contraction_batch(x),
            Score::Absorbing => {
                Ok(self.absorbing_batch(x)?.into_iter().map(|a| if a { 1.0 } else { 0.0 }).collect())
            }
        }
    }
}

#[allow(dead_code)]
fn _assert_error_is_send_sync() {
    fn f<T: Send + Sync>() {}
    f::<Error>();
}
