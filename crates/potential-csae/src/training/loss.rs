//! The discriminative loss of finetuning (Eq. 45's negative log-likelihood or the multiclass
//! hinge loss) and the visible term of the energy (Eq. 11–21, Eq. 28).

use crate::model::log_sum_exp;
use crate::Variant;
use potential_kernels::sq_dist;
use potential_models::Output;

/// ℓ(s, y) of the variant and ∂ℓ/∂s into `g`: the log-loss log Σⱼ exp sⱼ − s_y (every variant but
/// hinge), or the hinge loss max(0, 1 + s_j* − s_y) with j* the first largest logit other than y.
/// At the hinge's kink (a margin of exactly 0) the loss and the (sub)gradient taken are 0.
pub(crate) fn coefficients(variant: Variant, s: &[f64], y: usize, g: &mut [f64]) -> f64 {
    match variant {
        Variant::Hinge => {
            g.iter_mut().for_each(|v| *v = 0.0);
            let mut j = usize::MAX;
            for (i, &v) in s.iter().enumerate() {
                if i != y && (j == usize::MAX || v > s[j]) {
                    j = i;
                }
            }
            if j == usize::MAX {
                return 0.0;
            }
            let margin = 1.0 + s[j] - s[y];
            if margin > 0.0 {
                g[j] = 1.0;
                g[y] = -1.0;
                margin
            } else {
                0.0
            }
        }
        _ => {
            let lse = log_sum_exp(s);
            for (g, &v) in g.iter_mut().zip(s) {
                *g = (v - lse).exp();
            }
            g[y] -= 1.0;
            lse - s[y]
        }
    }
}

/// The visible part of the energy: −½‖x − b_r‖² (real) or b_rᵀx − Σⱼ[xⱼ log xⱼ + (1−xⱼ) log(1−xⱼ)]
/// (binary, Eq. 28, 0 log 0 = 0).
pub(crate) fn visible_term(output: Output, x: &[f32], br: &[f32]) -> f64 {
    match output {
        Output::Real => -0.5 * sq_dist(x, br),
        Output::Binary => {
            let xlogx = |v: f64| if v <= 0.0 { 0.0 } else { v * v.ln() };
            x.iter()
                .zip(br)
                .map(|(&x, &b)| {
                    let x = x as f64;
                    b as f64 * x - xlogx(x) - xlogx(1.0 - x)
                })
                .sum()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hinge's documented choices: j* is the *first* of tied largest logits, and a margin of
    /// exactly 0 gives the zero subgradient; a positive margin gives −1 at y and +1 at j*.
    #[test]
    fn hinge_ties_and_kink_take_the_documented_values() {
        let mut g = [9.0; 4];
        // Classes 1 and 3 tie for the largest logit other than y = 0: j* = 1.
        let l = coefficients(Variant::Hinge, &[0.5, 1.0, -2.0, 1.0], 0, &mut g);
        assert_eq!(l, 1.5);
        assert_eq!(g, [-1.0, 1.0, 0.0, 0.0]);
        // Margin 1 + 0 − 1 = 0 exactly: loss 0, gradient 0.
        let l = coefficients(Variant::Hinge, &[1.0, 0.0, -1.0], 0, &mut g[..3]);
        assert_eq!(l, 0.0);
        assert_eq!(g[..3], [0.0; 3]);
        // One class: no other logit, loss 0.
        assert_eq!(coefficients(Variant::Hinge, &[3.0], 0, &mut g[..1]), 0.0);
        assert_eq!(g[0], 0.0);
    }

    /// The log-loss's coefficients are softmax(s) − e_y and sum to 0.
    #[test]
    fn log_loss_coefficients_are_softmax_minus_the_label() {
        let s = [0.0, (2.0f64).ln(), 0.0];
        let mut g = [0.0; 3];
        let l = coefficients(Variant::Log, &s, 1, &mut g);
        assert!((l - (2.0f64).ln()).abs() < 1e-15, "{l}");
        let want = [0.25, 0.5 - 1.0, 0.25];
        for (a, b) in g.iter().zip(want) {
            assert!((a - b).abs() < 1e-15, "{g:?}");
        }
    }
}
