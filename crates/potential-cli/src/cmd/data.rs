//! `potential data`.

use crate::error::{CliError, Result};

/// Arguments of `potential data`.
#[derive(clap::Args, Debug)]
pub struct DataArgs {}

/// Run `potential data`.
pub fn run(_args: DataArgs) -> Result<()> {
    Err(CliError::Usage("`potential data` is not built yet".into()))
}
