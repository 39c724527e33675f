//! The explanation heat map of `detect --explain-png` (written by the workspace's one PNG writer,
//! [`potential_data::write_png`]).

use crate::error::{CliError, Result};
use potential_data::PngColor;
use std::path::Path;

/// Most explained rows drawn in one heat-map picture.
pub const MAX_HEATMAP_ROWS: usize = 64;

/// The explanation heat map: for each of the first [`MAX_HEATMAP_ROWS`] explained rows, the row
/// as a grey `h × w` image (min-max over the rows drawn) beside its contributions (red: the pixel
/// raises the outlier score, blue: lowers it; full colour at the row's largest |contribution|),
/// four pairs per line, each tile scaled up to at least 28 pixels, 1-pixel gaps.
///
/// `rows` holds `k` rows of `h·w` features, `contributions` the same shape.
///
/// # Errors
/// As [`potential_data::write_png`]; [`CliError::Usage`] when there is no row to draw.
pub fn write_explanation_png(
    path: &Path,
    rows: &[f32],
    contributions: &[f64],
    h: usize,
    w: usize,
) -> Result<()> {
    let d = h * w;
    let k = (rows.len() / d.max(1)).min(contributions.len() / d.max(1)).min(MAX_HEATMAP_ROWS);
    if k == 0 {
        return Err(CliError::Usage(format!("{}: no explained rows to draw", path.display())));
    }
    let pairs_per_line = 4usize.min(k);
    let lines = k.div_ceil(pairs_per_line);
    let scale = 28usize.div_ceil(h).max(1);
    let (th, tw) = (h * scale, w * scale);
    let tiles_per_line = 2 * pairs_per_line;
    let (img_w, img_h) = (tiles_per_line * (tw + 1) + 1, lines * (th + 1) + 1);
    let drawn = &rows[..k * d];
    let (lo, hi) = drawn.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let span = (hi - lo).max(f32::EPSILON);
    let mut px = vec![64u8; img_w * img_h * 3];
    let mut put = |x: usize, y: usize, rgb: [u8; 3]| {
        let o = (y * img_w + x) * 3;
        px[o..o + 3].copy_from_slice(&rgb);
    };
    for i in 0..k {
        let (line, pair) = (i / pairs_per_line, i % pairs_per_line);
        let row = &drawn[i * d..(i + 1) * d];
        let c = &contributions[i * d..(i + 1) * d];
        let peak = c.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for y in 0..th {
            for x in 0..tw {
                let j = (y / scale) * w + x / scale;
                let g = (((row[j] - lo) / span).clamp(0.0, 1.0) * 255.0).round() as u8;
                let t = if peak > 0.0 { (c[j] / peak).clamp(-1.0, 1.0) } else { 0.0 };
                let fade = (255.0 * (1.0 - t.abs())).round() as u8;
                let heat = if t >= 0.0 { [255, fade, fade] } else { [fade, fade, 255] };
                let py = 1 + line * (th + 1) + y;
                put(1 + (2 * pair) * (tw + 1) + x, py, [g, g, g]);
                put(1 + (2 * pair + 1) * (tw + 1) + x, py, heat);
            }
        }
    }
    Ok(potential_data::write_png(path, img_w, img_h, PngColor::Rgb, &px)?)
}
