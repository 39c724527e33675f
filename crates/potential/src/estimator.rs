//! The estimator layer: [`Fit`] (linfa's `Fit`, scikit-learn's `fit`) on the configurations, and
//! [`AutoencoderConfig`], one tied autoencoder from architecture to trained model.

use crate::{Error, Result};
use potential_activations::ActivationKind;
use potential_data::Features;
use potential_models::{Output, TiedAutoencoder};
use potential_train::{init_model_with, silent, FitReport, Init, Monitor, Outcome, TrainConfig, Trainer};

/// A configuration that can be fitted to data of type `D`, giving `Self::Fitted`.
///
/// Every long-running call reports to one callback type, [`Monitor`]: [`Fit::fit`] is
/// [`Fit::fit_with`] with the [`silent`] monitor, and a monitor's `Break` ends the fit with
/// [`Error::Interrupted`]. Fits are seeded: the same configuration and data give the same model
/// bits, whatever the size of the rayon pool they run on.
///
/// | configuration | data | fitted |
/// |---|---|---|
/// | [`AutoencoderConfig`] | [`Features`] | [`TiedAutoencoder`] |
/// | [`DetectorConfig`](crate::DetectorConfig) | [`Features`] | [`NoveltyDetector`](crate::NoveltyDetector) |
/// | [`CsaeConfig`](crate::CsaeConfig) | [`Dataset`](crate::Dataset) | [`CsaeClassifier`](crate::CsaeClassifier) |
pub trait Fit<D: ?Sized> {
    /// What fitting gives.
    type Fitted;

    /// Fit to `data`, reporting progress to `monitor`.
    ///
    /// # Errors
    /// [`Error::Interrupted`] when `monitor` answers `Break`; the underlying crate's error
    /// otherwise (each implementation lists them).
    fn fit_with(&self, data: &D, monitor: Monitor<'_>) -> Result<Self::Fitted>;

    /// Fit to `data` silently.
    ///
    /// # Errors
    /// As [`Fit::fit_with`].
    fn fit(&self, data: &D) -> Result<Self::Fitted> {
        self.fit_with(data, &silent)
    }
}

/// One tied autoencoder from architecture to trained model: `hidden` units of `activation`, an
/// [`Output`] kind (real: squared error and the energies of Eq. 11–21; binary: cross-entropy and
/// Eq. 28), the initial weights drawn as `init` says from `seed`, then trained by `train`
/// (Sec. 4.2: momentum SGD, optional contractive penalty of Eq. 40 or denoising).
///
/// `init` defaults to [`Init::Glorot`], which for sigmoid hiddens starts 4× smaller than the
/// command line's `potential train` ([`Init::GlorotSigmoidX4`], kept there so that recorded runs
/// stay bit for bit): saturated sigmoid units barely learn, and the smaller start ranks MNIST's
/// zeros against the other digits better (README, *Use as a library*).
///
/// ```
/// use potential::{AutoencoderConfig, Fit, Features, TrainConfig};
///
/// // 200 points on a line in 3-D, 8 sigmoid hiddens.
/// let rows: Vec<f32> = (0..200).flat_map(|i| { let t = i as f32 / 200.0; [t, 2.0 * t, -t] }).collect();
/// let x = Features::from_vec(rows, 200, 3)?;
/// let config = AutoencoderConfig {
///     hidden: 8,
///     train: TrainConfig { epochs: 20, batch_size: 20, learning_rate: 0.05, ..TrainConfig::default() },
///     ..AutoencoderConfig::default()
/// };
/// let model = config.fit(&x)?;
/// assert_eq!((model.hidden(), model.visible()), (8, 3));
/// let e = model.energy_batch(x.as_mat())?; // one energy per row (Eq. 11)
/// assert_eq!(e.len(), 200);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct AutoencoderConfig {
    /// Hidden units H (≥ 1).
    pub hidden: usize,
    /// The hidden activation (default sigmoid).
    pub activation: ActivationKind,
    /// The output kind (default real).
    pub output: Output,
    /// How the initial weights are drawn (default [`Init::Glorot`]).
    pub init: Init,
    /// Seed of the initial weights; the training's own stream (shuffling, corruption) is
    /// `train.seed`.
    pub seed: u64,
    /// The training run (default [`TrainConfig::default`]: 10 epochs, minibatches of 100, learning
    /// rate 0.01, momentum 0.9, no regulariser).
    pub train: TrainConfig,
}

impl Default for AutoencoderConfig {
    fn default() -> Self {
        Self {
            hidden: 100,
            activation: ActivationKind::Sigmoid,
            output: Output::Real,
            init: Init::Glorot,
            seed: 0,
            train: TrainConfig::default(),
        }
    }
}

impl AutoencoderConfig {
    /// The untrained model for `visible` inputs.
    ///
    /// # Errors
    /// [`Error::Train`]: 0 hidden units, a weight matrix over the size limit, a bad `init` scale.
    pub fn init_model(&self, visible: usize) -> Result<TiedAutoencoder> {
        Ok(init_model_with(self.hidden, visible, self.activation, self.output, self.init, self.seed)?)
    }

    /// Train on `train`; with `valid`, the model of the epoch with the lowest validation loss is
    /// returned (and `train.patience` may stop early). Returns the training's report too.
    ///
    /// # Errors
    /// [`Error::Train`] (configuration, data that does not fit, divergence), [`Error::Interrupted`].
    pub fn fit_report(
        &self,
        train: &Features,
        valid: Option<&Features>,
        monitor: Monitor<'_>,
    ) -> Result<(TiedAutoencoder, FitReport)> {
        let mut trainer = Trainer::new(self.init_model(train.d())?, self.train.clone())?;
        let report = trainer.fit_with(train, valid, monitor)?;
        if report.outcome == Outcome::Interrupted {
            return Err(Error::Interrupted);
        }
        Ok((trainer.into_model(), report))
    }
}

impl Fit<Features> for AutoencoderConfig {
    type Fitted = TiedAutoencoder;

    /// [`AutoencoderConfig::fit_report`] without validation data.
    fn fit_with(&self, data: &Features, monitor: Monitor<'_>) -> Result<TiedAutoencoder> {
        Ok(self.fit_report(data, None, monitor)?.0)
    }
}

/// `x` as one row-major slice: borrowed when the view is contiguous, copied otherwise.
pub(crate) fn row_major(x: potential_kernels::MatRef<'_>) -> std::borrow::Cow<'_, [f32]> {
    let (n, d) = (x.rows(), x.cols());
    if n == 0 || d == 0 {
        return std::borrow::Cow::Borrowed(&[]);
    }
    if x.col_stride() == 1 && (x.row_stride() == d || n == 1) {
        return std::borrow::Cow::Borrowed(&x.as_slice()[..n * d]);
    }
    std::borrow::Cow::Owned((0..n).flat_map(|i| (0..d).map(move |j| x.get(i, j))).collect())
}
