//! `potential score`: one score per row of a data matrix under a tied autoencoder.

use crate::error::{CliError, Result};
use crate::files::{out_kind, write_scores};
use crate::rows::{check_width, score_blocks};
use potential_models::{Score, TiedAutoencoder};
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `potential score`.
///
/// Scores (README *File formats*, per sample): `energy` is E(x) of Eq. 11–21 (real output) or Eq. 28 (binary
/// output) with every constant kept; `reconstruction-error` is ‖r(x) − x‖²; `laplacian` is ΔE(x) =
/// Σₖ h′(uₖ)‖wₖ‖² − D (Eq. 38); `contraction` is Σₖ h′(uₖ)²‖wₖ‖² (Eq. 40); `absorbing` is 1 where the
/// Laplacian is negative (Eq. 39), else 0. Higher energy means the model represents x better.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "EXAMPLES:\n  potential score --model ae.safetensors --data test.npy --what energy --out energy.npy\n  \
potential score --model ae.safetensors --data t10k-images-idx3-ubyte.gz --what laplacian --out lap.csv"
)]
pub struct ScoreArgs {
    /// Model file (safetensors, format `potential.tied-autoencoder`).
    #[arg(long, value_name = "M.safetensors")]
    pub model: PathBuf,
    /// Data matrix [n, D]: `.npy` (f32 or convertible), IDX (raw or .gz), `.amat`, or the digits CSV.
    #[arg(long, value_name = "X")]
    pub data: PathBuf,
    /// Which score to compute.
    #[arg(long, value_name = "SCORE", value_enum, default_value = "energy")]
    pub what: crate::values::Score,
    /// Output file: `.npy` (f64, one value per row) or `.csv` (header `index,<score>`), written atomically.
    #[arg(long, value_name = "S.npy|S.csv")]
    pub out: PathBuf,
    /// Arithmetic of the energy's product u = Wx: `f32` (default) or `bf16` (x and W rounded to
    /// bfloat16, f32 accumulation; AVX-512 BF16 CPUs, energy of a tied autoencoder only; the energy
    /// moves by at most the bound of the library's `bf16_energy_error_bound`).
    #[arg(long, value_name = "f32|bf16", default_value = "f32")]
    pub precision: potential_models::Precision,
    /// Worker threads (default: all cores; results do not depend on it beyond summation order).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Rows per block (progress granularity).
    #[arg(long, value_name = "ROWS", default_value_t = 8192)]
    pub block: usize,
    /// No progress bar or summary.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Run `potential score`.
pub fn run(args: ScoreArgs) -> Result<()> {
    let what: Score = args.what.into();
    let kind = out_kind("--out", &args.out)?;
    crate::paths::check_output(&args.out, &[&args.model, &args.data])?;
    if args.block == 0 {
        return Err(CliError::Usage("--block must be at least 1".into()));
    }
    if args.precision == potential_models::Precision::Bf16 {
        crate::cmd::detect::check_precision(args.precision, what == Score::Energy, "--what energy")?;
    }
    let pool = crate::threads::pool(args.threads)?;
    let model = TiedAutoencoder::load(&args.model)?;
    let x = potential_data::open_features(&args.data)?;
    let n = x.n();
    check_width(&args.data, x.d(), &args.model, model.visible())?;
    let t0 = Instant::now();
    let scores = pool.install(|| {
        score_blocks(&x, args.block, args.quiet, |view, r0| {
            model
                .score_batch_with(view, what, args.precision)
                .map_err(|e| CliError::scoring(&args.data, r0, e))
        })
    })?;
    let secs = t0.elapsed().as_secs_f64();
    write_scores(&args.out, kind, what.name(), &scores)?;
    if !args.quiet {
        let (mut lo, mut hi, mut sum) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
        for &s in &scores {
            lo = lo.min(s);
            hi = hi.max(s);
            sum += s;
        }
        let mean = if n > 0 { sum / n as f64 } else { f64::NAN };
        crate::note!("{what}: n={n} min={lo:.6} mean={mean:.6} max={hi:.6} -> {}", args.out.display());
        crate::note!(
            "{n} samples in {secs:.3} s ({:.0} samples/s, {} threads)",
            n as f64 / secs.max(1e-9),
            pool.current_num_threads()
        );
    }
    Ok(())
}
