//! `potential train`: train a contractive or denoising tied autoencoder, with per-epoch checkpoints,
//! `--resume`, a progress bar and a JSON-lines metrics log.

use crate::error::{CliError, Result};
use crate::values::{Activation, NoiseKind, OutputKind};
use potential_activations::ActivationKind;
use potential_data::Features;
use potential_models::Output;
use potential_train::{
    init_model, EpochMetrics, Event, FitReport, Noise, Outcome, Schedule, TrainConfig, Trainer,
};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// The long help of `potential train`.
pub(crate) const LONG_ABOUT: &str = "\
Train a tied autoencoder the way the paper does (Kamyshanska & Memisevic 2015, Sec. 4.2): momentum \
SGD on minibatches, squared error for real output or cross-entropy for binary output, with a \
contractive penalty lambda * sum_k h'(u_k)^2 ||w_k||^2 (Eq. 40, exact gradient) or denoising \
(zero-masking, Gaussian or salt-and-pepper corruption).

Every epoch ends with one line of metrics (loss, reconstruction error, contraction, mean energy, \
fraction of absorbing training points, Eq. 39, validation loss) appended to --metrics, and, with \
--checkpoint-dir, an atomic checkpoint DIR/checkpoint.safetensors (model, momentum velocity, RNG state, \
epoch). --resume continues from it: the result equals an uninterrupted run bit for bit at the same \
thread count. A loss that becomes NaN or infinite stops the run with an error naming the epoch and \
step; the last checkpoint is left as it was.

The data are the rows of --data (.npy, IDX raw or .gz, .amat, digits CSV); with --labels and --class \
only the rows of that class. --valid-fraction holds out the last rows for validation: the best model \
by validation loss is the one saved (with --patience, training stops early).";

/// The examples of `potential train --help`.
pub(crate) const AFTER_HELP: &str = "EXAMPLES:\n  potential train --data train-images-idx3-ubyte --hidden 500 --contractive 0.5 \
--epochs 10 --out cae.safetensors\n  potential train --data x.npy --labels y.npy --class 3 --activation relu --hidden 200 \
--denoise 0.3 --epochs 50 --valid-fraction 0.1 --patience 5 --checkpoint-dir ck --metrics m.jsonl --out ae3.safetensors\n  \
potential train ... --checkpoint-dir ck --resume   # continue an interrupted run";

/// Arguments of `potential train`.
#[derive(clap::Args, Debug)]
#[command(
    long_about = LONG_ABOUT,
    after_help = AFTER_HELP
)]
pub struct TrainArgs {
    /// Training data [n, D]: .npy, IDX (raw or .gz), .amat or the digits CSV.
    #[arg(long, value_name = "X")]
    pub data: PathBuf,
    /// Labels of the rows of --data (for --class).
    #[arg(long, value_name = "Y")]
    pub labels: Option<PathBuf>,
    /// Train on the rows of this class only (needs labels: --labels, or an .amat/CSV file).
    #[arg(long, value_name = "K")]
    pub class: Option<u32>,
    /// Hidden activation (the names of the model-file format).
    #[arg(long, value_name = "A", value_enum, default_value = "sigmoid")]
    pub activation: Activation,
    /// Output kind: `real` (squared error) or `binary` (sigmoid output, cross-entropy; data in [0, 1]).
    #[arg(long, value_name = "KIND", value_enum, default_value = "real")]
    pub output: OutputKind,
    /// Number of hidden units.
    #[arg(long, value_name = "H")]
    pub hidden: usize,
    /// Contractive penalty lambda (the paper: 0.2, 0.5, 1.0).
    #[arg(long, value_name = "L", conflicts_with = "denoise")]
    pub contractive: Option<f32>,
    /// Denoising corruption level (probability for mask/salt-pepper, std for gaussian).
    #[arg(long, value_name = "P")]
    pub denoise: Option<f32>,
    /// Denoising corruption kind.
    #[arg(long, value_name = "KIND", value_enum, default_value = "mask")]
    pub noise: NoiseKind,
    /// Epochs (in total, counting those of a resumed run).
    #[arg(long, value_name = "N")]
    pub epochs: usize,
    /// Rows per minibatch.
    #[arg(long, value_name = "B", default_value_t = 100)]
    pub batch_size: usize,
    /// Learning rate.
    #[arg(long, value_name = "LR", default_value_t = 0.01)]
    pub lr: f32,
    /// Learning-rate schedule: `constant`, `exp:GAMMA` (lr·GAMMA^epoch) or `inv:TAU` (lr/(1 + epoch/TAU)).
    #[arg(long, value_name = "S", default_value = "constant")]
    pub lr_schedule: String,
    /// Momentum.
    #[arg(long, value_name = "MU", default_value_t = 0.9)]
    pub momentum: f32,
    /// L2 weight decay on W.
    #[arg(long, value_name = "WD", default_value_t = 0.0)]
    pub weight_decay: f32,
    /// Rescale all filters to their mean norm after every step.
    #[arg(long)]
    pub renormalize: bool,
    /// Seed of the initialisation, shuffling and corruption.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Fraction of the rows (the last ones) held out for validation.
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    pub valid_fraction: f64,
    /// Stop after this many epochs without a better validation loss (needs --valid-fraction).
    #[arg(long, value_name = "E")]
    pub patience: Option<usize>,
    /// Training rows (the first ones) on which the per-epoch metrics are measured (0 = all).
    #[arg(long, value_name = "N", default_value_t = 5000)]
    pub metric_rows: usize,
    /// Write DIR/checkpoint.safetensors after every epoch (atomically).
    #[arg(long, value_name = "DIR")]
    pub checkpoint_dir: Option<PathBuf>,
    /// Continue from DIR/checkpoint.safetensors (same settings; --epochs may grow).
    #[arg(long, requires = "checkpoint_dir")]
    pub resume: bool,
    /// Append one JSON object per epoch to this file.
    #[arg(long, value_name = "M.jsonl")]
    pub metrics: Option<PathBuf>,
    /// Worker threads (default: all cores; the result does not depend on it).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// No progress bar or summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Where to save the trained model (safetensors, the format of README *File formats*).
    #[arg(long, value_name = "M.safetensors")]
    pub out: PathBuf,
}

