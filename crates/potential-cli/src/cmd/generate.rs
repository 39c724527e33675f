//! `potential data generate`: the Larochelle et al. (2007) benchmark sets.
//!
//! Owned by the "gen" helper, who replaces this placeholder with the real command.

use crate::error::{CliError, Result};

/// Arguments of `potential data generate`.
#[derive(clap::Args, Debug)]
pub struct GenerateArgs {}

/// Run `potential data generate`.
pub fn run(_args: GenerateArgs) -> Result<()> {
    Err(CliError::Usage("`potential data generate` is not built yet".into()))
}
