//! `csae eval` (error rate, confusion matrix, per-class error) and `csae predict` (classes or
//! class probabilities), for either kind of CSAE file.

use super::args::{EvalArgs, PredictArgs};
use super::open;
use crate::error::Result;
use crate::files::{out_kind, write_text, OutKind};
use potential_csae::{features_view, AnyCsae, Evaluation};
use potential_kernels::MatRef;
use std::fmt::Write as _;

/// Run `csae eval`.
pub(super) fn eval(a: EvalArgs) -> Result<()> {
    let pool = crate::threads::pool(a.threads)?;
    let model = AnyCsae::load(&a.model)?;
    let data = open(&a.data, a.labels.as_deref())?;
    crate::rows::check_width(&a.data, data.d(), &a.model, model.visible())?;
    let ev = pool.install(|| model.evaluate(features_view(&data), data.labels()))?;
    if a.json {
        let v = serde_json::json!({
            "model": a.model.display().to_string(),
            "format": model.format(),
            "data": a.data.display().to_string(),
            "classes": model.class_names(),
            "n": ev.n,
            "errors": ev.errors,
            "error_rate": ev.error_rate,
            "mean_nll": ev.mean_nll,
            "per_class_error": ev.per_class_error,
            "confusion": ev.confusion,
        });
        return crate::output::println_stdout(&v.to_string());
    }
    crate::output::print_stdout(&report(&ev, model.class_names()))
}

/// The text report of `eval`: error rate and NLL, then the confusion matrix with each true
/// class's error.
fn report(ev: &Evaluation, names: &[String]) -> String {
    let mut t = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        t,
        "error rate {:.2}% ({} of {} rows), mean −log P(y|x) {:.4}",
        100.0 * ev.error_rate,
        ev.errors,
        ev.n,
        ev.mean_nll
    );
    let w = names.iter().map(|s| s.len()).max().unwrap_or(1).max(5);
    let _ = writeln!(t, "confusion (rows: true class, columns: predicted):");
    let _ = write!(t, "{:>w$} ", "");
    for n in names {
        let _ = write!(t, "{n:>w$} ");
    }
    let _ = writeln!(t, " error");
    for (row, (name, err)) in ev.confusion.iter().zip(names.iter().zip(&ev.per_class_error)) {
        let _ = write!(t, "{name:>w$} ");
        for c in row {
            let _ = write!(t, "{c:>w$} ");
        }
        let _ = match err {
            Some(e) => writeln!(t, " {:.2}%", 100.0 * e),
            None => writeln!(t, "  -"),
        };
    }
    t
}

/// Run `csae predict`.
pub(super) fn predict(a: PredictArgs) -> Result<()> {
    let kind = out_kind("--out", &a.out)?;
    crate::paths::check_output(&a.out, &[&a.model, &a.data])?;
    let pool = crate::threads::pool(a.threads)?;
    let model = AnyCsae::load(&a.model)?;
    let x = potential_data::open_features(&a.data)?;
    crate::rows::check_width(&a.data, x.d(), &a.model, model.visible())?;
    let xv = MatRef::from_row_major(x.as_slice(), x.n(), x.d());
    let (k, names) = (model.num_classes(), model.class_names());
    match (a.proba, kind) {
        (true, OutKind::Npy) => {
            let p = pool.install(|| model.predict_proba(xv))?;
            potential_data::write_npy_f64(&a.out, &p, &[x.n(), k])?;
        }
        (true, OutKind::Csv) => {
            let p = pool.install(|| model.predict_proba(xv))?;
            write_text(&a.out, |w| {
                let header: String = names.iter().map(|n| format!(",p_{n}")).collect();
                writeln!(w, "index{header}")?;
                for (i, r) in p.chunks_exact(k).enumerate() {
                    let row: String = r.iter().map(|v| format!(",{v}")).collect();
                    writeln!(w, "{i}{row}")?;
                }
                Ok(())
            })?;
        }
        (false, OutKind::Npy) => {
            potential_data::write_npy_labels(&a.out, &pool.install(|| model.predict(xv))?)?
        }
        (false, OutKind::Csv) => {
            let y = pool.install(|| model.predict(xv))?;
            write_text(&a.out, |w| {
                writeln!(w, "index,class,name")?;
                y.iter().enumerate().try_for_each(|(i, &c)| writeln!(w, "{i},{c},{}", names[c as usize]))
            })?;
        }
    }
    crate::note!("wrote {} ({} rows)", a.out.display(), x.n());
    Ok(())
}
