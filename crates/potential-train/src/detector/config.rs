//! [`DetectorConfig`]: what `potential detect fit` trains, with every default derived from the data.

use super::scaler::ScalerKind;
use super::DetectorError;
use potential_activations::ActivationKind;
use potential_data::Features;
use potential_models::NoveltyScore;
use serde::{Deserialize, Serialize};

/// One view of the data: a scaler and the Gaussian denoising level σ (in scaled units) of the
/// autoencoders trained on it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct View {
    /// How the columns are scaled.
    pub scaler: ScalerKind,
    /// Standard deviation of the Gaussian corruption during training (> 0).
    pub noise: f32,
}

/// The default views: min-max scaling with σ = 0.8, the normal quantile transform with σ = 0.5,
/// and standardisation with σ = 0.5 (see [`DetectorConfig`] for why).
pub const DEFAULT_VIEWS: [View; 3] = [
    View { scaler: ScalerKind::MinMax, noise: 0.8 },
    View { scaler: ScalerKind::Quantile, noise: 0.5 },
    View { scaler: ScalerKind::Standard, noise: 0.5 },
];

/// How the members' normalised outlier scores zₘ = (sₘ − medianₘ)/IQRₘ are combined.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Combine {
    /// (1/M) Σₘ softplus(zₘ), softplus(z) = ln(1 + eᶻ): a member's evidence that a row is typical
    /// saturates, its evidence that the row is strange does not (the default).
    #[default]
    Softplus,
    /// (1/M) Σₘ zₘ: the plain mean (detector files written before `combine` was stored).
    Mean,
}

impl Combine {
    /// The name stored in detector files.
    pub fn name(self) -> &'static str {
        match self {
            Combine::Softplus => "softplus",
            Combine::Mean => "mean",
        }
    }

    /// Parse [`Combine::name`].
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "softplus" => Some(Combine::Softplus),
            "mean" => Some(Combine::Mean),
            _ => None,
        }
    }

    /// The link g of one member's normalised score: the detector's score is (1/M) Σₘ g(zₘ).
    pub fn link(self, z: f64) -> f64 {
        match self {
            // ln(1 + eᶻ) without overflow: max(z, 0) + ln(1 + e^(−|z|)).
            Combine::Softplus => z.max(0.0) + (-z.abs()).exp().ln_1p(),
            Combine::Mean => z,
        }
    }

    /// The secant slope (g(z) − g(z₀)) / (z − z₀), g′(z) when z = z₀: the factor that carries a
    /// member's exact attribution of z − z₀ over to g(z) − g(z₀) (the rescale rule).
    pub fn secant(self, z: f64, z0: f64) -> f64 {
        match self {
            Combine::Mean => 1.0,
            Combine::Softplus => {
                let dz = z - z0;
                if dz.abs() > 1e-6 * (1.0 + z.abs().max(z0.abs())) {
                    (self.link(z) - self.link(z0)) / dz
                } else {
                    // g′ = the logistic function at the midpoint.
                    1.0 / (1.0 + (-(z + z0) / 2.0).exp())
                }
            }
        }
    }
}

/// The views of a *mode-dominated* table (see [`DetectorConfig`]): min-max scaling alone, σ = 0.2.
pub const MODE_DOMINATED_VIEWS: [View; 1] = [View { scaler: ScalerKind::MinMax, noise: 0.2 }];

/// A column is dominated by its mode when its most frequent value fills at least this share of
/// the rows; a table is mode-dominated when more than half of its columns are.
pub const MODE_SHARE: f64 = 0.5;

