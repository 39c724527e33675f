//! [`Trainer`]: the epoch loop with metrics, early stopping, checkpoints and resume.

use crate::checkpoint::{self, Best, State};
use crate::noise::{corrupt, run_rng, shuffled_identity};
use crate::step::{adam_update, non_finite_param, renormalize_filters, Params, Workspace};
use crate::{EpochMetrics, Error, Monitor, Optimizer, Progress, Result, TrainConfig};
use potential_data::Features;
use potential_kernels::{all_finite, for_each_item, MatRef, Parallelism};
use potential_models::{Output, TiedAutoencoder};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Progress of one step, for progress bars.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepInfo {
    /// Epoch (0-based) the step belongs to.
    pub epoch: usize,
    /// Step within the epoch (0-based).
    pub step: usize,
    /// Steps per epoch.
    pub steps_per_epoch: usize,
    /// Mean objective of this minibatch.
    pub loss: f64,
    /// Rows in this minibatch.
    pub rows: usize,
}

/// What [`Trainer::fit`] reports to its observer.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// A step finished.
    Step(&'a StepInfo),
    /// An epoch finished and (if configured) its checkpoint is on disk.
    Epoch(&'a EpochMetrics),
}

/// How [`Trainer::fit`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// All configured epochs ran.
    Completed,
    /// Validation loss did not improve for `patience` epochs.
    EarlyStopped,
    /// The observer returned [`ControlFlow::Break`] (e.g. Ctrl-C); resume from the checkpoint.
    Interrupted,
}

/// The result of [`Trainer::fit`].
#[derive(Clone, Debug)]
pub struct FitReport {
    /// How it ended.
    pub outcome: Outcome,
    /// Metrics of the epochs run by this call.
    pub history: Vec<EpochMetrics>,
    /// Epoch (1-based count) of the best validation loss, whose model was restored.
    pub best_epoch: Option<usize>,
    /// The best validation loss.
    pub best_valid_loss: Option<f64>,
}

/// Trains a [`TiedAutoencoder`] with the objective and optimiser of [`TrainConfig`].
///
/// Each epoch shuffles the training rows with the run's Xoshiro256++ generator, runs
/// ⌈n / batch⌉ momentum-SGD steps (the last minibatch may be short) through one reused
/// [`Workspace`], measures [`EpochMetrics`], updates the early-stopping state and writes the
/// checkpoint (if set). The gemms use all threads of the current rayon pool; results do not depend
/// on the pool size.
#[derive(Debug)]
pub struct Trainer {
    config: TrainConfig,
    model: TiedAutoencoder,
    /// The momentum velocity, or Adam's first moment.
    velocity: Params,
    /// Adam's second moment (zeros and unused for momentum).
    second: Params,
    rng: Xoshiro256PlusPlus,
    epoch: usize,
    bad_epochs: usize,
    best: Option<Best>,
    checkpoint: Option<PathBuf>,
    par: Parallelism,
    /// What the caller says identifies the training data, kept in checkpoints (see
    /// [`Trainer::set_data_fingerprint`]).
    data: Option<String>,
}

impl Trainer {
    /// A trainer for `model` (e.g. from [`init_model`](crate::init_model)) with `config`, validated.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`]; [`Error::Model`] if the model has non-finite parameters.
    pub fn new(model: TiedAutoencoder, config: TrainConfig) -> Result<Self> {
        config.validate()?;
        model.validate()?;
        let velocity = Params::zeros(model.hidden(), model.visible());
        let second = Params::zeros(model.hidden(), model.visible());
        Ok(Self {
            rng: run_rng(config.seed),
            config,
            model,
            velocity,
            second,
            epoch: 0,
            bad_epochs: 0,
            best: None,
            checkpoint: None,
            par: Parallelism::Rayon(0),
            data: None,
        })
    }