fn usage(msg: impl Into<String>) -> CliError {
    CliError::Usage(msg.into())
}

/// Parse `--lr-schedule` (shared with `csae train`).
pub(crate) fn schedule(s: &str) -> Result<Schedule> {
    let bad = || usage(format!("--lr-schedule {s}: expected constant, exp:GAMMA or inv:TAU"));
    match s.split_once(':') {
        None if s == "constant" => Ok(Schedule::Constant),
        Some(("exp", g)) => Ok(Schedule::Exponential { gamma: g.parse().map_err(|_| bad())? }),
        Some(("inv", t)) => Ok(Schedule::InverseTime { tau: t.parse().map_err(|_| bad())? }),
        _ => Err(bad()),
    }
}

/// The configuration the arguments describe (validated by the trainer).
fn config(a: &TrainArgs) -> Result<TrainConfig> {
    let noise = match a.denoise {
        Some(p) => Some(Noise::from_name(a.noise.name(), p)?),
        None => None,
    };
    if a.patience.is_some() && a.valid_fraction <= 0.0 {
        return Err(usage("--patience needs validation data: set --valid-fraction"));
    }
    Ok(TrainConfig {
        epochs: a.epochs,
        batch_size: a.batch_size,
        learning_rate: a.lr,
        schedule: schedule(&a.lr_schedule)?,
        momentum: a.momentum,
        optimizer: potential_train::Optimizer::Momentum,
        weight_decay: a.weight_decay,
        contractive: a.contractive.unwrap_or(0.0),
        noise,
        renormalize: a.renormalize,
        seed: a.seed,
        patience: a.patience,
        metric_rows: a.metric_rows,
    })
}

/// The training rows (optionally one class) and the held-out validation rows.
fn load(a: &TrainArgs) -> Result<(Features, Option<Features>)> {
    let x = match a.class {
        Some(k) => {
            let ds = potential_data::open_dataset(&a.data, a.labels.as_deref())?;
            let sub = ds.subset_classes(&[k]);
            if sub.n() == 0 {
                return Err(usage(format!("--class {k}: no rows of class {k} in {}", a.data.display())));
            }
            sub.into_parts().0
        }
        None => {
            if a.labels.is_some() {
                return Err(usage("--labels is only used with --class"));
            }
            potential_data::open_features(&a.data)?
        }
    };
    if !(0.0..1.0).contains(&a.valid_fraction) {
        return Err(usage(format!("--valid-fraction {} must be in [0, 1)", a.valid_fraction)));
    }
    let n_valid = (x.n() as f64 * a.valid_fraction).round() as usize;
    if n_valid == 0 {
        if a.patience.is_some() {
            return Err(usage(format!(
                "--patience needs validation rows, but --valid-fraction {} of {} rows rounds to 0 rows",
                a.valid_fraction,
                x.n()
            )));
        }
        return Ok((x, None));
    }
    if n_valid >= x.n() {
        return Err(usage("--valid-fraction leaves no training rows"));
    }
    let cut = x.n() - n_valid;
    Ok((x.rows(0..cut), Some(x.rows(cut..x.n()))))
}

