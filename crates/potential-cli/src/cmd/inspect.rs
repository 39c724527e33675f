//! `potential inspect`.

use crate::error::{CliError, Result};

/// Arguments of `potential inspect`.
#[derive(clap::Args, Debug)]
pub struct InspectArgs {}

/// Run `potential inspect`.
pub fn run(_args: InspectArgs) -> Result<()> {
    Err(CliError::Usage("`potential inspect` is not built yet".into()))
}
