//! The files `detect` writes: the flags (`--out`) and the explanations (`--out-explain`,
//! `--explain-png`).

use super::model::Detector;
use super::report::ScoreScale;
use super::usage;
use crate::error::{CliError, Result};
use crate::files::{write_text, OutKind};
use std::path::Path;

/// The rows `--explain` names: `flagged`, or comma-separated indices and `a-b` ranges (inclusive).
pub(super) fn explain_rows(spec: &str, flags: &[bool]) -> Result<Vec<usize>> {
    if spec.trim() == "flagged" {
        return Ok((0..flags.len()).filter(|&i| flags[i]).collect());
    }
    let mut rows = Vec::new();
    for part in spec.split(',').map(str::trim) {
        let num = |v: &str| -> Result<usize> {
            let r: usize =
                v.trim().parse().map_err(|_| usage(format!("--explain: `{v}` is not a row number")))?;
            if r >= flags.len() {
                return Err(usage(format!("--explain: row {r} is past the last row ({})", flags.len() - 1)));
            }
            Ok(r)
        };
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (num(a)?, num(b)?);
                if a > b {
                    return Err(usage(format!("--explain: range {a}-{b} is decreasing")));
                }
                rows.extend(a..=b);
            }
            None => rows.push(num(part)?),
        }
    }
    Ok(rows)
}

/// Where the explanations go: `path` (`--out-explain`, of `kind`), and `png` (`--explain-png`) with
/// the rows drawn as images of `shape` (`--shape` HxW, default square).
pub(super) struct ExplainTo<'a> {
    pub path: &'a Path,
    pub kind: OutKind,
    pub png: Option<&'a Path>,
    pub shape: Option<&'a str>,
}

/// Explain `rows` of `x` under a detector file and write them as `to` says (.npy f64 \[k, D\] or
/// CSV `row,feature,contribution`; the heat-map picture).
pub(super) fn write_explanations(
    model: &Detector,
    model_path: &Path,
    x: &potential_data::Features,
    rows: &[usize],
    to: &ExplainTo<'_>,
) -> Result<()> {
    let (path, png, shape) = (to.path, to.png, to.shape);
    let Detector::Fitted(det) = model else {
        return Err(usage(format!(
            "--explain: {} is not a detector file; explanations need the reference point that \
`potential detect fit` stores",
            model_path.display()
        )));
    };
    let d = x.d();
    let image = png.map(|_| crate::cmd::data::image_shape(d, shape)).transpose()?;
    let picked: Vec<f32> = rows.iter().flat_map(|&r| x.row(r).iter().copied()).collect();
    let (c, _) = det.explain(&picked, 8).map_err(|e| CliError::detector(model_path, e))?;
    if let (Some(png), Some((h, w))) = (png, image) {
        if rows.is_empty() {
            crate::note!("explain: no rows to explain, so no picture written to {}", png.display());
        } else {
            crate::png_out::write_explanation_png(png, &picked, &c, h, w)?;
        }
    }
    match to.kind {
        OutKind::Npy => potential_data::write_npy_f64(path, &c, &[rows.len(), d])?,
        OutKind::Csv => write_text(path, |w| {
            writeln!(w, "row,feature,contribution")?;
            for (k, &r) in rows.iter().enumerate() {
                for j in 0..d {
                    writeln!(w, "{r},{j},{}", c[k * d + j])?;
                }
            }
            Ok(())
        })?,
    }
    Ok(())
}

/// Write the flags: `.npy` u8 flags \[n\] (f64 \[n, 2\] of flag and p-value with calibration), or CSV
/// `index,<score>,outlier[,p_value]`.
pub(super) fn write_flags(
    path: &Path,
    kind: OutKind,
    scale: ScoreScale,
    scores: &[f64],
    flags: &[bool],
    p_values: Option<&[f64]>,
) -> Result<()> {
    match (kind, p_values) {
        (OutKind::Npy, None) => {
            let f: Vec<u32> = flags.iter().map(|&f| u32::from(f)).collect();
            potential_data::write_npy_labels(path, &f)?;
        }
        (OutKind::Npy, Some(p)) => {
            let data: Vec<f64> =
                flags.iter().zip(p).flat_map(|(&f, &p)| [f64::from(u8::from(f)), p]).collect();
            potential_data::write_npy_f64(path, &data, &[flags.len(), 2])?;
        }
        (OutKind::Csv, p) => write_flags_csv(path, scale, scores, flags, p)?,
    }
    Ok(())
}

/// CSV with the header `index,<score>,outlier[,p_value]`: the score on its own scale, the flag
/// (0/1) and the conformal p-value.
fn write_flags_csv(
    path: &Path,
    scale: ScoreScale,
    outlier_scores: &[f64],
    flags: &[bool],
    p_values: Option<&[f64]>,
) -> Result<()> {
    let extra = if p_values.is_some() { ",p_value" } else { "" };
    write_text(path, |w| {
        writeln!(w, "index,{},outlier{extra}", scale.name())?;
        for (i, (&s, &fl)) in outlier_scores.iter().zip(flags).enumerate() {
            // `{}` on f64 prints the shortest representation that round-trips.
            match p_values {
                Some(p) => writeln!(w, "{i},{},{},{}", scale.to_own(s), u8::from(fl), p[i])?,
                None => writeln!(w, "{i},{},{}", scale.to_own(s), u8::from(fl))?,
            }
        }
        Ok(())
    })
}