/// Check the outputs (`--out`, `--metrics`) against the inputs and each other.
fn check_outputs(a: &TrainArgs) -> Result<()> {
    let mut inputs = vec![a.data.as_path()];
    inputs.extend(a.labels.as_deref());
    crate::paths::check_output(&a.out, &inputs)?;
    if let Some(dir) = &a.checkpoint_dir {
        if a.resume && !dir.join(CHECKPOINT_FILE).is_file() {
            return Err(usage(format!("--resume: no checkpoint {}", dir.join(CHECKPOINT_FILE).display())));
        }
        crate::paths::check_output_dir(dir)?;
        crate::paths::check_output(&dir.join(CHECKPOINT_FILE), &inputs)?;
    }
    if let Some(m) = &a.metrics {
        crate::paths::check_output(m, &inputs)?;
        if crate::paths::same_file(m, &a.out) {
            return Err(usage(format!("--metrics and --out are both {}: choose two names", m.display())));
        }
    }
    Ok(())
}

/// The trainer: resumed from the checkpoint of `--checkpoint-dir` (`--resume`; it must be a
/// model of the flags' shape), or a new model writing checkpoints there.
fn trainer(a: &TrainArgs, cfg: &TrainConfig, d: usize, rows: usize, data: String) -> Result<Trainer> {
    let (activation, output): (ActivationKind, Output) = (a.activation.into(), a.output.into());
    let ck = a.checkpoint_dir.as_ref().map(|d| d.join(CHECKPOINT_FILE));
    if let (Some(path), true) = (&ck, a.resume) {
        let mut t = Trainer::resume(path, cfg.clone())?;
        match t.data_fingerprint() {
            Some(old) if old != data => {
                return Err(usage(format!(
                    "{}: the checkpoint was trained on other data ({old}), not --data {} ({data}); \
                     resume with the same --data, --labels, --class and --valid-fraction",
                    path.display(),
                    a.data.display()
                )))
            }
            Some(_) => {}
            None => crate::note!(
                "note: {} records no data fingerprint (an older checkpoint): the data cannot be checked",
                path.display()
            ),
        }
        t.set_data_fingerprint(Some(data));
        let m = t.model();
        if (m.hidden(), m.activation(), m.output()) != (a.hidden, activation, output) {
            return Err(usage(format!(
                "{}: the checkpoint is a {}×{} {} model with {} output, not --hidden {} --activation {activation} --output {output}",
                path.display(),
                m.hidden(),
                m.visible(),
                m.activation(),
                m.output(),
                a.hidden
            )));
        }
        return Ok(t);
    }
    potential_train::memory::check_shape(d, a.hidden)?;
    let bytes = potential_train::memory::training_bytes(d, a.hidden, cfg.batch_size, rows);
    crate::memory::check(&format!("a {d}×{} autoencoder and its training buffers", a.hidden), bytes)?;
    let model = init_model(a.hidden, d, activation, output, a.seed)?;
    let mut t = Trainer::new(model, cfg.clone())?;
    t.set_checkpoint(ck);
    t.set_data_fingerprint(Some(data));
    Ok(t)
}

/// The `--metrics` log: one JSON line per epoch, the whole file rewritten atomically after each
/// epoch (so a reader or a crash never sees half a line); with `--resume` it continues the lines
/// already there. Locked for the run ([`crate::paths::OutputLock`]): two runs never share it.
struct MetricsLog {
    path: PathBuf,
    text: String,
    _lock: crate::paths::OutputLock,
}

