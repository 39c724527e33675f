//! The `--threads` option: a rayon pool of the requested size.

use crate::error::{CliError, Result};

/// Most worker threads `--threads` accepts: more than this is a typo, not a machine (each thread
/// costs a stack, and thousands of them stall the start for minutes).
pub const MAX_THREADS: usize = 256;

/// A rayon pool with `threads` workers (default: rayon's default, i.e. `RAYON_NUM_THREADS` or
/// the number of cores).
///
/// # Errors
/// [`CliError::Usage`] for 0 or more than [`MAX_THREADS`] threads, or a pool that cannot start.
pub fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        if t == 0 {
            return Err(CliError::Usage("--threads must be at least 1".into()));
        }
        if t > MAX_THREADS {
            let cores = std::thread::available_parallelism().map_or(1, usize::from);
            return Err(CliError::Usage(format!(
                "--threads {t}: at most {MAX_THREADS} (this machine has {cores} cores)"
            )));
        }
        b = b.num_threads(t);
    }
    b.build().map_err(|e| CliError::Usage(format!("cannot start {threads:?} threads: {e}")))
}
