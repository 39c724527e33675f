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

/// Write one line to stderr, ignoring failures: a full or closed stderr must not stop the work
/// (the model is still written, the exit status still tells the outcome).
pub fn note_line(line: std::fmt::Arguments<'_>) {
    let mut e = std::io::stderr().lock();
    let _ = e.write_fmt(line).and_then(|()| e.write_all(b"\n"));
}

/// `eprintln!` that never panics: see [`note_line`].
#[macro_export]
macro_rules! note {
    ($($t:tt)*) => { $crate::output::note_line(format_args!($($t)*)) };
}

/// `println!` that never panics: a closed pipe exits with [`BROKEN_PIPE_STATUS`], any other
/// failure returns [`CliError::Io`] from the enclosing function (see [`print_stdout`]).
#[macro_export]
macro_rules! outln {
    ($($t:tt)*) => { $crate::output::println_stdout(&format!($($t)*))? };
}