/// Target number of minibatch updates per autoencoder when `epochs` is not given.
pub const DEFAULT_UPDATES: usize = 5000;
/// Most epochs the default rule picks (tiny tables).
pub const MAX_DEFAULT_EPOCHS: usize = 500;
/// Most row × hidden × column products one member's default training may take (its epochs are cut
/// to fit): about 7·10¹⁰ floating-point operations, a few seconds on two cores. Only wide tables
/// reach it (a 6000 × 784 table gets 5 epochs; a 10000 × 100 one keeps its 50).
pub const MEMBER_BUDGET: f64 = 1.2e10;
/// Most hidden units the default rule picks (2·D, capped).
pub const MAX_DEFAULT_HIDDEN: usize = 512;
/// Fewest training rows a detector accepts.
pub const MIN_ROWS: usize = 8;
/// Default fraction of the training rows a first-stage detector sets aside before the detector is
/// refitted on the rest (see [`DetectorConfig`], *Two stages*).
pub const DEFAULT_TRIM: f64 = 0.1;
/// Largest [`DetectorConfig::trim`]: at least half of the rows stay.
pub const MAX_TRIM: f64 = 0.5;

/// Everything `potential detect fit` can be told; `None` fields are derived from the data by
/// [`DetectorConfig::resolve`].
///
/// # The default rule, and why
/// A tied autoencoder trained with Gaussian denoising at noise σ is a score-matching model:
/// r(x) − x ≈ σ²∇log p_σ(x) for the data density p smoothed at σ (Vincent 2011; Alain & Bengio
/// 2014), and since ∇E = r(x) − x (Eq. 9), its energy E(x) estimates σ² log p_σ(x) up to a
/// constant: **low energy = low density = outlier**. The defaults:
/// - **Three views of the columns** ([`DEFAULT_VIEWS`]), one autoencoder each: min-max scaling
///   with σ = 0.8 keeps distances as the data has them; the normal quantile transform with σ = 0.5
///   makes every column standard normal, so a heavy-tailed or nearly constant column cannot
///   dominate and a density bump inside a column is seen; standardisation with σ = 0.5 weighs the
///   columns by their spread but keeps extreme values extreme. No view wins on every table; their
///   mean is robust.
/// - **Except on a mode-dominated table** (in more than half of the columns one value fills at
///   least [`MODE_SHARE`] of the rows: image backgrounds, counts, sparse indicators):
///   [`MODE_DOMINATED_VIEWS`], min-max scaling alone with σ = 0.2. There the quantile and
///   standard scalers turn the rare departures of a column from its mode into huge values (a
///   background pixel lit in 1 row of 5000 becomes 70 standard deviations), so a few pixels
///   decide every score; min-max scaling keeps the columns' common units.
/// - **relu hiddens** (energy Σₖ ½ max(0, uₖ)² − ½‖x − c‖², Eq. 18), **2·D of them** (at most
///   [`MAX_DEFAULT_HIDDEN`]): an overcomplete relu layer can lift the energy on any bump of
///   the density.
/// - **Adam** (learning rate 10⁻³), whose steps do not depend on the scale of the inputs, with
///   minibatches of 100 rows (a tenth of the rows below 1000 rows), for about
///   [`DEFAULT_UPDATES`] updates per member over both stages (each stage's epochs =
///   ⌈2500 / steps per epoch⌉), at most [`MAX_DEFAULT_EPOCHS`], and at most half of
///   [`MEMBER_BUDGET`] / (rows · hidden · columns) per stage (at least 1) so that a wide table
///   (images) trains in seconds.
/// - **Combining the members**: each member's outlier score (−E, or ‖r(x) − x‖² for
///   `reconstruction-error`) is centred on its median over the training rows and divided by its
///   interquartile range there (zₘ), so the scales of different views' energies are comparable
///   without any labels; the detector's outlier score is the mean of softplus(zₘ)
///   ([`Combine::Softplus`]): one view's calm about a row cannot cancel another view's alarm.
/// - **Two stages** (trimmed refit, [`DEFAULT_TRIM`]; not on a mode-dominated table): the
///   training rows of an unsupervised
///   detector contain the anomalies it is asked to find, and a density model with the capacity
///   to fit them learns them too. So a first detector is fitted, the tenth of the training rows
///   it finds strangest are set aside, and the detector is fitted again, from scratch, on the
///   rest: a trimmed-likelihood estimate (Rousseeuw's least trimmed squares, applied to the
///   denoising score-matching fit), robust to a contamination up to the trimmed fraction. The
///   compute budget (the updates and the product ceiling below) is split evenly between the two
///   stages, so two stages cost what one did. A mode-dominated table (images) keeps one stage:
///   there the compute budget, not the updates, sets the epochs, and halving a budget of a few
///   epochs cost more than the trimming gained (on the validation rows of one-class MNIST and of
///   the one mode-dominated ADBench set).
/// - **Threshold**: PyOD's rule on the outlier scores of *all* the training rows (the set-aside
///   ones included) with contamination 0.1.
///
/// These were chosen on validation rows carved from the training parts of twelve ADBench sets
/// (never on their test rows), and are the same for every table.
#[derive(Clone, Debug, PartialEq)]
pub struct DetectorConfig {
    /// The views (scaler and noise level), one or more autoencoders each (default: the rule
    /// above, [`default_views`]).
    pub views: Option<Vec<View>>,
    /// Autoencoders per view, each with its own seed (default 1).
    pub members_per_view: usize,
    /// Hidden activation (default relu).
    pub activation: ActivationKind,
    /// Hidden units (default 2·D, at most [`MAX_DEFAULT_HIDDEN`]).
    pub hidden: Option<usize>,
    /// Epochs (default: about [`DEFAULT_UPDATES`] updates).
    pub epochs: Option<usize>,
    /// Rows per minibatch (default 100, or a tenth of the rows below 1000).
    pub batch_size: Option<usize>,
    /// Adam's learning rate (default 1e-3).
    pub learning_rate: f32,
    /// The score that ranks rows.
    pub score: NoveltyScore,
    /// Fraction of training rows above the threshold, in (0, 0.5] (default 0.1).
    pub contamination: f64,
    /// Seed of every member's initialisation, shuffling and noise.
    pub seed: u64,
    /// How the members' normalised scores are combined (default softplus).
    pub combine: Combine,
    /// Fraction of the training rows the first stage sets aside before the refit, in
    /// [0, [`MAX_TRIM`]); 0 fits one stage on every row (default: [`DEFAULT_TRIM`], or 0 on a
    /// mode-dominated table).
    pub trim: Option<f64>,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        Self {
            views: None,
            members_per_view: 1,
            activation: ActivationKind::Relu,
            hidden: None,
            epochs: None,
            batch_size: None,
            learning_rate: 1e-3,
            score: NoveltyScore::Energy,
            contamination: potential_models::novelty::DEFAULT_CONTAMINATION,
            seed: 0,
            combine: Combine::Softplus,
            trim: None,
        }
    }
}

