//! `potential demo circle`: the paper's Figure 2 — a contractive autoencoder with 100 sigmoid
//! hiddens trained on 2-D points around a circle, rendered as PNGs of the data, the vector field
//! r(x) − x, the energy surface and the reconstruction-error surface.
//!
//! The point of the figure: the energy is high on the circle (the data) and low at the centre,
//! while the reconstruction error is low in both places — the centre is a stationary point too
//! (r(x) ≈ x), but a repelling one (a source), so reconstruction error cannot tell the two kinds of
//! stationary point apart and the energy can.

use crate::error::{CliError, Result};
use potential_activations::ActivationKind;
use potential_data::Features;
use potential_kernels::MatRef;
use potential_models::{Output, TiedAutoencoder};
use potential_train::{init_model, TrainConfig, Trainer};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// Arguments of `potential demo`.
#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Which demo (none: `digits`, the CSAE on the embedded digits).
    #[command(subcommand)]
    pub which: Option<Demo>,
}

/// The demos.
#[derive(clap::Subcommand, Debug)]
pub enum Demo {
    /// The paper's Figure 2: train a contractive autoencoder (100 sigmoid hiddens) on 2-D points
    /// around a circle and write data.png, vector_field.png, energy.png, reconstruction_error.png
    /// (and circle_model.safetensors) into --out.
    Circle(CircleArgs),
    /// The main job (also `potential demo` alone): a class-specific autoencoder classifier
    /// (Eq. 45) trained on the embedded UCI digits; prints its test error.
    Digits(crate::cmd::demo_digits::DigitsArgs),
}

