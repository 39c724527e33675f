//! [`Detector`]: fitting the members, combining their scores, the stored threshold.

use super::config::{Combine, DetectorConfig, Resolved};
use super::scaler::Scaler;
use super::{percentile_sorted, DetectorError, Result};
use crate::{init_model, Event, Monitor, Optimizer, Outcome, Progress, TrainConfig, Trainer};
use potential_data::Features;
use potential_kernels::{MatRef, Parallelism};
use potential_models::novelty::{self, NoveltyScore};
use potential_models::{Output, TiedAutoencoder};
use std::ops::ControlFlow;

/// One autoencoder of a [`Detector`] and how its outlier score is normalised.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    /// Index of its view (scaler) in the detector.
    pub view: usize,
    /// The Gaussian noise level it was trained with (scaled units).
    pub noise: f32,
    /// The seed it was trained with.
    pub seed: u64,
    /// The autoencoder, on scaled inputs.
    pub model: TiedAutoencoder,
    /// Median of its outlier scores over the training rows.
    pub median: f64,
    /// Interquartile range of its outlier scores over the training rows (> 0).
    pub iqr: f64,
}

impl Member {
    /// The member's normalised score z = (s − median) / IQR of an outlier score s.
    fn z(&self, s: f64) -> f64 {
        (s - self.median) / self.iqr
    }
}

/// A fitted novelty detector: scalers, autoencoders, and the threshold fitted on the training rows.
///
/// The **outlier score** of a row x (higher = more unusual) is the mean over members m of
/// g((sₘ(x) − medianₘ) / IQRₘ), g the [`Combine`] link (softplus by default), where sₘ is member
/// m's outlier score of its view's scaled row:
/// −Eₘ (Eq. 11–21) for [`NoveltyScore::Energy`], ‖r(x) − x‖² for
/// [`NoveltyScore::ReconstructionError`]. A row is flagged when its outlier score is strictly above
/// [`Detector::threshold`].
#[derive(Clone, Debug, PartialEq)]
pub struct Detector {
    pub(super) scalers: Vec<Scaler>,
    /// Per view: the mean of the scaled training rows (the reference point of explanations).
    pub(super) references: Vec<Vec<f32>>,
    pub(super) members: Vec<Member>,
    pub(super) score: NoveltyScore,
    pub(super) combine: Combine,
    pub(super) contamination: f64,
    pub(super) threshold: f64,
    pub(super) provenance: String,
}

/// Seed of member `i` of a run seeded with `seed` (distinct streams per member).
fn member_seed(seed: u64, i: usize) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(i as u64)
}

/// Check a row-major matrix for finiteness; the error names row and column.
fn check_finite(x: &[f32], d: usize) -> Result<()> {
    match x.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(k) => Err(DetectorError::NonFinite { row: k / d, column: k % d, value: x[k] }),
    }
}

