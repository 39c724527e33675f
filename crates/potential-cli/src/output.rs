//! Writing reports to standard output: a closed pipe (`potential … | head -1`) ends the program
//! quietly with the shell's status for SIGPIPE (141), any other failure (a full disk) is an error.

use crate::error::{CliError, Result};
use std::io::Write;

/// Exit status of a program ended by a broken pipe, as the shell reports SIGPIPE (128 + 13).
pub const BROKEN_PIPE_STATUS: i32 = 141;

/// Write `text` to stdout and flush.
///
/// # Errors
/// [`CliError::Io`] naming `<stdout>`; a broken pipe exits the process with [`BROKEN_PIPE_STATUS`].
pub fn print_stdout(text: &str) -> Result<()> {
    let mut o = std::io::stdout().lock();
    match o.write_all(text.as_bytes()).and_then(|()| o.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(BROKEN_PIPE_STATUS),
        Err(e) => Err(CliError::Io { path: "<stdout>".into(), source: e }),
    }
}

/// [`print_stdout`] of `line` and a newline.
///
/// # Errors
/// As [`print_stdout`].
pub fn println_stdout(line: &str) -> Result<()> {
    print_stdout(&format!("{line}\n"))
}
