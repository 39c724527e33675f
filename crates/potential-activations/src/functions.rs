//! The seven activations of the paper (NOTES.md table, Eq. 11–21) as zero-sized types.

use crate::{Activation, ActivationKind};

/// Logistic sigmoid σ(u) = 1/(1 + e^{−u}), in a form that never overflows.
pub(crate) fn sigmoid(u: f32) -> f32 {
    if u >= 0.0 {
        1.0 / (1.0 + (-u).exp())
    } else {
        let e = u.exp();
        e / (1.0 + e)
    }
}

/// sech²(u) = 1 − tanh²(u) = 4e/(1 + e)² with e = e^{−2|u|} (no cancellation for large |u|).
pub(crate) fn sech2(u: f32) -> f32 {
    let e = (-2.0 * u.abs()).exp();
    4.0 * e / ((1.0 + e) * (1.0 + e))
}

/// softplus(u) = log(1 + eᵘ) = max(u, 0) + log1p(e^{−|u|}).
pub(crate) fn softplus(u: f32) -> f32 {
    u.max(0.0) + (-u.abs()).exp().ln_1p()
}

/// Sigmoid hiddens: h = σ(u), H(u) = softplus(u) (Eq. 12; H(0) = log 2, H(−∞) = 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Sigmoid;

impl Activation for Sigmoid {
    fn kind(&self) -> ActivationKind {
        ActivationKind::Sigmoid
    }
    fn h(&self, u: f32) -> f32 {
        sigmoid(u)
    }
    fn h_prime(&self, u: f32) -> f32 {
        // σ(1 − σ) = σ(u)σ(−u): no cancellation in the tails
        sigmoid(u) * sigmoid(-u)
    }
    fn h_second(&self, u: f32) -> f32 {
        // σ″ = σ(1 − σ)(1 − 2σ) = σ(u)σ(−u)(σ(−u) − σ(u))
        let (s, t) = (sigmoid(u), sigmoid(-u));
        s * t * (t - s)
    }
    fn antiderivative(&self, u: f32) -> f32 {
        softplus(u)
    }
}

/// Hyperbolic tangent: h = tanh(u), H(u) = log cosh(u) = |u| + log1p(e^{−2|u|}) − log 2
/// (Eq. 14–15, App. A; H(0) = 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Tanh;

impl Activation for Tanh {
    fn kind(&self) -> ActivationKind {
        ActivationKind::Tanh
    }
    fn h(&self, u: f32) -> f32 {
        u.tanh()
    }
    fn h_prime(&self, u: f32) -> f32 {
        sech2(u)
    }
    fn h_second(&self, u: f32) -> f32 {
        // tanh″ = −2 tanh · sech²
        -2.0 * u.tanh() * sech2(u)
    }
    fn antiderivative(&self, u: f32) -> f32 {
        let a = u.abs();
        a + (-2.0 * a).exp().ln_1p() - std::f32::consts::LN_2
    }
}

/// Linear hiddens: h = u, H(u) = u²/2 (Eq. 16; H(0) = 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Linear;

impl Activation for Linear {
    fn kind(&self) -> ActivationKind {
        ActivationKind::Linear
    }
    fn h(&self, u: f32) -> f32 {
        u
    }
    fn h_prime(&self, _u: f32) -> f32 {
        1.0
    }
    fn h_second(&self, _u: f32) -> f32 {
        0.0
    }
    fn antiderivative(&self, u: f32) -> f32 {
        0.5 * u * u
    }
}

/// Square hiddens: h = u², H(u) = u³/3 (Eq. 18; H(0) = 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Square;

impl Activation for Square {
    fn kind(&self) -> ActivationKind {
        ActivationKind::Square
    }
    fn h(&self, u: f32) -> f32 {
        u * u
    }
    fn h_prime(&self, u: f32) -> f32 {
        2.0 * u
    }
    fn h_second(&self, _u: f32) -> f32 {
        2.0
    }
    fn antiderivative(&self, u: f32) -> f32 {
        u * u * u / 3.0
    }
}

/// Rectified linear hiddens: h = max(u, 0), H(u) = max(u, 0)²/2 (Eq. 19; H(0) = 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Relu;

impl Activation for Relu {
    fn kind(&self) -> ActivationKind {
        ActivationKind::Relu
    }
    fn h(&self, u: f32) -> f32 {
        u.max(0.0)
    }
    fn h_prime(&self, u: f32) -> f32 {
        if u > 0.0 {
            1.0
        } else {
            0.0
        }
    }
    fn h_second(&self, _u: f32) -> f32 {
        0.0
    }
    fn antiderivative(&self, u: f32) -> f32 {
        let r = u.max(0.0);
        0.5 * r * r
    }
}

/// Modulus hiddens: h = |u|, H(u) = u·|u|/2 (Eq. 20; H(0) = 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Modulus;

impl Activation for Modulus {
    fn kind(&self) -> ActivationKind {
        ActivationKind::Modulus
    }
    fn h(&self, u: f32) -> f32 {
        u.abs()
    }
    fn h_prime(&self, u: f32) -> f32 {
        if u > 0.0 {
            1.0
        } else if u < 0.0 {
            -1.0
        } else {
            0.0
        }
    }
    fn h_second(&self, _u: f32) -> f32 {
        0.0
    }
    fn antiderivative(&self, u: f32) -> f32 {
        0.5 * u * u.abs()
    }
}

/// Synchrony hiddens of the synchrony autoencoder (SAE): h = u·σ(u²), H(u) = softplus(u²)/2
/// (Eq. 21 is twice this, written without biases; H(0) = log 2 / 2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Synchrony;

impl Activation for Synchrony {
    fn kind(&self) -> ActivationKind {
        ActivationKind::Synchrony
    }
    fn h(&self, u: f32) -> f32 {
        u * sigmoid(u * u)
    }
    fn h_prime(&self, u: f32) -> f32 {
        // d/du [u σ(u²)] = σ(u²) + 2u² σ(u²)(1 − σ(u²)), with 1 − σ(v) = σ(−v)
        let v = u * u;
        let (s, t) = (sigmoid(v), sigmoid(-v));
        s + 2.0 * v * s * t
    }
    fn h_second(&self, u: f32) -> f32 {
        // With s = σ(u²), q = s(1 − s): s′ = 2u q and q′ = 2u q (1 − 2s), so
        // h″ = d/du [s + 2u² q] = 2u q + 4u q + 2u²·2u q (1 − 2s) = 6u q + 4u³ q (1 − 2s).
        let v = u * u;
        let (s, t) = (sigmoid(v), sigmoid(-v));
        let q = s * t;
        6.0 * u * q + 4.0 * u * v * q * (t - s)
    }
    fn antiderivative(&self, u: f32) -> f32 {
        0.5 * softplus(u * u)
    }
}
