//! Finding the datasets folder (`$POTENTIAL_DATASETS`, or a `shared/datasets` directory above the
//! working directory or the crate) and the skip-or-fail rule of tests that need it (README,
//! *Two commands*).

use std::path::{Path, PathBuf};

/// Environment variable naming the datasets folder explicitly.
pub const DATASETS_ENV: &str = "POTENTIAL_DATASETS";

/// Environment variable that turns missing data in tests into a failure (`=1`).
pub const REQUIRE_DATA_ENV: &str = "POTENTIAL_REQUIRE_DATA";

fn walk_up(start: &Path) -> Option<PathBuf> {
    start.ancestors().map(|a| a.join("shared").join("datasets")).find(|p| p.is_dir())
}

/// The shared datasets folder: `$POTENTIAL_DATASETS` if set (whether or not it exists), else the
/// first `shared/datasets` directory found walking up from the current directory, from
/// `$CARGO_MANIFEST_DIR` (set by cargo for tests and benches) and from this crate's source
/// directory as compiled. `None` when nothing is found.
pub fn datasets_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(DATASETS_ENV) {
        return Some(PathBuf::from(p));
    }
    let mut starts = Vec::new();
    if let Ok(cwd) = std::env::current_dir() {
        starts.push(cwd);
    }
    if let Some(m) = std::env::var_os("CARGO_MANIFEST_DIR") {
        starts.push(PathBuf::from(m));
    }
    starts.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    starts.iter().find_map(|s| walk_up(s))
}

/// Whether `POTENTIAL_REQUIRE_DATA=1`.
pub fn data_required() -> bool {
    std::env::var(REQUIRE_DATA_ENV).is_ok_and(|v| v == "1")
}

/// For tests and benches: the path `rel` inside the datasets folder if it exists. Otherwise prints
/// `skipped: <why>` to stderr and returns `None` (the caller returns early), or panics when
/// `POTENTIAL_REQUIRE_DATA=1`.
///
/// ```
/// # fn main() {
/// let Some(mnist) = potential_data::shared_data("mnist/train-images-idx3-ubyte") else { return };
/// assert!(mnist.is_file());
/// # }
/// ```
///
/// # Panics
/// When the data is missing and `POTENTIAL_REQUIRE_DATA=1`.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let why = match datasets_dir() {
        Some(dir) => {
            let p = dir.join(rel);
            if p.exists() {
                return Some(p);
            }
            format!("{} does not exist", p.display())
        }
        None => format!("no shared/datasets folder found (set {DATASETS_ENV}) for {rel}"),
    };
    if data_required() {
        panic!("{REQUIRE_DATA_ENV}=1 but {why}");
    }
    // Straight to the process's stderr, not `eprintln!`: the test harness captures the print
    // macros of passing tests, and a skip must be seen.
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
    None
}
