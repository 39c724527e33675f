//! The discriminative loss of finetuning (Eq. 45's negative log-likelihood or the multiclass
//! hinge loss) and the visible term of the energy (Eq. 11–21, Eq. 28).

use crate::model::log_sum_exp;
use crate::Variant;
use potential_kernels::sq_dist;
use potential_models::Output;

/// ℓ(s, y) of the variant and ∂ℓ/∂s into `g`: the log-loss log Σⱼ exp sⱼ − s_y (every variant but
/// hinge), or the hinge loss max(0, 1 + s_j* − s_y) with j* the first largest logit other than y.
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
