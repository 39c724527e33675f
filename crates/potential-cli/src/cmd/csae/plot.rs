//! `csae plot`: PNGs of each class model's filters (Fig. 5, 7; a factored model's shared input
//! factors too) and of the class energies of two classes (Fig. 3), drawn with a 3×5 bitmap font
//! for the panel numbers.

use super::args::PlotArgs;
use super::{open, usage};
use crate::error::Result;
use potential_csae::{features_view, AnyCsae};
use potential_data::PngColor;
use std::path::{Path, PathBuf};

/// An RGB canvas.
struct Canvas {
    w: usize,
    h: usize,
    px: Vec<[u8; 3]>,
}

/// 3×5 bitmap digits (rows top to bottom, 3 bits each, MSB = left).
const GLYPHS: [[u8; 5]; 10] = [
    [7, 5, 5, 5, 7],
    [2, 6, 2, 2, 7],
    [7, 1, 7, 4, 7],
    [7, 1, 7, 1, 7],
    [5, 5, 7, 1, 1],
    [7, 4, 7, 1, 7],
    [7, 4, 7, 5, 7],
    [7, 1, 1, 1, 1],
    [7, 5, 7, 5, 7],
    [7, 5, 7, 1, 7],
];

impl Canvas {
    fn new(w: usize, h: usize, bg: [u8; 3]) -> Self {
        Self { w, h, px: vec![bg; w * h] }
    }
    fn set(&mut self, x: usize, y: usize, c: [u8; 3]) {
        if x < self.w && y < self.h {
            self.px[y * self.w + x] = c;
        }
    }
    fn rect(&mut self, x0: usize, y0: usize, w: usize, h: usize, c: [u8; 3]) {
        for y in y0..y0 + h {
            for x in x0..x0 + w {
                self.set(x, y, c);
            }
        }
    }
    /// A number drawn with the 3×5 digits, each pixel `scale`² screen pixels.
    fn number(&mut self, x0: usize, y0: usize, n: usize, scale: usize, c: [u8; 3]) {
        for (i, ch) in n.to_string().bytes().enumerate() {
            let g = GLYPHS[(ch - b'0') as usize];
            for (r, bits) in g.iter().enumerate() {
                for col in 0..3 {
                    if bits >> (2 - col) & 1 == 1 {
                        self.rect(x0 + (i * 4 + col) * scale, y0 + r * scale, scale, scale, c);
                    }
                }
            }
        }
    }
    /// Write the canvas as a PNG, atomically.
    fn save(&self, path: &Path) -> Result<()> {
        let data: Vec<u8> = self.px.iter().flatten().copied().collect();
        Ok(potential_data::write_png(path, self.w, self.h, PngColor::Rgb, &data)?)
    }
}

/// Run `csae plot`.
pub(super) fn plot(a: PlotArgs) -> Result<()> {
    let any = AnyCsae::load(&a.model)?;
    crate::paths::check_output_dir(&a.out)?;
    let (iw, ih) = image_shape(any.visible(), a.width)?;
    let mut written = filters(&a, &any, iw, ih)?;
    if let Some(data) = &a.data {
        written.push(energies(&a, &any, data)?);
    }
    for p in &written {
        crate::note!("wrote {}", p.display());
    }
    Ok(())
}

/// Width and height of an input drawn as an image: `--width`, else a square, else one row.
fn image_shape(d: usize, width: Option<usize>) -> Result<(usize, usize)> {
    let side = (d as f64).sqrt().round() as usize;
    match width {
        Some(w) if w > 0 && d.is_multiple_of(w) => Ok((w, d / w)),
        Some(w) => Err(usage(format!("--width {w} does not divide the input size {d}"))),
        None if side * side == d => Ok((side, side)),
        None => Ok((d, 1)),
    }
}

/// `filters_class{c}.png` for every class and, for a factored model, `factors.png`.
fn filters(a: &PlotArgs, any: &AnyCsae, iw: usize, ih: usize) -> Result<Vec<PathBuf>> {
    // A factored model plots its materialised class filters (Eq. 50) and its shared factors.
    let model = any.to_csae()?;
    let d = model.visible();
    let mut written = Vec::new();
    for (c, m) in model.class_models().iter().enumerate() {
        let path = a.out.join(format!("filters_class{c}.png"));
        filter_grid(m.weight(), m.hidden(), d, iw, ih, a.filters, &m.filter_norms_sq()).save(&path)?;
        written.push(path);
    }
    if let AnyCsae::Factored(fm) = any {
        // Column c of Wˣ [D, F] is factor c's input filter (the shared features of Fig. 7).
        let f = fm.factors();
        let wx = fm.input_factors();
        let cols: Vec<f32> = (0..f).flat_map(|c| (0..d).map(move |i| wx[i * f + c])).collect();
        let norms: Vec<f64> =
            cols.chunks_exact(d).map(|c| c.iter().map(|&v| (v as f64).powi(2)).sum()).collect();
        let path = a.out.join("factors.png");
        filter_grid(&cols, f, d, iw, ih, a.filters, &norms).save(&path)?;
        written.push(path);
    }
    Ok(written)
}