impl MetricsLog {
    fn open(path: &Path, resume: bool) -> Result<Self> {
        let lock = crate::paths::OutputLock::acquire(path, "--metrics")?;
        if path.exists() && !path.is_file() {
            return Err(usage(format!("--metrics {}: not a regular file", path.display())));
        }
        let text = match std::fs::read_to_string(path) {
            Ok(t) if resume => t,
            Ok(_) => String::new(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(CliError::Io { path: path.to_owned(), source }),
        };
        Ok(Self { path: path.to_owned(), text, _lock: lock })
    }

    fn append(&mut self, m: &EpochMetrics) -> Result<()> {
        self.text.push_str(&m.to_json_line());
        self.text.push('\n');
        Ok(potential_data::write_atomic(&self.path, self.text.as_bytes())?)
    }
}

/// One line of progress per epoch.
fn epoch_line(m: &EpochMetrics) -> String {
    format!(
        "epoch {:>3}: loss {:.5}  rec {:.5}  contraction {:.4}  energy {:.4}  absorbing {}  valid {}  {:.0} samples/s",
        m.epoch,
        m.loss,
        m.reconstruction_error,
        m.contraction,
        m.energy,
        m.absorbing_fraction.map_or("-".into(), |f| format!("{:.3}", f)),
        m.valid_loss.map_or("-".into(), |v| format!("{v:.5}")),
        m.samples_per_second
    )
}

/// Run `potential train`.
pub fn run(a: TrainArgs) -> Result<()> {
    if a.contractive.is_none() && a.denoise.is_none() && !a.quiet {
        crate::note!("note: neither --contractive nor --denoise: training a plain autoencoder");
    }
    let cfg = config(&a)?;
    cfg.validate()?;
    let pool = crate::threads::pool(a.threads)?;
    check_outputs(&a)?;
    let _checkpoint_lock = match &a.checkpoint_dir {
        Some(dir) => Some(crate::paths::OutputLock::acquire(&dir.join(CHECKPOINT_FILE), "--checkpoint-dir")?),
        None => None,
    };
    let (train, valid) = load(&a)?;
    let mut trainer = trainer(&a, &cfg, train.d(), train.n(), fingerprint(&train, valid.as_ref()))?;
    let mut log = a.metrics.as_deref().map(|p| MetricsLog::open(p, a.resume)).transpose()?;
    let remaining = cfg.epochs.saturating_sub(trainer.epoch()) as u64 * train.n() as u64;
    let bar = crate::progress::bar_with_message(remaining, "samples", a.quiet);
    let mut log_err = None;
    let report = pool.install(|| {
        trainer.fit(&train, valid.as_ref(), &mut |e| {
            match e {
                Event::Step(s) => {
                    bar.inc(s.rows as u64);
                    if s.step % 20 == 0 {
                        bar.set_message(format!("epoch {}/{} loss {:.4}", s.epoch + 1, cfg.epochs, s.loss));
                    }
                }
                Event::Epoch(m) => {
                    if let Some(Err(e)) = log.as_mut().map(|l| l.append(m)) {
                        log_err = Some(e);
                        return ControlFlow::Break(());
                    }
                    if !a.quiet {
                        bar.println(epoch_line(m));
                    }
                }
            }
            ControlFlow::Continue(())
        })
    });
    bar.finish_and_clear();
    if let Some(e) = log_err {
        return Err(e);
    }
    let report = report?;
    let model = trainer.into_model();
    model.save(&a.out)?;
    if !a.quiet {
        summary(&report, train.n(), pool.current_num_threads(), &a.out);
    }
    Ok(())
}

/// The file `--checkpoint-dir` holds.
const CHECKPOINT_FILE: &str = "checkpoint.safetensors";

/// What identifies the training and validation rows for `--resume`: their counts, the width and
/// an FNV-1a hash of up to 256 evenly spaced rows of each (cheap on any size, and any other file,
/// class or split differs in one of them).
fn fingerprint(train: &Features, valid: Option<&Features>) -> String {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for x in std::iter::once(train).chain(valid) {
        let step = x.n().div_ceil(256).max(1);
        for i in (0..x.n()).step_by(step) {
            for v in x.row(i) {
                for b in v.to_bits().to_le_bytes() {
                    h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
                }
            }
        }
    }
    format!(
        "rows {}, valid {}, width {}, sample hash {h:016x}",
        train.n(),
        valid.map_or(0, Features::n),
        train.d()
    )
}

/// The last line of a run.
fn summary(report: &FitReport, n: usize, threads: usize, out: &Path) {
    let epochs = report.history.len();
    let secs: f64 = report.history.iter().map(|m| m.seconds).sum();
    let how = match report.outcome {
        Outcome::EarlyStopped => " (early stop)",
        _ => "",
    };
    crate::note!(
        "trained {epochs} epochs{how} in {secs:.2} s ({:.0} samples/s, {threads} threads){} -> {}",
        (epochs * n) as f64 / secs.max(1e-9),
        report.best_epoch.map_or(String::new(), |b| format!("; best validation epoch {b}")),
        out.display()
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: TrainArgs,
    }

    fn args(extra: &[&str]) -> TrainArgs {
        let mut v = vec!["potential-train", "--quiet"];
        v.extend_from_slice(extra);
        Cli::try_parse_from(v).unwrap().args
    }

    /// `--resume` continues an interrupted run to the same bits as an uninterrupted one: train 4
    /// epochs straight, versus 2 epochs then `--resume --epochs 4` (checkpoints, metrics log and
    /// model compared).
    #[test]
    fn resume_equals_uninterrupted_run() {
        let dir = tempfile::tempdir().unwrap();
        let p = |s: &str| dir.path().join(s).to_str().unwrap().to_owned();
        let x: Vec<f32> = (0..300 * 6).map(|i| ((i * 7919 % 1000) as f32) / 1000.0).collect();
        potential_data::write_npy_f32(p("x.npy"), &x, &[300, 6]).unwrap();
        let common = |ck: &str, m: &str, out: &str, epochs: &str| {
            vec![
                "--data".to_owned(),
                p("x.npy"),
                "--hidden".into(),
                "5".into(),
                "--denoise".into(),
                "0.2".into(),
                "--batch-size".into(),
                "32".into(),
                "--valid-fraction".into(),
                "0.1".into(),
                "--checkpoint-dir".into(),
                p(ck),
                "--metrics".into(),
                p(m),
                "--out".into(),
                p(out),
                "--epochs".into(),
                epochs.into(),
            ]
        };
        let run_with = |v: Vec<String>| run(args(&v.iter().map(|s| s.as_str()).collect::<Vec<_>>())).unwrap();
        run_with(common("a", "a.jsonl", "a.safetensors", "4"));
        run_with(common("b", "b.jsonl", "b.safetensors", "2"));
        let mut resumed = common("b", "b.jsonl", "b.safetensors", "4");
        resumed.push("--resume".into());
        run_with(resumed);
        let ca = std::fs::read(dir.path().join("a/checkpoint.safetensors")).unwrap();
        let cb = std::fs::read(dir.path().join("b/checkpoint.safetensors")).unwrap();
        assert!(ca == cb, "checkpoints differ");
        let (ma, mb) = (
            potential_models::TiedAutoencoder::load(p("a.safetensors")).unwrap(),
            potential_models::TiedAutoencoder::load(p("b.safetensors")).unwrap(),
        );
        assert!(ma.weight() == mb.weight() && ma.hidden_bias() == mb.hidden_bias());
        // Metrics: 4 lines each; identical apart from the timings.
        let strip = |s: String| -> Vec<serde_json::Value> {
            s.lines()
                .map(|l| {
                    let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                    v["seconds"] = 0.into();
                    v["samples_per_second"] = 0.into();
                    v
                })
                .collect()
        };
        let (la, lb) = (
            strip(std::fs::read_to_string(p("a.jsonl")).unwrap()),
            strip(std::fs::read_to_string(p("b.jsonl")).unwrap()),
        );
        assert_eq!(la.len(), 4);
        assert_eq!(la, lb);
        // A resume with different settings is refused with a typed error.
        let mut other = common("b", "c.jsonl", "c.safetensors", "5");
        other.extend(["--resume".into(), "--lr".into(), "0.02".into()]);
        let e = run(args(&other.iter().map(|s| s.as_str()).collect::<Vec<_>>())).unwrap_err();
        assert!(matches!(e, CliError::Train(potential_train::Error::Checkpoint { .. })), "{e}");
    }

    #[test]
    fn bad_arguments_are_usage_or_config_errors() {
        let dir = tempfile::tempdir().unwrap();
        let x = dir.path().join("x.npy");
        potential_data::write_npy_f32(&x, &[0.5; 20], &[10, 2]).unwrap();
        let xs = x.to_str().unwrap();
        let base = ["--data", xs, "--hidden", "3", "--out", "/nonexistent/m.safetensors"];
        let with = |extra: &[&str]| {
            let mut v = base.to_vec();
            v.extend_from_slice(extra);
            run(args(&v))
        };
        assert!(matches!(
            with(&["--epochs", "0"]),
            Err(CliError::Train(potential_train::Error::InvalidConfig { .. }))
        ));
        assert!(matches!(with(&["--epochs", "1", "--lr-schedule", "cosine"]), Err(CliError::Usage(_))));
        assert!(matches!(with(&["--epochs", "1", "--patience", "2"]), Err(CliError::Usage(_))));
        assert!(matches!(with(&["--epochs", "1", "--valid-fraction", "1.5"]), Err(CliError::Usage(_))));
        assert!(with(&["--epochs", "1", "--class", "1"]).is_err());
        assert!(Cli::try_parse_from([
            "p",
            "--data",
            xs,
            "--hidden",
            "3",
            "--out",
            "m",
            "--epochs",
            "1",
            "--contractive",
            "0.1",
            "--denoise",
            "0.2"
        ])
        .is_err());
    }
}
