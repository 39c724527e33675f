//! A small, honest RBF-kernel support vector machine: the baseline the digits demo measures beside
//! the CSAE on the same split in the same run.
//!
//! It is libsvm's C-SVC (Chang & Lin, 2011) in miniature: the dual
//! min ½αᵀQα − eᵀα subject to 0 ≤ αᵢ ≤ C, yᵀα = 0, with Qᵢⱼ = yᵢyⱼK(xᵢ, xⱼ) and
//! K(x, x′) = exp(−γ‖x − x′‖²), solved by SMO with libsvm's second-order working-set selection
//! (Fan, Chen & Lin, 2005) to the stopping tolerance 10⁻³; the bias is libsvm's ρ; K classes are
//! handled one-versus-one with majority voting (ties go to the lower class index, as in libsvm).
//! The kernel matrix of each class pair is computed once, in f64 (the demo's pairs have about 1200
//! rows with the shifted copies: 11 MB each); the pairs are solved in parallel on the current rayon
//! pool, each alone, so the result does not depend on the thread count.

use rayon::prelude::*;

/// libsvm's stopping tolerance on the maximal KKT violation.
const EPS: f64 = 1e-3;
/// libsvm's replacement for a non-positive curvature.
const TAU: f64 = 1e-12;
/// Upper bound on SMO iterations per binary problem (libsvm uses max(10⁷, 100·n)).
const MAX_ITER: usize = 10_000_000;

/// A fitted one-versus-one RBF SVM.
#[derive(Debug, Clone)]
pub struct Svm {
    d: usize,
    gamma: f64,
    classes: usize,
    /// One binary machine per class pair (a < b), in the order (0,1), (0,2), …, (K−2,K−1).
    machines: Vec<Binary>,
}

/// One binary machine: support vectors (rows), their coefficients αᵢyᵢ and the bias ρ.
#[derive(Debug, Clone)]
struct Binary {
    support: Vec<f64>,
    coef: Vec<f64>,
    rho: f64,
}

/// γ of scikit-learn's `gamma="scale"`: 1 / (d · Var(X)) over every entry of the rows.
pub fn scale_gamma(x: &[f32], d: usize) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().map(|&v| v as f64).sum::<f64>() / n;
    let var = x.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
    if var > 0.0 {
        1.0 / (d as f64 * var)
    } else {
        1.0
    }
}

fn rbf(a: &[f64], b: &[f64], gamma: f64) -> f64 {
    let s: f64 = a.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum();
    (-gamma * s).exp()
}

impl Svm {
    /// Fit on `x` (n × d, row-major) with labels in 0..`classes`.
    ///
    /// Pairs of classes of which one has no rows get no machine and never receive votes for the
    /// missing class. Panics only on inconsistent lengths (a caller bug).
    pub fn fit(x: &[f32], d: usize, labels: &[u32], classes: usize, c: f64, gamma: f64) -> Self {
        assert_eq!(x.len(), labels.len() * d, "rows and labels disagree");
        let rows: Vec<Vec<f64>> = x.chunks_exact(d).map(|r| r.iter().map(|&v| v as f64).collect()).collect();
        let pairs: Vec<(usize, usize)> =
            (0..classes).flat_map(|a| (a + 1..classes).map(move |b| (a, b))).collect();
        // The pairs are independent: solved on the current rayon pool, collected in pair order.
        let machines = pairs
            .into_par_iter()
            .map(|(a, b)| {
                let idx: Vec<usize> = (0..labels.len())
                    .filter(|&i| labels[i] as usize == a || labels[i] as usize == b)
                    .collect();
                let y: Vec<f64> =
                    idx.iter().map(|&i| if labels[i] as usize == a { 1.0 } else { -1.0 }).collect();
                let pts: Vec<&[f64]> = idx.iter().map(|&i| rows[i].as_slice()).collect();
                solve(&pts, &y, c, gamma)
            })
            .collect();
        Svm { d, gamma, classes, machines }
    }