/// A [`DetectorConfig`] with every size fixed for a table of `n` rows and `d` columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    /// The configuration as given.
    pub config: DetectorConfig,
    /// The views.
    pub views: Vec<View>,
    /// Hidden units.
    pub hidden: usize,
    /// Epochs of each stage.
    pub epochs: usize,
    /// Fraction of the training rows the first stage sets aside (0: one stage).
    pub trim: f64,
    /// Rows per minibatch.
    pub batch_size: usize,
}

impl Resolved {
    /// Number of members: views × members per view (member i belongs to view i / members per
    /// view).
    pub fn members(&self) -> usize {
        self.views.len() * self.config.members_per_view
    }

    /// Number of fitting stages: 2 with a trimmed refit ([`Resolved::trim`] > 0), else 1.
    pub fn stages(&self) -> usize {
        stages(self.trim)
    }

    /// The rows each stage is fitted on, of `n` training rows: `[n]`, or `[n, n − set aside]`
    /// with a trimmed refit ([`set_aside`]).
    pub fn stage_rows(&self, n: usize) -> Vec<usize> {
        let mut rows = vec![n];
        if self.stages() == 2 {
            rows.push(n - set_aside(n, self.trim));
        }
        rows
    }

    /// Peak bytes a fit on `n` rows of `d` columns allocates beyond the rows themselves (`None` on
    /// overflow): the members' models, one member's training buffers
    /// ([`memory::training_bytes`](crate::memory::training_bytes)), two scaled copies of the rows
    /// (the scaled table and the kept rows of a second stage) and every member's score of every row
    /// (f64).
    pub fn fit_bytes(&self, n: usize, d: usize) -> Option<u64> {
        use crate::memory::{model_bytes, training_bytes};
        let models = model_bytes(d, self.hidden)?.checked_mul(self.members() as u64)?;
        let train = training_bytes(d, self.hidden, self.batch_size, n)?;
        let rows = (n as u64).checked_mul(d as u64)?.checked_mul(2 * 4)?;
        let scores = (n as u64).checked_mul(self.members() as u64)?.checked_mul(8)?;
        models.checked_add(train)?.checked_add(rows)?.checked_add(scores)
    }

