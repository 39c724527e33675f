//! The update rules of finetuning and of the factored pretraining: momentum SGD (the paper's,
//! Sec. 4.4) and Adam (Kingma & Ba, 2015), on `f32` parameter slices and on the plain CSAE's
//! `f64` class-bias state.

use crate::Optimizer;

/// Adam's β₂.
pub(crate) const ADAM_BETA2: f64 = 0.999;
/// Adam's ε.
pub(crate) const ADAM_EPS: f64 = 1e-8;
/// β₂ as the factored CSAE's bias correction has always used it: rounded to `f32` first
/// (0.999f32 = 0.99900001287…). Kept so that its seeded runs reproduce bit for bit.
pub(crate) const ADAM_BETA2_F32: f64 = 0.999f32 as f64;

/// The rule of one update: momentum `v ← μv − η∇; θ ← θ + v`, or Adam with β₁ = μ and the bias
/// corrections of update `t` folded into the step size and ε (Kingma & Ba, Sec. 2).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Rule {
    /// Momentum SGD.
    Momentum {
        /// Learning rate η.
        lr: f32,
        /// Momentum μ.
        mu: f32,
    },
    /// Adam; `lr` and `eps` carry the bias corrections.
    Adam {
        /// Corrected step size.
        lr: f64,
        /// β₁.
        mu: f32,
        /// Corrected ε.
        eps: f64,
    },
}

impl Rule {
    /// The rule of update number `t` (1 for the first) of `optimizer` with learning rate `lr`,
    /// momentum (Adam: β₁) `mu`, and `beta2` in Adam's bias correction (see [`ADAM_BETA2_F32`]).
    pub(crate) fn new(optimizer: Optimizer, lr: f32, mu: f32, t: u64, beta2: f64) -> Self {
        match optimizer {
            Optimizer::Momentum => Rule::Momentum { lr, mu },
            Optimizer::Adam => {
                let t = t as f64;
                let (c1, c2) = (1.0 - (mu as f64).powf(t), 1.0 - beta2.powf(t));
                Rule::Adam { lr: lr as f64 * c2.sqrt() / c1, mu, eps: ADAM_EPS * c2.sqrt() }
            }
        }
    }

    /// Update the parameters `p` with gradient `g`: `v` is the velocity (Adam's first moment),
    /// `s` Adam's second moment (unused by momentum: may be empty).
    pub(crate) fn apply(self, p: &mut [f32], v: &mut [f32], s: &mut [f32], g: &[f32]) {
        match self {
            Rule::Momentum { lr, mu } => momentum(p, v, g, lr, mu),
            Rule::Adam { lr, mu, eps } => adam(p, v, s, g, (lr as f32, mu, eps as f32)),
        }
    }

    /// The change of one `f64`-state parameter with gradient `g` (velocity `v`, second moment
    /// `s`), computed in `f64`.
    pub(crate) fn delta_f64(self, v: &mut f64, s: &mut f64, g: f64) -> f64 {
        match self {
            Rule::Momentum { lr, mu } => {
                *v = mu as f64 * *v - lr as f64 * g;
                *v
            }
            Rule::Adam { lr, mu, eps } => {
                *v = mu as f64 * *v + (1.0 - mu as f64) * g;
                *s = ADAM_BETA2 * *s + (1.0 - ADAM_BETA2) * g * g;
                -lr * *v / (s.sqrt() + eps)
            }
        }
    }
}

/// Momentum SGD: `v ← μv − η·g; p ← p + v`.
pub(crate) fn momentum(p: &mut [f32], v: &mut [f32], g: &[f32], lr: f32, mu: f32) {
    for ((p, v), &g) in p.iter_mut().zip(v.iter_mut()).zip(g) {
        *v = mu * *v - lr * g;
        *p += *v;
    }
}

/// Momentum SGD in `f64`.
pub(crate) fn momentum_f64(p: &mut [f64], v: &mut [f64], g: &[f64], lr: f64, mu: f64) {
    for (v, (p, g)) in v.iter_mut().zip(p.iter_mut().zip(g)) {
        *v = mu * *v - lr * g;
        *p += *v;
    }
}

/// One Adam update with β₁ = `b1`; `lr` and `eps` already carry the bias corrections.
fn adam(p: &mut [f32], m: &mut [f32], s: &mut [f32], g: &[f32], (lr, b1, eps): (f32, f32, f32)) {
    let b2 = ADAM_BETA2 as f32;
    for (((p, m), s), &g) in p.iter_mut().zip(m.iter_mut()).zip(s.iter_mut()).zip(g) {
        *m = b1 * *m + (1.0 - b1) * g;
        *s = b2 * *s + (1.0 - b2) * g * g;
        *p -= lr * *m / (s.sqrt() + eps);
    }
}