/// Arguments of `potential demo circle`.
#[derive(clap::Args, Debug)]
pub struct CircleArgs {
    /// Output directory (created if missing).
    #[arg(long, value_name = "DIR", default_value = "circle-demo")]
    pub out: PathBuf,
    /// Seed of the data, the initialisation and the training.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Training epochs.
    #[arg(long, default_value_t = CIRCLE_EPOCHS)]
    pub epochs: usize,
    /// Image side in pixels.
    #[arg(long, default_value_t = 480)]
    pub size: usize,
    /// No summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Default epochs of the circle demo.
pub const CIRCLE_EPOCHS: usize = 200;
/// Points on the circle.
const CIRCLE_POINTS: usize = 1000;
/// Radius of the circle.
const RADIUS: f32 = 3.0;
/// Half width of the plotted square [−EXTENT, EXTENT]².
const EXTENT: f32 = 1.6 * RADIUS;

/// Run `potential demo`.
pub fn run(a: DemoArgs) -> Result<()> {
    match a.which {
        Some(Demo::Circle(c)) => circle(c),
        Some(Demo::Digits(d)) => crate::cmd::demo_digits::run(d),
        None => crate::cmd::demo_digits::run(Default::default()),
    }
}

/// Seeded 2-D points around the circle of radius [`RADIUS`] = 3: uniform angle, Gaussian radial
/// noise of standard deviation 0.05·RADIUS (Box–Muller on a 64-bit LCG, so the demo depends on
/// nothing else).
pub fn circle_points(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let mut v = Vec::with_capacity(2 * n);
    for _ in 0..n {
        let t = 2.0 * std::f64::consts::PI * next();
        let z = (-2.0 * next().ln()).sqrt() * (2.0 * std::f64::consts::PI * next()).cos();
        let r = RADIUS as f64 * (1.0 + 0.05 * z);
        v.push((r * t.cos()) as f32);
        v.push((r * t.sin()) as f32);
    }
    v
}

/// Train the demo's model: contractive autoencoder, 100 sigmoid hiddens, real output, λ = 2,
/// learning rate 0.01, minibatches of 100, momentum 0.9, on [`circle_points`]. Returns the model and
/// the points. (At radius 3 the reconstruction term outweighs the penalty along the circle while the
/// penalty flattens the map elsewhere; at radius 1 the same trade-off needs a λ between "identity
/// inside the circle" and "collapse to a point", which is a narrow window.)
///
/// # Errors
/// Training errors (none expected for these settings).
pub fn train_circle(seed: u64, epochs: usize) -> Result<(TiedAutoencoder, Vec<f32>)> {
    let pts = circle_points(CIRCLE_POINTS, seed);
    let x = Features::from_vec(pts.clone(), CIRCLE_POINTS, 2)?;
    let model = init_model(100, 2, ActivationKind::Sigmoid, Output::Real, seed)?;
    let cfg = TrainConfig {
        epochs,
        batch_size: 100,
        learning_rate: 0.01,
        momentum: 0.9,
        contractive: 2.0,
        seed,
        metric_rows: 200,
        ..TrainConfig::default()
    };
    let mut t = Trainer::new(model, cfg)?;
    t.fit(&x, None, &mut |_| ControlFlow::Continue(()))?;
    Ok((t.into_model(), pts))
}

/// Per-pixel scores of a `size`² grid over [−EXTENT, EXTENT]² (row 0 at the top, y up).
struct Surfaces {
    size: usize,
    energy: Vec<f64>,
    rec: Vec<f64>,
}

fn pixel_to_xy(size: usize, px: f32, py: f32) -> (f32, f32) {
    let s = size as f32;
    (-EXTENT + 2.0 * EXTENT * (px + 0.5) / s, EXTENT - 2.0 * EXTENT * (py + 0.5) / s)
}

fn xy_to_pixel(size: usize, x: f32, y: f32) -> (f32, f32) {
    let s = size as f32;
    ((x + EXTENT) / (2.0 * EXTENT) * s - 0.5, (EXTENT - y) / (2.0 * EXTENT) * s - 0.5)
}

fn surfaces(model: &TiedAutoencoder, size: usize) -> Result<Surfaces> {
    let mut grid = Vec::with_capacity(size * size * 2);
    for py in 0..size {
        for px in 0..size {
            let (x, y) = pixel_to_xy(size, px as f32, py as f32);
            grid.push(x);
            grid.push(y);
        }
    }
    let view = MatRef::from_row_major(&grid, size * size, 2);
    let energy = model.energy_batch(view).map_err(potential_train::Error::from)?;
    let rec = model.reconstruction_error_batch(view).map_err(potential_train::Error::from)?;
    Ok(Surfaces { size, energy, rec })
}

fn circle(a: CircleArgs) -> Result<()> {
    if !(64..=4096).contains(&a.size) {
        return Err(CliError::Usage(format!("--size {} must be in 64..=4096", a.size)));
    }
    let t0 = std::time::Instant::now();
    let (model, pts) = train_circle(a.seed, a.epochs)?;
    let trained = t0.elapsed().as_secs_f64();
    crate::paths::check_output_dir(&a.out)?;
    let s = surfaces(&model, a.size)?;
    let size = a.size;

    // Data.
    let mut img = Canvas::new(size, [255, 255, 255]);
    img.axes();
    img.scatter(&pts, [40, 70, 160], 2.0);
    img.save(&a.out.join("data.png"))?;

    // Vector field r(x) − x on a coarse grid, over the data.
    let mut img = Canvas::new(size, [255, 255, 255]);
    img.axes();
    img.scatter(&pts, [200, 200, 200], 1.6);
    let cells = 24;
    let mut starts = Vec::with_capacity(cells * cells * 2);
    for j in 0..cells {
        for i in 0..cells {
            let c = size as f32 / cells as f32;
            let (x, y) = pixel_to_xy(size, (i as f32 + 0.5) * c - 0.5, (j as f32 + 0.5) * c - 0.5);
            starts.push(x);
            starts.push(y);
        }
    }
    let field = model
        .vector_field_batch(MatRef::from_row_major(&starts, cells * cells, 2))
        .map_err(potential_train::Error::from)?;
    let max_len =
        field.chunks(2).map(|v| (v[0] * v[0] + v[1] * v[1]).sqrt()).fold(0.0f32, f32::max).max(1e-12);
    let cell_world = 2.0 * EXTENT / cells as f32;
    for (p, v) in starts.chunks(2).zip(field.chunks(2)) {
        // Arrows scaled so the longest spans 0.9 of a cell; direction always shown.
        let len = (v[0] * v[0] + v[1] * v[1]).sqrt();
        let shown = 0.9 * cell_world * (len / max_len).sqrt();
        let (dx, dy) = if len > 0.0 { (v[0] / len * shown, v[1] / len * shown) } else { (0.0, 0.0) };
        let col = colormap(len / max_len);
        img.arrow(p[0] - dx / 2.0, p[1] - dy / 2.0, p[0] + dx / 2.0, p[1] + dy / 2.0, col);
    }
    img.save(&a.out.join("vector_field.png"))?;

    // Energy and reconstruction error surfaces.
    for (name, vals, log) in [("energy.png", &s.energy, false), ("reconstruction_error.png", &s.rec, true)] {
        let mut img = Canvas::new(size, [0, 0, 0]);
        img.heatmap(vals, log);
        img.scatter_ring(&pts, [255, 255, 255]);
        img.axes();
        img.save(&a.out.join(name))?;
    }
    model.save(a.out.join("circle_model.safetensors")).map_err(potential_train::Error::from)?;
    if !a.quiet {
        let f = figure2(&model)?;
        crate::note!(
            "trained in {trained:.2} s; energy: circle {:.4}, centre {:.4}; reconstruction error: circle {:.5}, \
             centre {:.5}, halfway (r = 1.5) {:.5} -> {}",
            f.energy_circle,
            f.energy_centre,
            f.rec_circle,
            f.rec_centre,
            f.rec_half,
            a.out.display()
        );
        let _ = s.size;
    }
    Ok(())
}

/// The quantities of the paper's Figure 2 for a trained circle model.
#[derive(Debug, Clone, Copy)]
pub struct Figure2 {
    /// Mean energy on the circle (radius 3, 360 angles).
    pub energy_circle: f64,
    /// Energy at the centre.
    pub energy_centre: f64,
    /// Mean reconstruction error on the circle.
    pub rec_circle: f64,
    /// Reconstruction error at the centre.
    pub rec_centre: f64,
    /// Mean reconstruction error halfway between centre and circle (radius 1.5).
    pub rec_half: f64,
}

/// Evaluate [`Figure2`] on `model`.
///
/// # Errors
/// Model errors (non-finite results).
pub fn figure2(model: &TiedAutoencoder) -> Result<Figure2> {
    let ring = |r: f32| -> Vec<f32> {
        (0..360)
            .flat_map(|i| {
                let t = (i as f32).to_radians();
                [r * t.cos(), r * t.sin()]
            })
            .collect()
    };
    let mean = |v: Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
    let e = |x: &[f32]| -> Result<Vec<f64>> {
        Ok(model
            .energy_batch(MatRef::from_row_major(x, x.len() / 2, 2))
            .map_err(potential_train::Error::from)?)
    };
    let r = |x: &[f32]| -> Result<Vec<f64>> {
        Ok(model
            .reconstruction_error_batch(MatRef::from_row_major(x, x.len() / 2, 2))
            .map_err(potential_train::Error::from)?)
    };
    let (c1, c5, z) = (ring(RADIUS), ring(0.5 * RADIUS), [0.0f32, 0.0]);
    Ok(Figure2 {
        energy_circle: mean(e(&c1)?),
        energy_centre: e(&z)?[0],
        rec_circle: mean(r(&c1)?),
        rec_centre: r(&z)?[0],
        rec_half: mean(r(&c5)?),
    })
}

/// A viridis-like colour map on t ∈ [0, 1].
fn colormap(t: f32) -> [u8; 3] {
    const STOPS: [[f32; 3]; 7] = [
        [68.0, 1.0, 84.0],
        [68.0, 57.0, 131.0],
        [49.0, 104.0, 142.0],
        [33.0, 145.0, 140.0],
        [53.0, 183.0, 121.0],
        [144.0, 215.0, 67.0],
        [253.0, 231.0, 37.0],
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let x = t * (STOPS.len() - 1) as f32;
    let i = (x as usize).min(STOPS.len() - 2);
    let f = x - i as f32;
    let mut out = [0u8; 3];
    for c in 0..3 {
        out[c] = (STOPS[i][c] * (1.0 - f) + STOPS[i + 1][c] * f).round() as u8;
    }
    out
}

/// A tiny RGB rasteriser: heatmaps, anti-aliased dots, lines and arrows.
struct Canvas {
    size: usize,
    px: Vec<[f32; 3]>,
}

impl Canvas {
    fn new(size: usize, bg: [u8; 3]) -> Self {
        Self { size, px: vec![bg.map(|c| c as f32); size * size] }
    }

    /// Blend `col` into pixel (x, y) with coverage `a`.
    fn blend(&mut self, x: i64, y: i64, col: [u8; 3], a: f32) {
        if x < 0 || y < 0 || x >= self.size as i64 || y >= self.size as i64 || a <= 0.0 {
            return;
        }
        let p = &mut self.px[y as usize * self.size + x as usize];
        let a = a.min(1.0);
        for c in 0..3 {
            p[c] = p[c] * (1.0 - a) + col[c] as f32 * a;
        }
    }

    /// Each pixel coloured by its value, normalised between the 1st and 99th percentile (of log10
    /// values when `log`).
    fn heatmap(&mut self, vals: &[f64], log: bool) {
        let tr: Vec<f64> = vals.iter().map(|&v| if log { v.max(1e-12).log10() } else { v }).collect();
        let mut sorted: Vec<f64> = tr.iter().copied().filter(|v| v.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        if sorted.is_empty() {
            return;
        }
        let lo = sorted[sorted.len() / 100];
        let hi = sorted[sorted.len() * 99 / 100];
        let span = (hi - lo).max(1e-12);
        for (p, &v) in self.px.iter_mut().zip(&tr) {
            *p = colormap(((v - lo) / span) as f32).map(|c| c as f32);
        }
    }

    /// Filled anti-aliased disks of radius `r` pixels at the points.
    fn scatter(&mut self, pts: &[f32], col: [u8; 3], r: f32) {
        for p in pts.chunks(2) {
            let (cx, cy) = xy_to_pixel(self.size, p[0], p[1]);
            let ri = r.ceil() as i64 + 1;
            for dy in -ri..=ri {
                for dx in -ri..=ri {
                    let (x, y) = (cx.round() as i64 + dx, cy.round() as i64 + dy);
                    let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
                    self.blend(x, y, col, r + 0.5 - d);
                }
            }
        }
    }

    /// Faint single-pixel marks of the data (over a heatmap).
    fn scatter_ring(&mut self, pts: &[f32], col: [u8; 3]) {
        for p in pts.chunks(2) {
            let (cx, cy) = xy_to_pixel(self.size, p[0], p[1]);
            self.blend(cx.round() as i64, cy.round() as i64, col, 0.6);
        }
    }

    /// An anti-aliased line of width ≈ 1.5 px between two points in data coordinates.
    fn line(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, col: [u8; 3]) {
        let (a0, b0) = xy_to_pixel(self.size, x0, y0);
        let (a1, b1) = xy_to_pixel(self.size, x1, y1);
        let len = ((a1 - a0).powi(2) + (b1 - b0).powi(2)).sqrt();
        let steps = (len * 2.0).ceil().max(1.0) as usize;
        for s in 0..=steps {
            let t = s as f32 / steps as f32;
            let (x, y) = (a0 + (a1 - a0) * t, b0 + (b1 - b0) * t);
            for dy in -1..=1 {
                for dx in -1..=1 {
                    let (px, py) = (x.round() as i64 + dx, y.round() as i64 + dy);
                    let d = ((px as f32 - x).powi(2) + (py as f32 - y).powi(2)).sqrt();
                    self.blend(px, py, col, (1.25 - d).min(1.0) * 0.6);
                }
            }
        }
    }

    /// A line with a head at (x1, y1).
    fn arrow(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, col: [u8; 3]) {
        self.line(x0, y0, x1, y1, col);
        let (dx, dy) = (x1 - x0, y1 - y0);
        let len = (dx * dx + dy * dy).sqrt();
        if len <= 0.0 {
            return;
        }
        let head = 0.35 * len;
        let (ux, uy) = (dx / len, dy / len);
        for s in [-1.0f32, 1.0] {
            // ±25° around the reversed direction.
            let (c, sn) = (0.906f32, 0.423f32 * s);
            let (hx, hy) = (-(ux * c - uy * sn), -(ux * sn + uy * c));
            self.line(x1, y1, x1 + hx * head, y1 + hy * head, col);
        }
    }

    /// Thin grey axes through the origin, with ticks at ±RADIUS.
    fn axes(&mut self) {
        let g = [128, 128, 128];
        let (ox, oy) = xy_to_pixel(self.size, 0.0, 0.0);
        for i in 0..self.size as i64 {
            self.blend(i, oy.round() as i64, g, 0.35);
            self.blend(ox.round() as i64, i, g, 0.35);
        }
        for t in [-RADIUS, RADIUS] {
            let (tx, ty) = xy_to_pixel(self.size, t, t);
            for d in -4..=4 {
                self.blend(tx.round() as i64, oy.round() as i64 + d, g, 0.8);
                self.blend(ox.round() as i64 + d, ty.round() as i64, g, 0.8);
            }
        }
    }

    /// Write the picture as a PNG, atomically.
    fn save(&self, path: &Path) -> Result<()> {
        let data: Vec<u8> =
            self.px.iter().flat_map(|p| p.map(|c| c.round().clamp(0.0, 255.0) as u8)).collect();
        Ok(potential_data::write_png(path, self.size, self.size, potential_data::PngColor::Rgb, &data)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The paper's Figure 2 on the seeded trained model: the energy is higher on the circle than at
    /// the centre, while the reconstruction error at the centre is about as low as on the circle
    /// (both far below the error halfway between them), so reconstruction error cannot tell the
    /// attractor (the circle) from the repeller (the centre) and the energy can.
    #[test]
    fn figure2_energy_separates_what_reconstruction_error_cannot() {
        let (model, _) = train_circle(1, CIRCLE_EPOCHS).unwrap();
        let f = figure2(&model).unwrap();
        crate::note!("{f:?}");
        assert!(f.energy_circle > f.energy_centre + 0.05, "{f:?}");
        assert!(f.rec_centre < 3.0 * f.rec_circle + 1e-3, "{f:?}");
        assert!(f.rec_half > 5.0 * f.rec_centre.max(f.rec_circle), "{f:?}");
        // The centre is a source (ΔE > 0 there), the circle absorbing (ΔE < 0).
        assert!(model.laplacian(&[0.0, 0.0]).unwrap() > 0.0);
        assert!(model.laplacian(&[RADIUS, 0.0]).unwrap() < 0.0);
    }

    #[test]
    fn circle_demo_writes_readable_pngs() {
        let dir = tempfile::tempdir().unwrap();
        let args = CircleArgs { out: dir.path().to_owned(), seed: 2, epochs: 20, size: 96, quiet: true };
        circle(args).unwrap();
        for name in ["data.png", "vector_field.png", "energy.png", "reconstruction_error.png"] {
            let f = std::fs::File::open(dir.path().join(name)).unwrap();
            let mut dec = png::Decoder::new(std::io::BufReader::new(f)).read_info().unwrap();
            let mut buf = vec![0; dec.output_buffer_size().unwrap()];
            let info = dec.next_frame(&mut buf).unwrap();
            assert_eq!((info.width, info.height), (96, 96));
            // Not a blank image.
            let first = &buf[..3];
            assert!(buf.chunks(3).any(|p| p != first), "{name} is blank");
        }
        assert!(TiedAutoencoder::load(dir.path().join("circle_model.safetensors")).is_ok());
    }
}