    /// Minibatch steps of a whole fit on `n` rows (every stage, every member): the length of a
    /// progress bar.
    pub fn total_steps(&self, n: usize) -> usize {
        self.stage_rows(n)
            .iter()
            .map(|&m| m.div_ceil(self.batch_size.max(1)) * self.epochs * self.members())
            .sum()
    }
}

fn bad(field: &'static str, value: impl ToString, reason: &str) -> DetectorError {
    DetectorError::Config { field, value: value.to_string(), reason: reason.to_owned() }
}

impl DetectorConfig {
    /// Check the fields that do not depend on the data.
    ///
    /// # Errors
    /// [`DetectorError::Config`] naming the field.
    pub fn validate(&self) -> Result<(), DetectorError> {
        let views = self.views.as_deref().unwrap_or(&DEFAULT_VIEWS);
        if views.is_empty() {
            return Err(bad("views", "[]", "at least one view is needed"));
        }
        for v in views {
            if !(v.noise.is_finite() && v.noise > 0.0) {
                return Err(bad("noise", v.noise, "the Gaussian noise level must be finite and > 0"));
            }
        }
        if self.members_per_view == 0 {
            return Err(bad("members_per_view", 0, "must be at least 1"));
        }
        if self.hidden == Some(0) {
            return Err(bad("hidden", 0, "must be at least 1"));
        }
        if self.epochs == Some(0) {
            return Err(bad("epochs", 0, "must be at least 1"));
        }
        if self.batch_size == Some(0) {
            return Err(bad("batch_size", 0, "must be at least 1"));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(bad("learning_rate", self.learning_rate, "must be finite and > 0"));
        }
        potential_models::novelty::check_contamination(self.contamination)
            .map_err(|e| bad("contamination", self.contamination, &e.to_string()))?;
        if let Some(t) = self.trim {
            check_trim(t)?;
        }
        Ok(())
    }

    /// Fix the views, hidden units, epochs and minibatch size for the training rows `x`.
    ///
    /// # Errors
    /// [`DetectorError::Config`]; [`DetectorError::TooFewRows`] below [`MIN_ROWS`] rows.
    pub fn resolve(&self, x: &Features) -> Result<Resolved, DetectorError> {
        self.validate()?;
        let (n, d) = (x.n(), x.d());
        if n < MIN_ROWS {
            return Err(DetectorError::TooFewRows { found: n, needed: MIN_ROWS });
        }
        let dominated = (self.views.is_none() || self.trim.is_none()) && mode_dominated(x.as_slice(), d);
        let views = match &self.views {
            Some(v) => v.clone(),
            None => views_for(dominated),
        };
        let trim = self.trim.unwrap_or(if dominated { 0.0 } else { DEFAULT_TRIM });
        let hidden = self.hidden.unwrap_or_else(|| d.saturating_mul(2).clamp(1, MAX_DEFAULT_HIDDEN));
        let batch_size = self.batch_size.unwrap_or(if n < 1000 { (n / 10).max(1) } else { 100 }).min(n);
        let epochs = self.epochs.unwrap_or_else(|| default_epochs(n, d, hidden, batch_size, stages(trim)));
        Ok(Resolved { config: self.clone(), views, hidden, epochs, batch_size, trim })
    }
}

