//! `potential`: the command line of the potential workspace.
//!
//! Turns any tied-weight autoencoder into an energy model (Kamyshanska & Memisevic, TPAMI 2015):
//! score inputs by energy, reconstruction error, Laplacian, contraction; inspect model files;
//! read, convert and generate datasets.
#![forbid(unsafe_code)]

mod cmd;
mod error;
mod files;
mod memory;
mod output;
mod paths;
mod png_out;
mod progress;
mod rows;
mod svm;
mod threads;
mod values;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Energy-based scoring and training of autoencoders ("The Potential Energy of an Autoencoder",
/// Kamyshanska & Memisevic, TPAMI 2015).
#[derive(Parser, Debug)]
#[command(name = "potential", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Refuse a run whose models and training buffers would need more than SIZE of memory, checked
    /// before anything large is allocated (units K, M, G, T: powers of 1024; e.g. 8G). Default: what
    /// the system reports available (MemAvailable, the cgroup's limit, ulimit -v).
    #[arg(long, global = true, value_name = "SIZE", value_parser = memory::parse_size)]
    max_memory: Option<u64>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Score every row of a data matrix under a model: energy, reconstruction error, Laplacian,
    /// contraction or the absorbing indicator.
    Score(cmd::score::ScoreArgs),
    /// Novelty detection: flag rows whose energy is unusually low (PyOD contamination threshold or
    /// an explicit one); with labels, precision, recall, F1 and ROC AUC.
    Detect(Box<cmd::detect::DetectArgs>),
    /// Show a model file's shapes, activation, output kind and filter-norm statistics.
    Inspect(cmd::inspect::InspectArgs),
    /// Datasets: info, convert, generate the Larochelle benchmark, fetch MNIST.
    Data(cmd::data::DataArgs),
    /// Train a contractive or denoising tied autoencoder (checkpoints, --resume, metrics log).
    // The variant's doc comment would replace the arguments' long help: name it here.
    #[command(long_about = cmd::train::LONG_ABOUT, after_help = cmd::train::AFTER_HELP)]
    Train(Box<cmd::train::TrainArgs>),
    /// Demonstrations: `circle` renders the paper's Figure 2 (energy vs reconstruction error).
    Demo(cmd::demo::DemoArgs),
    /// The class-specific autoencoder classifier (Eq. 45): train, eval, predict, plot.
    Csae(cmd::csae::CsaeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    memory::set_flag(cli.max_memory);
    let result = match cli.command {
        Command::Score(a) => cmd::score::run(a),
        Command::Detect(a) => cmd::detect::run(*a),
        Command::Inspect(a) => cmd::inspect::run(a),
        Command::Data(a) => cmd::data::run(a),
        Command::Train(a) => cmd::train::run(*a),
        Command::Demo(a) => cmd::demo::run(a),
        Command::Csae(a) => cmd::csae::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            crate::note!("error: {e}");
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                crate::note!("  caused by: {s}");
                src = s.source();
            }
            ExitCode::FAILURE
        }
    }
}