    /// The predicted class of each row of `x` (n × d).
    pub fn predict(&self, x: &[f32]) -> Vec<u32> {
        x.chunks_exact(self.d)
            .map(|r| {
                let r: Vec<f64> = r.iter().map(|&v| v as f64).collect();
                let mut votes = vec![0usize; self.classes];
                let mut m = self.machines.iter();
                for a in 0..self.classes {
                    for b in a + 1..self.classes {
                        let mach = m.next().expect("one machine per pair");
                        if mach.decision(&r, self.d, self.gamma) > 0.0 {
                            votes[a] += 1;
                        } else {
                            votes[b] += 1;
                        }
                    }
                }
                // First maximum: ties go to the lower class index.
                let best =
                    votes.iter().enumerate().fold(0, |best, (k, &v)| if v > votes[best] { k } else { best });
                best as u32
            })
            .collect()
    }
}

impl Binary {
    fn decision(&self, x: &[f64], d: usize, gamma: f64) -> f64 {
        let s: f64 = self.support.chunks_exact(d).zip(&self.coef).map(|(sv, &c)| c * rbf(sv, x, gamma)).sum();
        s - self.rho
    }
}

/// SMO for one binary problem (labels ±1); returns the support vectors, αᵢyᵢ and ρ.
fn solve(x: &[&[f64]], y: &[f64], c: f64, gamma: f64) -> Binary {
    let n = x.len();
    if n == 0 || y.iter().all(|&v| v == y[0]) {
        // One class only (or none): a constant machine voting for the class present.
        let rho = if y.first() == Some(&1.0) { -1.0 } else { 1.0 };
        return Binary { support: Vec::new(), coef: Vec::new(), rho };
    }
    // Kernel matrix in f64 (diagonal exactly 1 for the RBF kernel).
    let mut k = vec![0.0f64; n * n];
    for i in 0..n {
        k[i * n + i] = 1.0;
        for j in 0..i {
            let v = rbf(x[i], x[j], gamma);
            k[i * n + j] = v;
            k[j * n + i] = v;
        }
    }
    let q = |i: usize, j: usize| y[i] * y[j] * k[i * n + j];
    let mut alpha = vec![0.0f64; n];
    let mut g = vec![-1.0f64; n];
    let up = |a: f64, yi: f64| if yi > 0.0 { a < c } else { a > 0.0 };
    let low = |a: f64, yi: f64| if yi > 0.0 { a > 0.0 } else { a < c };
    for _ in 0..MAX_ITER.max(100 * n) {
        // Working set: i maximises −yᵢGᵢ over I_up; j minimises the second-order decrease.
        let mut gmax = f64::NEG_INFINITY;
        let mut i = usize::MAX;
        for t in 0..n {
            if up(alpha[t], y[t]) && -y[t] * g[t] >= gmax {
                gmax = -y[t] * g[t];
                i = t;
            }
        }
        if i == usize::MAX {
            break;
        }
        let mut gmax2 = f64::NEG_INFINITY;
        let mut best = f64::INFINITY;
        let mut j = usize::MAX;
        for t in 0..n {
            if !low(alpha[t], y[t]) {
                continue;
            }
            let ygt = y[t] * g[t];
            gmax2 = gmax2.max(ygt);
            let diff = gmax + ygt;
            if diff > 0.0 {
                let quad = k[i * n + i] + k[t * n + t] - 2.0 * k[i * n + t];
                let obj = -diff * diff / if quad > 0.0 { quad } else { TAU };
                if obj <= best {
                    best = obj;
                    j = t;
                }
            }
        }
        if gmax + gmax2 < EPS || j == usize::MAX {
            break;
        }
        // Two-variable update along the constraint yᵢΔαᵢ + yⱼΔαⱼ = 0, clipped to the box.
        let (ai, aj) = (alpha[i], alpha[j]);
        let quad = {
            let v = k[i * n + i] + k[j * n + j] - 2.0 * k[i * n + j];
            if v > 0.0 {
                v
            } else {
                TAU
            }
        };
        // Step on αᵢ along the feasible direction (αᵢ += yᵢ·s, αⱼ −= yⱼ·s).
        let mut s = (-y[i] * g[i] + y[j] * g[j]) / quad;
        let lim_i = if y[i] > 0.0 { c - ai } else { ai };
        let lim_j = if y[j] > 0.0 { aj } else { c - aj };
        s = s.min(lim_i).min(lim_j).max(0.0);
        alpha[i] = (ai + y[i] * s).clamp(0.0, c);
        alpha[j] = (aj - y[j] * s).clamp(0.0, c);
        let (di, dj) = (alpha[i] - ai, alpha[j] - aj);
        for (t, gt) in g.iter_mut().enumerate() {
            *gt += q(t, i) * di + q(t, j) * dj;
        }
    }
    // ρ as libsvm: the mean of yᵢGᵢ over free αᵢ, else the middle of the feasible interval.
    let (mut ub, mut lb, mut sum, mut free) = (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0usize);
    for t in 0..n {
        let yg = y[t] * g[t];
        if alpha[t] >= c {
            if y[t] < 0.0 {
                ub = ub.min(yg)
            } else {
                lb = lb.max(yg)
            }
        } else if alpha[t] <= 0.0 {
            if y[t] > 0.0 {
                ub = ub.min(yg)
            } else {
                lb = lb.max(yg)
            }
        } else {
            free += 1;
            sum += yg;
        }
    }
    let rho = if free > 0 { sum / free as f64 } else { (ub + lb) / 2.0 };
    let mut support = Vec::new();
    let mut coef = Vec::new();
    for t in 0..n {
        if alpha[t] > 0.0 {
            support.extend_from_slice(x[t]);
            coef.push(alpha[t] * y[t]);
        }
    }
    Binary { support, coef, rho }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seeded cloud of `n` points around each of `centres`.
    fn blobs(centres: &[[f32; 2]], n: usize, spread: f32, seed: u64) -> (Vec<f32>, Vec<u32>) {
        let mut s = seed;
        let mut u = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        };
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for (c, m) in centres.iter().enumerate() {
            for _ in 0..n {
                x.push(m[0] + spread * u());
                x.push(m[1] + spread * u());
                y.push(c as u32);
            }
        }
        (x, y)
    }

    #[test]
    fn separable_classes_are_learned_exactly() {
        let (x, y) = blobs(&[[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]], 30, 1.0, 7);
        let svm = Svm::fit(&x, 2, &y, 3, 10.0, 0.5);
        assert_eq!(svm.predict(&x), y);
        assert_eq!(svm.predict(&[2.9, 0.1, 0.1, 2.8, -0.2, 0.1]), vec![1, 2, 0]);
    }

    #[test]
    fn the_solution_satisfies_the_kkt_conditions() {
        // Overlapping classes: bounded, free and zero multipliers all occur. At the optimum,
        // y·f(x) ≥ 1 − tol where α = 0, ≤ 1 + tol where α = C, = 1 ± tol where 0 < α < C,
        // and Σ αᵢyᵢ = 0.
        let (x, y) = blobs(&[[0.0, 0.0], [1.0, 0.5]], 60, 2.0, 3);
        let c = 2.0;
        let (gamma, d) = (0.7, 2);
        let rows: Vec<Vec<f64>> = x.chunks(2).map(|r| r.iter().map(|&v| v as f64).collect()).collect();
        let pts: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
        let yy: Vec<f64> = y.iter().map(|&v| if v == 0 { 1.0 } else { -1.0 }).collect();
        let m = solve(&pts, &yy, c, gamma);
        let sum: f64 = m.coef.iter().sum();
        assert!(sum.abs() < 1e-9, "Σ αy = {sum}");
        let (mut at_c, mut free) = (0, 0);
        for (p, &yi) in pts.iter().zip(&yy) {
            let margin = yi * m.decision(p, d, gamma);
            let a = m.support.chunks(d).zip(&m.coef).find(|(sv, _)| sv == p).map_or(0.0, |(_, &cf)| cf * yi);
            if a <= 0.0 {
                assert!(margin >= 1.0 - 2e-3, "α = 0 but margin {margin}");
            } else if a >= c {
                at_c += 1;
                assert!(margin <= 1.0 + 2e-3, "α = C but margin {margin}");
            } else {
                free += 1;
                assert!((margin - 1.0).abs() <= 2e-3, "free α but margin {margin}");
            }
        }
        assert!(at_c > 0 && free > 0, "the case must exercise both bounds ({at_c} at C, {free} free)");
    }

    #[test]
    fn scale_gamma_is_one_over_d_times_variance() {
        let x = [0.0f32, 2.0, 0.0, 2.0];
        assert!((scale_gamma(&x, 2) - 0.5).abs() < 1e-12);
        assert_eq!(scale_gamma(&[1.0, 1.0], 2), 1.0);
    }
}