/// The default epochs of each of `stages` fitting stages for `n` rows of `d` columns, `hidden`
/// units and minibatches of `batch_size`: about [`DEFAULT_UPDATES`] / `stages` updates, at most
/// [`MAX_DEFAULT_EPOCHS`], and at most [`MEMBER_BUDGET`] / (`stages` · n · hidden · d), at least 1.
pub fn default_epochs(n: usize, d: usize, hidden: usize, batch_size: usize, stages: usize) -> usize {
    let stages = stages.max(1);
    let steps = n.div_ceil(batch_size.max(1));
    let by_updates = DEFAULT_UPDATES.div_ceil(stages).div_ceil(steps).clamp(1, MAX_DEFAULT_EPOCHS);
    let work = n as f64 * hidden as f64 * d as f64 * stages as f64;
    // Truncation is the intent: the budget is a ceiling. `work` ≥ 1 for a non-empty table.
    let by_budget = (MEMBER_BUDGET / work.max(1.0)).floor().min(MAX_DEFAULT_EPOCHS as f64) as usize;
    by_updates.min(by_budget).max(1)
}

/// Check a trimmed refit's fraction: finite, in [0, [`MAX_TRIM`]).
pub(super) fn check_trim(trim: f64) -> Result<(), DetectorError> {
    if trim.is_finite() && (0.0..MAX_TRIM).contains(&trim) {
        Ok(())
    } else {
        Err(bad("trim", trim, "must be in [0, 0.5)"))
    }
}

/// Number of fitting stages of a trimmed refit setting aside the fraction `trim`: 2 when it is
/// > 0, else 1.
fn stages(trim: f64) -> usize {
    if trim > 0.0 {
        2
    } else {
        1
    }
}

/// How many of `n` training rows a trimmed refit sets aside: ⌊`trim` · n⌋, but never so many that
/// fewer than [`MIN_ROWS`] remain.
pub fn set_aside(n: usize, trim: f64) -> usize {
    // Truncation is the intent: at most the fraction `trim` is set aside.
    ((trim.max(0.0) * n as f64).floor() as usize).min(n.saturating_sub(MIN_ROWS))
}

/// The default views for the row-major rows `x` of `d` columns: [`MODE_DOMINATED_VIEWS`] when the
/// table is mode-dominated ([`mode_dominated`]), else [`DEFAULT_VIEWS`].
pub fn default_views(x: &[f32], d: usize) -> Vec<View> {
    views_for(mode_dominated(x, d))
}

/// The default views of a table that is (or is not) mode-dominated.
fn views_for(dominated: bool) -> Vec<View> {
    if dominated {
        MODE_DOMINATED_VIEWS.to_vec()
    } else {
        DEFAULT_VIEWS.to_vec()
    }
}

/// Whether more than half of the columns of the row-major rows `x` (`d` columns) have one value
/// filling at least [`MODE_SHARE`] of the rows.
pub fn mode_dominated(x: &[f32], d: usize) -> bool {
    if d == 0 || x.is_empty() {
        return false;
    }
    let n = x.len() / d;
    let mut col = Vec::with_capacity(n);
    let mut dominated = 0usize;
    for j in 0..d {
        col.clear();
        col.extend(x.iter().skip(j).step_by(d).copied());
        col.sort_unstable_by(f32::total_cmp);
        let longest = col.chunk_by(|a, b| a == b).map(<[f32]>::len).max().unwrap_or(0);
        if longest as f64 >= MODE_SHARE * n as f64 {
            dominated += 1;
        }
    }
    2 * dominated > d
}
