//! Fused row passes for the hot loops of the energy and training code.

/// The hidden-unit nonlinearities of the paper (NOTES.md table), as the kernels see them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HiddenFn {
    /// h = σ(u), H = softplus(u)
    Sigmoid,
    /// h = tanh(u), H = log cosh(u)
    Tanh,
    /// h = u, H = u²/2
    Linear,
    /// h = u², H = u³/3
    Square,
    /// h = max(u, 0), H = max(u, 0)²/2
    Relu,
    /// h = |u|, H = u·|u|/2
    Modulus,
    /// h = u·σ(u²), H = softplus(u²)/2
    Synchrony,
}

impl HiddenFn {
    /// Every function.
    pub const ALL: [HiddenFn; 7] = [
        HiddenFn::Sigmoid,
        HiddenFn::Tanh,
        HiddenFn::Linear,
        HiddenFn::Square,
        HiddenFn::Relu,
        HiddenFn::Modulus,
        HiddenFn::Synchrony,
    ];

    /// h(u), scalar reference.
    pub fn h(self, u: f32) -> f32 {
        use crate::reference::sigmoid;
        match self {
            HiddenFn::Sigmoid => sigmoid(u),
            HiddenFn::Tanh => u.tanh(),
            HiddenFn::Linear => u,
            HiddenFn::Square => u * u,
            HiddenFn::Relu => u.max(0.0),
            HiddenFn::Modulus => u.abs(),
            HiddenFn::Synchrony => u * sigmoid(u * u),
        }
    }

    /// h′(u), scalar reference.
    pub fn h_prime(self, u: f32) -> f32 {
        use crate::reference::sigmoid;
        match self {
            HiddenFn::Sigmoid => {
                let s = sigmoid(u);
                s * (1.0 - s)
            }
            HiddenFn::Tanh => {
                let t = u.tanh();
                1.0 - t * t
            }
            HiddenFn::Linear => 1.0,
            HiddenFn::Square => 2.0 * u,
            HiddenFn::Relu => {
                if u > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            HiddenFn::Modulus => {
                if u > 0.0 {
                    1.0
                } else if u < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            HiddenFn::Synchrony => {
                // d/du [u σ(u²)] = σ(u²) + 2u² σ(u²)(1 − σ(u²))
                let s = sigmoid(u * u);
                s + 2.0 * u * u * s * (1.0 - s)
            }
        }
    }

    /// H(u) with H′ = h and the constants of NOTES.md, scalar reference.
    pub fn antiderivative(self, u: f32) -> f32 {
        use crate::reference::{log_cosh, softplus};
        match self {
            HiddenFn::Sigmoid => softplus(u),
            HiddenFn::Tanh => log_cosh(u),
            HiddenFn::Linear => 0.5 * u * u,
            HiddenFn::Square => u * u * u / 3.0,
            HiddenFn::Relu => {
                let r = u.max(0.0);
                0.5 * r * r
            }
            HiddenFn::Modulus => 0.5 * u * u.abs(),
            HiddenFn::Synchrony => 0.5 * softplus(u * u),
        }
    }
}

/// Fused bias add, activation and derivative over one row:
/// `u ← u + bias; h = f(u); dh = f′(u)` (when `dh` is given).
///
/// # Panics
/// If the slices differ in length.
pub fn bias_act(u: &mut [f32], bias: &[f32], f: HiddenFn, h: &mut [f32], dh: Option<&mut [f32]>) {
    let n = u.len();
    assert_eq!(bias.len(), n, "bias_act: u has {n} elements, bias {}", bias.len());
    assert_eq!(h.len(), n, "bias_act: u has {n} elements, h {}", h.len());
    for ((ui, &b), hi) in u.iter_mut().zip(bias).zip(h.iter_mut()) {
        *ui += b;
        *hi = f.h(*ui);
    }
    if let Some(dh) = dh {
        assert_eq!(dh.len(), n, "bias_act: u has {n} elements, dh {}", dh.len());
        for (d, &ui) in dh.iter_mut().zip(u.iter()) {
            *d = f.h_prime(ui);
        }
    }
}

/// Σₖ H(uₖ) over a row, accumulated in `f64`.
pub fn antiderivative_sum(u: &[f32], f: HiddenFn) -> f64 {
    u.iter().map(|&v| f.antiderivative(v) as f64).sum()
}

/// ‖x − b‖² accumulated in `f64`.
///
/// # Panics
/// If the slices differ in length.
pub fn sq_dist(x: &[f32], b: &[f32]) -> f64 {
    assert_eq!(x.len(), b.len(), "sq_dist: x has {} elements, b {}", x.len(), b.len());
    x.iter()
        .zip(b)
        .map(|(&a, &c)| {
            let d = a as f64 - c as f64;
            d * d
        })
        .sum()
}
