//! Progress bars for long work (hidden when stderr is not a terminal or with `--quiet`).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar over `len` units named `unit`, or a hidden one when `quiet`.
pub fn bar(len: u64, unit: &str, quiet: bool) -> ProgressBar {
    styled(
        len,
        &format!("{{elapsed_precise}} [{{wide_bar}}] {{pos}}/{{len}} {unit} ({{per_sec}}, eta {{eta}})"),
        quiet,
    )
}

/// A bar over `len` units named `unit` that shows the bar's message (set by the caller) instead
/// of the count, or a hidden one when `quiet`.
pub fn bar_with_message(len: u64, unit: &str, quiet: bool) -> ProgressBar {
    styled(
        len,
        &format!("{{elapsed_precise}} [{{wide_bar}}] {{msg}} ({{per_sec}} {unit}, eta {{eta}})"),
        quiet,
    )
}

fn styled(len: u64, template: &str, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb
}

/// Print `line` above `bar`, or straight to stderr when the bar is hidden (a bar drawn to a
/// non-terminal is hidden, and so are the lines it prints).
pub fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() {
        crate::note!("{line}");
    } else {
        bar.println(line);
    }
}