/// The classes `--classes` names (by name or index), by default the first two.
fn two_classes(spec: Option<&str>, names: &[String]) -> Result<(usize, usize)> {
    let pick = |s: &str| -> Result<usize> {
        names
            .iter()
            .position(|n| n == s)
            .or_else(|| s.parse::<usize>().ok().filter(|&i| i < names.len()))
            .ok_or_else(|| usage(format!("--classes: no class {s:?} (classes: {})", names.join(","))))
    };
    match spec {
        Some(s) => match s.split(',').collect::<Vec<_>>()[..] {
            [x, y] => Ok((pick(x)?, pick(y)?)),
            _ => Err(usage("--classes takes two classes, e.g. --classes 3,5")),
        },
        None => Ok((0, 1.min(names.len() - 1))),
    }
}

/// `energies_{a}_vs_{b}.png`: the class energies of the rows of `data` (Fig. 3).
fn energies(a: &PlotArgs, any: &AnyCsae, data: &Path) -> Result<PathBuf> {
    let ds = open(data, a.labels.as_deref())?;
    crate::rows::check_width(data, ds.d(), &a.model, any.visible())?;
    let (ca, cb) = two_classes(a.classes.as_deref(), any.class_names())?;
    let e = any.energies(features_view(&ds))?;
    let path = a.out.join(format!("energies_{ca}_vs_{cb}.png"));
    energy_histograms(&e, any.num_classes(), ds.labels(), ca as u32, cb as u32).save(&path)?;
    Ok(path)
}

/// Filters as a grid of images, each scaled to its own ±max (grey = 0, white positive, black
/// negative), the `count` largest-norm filters first.
fn filter_grid(w: &[f32], h: usize, d: usize, iw: usize, ih: usize, count: usize, norms: &[f64]) -> Canvas {
    let mut order: Vec<usize> = (0..h).collect();
    order.sort_by(|&a, &b| norms[b].total_cmp(&norms[a]));
    order.truncate(count.max(1));
    let n = order.len();
    let cols = (n as f64).sqrt().ceil() as usize;
    let rows = n.div_ceil(cols);
    let scale = if iw * ih <= 100 {
        8
    } else if iw <= 32 {
        3
    } else {
        1
    };
    let (cw, chh) = (iw * scale + 2, ih * scale + 2);
    let mut cv = Canvas::new(cols * cw + 2, rows * chh + 2, [40, 40, 60]);
    for (slot, &k) in order.iter().enumerate() {
        let f = &w[k * d..(k + 1) * d];
        let m = f.iter().fold(0.0f32, |m, &v| m.max(v.abs())).max(1e-12);
        let (ox, oy) = (2 + (slot % cols) * cw, 2 + (slot / cols) * chh);
        for (j, &v) in f.iter().enumerate() {
            let g = (127.5 + 127.5 * v / m).round().clamp(0.0, 255.0) as u8;
            cv.rect(ox + (j % iw) * scale, oy + (j / iw) * scale, scale, scale, [g, g, g]);
        }
    }
    cv
}

/// One panel per class model i: histograms of Eᵢ(x) over the rows of class `a` (orange) and of
/// class `b` (blue), on a common energy axis per panel; the panel's class index in the corner
/// (green when i is a or b). Fig. 3 of the paper.
fn energy_histograms(e: &[f64], k: usize, labels: &[u32], a: u32, b: u32) -> Canvas {
    const PW: usize = 260;
    const PH: usize = 160;
    const BINS: usize = 40;
    let cols = k.min(4);
    let rows = k.div_ceil(cols);
    let mut cv = Canvas::new(cols * (PW + 10) + 10, rows * (PH + 10) + 10, [255, 255, 255]);
    let (ca, cb) = ([230u8, 120, 20], [30u8, 90, 200]);
    for i in 0..k {
        let (ox, oy) = (10 + (i % cols) * (PW + 10), 10 + (i / cols) * (PH + 10));
        cv.rect(ox, oy, PW, PH, [245, 245, 245]);
        let vals = |c: u32| -> Vec<f64> {
            labels.iter().enumerate().filter(|(_, &l)| l == c).map(|(r, _)| e[r * k + i]).collect()
        };
        let (va, vb) = (vals(a), vals(b));
        let lo = va.iter().chain(&vb).copied().fold(f64::INFINITY, f64::min);
        let hi = va.iter().chain(&vb).copied().fold(f64::NEG_INFINITY, f64::max);
        if !(lo.is_finite() && hi.is_finite()) {
            continue;
        }
        let span = (hi - lo).max(1e-9);
        let hist = |v: &[f64]| {
            let mut hgram = [0usize; BINS];
            for &x in v {
                hgram[(((x - lo) / span) * BINS as f64).floor().clamp(0.0, (BINS - 1) as f64) as usize] += 1;
            }
            hgram
        };
        let (ha, hb) = (hist(&va), hist(&vb));
        let top = ha.iter().chain(&hb).copied().max().unwrap_or(1).max(1);
        let bw = PW / BINS;
        let base = oy + PH - 4;
        for bin in 0..BINS {
            for (hg, col, off) in [(&ha, ca, 0usize), (&hb, cb, bw / 2)] {
                let hpx = hg[bin] * (PH - 30) / top;
                cv.rect(ox + bin * bw + off, base - hpx, bw / 2, hpx, col);
            }
        }
        cv.rect(ox, base, PW, 1, [0, 0, 0]);
        let label = if i as u32 == a || i as u32 == b { [0, 150, 0] } else { [0, 0, 0] };
        cv.number(ox + 4, oy + 4, i, 3, label);
    }
    cv
}
