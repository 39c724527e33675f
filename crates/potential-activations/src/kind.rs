//! [`ActivationKind`]: the closed set of activations, as named in model files and configs.

use crate::functions::{Linear, Modulus, Relu, Sigmoid, Square, Synchrony, Tanh};
use crate::Activation;
use potential_kernels::HiddenFn;

/// One of the seven hidden activations of the paper, chosen at run time (model files, configs).
///
/// It implements [`Activation`] itself by dispatching to the zero-sized types, so code that is
/// generic over `A: Activation` also runs with a run-time choice. The names (`Display`/`FromStr`)
/// are exactly the `activation` values of the model-file format: `sigmoid`, `tanh`, `linear`,
/// `square`, `relu`, `modulus`, `synchrony`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActivationKind {
    /// [`Sigmoid`]: σ(u), H = softplus.
    Sigmoid,
    /// [`Tanh`]: tanh(u), H = log cosh.
    Tanh,
    /// [`Linear`]: u, H = u²/2.
    Linear,
    /// [`Square`]: u², H = u³/3.
    Square,
    /// [`Relu`]: max(u, 0), H = max(u, 0)²/2.
    Relu,
    /// [`Modulus`]: |u|, H = u|u|/2.
    Modulus,
    /// [`Synchrony`]: u·σ(u²), H = softplus(u²)/2.
    Synchrony,
}

impl ActivationKind {
    /// Every activation, in the order of the paper's table.
    pub const ALL: [ActivationKind; 7] = [
        ActivationKind::Sigmoid,
        ActivationKind::Tanh,
        ActivationKind::Linear,
        ActivationKind::Square,
        ActivationKind::Relu,
        ActivationKind::Modulus,
        ActivationKind::Synchrony,
    ];

    /// The file/config name, e.g. `"relu"`.
    pub const fn name(self) -> &'static str {
        match self {
            ActivationKind::Sigmoid => "sigmoid",
            ActivationKind::Tanh => "tanh",
            ActivationKind::Linear => "linear",
            ActivationKind::Square => "square",
            ActivationKind::Relu => "relu",
            ActivationKind::Modulus => "modulus",
            ActivationKind::Synchrony => "synchrony",
        }
    }

    /// The fused-kernel selector of `potential-kernels`.
    pub const fn hidden_fn(self) -> HiddenFn {
        match self {
            ActivationKind::Sigmoid => HiddenFn::Sigmoid,
            ActivationKind::Tanh => HiddenFn::Tanh,
            ActivationKind::Linear => HiddenFn::Linear,
            ActivationKind::Square => HiddenFn::Square,
            ActivationKind::Relu => HiddenFn::Relu,
            ActivationKind::Modulus => HiddenFn::Modulus,
            ActivationKind::Synchrony => HiddenFn::Synchrony,
        }
    }

    /// Whether h is differentiable everywhere (false for relu and modulus, whose h′ jumps at 0).
    /// The paper trains the smooth ones with a contractive penalty, the others with denoising.
    pub const fn is_smooth(self) -> bool {
        !matches!(self, ActivationKind::Relu | ActivationKind::Modulus)
    }
}

impl From<HiddenFn> for ActivationKind {
    fn from(f: HiddenFn) -> Self {
        match f {
            HiddenFn::Sigmoid => ActivationKind::Sigmoid,
            HiddenFn::Tanh => ActivationKind::Tanh,
            HiddenFn::Linear => ActivationKind::Linear,
            HiddenFn::Square => ActivationKind::Square,
            HiddenFn::Relu => ActivationKind::Relu,
            HiddenFn::Modulus => ActivationKind::Modulus,
            HiddenFn::Synchrony => ActivationKind::Synchrony,
        }
    }
}

impl From<ActivationKind> for HiddenFn {
    fn from(k: ActivationKind) -> Self {
        k.hidden_fn()
    }
}

macro_rules! dispatch {
    ($self:expr, $a:ident => $e:expr) => {
        match $self {
            ActivationKind::Sigmoid => {
                let $a = Sigmoid;
                $e
            }
            ActivationKind::Tanh => {
                let $a = Tanh;
                $e
            }
            ActivationKind::Linear => {
                let $a = Linear;
                $e
            }
            ActivationKind::Square => {
                let $a = Square;
                $e
            }
            ActivationKind::Relu => {
                let $a = Relu;
                $e
            }
            ActivationKind::Modulus => {
                let $a = Modulus;
                $e
            }
            ActivationKind::Synchrony => {
                let $a = Synchrony;
                $e
            }
        }
    };
}

impl Activation for ActivationKind {
    fn kind(&self) -> ActivationKind {
        *self
    }
    fn h(&self, u: f32) -> f32 {
        dispatch!(self, a => a.h(u))
    }
    fn h_prime(&self, u: f32) -> f32 {
        dispatch!(self, a => a.h_prime(u))
    }
    fn h_second(&self, u: f32) -> f32 {
        dispatch!(self, a => a.h_second(u))
    }
    fn antiderivative(&self, u: f32) -> f32 {
        dispatch!(self, a => a.antiderivative(u))
    }
}

impl core::fmt::Display for ActivationKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing an [`ActivationKind`] from an unknown name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseActivationError {
    name: String,
}

impl ParseActivationError {
    /// The name that was not recognised.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl core::fmt::Display for ParseActivationError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "unknown activation `{}` (expected one of sigmoid, tanh, linear, square, relu, modulus, synchrony)",
            self.name
        )
    }
}

impl std::error::Error for ParseActivationError {}

impl core::str::FromStr for ActivationKind {
    type Err = ParseActivationError;

    /// Parse the exact file name (`"sigmoid"`, `"tanh"`, …; case-sensitive, no whitespace).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ActivationKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| ParseActivationError { name: s.to_owned() })
    }
}