    /// Continue the run saved in the checkpoint at `path` with `config`, which must equal the
    /// checkpoint's configuration except for `epochs`, `patience` and `metric_rows` (so the
    /// continued run is the uninterrupted one, bit for bit, at the same thread count). The trainer
    /// keeps writing its checkpoint to `path`.
    ///
    /// # Errors
    /// [`Error::Io`], [`Error::Checkpoint`] (unreadable, or a configuration that differs),
    /// [`Error::InvalidConfig`].
    pub fn resume(path: impl AsRef<Path>, config: TrainConfig) -> Result<Self> {
        let path = path.as_ref();
        config.validate()?;
        let s = checkpoint::load(path)?;
        if config.epochs < s.epoch {
            return Err(Error::Checkpoint {
                path: path.to_owned(),
                reason: format!(
                    "is at epoch {}, past the {} epochs asked for (give at least --epochs {})",
                    s.epoch, config.epochs, s.epoch
                ),
            });
        }
        let mut theirs = s.config.clone();
        theirs.epochs = config.epochs;
        theirs.patience = config.patience;
        theirs.metric_rows = config.metric_rows;
        if theirs != config {
            return Err(Error::Checkpoint {
                path: path.to_owned(),
                reason: format!(
                    "was written with a different configuration: {} (now {})",
                    serde_json::to_string(&s.config).unwrap_or_default(),
                    serde_json::to_string(&config).unwrap_or_default()
                ),
            });
        }
        Ok(Self {
            rng: Xoshiro256PlusPlus::from_seed(s.rng_state),
            config,
            model: s.model,
            velocity: s.velocity,
            second: s.second,
            epoch: s.epoch,
            bad_epochs: s.bad_epochs,
            best: s.best,
            checkpoint: Some(path.to_owned()),
            par: Parallelism::Rayon(0),
            data: s.data,
        })
    }

    /// Record what identifies the training data (e.g. its size, row count and a hash of a sample
    /// of rows): written into every checkpoint, and read back by [`Trainer::resume`] as
    /// [`Trainer::data_fingerprint`], so a caller can refuse to continue on other data.
    pub fn set_data_fingerprint(&mut self, fingerprint: Option<String>) {
        self.data = fingerprint;
    }

    /// The data fingerprint set with [`Trainer::set_data_fingerprint`], or read from the
    /// checkpoint this trainer resumed (`None` for checkpoints written without one).
    pub fn data_fingerprint(&self) -> Option<&str> {
        self.data.as_deref()
    }

    /// Write a checkpoint to `path` after every epoch (atomically; see the [`checkpoint`](crate)
    /// format in the crate docs).
    pub fn set_checkpoint(&mut self, path: Option<PathBuf>) {
        self.checkpoint = path;
    }

    /// Limit the threads of the gemms ([`Parallelism::Sequential`] or `Rayon(n)`; default: the whole
    /// current pool).
    pub fn set_parallelism(&mut self, par: Parallelism) {
        self.par = par;
    }

    /// The model being trained.
    pub fn model(&self) -> &TiedAutoencoder {
        &self.model
    }

    /// The configuration.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Completed epochs.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// The momentum velocity (Adam's first moment under [`Optimizer::Adam`]).
    pub fn velocity(&self) -> &Params {
        &self.velocity
    }

    /// The trained model, with its provenance (configuration and epochs) set.
    pub fn into_model(self) -> TiedAutoencoder {
        let mut m = self.model;
        let prov = serde_json::json!({
            "trainer": "potential-train",
            "version": env!("CARGO_PKG_VERSION"),
            "config": self.config,
            "epochs_completed": self.epoch,
            "best_epoch": self.best.as_ref().map(|b| b.epoch),
        });
        m.set_provenance(Some(prov.to_string()));
        m
    }

    /// The shape checks of [`Trainer::check_data`] (constant time).
    fn check_shape(&self, what: &'static str, x: &Features) -> Result<()> {
        if x.d() != self.model.visible() {
            return Err(Error::Data {
                what,
                reason: format!("{} columns, the model has {} visible units", x.d(), self.model.visible()),
            });
        }
        if x.n() == 0 {
            return Err(Error::Data { what, reason: "no rows".into() });
        }
        Ok(())
    }