impl Detector {
    /// Fit a detector on the rows of `x` (no labels), with the defaults of [`DetectorConfig`]
    /// resolved for its size. `observer` sees every training step and epoch of every member, in
    /// order; breaking stops the fit with [`DetectorError::Interrupted`].
    ///
    /// # Errors
    /// [`DetectorError::Config`], [`DetectorError::TooFewRows`], [`DetectorError::NonFinite`]
    /// (naming the row and column), [`DetectorError::Train`] (e.g. a diverged member),
    /// [`DetectorError::Interrupted`].
    pub fn fit(
        x: &Features,
        config: &DetectorConfig,
        observer: &mut dyn FnMut(usize, Event<'_>) -> ControlFlow<()>,
    ) -> Result<Self> {
        let r = config.resolve(x)?;
        Self::fit_resolved(x, &r, observer)
    }

    /// [`Detector::fit`] reporting to the one progress callback: member i's steps and epochs as
    /// [`Progress::Step`] and [`Progress::Epoch`] with `model` = i. A [`ControlFlow::Break`] answer
    /// stops the fit with [`DetectorError::Interrupted`].
    ///
    /// # Errors
    /// As [`Detector::fit`].
    pub fn fit_with(x: &Features, config: &DetectorConfig, monitor: Monitor<'_>) -> Result<Self> {
        Self::fit(x, config, &mut |i, e| monitor(Progress::from_event(i, e)))
    }

    /// [`Detector::fit`] with the sizes already resolved (e.g. to size a progress bar first).
    /// The observer sees member i of the second stage (a trimmed refit, [`DetectorConfig::trim`])
    /// as i + [`Resolved::members`].
    ///
    /// Equals, bit for bit, fitting every member with [`Detector::fit_member`] and assembling them
    /// with [`Detector::from_members`] on `x` — and with two stages, doing that once more on the
    /// rows [`Detector::trimmed_rows`] keeps and fitting the threshold on `x` with
    /// [`Detector::fit_threshold`] — so the members can be fitted apart (e.g. on other machines).
    ///
    /// # Errors
    /// As [`Detector::fit`].
    pub fn fit_resolved(
        x: &Features,
        r: &Resolved,
        observer: &mut dyn FnMut(usize, Event<'_>) -> ControlFlow<()>,
    ) -> Result<Self> {
        let one = r.stages() == 1;
        let first = Self::fit_stage(x, r, one, &mut |i, e| observer(i, e))?;
        if one {
            return Ok(first);
        }
        let kept = first.trimmed_rows(x, r.trim)?;
        // The second stage's threshold on its kept rows would be replaced at once: skip it.
        let mut det = Self::fit_stage(&kept, r, false, &mut |i, e| observer(i + r.members(), e))?;
        det.fit_threshold(x)?;
        Ok(det)
    }

    /// One stage: every member fitted on `x`; the threshold on `x` when `threshold` (else left
    /// infinite, for [`Detector::fit_threshold`] to set).
    fn fit_stage(
        x: &Features,
        r: &Resolved,
        threshold: bool,
        observer: &mut dyn FnMut(usize, Event<'_>) -> ControlFlow<()>,
    ) -> Result<Self> {
        check_finite(x.as_slice(), x.d())?;
        let mut views = Vec::with_capacity(r.views.len());
        let mut members = Vec::with_capacity(r.members());
        for vi in 0..r.views.len() {
            let (view, xs) = ScaledView::fit(x, r, vi)?;
            for _ in 0..r.config.members_per_view {
                let idx = members.len();
                members.push(train_member(&xs, r, idx, &mut |e| observer(idx, e))?);
            }
            views.push(view);
        }
        Self::assemble(x, r, views, members, threshold)
    }

    /// Fit member `index` of the detector [`Detector::fit_resolved`] would fit on `x` (its view
    /// `index / members_per_view`, its seed derived from the run's seed and `index`) — the same
    /// member, bit for bit, so members can be fitted apart (e.g. on other machines) and joined by
    /// [`Detector::from_members`]. `observer` sees its steps and epochs; breaking stops it with
    /// [`DetectorError::Interrupted`].
    ///
    /// # Errors
    /// [`DetectorError::Config`] for an index beyond [`Resolved::members`]; as [`Detector::fit`].
    pub fn fit_member(
        x: &Features,
        r: &Resolved,
        index: usize,
        observer: &mut dyn FnMut(Event<'_>) -> ControlFlow<()>,
    ) -> Result<Member> {
        if index >= r.members() {
            return Err(DetectorError::Config {
                field: "member",
                value: index.to_string(),
                reason: format!("this detector has {} members", r.members()),
            });
        }
        check_finite(x.as_slice(), x.d())?;
        let (_, xs) = ScaledView::fit(x, r, index / r.config.members_per_view)?;
        train_member(&xs, r, index, observer)
    }

    /// The detector of the members `members` (member i fitted by [`Detector::fit_member`] with
    /// index i on the same rows `x` and resolution `r`): the scalers and references refitted on
    /// `x` (deterministic) and the threshold fitted on the training rows' scores.
    ///
    /// # Errors
    /// [`DetectorError::Config`] when a member's count, view, noise, seed or shape does not fit
    /// `r`; as [`Detector::fit`].
    pub fn from_members(x: &Features, r: &Resolved, members: Vec<Member>) -> Result<Self> {
        let bad = |value: String, reason: String| DetectorError::Config { field: "members", value, reason };
        if members.len() != r.members() {
            return Err(bad(members.len().to_string(), format!("this detector has {} members", r.members())));
        }
        for (i, m) in members.iter().enumerate() {
            let vi = i / r.config.members_per_view;
            let want = (vi, r.views[vi].noise, member_seed(r.config.seed, i), r.hidden, x.d());
            if (m.view, m.noise, m.seed, m.model.hidden(), m.model.visible()) != want {
                return Err(bad(
                    format!("member {i}"),
                    format!(
                        "view {}, noise {}, seed {}, {}×{} model; expected view {}, noise {}, seed {}, {}×{}",
                        m.view,
                        m.noise,
                        m.seed,
                        m.model.hidden(),
                        m.model.visible(),
                        want.0,
                        want.1,
                        want.2,
                        want.3,
                        want.4
                    ),
                ));
            }
        }
        check_finite(x.as_slice(), x.d())?;
        let views = (0..r.views.len()).map(|vi| Ok(ScaledView::fit(x, r, vi)?.0)).collect::<Result<_>>()?;
        Self::assemble(x, r, views, members, true)
    }

    /// The rows of `x` this detector finds least strange, in their order: all but the
    /// [`set_aside`](super::set_aside)(n, `trim`) rows of highest outlier score (among equal scores
    /// the later row is set aside first). The second stage of a two-stage fit is fitted
    /// on them ([`DetectorConfig::trim`]).
    ///
    /// # Errors
    /// [`DetectorError::Config`] for `trim` outside [0, 0.5); as [`Detector::outlier_scores`].
    pub fn trimmed_rows(&self, x: &Features, trim: f64) -> Result<Features> {
        super::config::check_trim(trim)?;
        let (n, d) = (x.n(), x.d());
        let scores = self.outlier_scores(x.as_slice())?;
        let drop = super::set_aside(n, trim);
        let mut order: Vec<usize> = (0..n).collect();
        // Highest score first; among equal scores the later row goes first (a total order).
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(b.cmp(&a)));
        let mut keep = vec![true; n];
        order[..drop].iter().for_each(|&i| keep[i] = false);
        let rows: Vec<f32> =
            x.iter_rows().zip(&keep).filter(|(_, &k)| k).flat_map(|(row, _)| row.iter().copied()).collect();
        Ok(Features::from_vec(rows, n - drop, d)?)
    }

    /// Refit the threshold on the rows `x` (PyOD's rule with the detector's contamination), as
    /// the last step of a two-stage fit does on all the training rows; the provenance records
    /// their number as `threshold_rows` (`rows` stays the number the members were fitted on).
    ///
    /// # Errors
    /// [`DetectorError::NonFinite`]; as [`Detector::outlier_scores`].
    pub fn fit_threshold(&mut self, x: &Features) -> Result<()> {
        check_finite(x.as_slice(), x.d())?;
        self.threshold = self.threshold_on(x)?;
        if let Ok(serde_json::Value::Object(mut p)) = serde_json::from_str(&self.provenance) {
            p.insert("threshold_rows".into(), x.n().into());
            self.provenance = serde_json::Value::Object(p).to_string();
        }
        Ok(())
    }

    /// PyOD's contamination threshold on the outlier scores of the rows `x`.
    fn threshold_on(&self, x: &Features) -> Result<f64> {
        let scores = self.outlier_scores(x.as_slice())?;
        Ok(novelty::contamination_threshold(&scores, self.contamination)?)
    }

    /// The detector of fitted views and members, its threshold fitted on the rows `x` when
    /// `threshold` (else infinite until [`Detector::fit_threshold`]).
    fn assemble(
        x: &Features,
        r: &Resolved,
        views: Vec<ScaledView>,
        members: Vec<Member>,
        threshold: bool,
    ) -> Result<Self> {
        let cfg = &r.config;
        let (scalers, references) = views.into_iter().map(|v| (v.scaler, v.reference)).unzip();
        let provenance = serde_json::json!({
            "rows": x.n(),
            "columns": x.d(),
            "hidden": r.hidden,
            "epochs": r.epochs,
            "batch_size": r.batch_size,
            "views": r.views,
            "members_per_view": cfg.members_per_view,
            "activation": cfg.activation.name(),
            "learning_rate": cfg.learning_rate,
            "score": cfg.score.name(),
            "contamination": cfg.contamination,
            "seed": cfg.seed,
            "combine": cfg.combine.name(),
            "crate_version": env!("CARGO_PKG_VERSION"),
        });
        // A one-stage detector's file stays as it was before two stages existed.
        let provenance = match provenance {
            serde_json::Value::Object(mut p) if r.stages() == 2 => {
                p.insert("trim".into(), r.trim.into());
                serde_json::Value::Object(p)
            }
            p => p,
        }
        .to_string();
        let mut det = Detector {
            scalers,
            references,
            members,
            score: cfg.score,
            combine: cfg.combine,
            contamination: cfg.contamination,
            threshold: f64::INFINITY,
            provenance,
        };
        if threshold {
            det.threshold = det.threshold_on(x)?;
        }
        Ok(det)
    }

    /// Number of columns a scored row must have.
    pub fn dim(&self) -> usize {
        self.scalers[0].dim()
    }

    /// The members.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// The fitted scalers, one per view.
    pub fn scalers(&self) -> &[Scaler] {
        &self.scalers
    }

    /// Per view, the mean of the scaled training rows.
    pub fn references(&self) -> &[Vec<f32>] {
        &self.references
    }

    /// How the members' normalised scores are combined into the outlier score.
    pub fn combine(&self) -> Combine {
        self.combine
    }

    /// The score the members rank by.
    pub fn score_kind(&self) -> NoveltyScore {
        self.score
    }

    /// The contamination the threshold was fitted with.
    pub fn contamination(&self) -> f64 {
        self.contamination
    }

    /// The decision threshold on the outlier-score scale (flag: score > threshold); PyOD's
    /// `threshold_`, and minus scikit-learn's `offset_`.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// Training provenance (JSON).
    pub fn provenance(&self) -> &str {
        &self.provenance
    }

    /// Outlier scores (higher = more unusual) of the row-major rows `x` (`x.len()` a multiple of
    /// [`Detector::dim`]).
    ///
    /// # Errors
    /// [`DetectorError::Width`], [`DetectorError::NonFinite`] naming row and column,
    /// [`DetectorError::Model`]/[`DetectorError::Novelty`] for a model that cannot score them.
    pub fn outlier_scores(&self, x: &[f32]) -> Result<Vec<f64>> {
        let d = self.dim();
        if !x.len().is_multiple_of(d) {
            return Err(DetectorError::Width { expected: d, found: x.len() });
        }
        check_finite(x, d)?;
        let n = x.len() / d;
        let mut total = vec![0.0f64; n];
        let inv_m = 1.0 / self.members.len() as f64;
        let mut xs = Vec::new();
        for (vi, scaler) in self.scalers.iter().enumerate() {
            scaler.transform_into(x, &mut xs);
            for m in self.members.iter().filter(|m| m.view == vi) {
                let s = novelty::outlier_scores(&m.model, MatRef::from_row_major(&xs, n, d), self.score)?;
                for (t, v) in total.iter_mut().zip(s) {
                    *t += inv_m * self.combine.link(m.z(v));
                }
            }
        }
        Ok(total)
    }

    /// Flags (true = outlier) of the rows `x`: outlier score strictly above the threshold.
    ///
    /// # Errors
    /// As [`Detector::outlier_scores`].
    pub fn predict(&self, x: &[f32]) -> Result<Vec<bool>> {
        Ok(self.outlier_scores(x)?.iter().map(|&s| s > self.threshold).collect())
    }

    /// Why each row is strange: per feature, its share of the row's outlier score, exactly. For
    /// every member the energy difference Eₘ(x') − Eₘ(x'₀) between the scaled row and its view's
    /// reference (the mean scaled training row) is attributed to the features along the straight
    /// path (`potential_models::explain`, Eq. 9: ∇E = r(x) − x); the detector's share of feature j is
    /// −(1/M) Σₘ ρₘ cₘⱼ / IQRₘ, where ρₘ is the secant slope of the [`Combine`] link between the
    /// member's normalised scores of the row and of the reference (the rescale rule; 1 for
    /// [`Combine::Mean`]). Positive = the feature makes the row stranger. Returns the [n, D]
    /// contributions, whose row sums equal the outlier score minus the reference's
    /// ([`Detector::reference_score`]), and the per-row quadrature error estimate.
    ///
    /// # Errors
    /// [`DetectorError::Config`] for a detector scored by reconstruction error (not a potential);
    /// as [`Detector::outlier_scores`].
    pub fn explain(&self, x: &[f32], nodes: usize) -> Result<(Vec<f64>, Vec<f64>)> {
        if self.score != NoveltyScore::Energy {
            return Err(DetectorError::Config {
                field: "score",
                value: self.score.name().to_owned(),
                reason: "explanations attribute the energy; this detector ranks by reconstruction error"
                    .into(),
            });
        }
        let d = self.dim();
        if !x.len().is_multiple_of(d) {
            return Err(DetectorError::Width { expected: d, found: x.len() });
        }
        check_finite(x, d)?;
        let n = x.len() / d;
        let inv_m = 1.0 / self.members.len() as f64;
        let (mut total, mut error) = (vec![0.0f64; n * d], vec![0.0f64; n]);
        let mut xs = Vec::new();
        for (vi, scaler) in self.scalers.iter().enumerate() {
            scaler.transform_into(x, &mut xs);
            for m in self.members.iter().filter(|m| m.view == vi) {
                let a = potential_models::explain::attribute(
                    &m.model,
                    MatRef::from_row_major(&xs, n, d),
                    &self.references[vi],
                    nodes,
                )?;
                // zₘ = (−Eₘ − median)/IQR; the link's secant slope carries the exact split of
                // zₘ(x) − zₘ(x₀) over to g(zₘ(x)) − g(zₘ(x₀)).
                let z0 = m.z(-a.reference_energy);
                for (i, ((row, &e), ae)) in total.chunks_exact_mut(d).zip(&a.energy).zip(&a.error).enumerate()
                {
                    let z = m.z(-e);
                    let k = inv_m * self.combine.secant(z, z0) / m.iqr;
                    for (t, c) in row.iter_mut().zip(&a.contributions[i * d..(i + 1) * d]) {
                        *t -= k * c;
                    }
                    error[i] += k * ae;
                }
            }
        }
        Ok((total, error))
    }

    /// The outlier score of the references (the constant the rows of [`Detector::explain`] sum to
    /// the outlier score minus).
    ///
    /// # Errors
    /// As [`Detector::outlier_scores`].
    pub fn reference_score(&self) -> Result<f64> {
        let inv_m = 1.0 / self.members.len() as f64;
        let mut s = 0.0;
        for m in &self.members {
            let e = m.model.energy(&self.references[m.view])?;
            s += inv_m * self.combine.link(m.z(-e));
        }
        Ok(s)
    }

    /// The same detector with another threshold (outlier-score scale) and the contamination it
    /// stands for, if any (e.g. after calibration).
    pub fn set_threshold(&mut self, threshold: f64, contamination: f64) {
        self.threshold = threshold;
        self.contamination = contamination;
    }
}

/// Median and interquartile range (numpy's linear percentiles) of `s`; an IQR of 0 (e.g. tied
/// scores) falls back to the full range, then to 1.
fn median_iqr(s: &[f64]) -> (f64, f64) {
    let mut v = s.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    let p = |q: f64| percentile_sorted(&v, q);
    let iqr = p(0.75) - p(0.25);
    let range = v[v.len() - 1] - v[0];
    let spread = if iqr > 0.0 && iqr.is_finite() {
        iqr
    } else if range > 0.0 && range.is_finite() {
        range
    } else {
        1.0
    };
    (p(0.5), spread)
}

/// A view's scaler fitted on the training rows and the mean of the scaled rows.
struct ScaledView {
    scaler: Scaler,
    reference: Vec<f32>,
}

impl ScaledView {
    /// Fit view `vi` of `r` on the rows `x`; also returns the scaled rows.
    fn fit(x: &Features, r: &Resolved, vi: usize) -> Result<(Self, Features)> {
        let (n, d) = (x.n(), x.d());
        let scaler = Scaler::fit(r.views[vi].scaler, x.as_slice(), n, d);
        let xs = Features::from_vec(scaler.transform(x.as_slice()), n, d)?;
        let mut mean = vec![0.0f64; d];
        for row in xs.iter_rows() {
            mean.iter_mut().zip(row).for_each(|(m, &v)| *m += v as f64);
        }
        let reference = mean.iter().map(|m| (m / n as f64) as f32).collect();
        Ok((Self { scaler, reference }, xs))
    }
}

/// Train member `index` on the scaled rows `xs` of its view, with Gaussian noise σ of its view,
/// and normalise its outlier scores on them.
fn train_member(
    xs: &Features,
    r: &Resolved,
    index: usize,
    observer: &mut dyn FnMut(Event<'_>) -> ControlFlow<()>,
) -> Result<Member> {
    let cfg = &r.config;
    let view = index / cfg.members_per_view;
    let noise = r.views[view].noise;
    let seed = member_seed(cfg.seed, index);
    let model = init_model(r.hidden, xs.d(), cfg.activation, Output::Real, seed)?;
    let tc = TrainConfig {
        epochs: r.epochs,
        batch_size: r.batch_size,
        learning_rate: cfg.learning_rate,
        optimizer: Optimizer::ADAM,
        noise: Some(crate::Noise::Gaussian(noise)),
        seed,
        metric_rows: 1,
        ..TrainConfig::default()
    };
    let mut t = Trainer::new(model, tc)?;
    t.set_parallelism(Parallelism::Rayon(0));
    let report = t.fit(xs, None, observer)?;
    if report.outcome == Outcome::Interrupted {
        return Err(DetectorError::Interrupted);
    }
    let mut model = t.into_model();
    // The detector file keeps one provenance for all members.
    model.set_provenance(None);
    let s = novelty::outlier_scores(&model, xs.as_mat(), cfg.score)?;
    let (median, iqr) = median_iqr(&s);
    Ok(Member { view, noise, seed, model, median, iqr })
}
