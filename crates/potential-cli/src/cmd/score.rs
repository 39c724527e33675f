//! `potential score`.

use crate::error::{CliError, Result};

/// Arguments of `potential score`.
#[derive(clap::Args, Debug)]
pub struct ScoreArgs {}

/// Run `potential score`.
pub fn run(_args: ScoreArgs) -> Result<()> {
    Err(CliError::Usage("`potential score` is not built yet".into()))
}
