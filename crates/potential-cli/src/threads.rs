//! The `--threads` option: a rayon pool of the requested size.

use crate::error::{CliError, Result};

/// A rayon pool with `threads` workers (default: rayon's default, i.e. `RAYON_NUM_THREADS` or
/// the number of cores).
pub fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        if t == 0 {
            return Err(CliError::Usage("--threads must be at least 1".into()));
        }
        b = b.num_threads(t);
    }
    b.build().map_err(|e| CliError::Usage(format!("cannot start {threads:?} threads: {e}")))
}
