//! PNG output: one atomic writer for every picture the CLI draws (`data info --grid`,
//! `detect --explain-png`), and the explanation heat map.

use crate::error::{CliError, Result};
use std::io::Write as _;
use std::path::Path;

/// Pixel layout of [`write_png`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    /// One byte per pixel.
    Grey,
    /// Three bytes per pixel.
    Rgb,
}

/// Write an 8-bit PNG of `width × height` pixels atomically: the file appears whole under `path`
/// or not at all (a failed write leaves an existing file untouched).
///
/// # Errors
/// [`CliError::Io`] naming the file; a pixel buffer of the wrong length is a [`CliError::Usage`].
pub fn write_png(path: &Path, width: usize, height: usize, color: Color, pixels: &[u8]) -> Result<()> {
    let channels = match color {
        Color::Grey => 1,
        Color::Rgb => 3,
    };
    let expected = width.checked_mul(height).and_then(|p| p.checked_mul(channels));
    if expected != Some(pixels.len()) || width == 0 || height == 0 {
        return Err(CliError::Usage(format!(
            "{}: a {width}x{height} picture cannot hold {} bytes of pixels",
            path.display(),
            pixels.len()
        )));
    }
    let (Ok(w), Ok(h)) = (u32::try_from(width), u32::try_from(height)) else {
        return Err(CliError::Usage(format!("{}: {width}x{height} is too large for a PNG", path.display())));
    };
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, w, h);
        enc.set_color(match color {
            Color::Grey => png::ColorType::Grayscale,
            Color::Rgb => png::ColorType::Rgb,
        });
        enc.set_depth(png::BitDepth::Eight);
        let png_err = |e: png::EncodingError| CliError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        };
        let mut writer = enc.write_header().map_err(png_err)?;
        writer.write_image_data(pixels).map_err(png_err)?;
        writer.finish().map_err(png_err)?;
    }
    let mut f = potential_data::AtomicFile::create(path)?;
    let tmp = f.tmp_path().to_path_buf();
    f.writer().write_all(&bytes).map_err(|source| CliError::Io { path: tmp, source })?;
    f.commit()?;
    Ok(())
}

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
/// As [`write_png`].
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
    write_png(path, img_w, img_h, Color::Rgb, &px)
}