    /// Shape, finiteness and (binary output) the [0, 1] range of the whole data set.
    fn check_data(&self, what: &'static str, x: &Features) -> Result<()> {
        self.check_shape(what, x)?;
        if !all_finite(x.as_slice()) {
            let i = x.as_slice().iter().position(|v| !v.is_finite()).unwrap_or(0);
            return Err(Error::Data { what, reason: format!("non-finite value at row {}", i / x.d()) });
        }
        if self.model.output() == Output::Binary {
            if let Some((lo, hi)) = x.value_range() {
                if lo < 0.0 || hi > 1.0 {
                    return Err(Error::Data {
                        what,
                        reason: format!(
                            "values span [{lo}, {hi}]; a binary-output model (cross-entropy) needs [0, 1]"
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// The value checks of [`Trainer::check_data`] on the gathered minibatch `x` (rows `idx` of the
    /// training data), with the same errors: a non-finite value, or (binary output) a value outside
    /// [0, 1].
    fn check_rows(&self, x: &[f32], idx: &[usize]) -> Result<()> {
        let d = self.model.visible();
        let binary = self.model.output() == Output::Binary;
        // One vectorised pass over the batch (in cache: just gathered); rows only on failure.
        let ok = all_finite(x) && (!binary || x.iter().fold(true, |ok, &v| ok & (0.0..=1.0).contains(&v)));
        if ok {
            return Ok(());
        }
        for (row, &i) in x.chunks_exact(d).zip(idx) {
            if !all_finite(row) {
                return Err(Error::Data {
                    what: "training data",
                    reason: format!("non-finite value at row {i}"),
                });
            }
            if let Some(v) = row.iter().find(|v| binary && !(0.0..=1.0).contains(*v)) {
                return Err(Error::Data {
                    what: "training data",
                    reason: format!(
                        "value {v} at row {i}; a binary-output model (cross-entropy) needs [0, 1]"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Train until `config.epochs` epochs are complete (counting epochs of a resumed run), early
    /// stopping says stop, or `observer` breaks. With validation data the best model is restored at
    /// the end (unless interrupted).
    ///
    /// # Errors
    /// [`Error::Data`] for data that does not fit; [`Error::Diverged`] when the loss or a parameter
    /// turns non-finite (the checkpoint of the last finished epoch stays as it was);
    /// [`Error::Io`]/[`Error::Checkpoint`] when a checkpoint cannot be written.
    pub fn fit(
        &mut self,
        train: &Features,
        valid: Option<&Features>,
        observer: &mut dyn FnMut(Event<'_>) -> ControlFlow<()>,
    ) -> Result<FitReport> {
        self.check_data("training data", train)?;
        if let Some(v) = valid {
            self.check_data("validation data", v)?;
        }
        let (h, d) = (self.model.hidden(), self.model.visible());
        let batch = self.config.batch_size.min(train.n());
        let mut ws = Workspace::new(batch, h, d);
        let mut order = vec![0usize; train.n()];
        let mut xbuf = vec![0.0f32; batch * d];
        let mut history = Vec::new();
        let mut outcome = Outcome::Completed;
        while self.epoch < self.config.epochs {
            let t0 = Instant::now();
            // (The data was checked above: no per-minibatch checks.)
            let (loss_sum, stop) =
                self.run_epoch(train, &mut ws, &mut order, &mut xbuf, None, false, observer)?;
            let seconds = t0.elapsed().as_secs_f64();
            if stop {
                // An epoch cut short is not checkpointed: a resumed run repeats it from the start.
                outcome = Outcome::Interrupted;
                break;
            }
            self.epoch += 1;
            if let Some(p) =
                non_finite_param(self.model.weight(), self.model.hidden_bias(), self.model.visible_bias())
            {
                return Err(Error::Diverged {
                    epoch: self.epoch - 1,
                    step: order.len().div_ceil(batch) - 1,
                    parameter: p,
                });
            }
            let mut m = self.measure(train, valid, &mut ws)?;
            m.loss = loss_sum / train.n() as f64;
            m.seconds = seconds;
            m.samples_per_second = train.n() as f64 / seconds.max(1e-12);
            m.learning_rate = self.config.schedule.rate(self.config.learning_rate, self.epoch - 1);
            if let Some(vl) = m.valid_loss {
                if self.best.as_ref().is_none_or(|b| vl < b.valid_loss) {
                    self.best = Some(Best { model: self.model.clone(), valid_loss: vl, epoch: self.epoch });
                    self.bad_epochs = 0;
                } else {
                    self.bad_epochs += 1;
                }
            }
            if let Some(path) = self.checkpoint.clone() {
                self.save_checkpoint(&path)?;
            }
            history.push(m.clone());
            if observer(Event::Epoch(&m)).is_break() {
                outcome = Outcome::Interrupted;
                break;
            }
            if self.config.patience.is_some_and(|p| self.bad_epochs >= p) {
                outcome = Outcome::EarlyStopped;
                break;
            }
        }
        if outcome != Outcome::Interrupted {
            if let Some(b) = &self.best {
                let prov = self.model.provenance().map(str::to_owned);
                self.model = b.model.clone();
                self.model.set_provenance(prov);
            }
        }
        Ok(FitReport {
            outcome,
            history,
            best_epoch: self.best.as_ref().map(|b| b.epoch),
            best_valid_loss: self.best.as_ref().map(|b| b.valid_loss),
        })
    }

    /// [`Trainer::fit`] reporting to the one progress callback: every step and epoch as
    /// [`Progress::Step`] and [`Progress::Epoch`] of model 0. A [`ControlFlow::Break`] answer
    /// interrupts the run as `fit`'s observer does ([`Outcome::Interrupted`]).
    ///
    /// # Errors
    /// As [`Trainer::fit`].
    pub fn fit_with(
        &mut self,
        train: &Features,
        valid: Option<&Features>,
        monitor: Monitor<'_>,
    ) -> Result<FitReport> {
        self.fit(train, valid, &mut |e| monitor(Progress::from_event(0, e)))
    }

    /// Run `steps` momentum-SGD steps on minibatches of a fresh shuffle of `train`, without
    /// finishing an epoch (no metrics, no checkpoint, the epoch counter unchanged): the hot loop
    /// alone, for benchmarks. Returns the mean objective of the steps.
    ///
    /// The data is not scanned as a whole here (that would cost a pass over all of it per call):
    /// each minibatch is checked as it is gathered, so a row with a non-finite value (or, for a
    /// binary-output model, a value outside [0, 1]) stops the run with the same [`Error::Data`] as
    /// [`Trainer::fit`] before the step that would use it (earlier steps of the call stay applied).
    ///
    /// # Errors
    /// [`Error::Data`], [`Error::Diverged`].
    pub fn run_steps(&mut self, train: &Features, steps: usize) -> Result<f64> {
        self.check_shape("training data", train)?;
        let (h, d) = (self.model.hidden(), self.model.visible());
        let batch = self.config.batch_size.min(train.n());
        let mut ws = Workspace::new(batch, h, d);
        let mut order = vec![0usize; train.n()];
        let mut xbuf = vec![0.0f32; batch * d];
        let mut done = 0;
        let mut sum = 0.0;
        let mut rows = 0usize;
        while done < steps {
            let per_epoch = train.n().div_ceil(batch);
            let take = (steps - done).min(per_epoch);
            let (s, _) =
                self.run_epoch(train, &mut ws, &mut order, &mut xbuf, Some(take), true, &mut |_| {
                    ControlFlow::Continue(())
                })?;
            sum += s;
            rows += (take * batch).min(train.n());
            done += take;
        }
        Ok(sum / rows.max(1) as f64)
    }

    /// The steps of one epoch (or its first `max_steps`); returns (Σ objective over rows, stop?).
    /// With `check_rows`, every gathered minibatch is checked first ([`Trainer::check_rows`]).
    #[allow(clippy::too_many_arguments)]
    fn run_epoch(
        &mut self,
        train: &Features,
        ws: &mut Workspace,
        order: &mut [usize],
        xbuf: &mut [f32],
        max_steps: Option<usize>,
        check_rows: bool,
        observer: &mut dyn FnMut(Event<'_>) -> ControlFlow<()>,
    ) -> Result<(f64, bool)> {
        let d = self.model.visible();
        let batch = ws.batch();
        let cfg = &self.config;
        let lr = cfg.schedule.rate(cfg.learning_rate, self.epoch);
        shuffled_identity(order, &mut self.rng);
        let steps_per_epoch = order.len().div_ceil(batch);
        let steps = max_steps.map_or(steps_per_epoch, |m| m.min(steps_per_epoch));
        let data = train.as_slice();
        let mut loss_sum = 0.0f64;
        let mut stop = false;
        for step in 0..steps {
            let idx = &order[step * batch..((step + 1) * batch).min(order.len())];
            let n = idx.len();
            // The minibatch's rows gathered on the step's threads, in blocks of rows; without
            // corruption straight into the encoder input too (the same values `corrupt` copies).
            let rp = crate::step::rows_per_piece(n, self.par);
            let inputs = cfg.noise.is_none().then(|| ws.input_mut(n).chunks_mut(rp * d));
            let inputs = inputs.into_iter().flatten().map(Some).chain(std::iter::repeat_with(|| None));
            let items = xbuf[..n * d].chunks_mut(rp * d).zip(idx.chunks(rp)).zip(inputs).collect();
            type Block<'a> = ((&'a mut [f32], &'a [usize]), Option<&'a mut [f32]>);
            for_each_item(self.par, items, |((dst, idx), mut inp): Block<'_>| {
                for (r, &i) in idx.iter().enumerate() {
                    let row = &data[i * d..(i + 1) * d];
                    dst[r * d..(r + 1) * d].copy_from_slice(row);
                    if let Some(inp) = inp.as_deref_mut() {
                        inp[r * d..(r + 1) * d].copy_from_slice(row);
                    }
                }
            });
            let x = &xbuf[..n * d];
            if check_rows {
                self.check_rows(x, idx)?;
            }
            if cfg.noise.is_some() {
                corrupt(cfg.noise, x, ws.input_mut(n), &mut self.rng);
            }
            let (loss, finite) = match cfg.optimizer {
                // The gradient and the momentum update in one call (the update skipped when the
                // objective is not finite).
                Optimizer::Momentum => ws.momentum_step(
                    &mut self.model,
                    &mut self.velocity,
                    x,
                    n,
                    cfg.contractive,
                    cfg.weight_decay,
                    lr,
                    cfg.momentum,
                    self.par,
                ),
                Optimizer::Adam { beta1, beta2, epsilon } => {
                    let loss = ws.gradient(&self.model, x, n, cfg.contractive, cfg.weight_decay, self.par);
                    if loss.total(cfg.contractive).is_finite() {
                        // Steps of the run so far, this one included: epochs are whole (a resumed
                        // run starts at an epoch boundary), so the count needs no extra state.
                        let t = (self.epoch * steps_per_epoch + step + 1) as u64;
                        let m = &mut self.model;
                        adam_update(
                            m,
                            &mut self.velocity,
                            &mut self.second,
                            ws.grad(),
                            lr,
                            (beta1, beta2, epsilon),
                            t,
                        );
                    }
                    let finite = non_finite_param(
                        self.model.weight(),
                        self.model.hidden_bias(),
                        self.model.visible_bias(),
                    )
                    .is_none();
                    (loss, finite)
                }
            };
            let total = loss.total(cfg.contractive);
            if !total.is_finite() || !finite {
                let parameter = non_finite_param(
                    self.model.weight(),
                    self.model.hidden_bias(),
                    self.model.visible_bias(),
                )
                .unwrap_or("loss");
                return Err(Error::Diverged { epoch: self.epoch, step, parameter });
            }
            if cfg.renormalize {
                renormalize_filters(&mut self.model);
            }
            loss_sum += total;
            let info = StepInfo { epoch: self.epoch, step, steps_per_epoch, loss: total / n as f64, rows: n };
            if observer(Event::Step(&info)).is_break() {
                stop = true;
                break;
            }
        }
        Ok((loss_sum, stop))
    }

    /// Metrics of the current model: on the first `metric_rows` training rows and the validation set.
    fn measure(
        &self,
        train: &Features,
        valid: Option<&Features>,
        ws: &mut Workspace,
    ) -> Result<EpochMetrics> {
        let d = self.model.visible();
        let rows = match self.config.metric_rows {
            0 => train.n(),
            m => m.min(train.n()),
        };
        let x = MatRef::from_row_major(&train.as_slice()[..rows * d], rows, d);
        let mean = |v: Vec<f64>| v.iter().sum::<f64>() / rows as f64;
        let reconstruction_error = mean(self.model.reconstruction_error_batch(x)?);
        let contraction = mean(self.model.contraction_batch(x)?);
        let energy = mean(self.model.energy_batch(x)?);
        let absorbing_fraction = match self.model.absorbing_batch(x) {
            Ok(a) => Some(a.iter().filter(|&&b| b).count() as f64 / rows as f64),
            Err(potential_models::Error::OnBoundary { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let valid_loss = valid.map(|v| self.mean_loss(v, ws));
        Ok(EpochMetrics {
            epoch: self.epoch,
            learning_rate: 0.0,
            loss: 0.0,
            reconstruction_error,
            contraction,
            energy,
            absorbing_fraction,
            valid_loss,
            metric_rows: rows,
            seconds: 0.0,
            samples_per_second: 0.0,
        })
    }

    /// Mean reconstruction loss (no penalty, clean inputs) over the rows of `x`.
    pub(crate) fn mean_loss(&self, x: &Features, ws: &mut Workspace) -> f64 {
        let d = self.model.visible();
        let data = x.as_slice();
        let mut sum = 0.0;
        let mut r0 = 0;
        while r0 < x.n() {
            let n = ws.batch().min(x.n() - r0);
            let rows = &data[r0 * d..(r0 + n) * d];
            ws.input_mut(n).copy_from_slice(rows);
            sum += ws.forward(&self.model, rows, n, self.par).reconstruction;
            r0 += n;
        }
        sum / x.n() as f64
    }

    /// Write the current state to `path` atomically.
    ///
    /// # Errors
    /// [`Error::Io`], [`Error::Dataset`] (the atomic write), [`Error::Checkpoint`].
    pub fn save_checkpoint(&self, path: &Path) -> Result<()> {
        let state = State {
            model: self.model.clone(),
            velocity: self.velocity.clone(),
            second: self.second.clone(),
            rng_state: self.rng.state(),
            epoch: self.epoch,
            bad_epochs: self.bad_epochs,
            config: self.config.clone(),
            best: self.best.clone(),
            data: self.data.clone(),
        };
        checkpoint::save(&state, path)
    }
}
