//! The read-out variants of Table 4 ("normalize only", "energies"): the class models stay as they
//! are; the class biases C (and the read-out A) are learned by the log-loss of Eq. 45 on the
//! energies, computed once.

use crate::model::{argmax, evaluation_from_logits};
use crate::training::epochs::{self, Finetunable, FinetuneReport, Progress};
use crate::training::loss::coefficients;
use crate::training::optim::momentum_f64;
use crate::{features_view, Csae, Error, Evaluation, FinetuneConfig, Result, Variant};
use potential_data::Dataset;
use rand_xoshiro::Xoshiro256PlusPlus;

/// C′ (and A′) on standardised energies: s = A′z + C′ with z = (E − μ)/σ (σ = 1, μ = 0 and A′ = I
/// kept fixed for normalize-only).
struct Readout<'a> {
    k: usize,
    with_a: bool,
    labels: &'a [u32],
    /// Training energies \[n, K\] and validation energies.
    e: Vec<f64>,
    ve: Option<Vec<f64>>,
    mu: Vec<f64>,
    sd: Vec<f64>,
    ap: Vec<f64>,
    cp: Vec<f64>,
    va: Vec<f64>,
    vc: Vec<f64>,
    /// The constant learning rate and momentum (the schedule is not applied to the read-out).
    lr: f64,
    mom: f64,
}

impl Readout<'_> {
    /// z = (E − μ)/σ of one row.
    fn z(&self, r: &[f64], out: &mut [f64]) {
        for j in 0..self.k {
            out[j] = (r[j] - self.mu[j]) / self.sd[j];
        }
    }

    /// s = A′z + C′ of one row's z.
    fn logits_of(&self, zz: &[f64], s: &mut [f64]) {
        let k = self.k;
        for (i, s) in s.iter_mut().enumerate() {
            *s = self.cp[i] + (0..k).map(|j| self.ap[i * k + j] * zz[j]).sum::<f64>();
        }
    }
}

impl Finetunable for Readout<'_> {
    type Snapshot = (Vec<f64>, Vec<f64>);

    fn step(
        &mut self,
        rows: &[usize],
        _lr: f32,
        _: &mut Xoshiro256PlusPlus,
        loss: &mut f64,
    ) -> Result<usize> {
        let k = self.k;
        let inv = 1.0 / rows.len() as f64;
        let (mut ga, mut gc) = (vec![0.0f64; k * k], vec![0.0f64; k]);
        let (mut zz, mut s, mut g) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
        let mut errors = 0;
        for &r in rows {
            self.z(&self.e[r * k..(r + 1) * k], &mut zz);
            self.logits_of(&zz, &mut s);
            let y = self.labels[r] as usize;
            errors += usize::from(argmax(&s) != y);
            *loss += coefficients(Variant::Log, &s, y, &mut g);
            for i in 0..k {
                gc[i] += g[i] * inv;
                if self.with_a {
                    for j in 0..k {
                        ga[i * k + j] += g[i] * zz[j] * inv;
                    }
                }
            }
        }
        momentum_f64(&mut self.cp, &mut self.vc, &gc, self.lr, self.mom);
        if self.with_a {
            momentum_f64(&mut self.ap, &mut self.va, &ga, self.lr, self.mom);
        }
        if self.cp.iter().chain(&self.ap).any(|v| !v.is_finite()) {
            return Err(Error::Diverged { epoch: 0, step: 0, parameter: "class_bias".into() });
        }
        Ok(errors)
    }

    fn evaluate(&self, valid: &Dataset) -> Result<Evaluation> {
        let ve = self.ve.as_deref().ok_or_else(|| Error::Data {
            what: "validation data",
            reason: "internal: the read-out has no validation energies".into(),
        })?;
        let k = self.k;
        let mut out = vec![0.0; ve.len()];
        let mut zz = vec![0.0; k];
        for (r, s) in ve.chunks_exact(k).zip(out.chunks_exact_mut(k)) {
            self.z(r, &mut zz);
            self.logits_of(&zz, s);
        }
        Ok(evaluation_from_logits(&out, valid.labels(), k))
    }

    fn snapshot(&self) -> Self::Snapshot {
        (self.ap.clone(), self.cp.clone())
    }

    fn restore(&mut self, (ap, cp): Self::Snapshot) {
        self.ap = ap;
        self.cp = cp;
    }
}

/// Mean and standard deviation (floored at 10⁻¹²) of each column of the \[n, K\] energies.
fn standardisation(e: &[f64], k: usize, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut mu = vec![0.0f64; k];
    let mut sd = vec![0.0f64; k];
    for r in e.chunks_exact(k) {
        for j in 0..k {
            mu[j] += r[j] / n as f64;
        }
    }
    for r in e.chunks_exact(k) {
        for j in 0..k {
            sd[j] += (r[j] - mu[j]).powi(2) / n as f64;
        }
    }
    (mu, sd.into_iter().map(|v| v.sqrt().max(1e-12)).collect())
}

/// Training of C (and A, for the energies variant) on the energies of `model`, which are computed
/// once; for the energies variant they are standardised with the training mean and deviation, and
/// the read-out is folded back to raw energies at the end.
pub(crate) fn finetune_readout(
    model: &mut Csae,
    cfg: &FinetuneConfig,
    train: &Dataset,
    valid: Option<&Dataset>,
    progress: &dyn Fn(Progress<'_>) -> Result<()>,
) -> Result<FinetuneReport> {
    let k = model.num_classes();
    let n = train.n();
    let e = model.energies(features_view(train))?;
    let ve = valid.map(|v| model.energies(features_view(v))).transpose()?;
    let with_a = cfg.variant == Variant::Energies;
    // Standardisation z = (E − μ)/σ (energies variant) and the parameters in that space:
    // s = A′z + C′ with A′ᵢⱼ = Aᵢⱼσⱼ, C′ᵢ = Cᵢ + Σⱼ Aᵢⱼμⱼ (A = I when the model has no read-out).
    let (mu, sd) = if with_a { standardisation(&e, k, n) } else { (vec![0.0; k], vec![1.0; k]) };
    let a0: Vec<f64> = match &model.readout {
        Some(a) => a.iter().map(|&v| v as f64).collect(),
        None => (0..k * k).map(|i| if i / k == i % k { 1.0 } else { 0.0 }).collect(),
    };
    let ap: Vec<f64> = (0..k * k).map(|i| a0[i] * sd[i % k]).collect();
    let cp: Vec<f64> = (0..k)
        .map(|i| model.class_bias[i] as f64 + (0..k).map(|j| a0[i * k + j] * mu[j]).sum::<f64>())
        .collect();
    let mut r = Readout {
        k,
        with_a,
        labels: train.labels(),
        e,
        ve,
        mu,
        sd,
        ap,
        cp,
        va: vec![0.0; k * k],
        vc: vec![0.0; k],
        lr: cfg.learning_rate as f64,
        mom: cfg.momentum as f64,
    };
    let report = epochs::run(&mut r, cfg, n, valid, progress)?;
    // Fold back: Aᵢⱼ = A′ᵢⱼ/σⱼ, Cᵢ = C′ᵢ − Σⱼ A′ᵢⱼ μⱼ/σⱼ.
    let a: Vec<f64> = (0..k * k).map(|i| r.ap[i] / r.sd[i % k]).collect();
    for i in 0..k {
        model.class_bias[i] = (r.cp[i] - (0..k).map(|j| a[i * k + j] * r.mu[j]).sum::<f64>()) as f32;
    }
    if with_a {
        model.readout = Some(a.into_iter().map(|v| v as f32).collect());
    }
    Ok(report)
}
