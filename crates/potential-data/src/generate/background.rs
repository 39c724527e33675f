//! Grey natural images, 28×28 patches cut from them, and the rule that lays a digit over a background.

#[cfg(feature = "images")]
use std::path::Path;
use std::path::PathBuf;

use super::error::GenerateError;
use super::rng::{below, unit, SampleRng};
use super::{PIXELS, SIDE};

/// Patches whose pixel variance (population variance of the 784 grey values in [0, 1]) is below
/// this are rejected as "containing little texture". 0.002 is a standard deviation of about 0.045,
/// i.e. 11 grey levels out of 255: it drops flat sky, black space and blank paper while keeping
/// smooth gradients and fine texture. The original threshold was never published.
pub const MIN_PATCH_VARIANCE: f64 = 0.002;

/// Attempts per patch before giving up with [`GenerateError::NoTexturedPatch`].
pub const MAX_PATCH_ATTEMPTS: usize = 10_000;

/// One grey image, values in [0, 1], row-major.
#[derive(Clone, Debug)]
pub struct GreyImage {
    /// Where it came from (for messages), or a name given by the caller.
    pub name: String,
    /// Width in pixels (≥ 28).
    pub width: usize,
    /// Height in pixels (≥ 28).
    pub height: usize,
    /// `width × height` grey values in [0, 1].
    pub pixels: Vec<f32>,
}

/// ITU-R BT.601 luma of a linear-coded RGB triple in [0, 1]: 0.299 R + 0.587 G + 0.114 B.
#[inline]
pub fn luma_bt601(r: f32, g: f32, b: f32) -> f32 {
    (0.299 * r + 0.587 * g + 0.114 * b).clamp(0.0, 1.0)
}

/// Population variance of a patch, accumulated in f64.
pub fn patch_variance(patch: &[f32]) -> f64 {
    let n = patch.len() as f64;
    let mean = patch.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    patch.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / n
}

/// The background images patches are cut from, in a fixed order (file names sorted bytewise), so
/// that the same folder and seed give the same patches.
#[derive(Clone, Debug)]
pub struct BackgroundPool {
    images: Vec<GreyImage>,
}

impl BackgroundPool {
    /// A pool from images already in memory.
    ///
    /// # Errors
    /// [`GenerateError::NoBackgrounds`] if `images` is empty, [`GenerateError::BackgroundTooSmall`] if one
    /// is smaller than 28×28 or its pixel count does not match its size.
    pub fn from_images(images: Vec<GreyImage>) -> Result<Self, GenerateError> {
        if images.is_empty() {
            return Err(GenerateError::NoBackgrounds { dir: PathBuf::new() });
        }
        for im in &images {
            if im.width < SIDE || im.height < SIDE || im.pixels.len() != im.width * im.height {
                return Err(GenerateError::BackgroundTooSmall {
                    name: im.name.clone(),
                    width: im.width,
                    height: im.height,
                });
            }
        }
        Ok(Self { images })
    }

    /// Loads every `.png`, `.jpg` and `.jpeg` file directly inside `dir` (not recursing), sorted by
    /// file name, converting colour to grey with [`luma_bt601`] (8- and 16-bit images scaled to
    /// [0, 1], alpha ignored).
    ///
    /// Needs the `images` feature (the `image` crate decodes the files).
    ///
    /// # Errors
    /// [`GenerateError::Io`] if the folder cannot be listed, [`GenerateError::Image`] if a file does not
    /// decode, [`GenerateError::NoBackgrounds`] if there is no image, [`GenerateError::BackgroundTooSmall`].
    #[cfg(feature = "images")]
    pub fn load_dir(dir: impl AsRef<Path>) -> Result<Self, GenerateError> {
        let dir = dir.as_ref();
        let io = |source| GenerateError::Io { path: dir.to_path_buf(), source };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
            if path.is_file() && matches!(ext.as_deref(), Some("png" | "jpg" | "jpeg")) {
                paths.push(path);
            }
        }
        paths.sort();
        if paths.is_empty() {
            return Err(GenerateError::NoBackgrounds { dir: dir.to_path_buf() });
        }
        let images = paths.iter().map(|p| load_grey(p)).collect::<Result<Vec<_>, _>>()?;
        Self::from_images(images)
    }

    /// The images, in pool order.
    pub fn images(&self) -> &[GreyImage] {
        &self.images
    }

    /// Draws a textured 28×28 patch into `out`: image `below(n_images)`, then top row
    /// `below(height − 27)`, then left column `below(width − 27)`; repeated until the patch's
    /// [`patch_variance`] is at least [`MIN_PATCH_VARIANCE`]. Returns (image index, top, left).
    ///
    /// # Errors
    /// [`GenerateError::NoTexturedPatch`] after [`MAX_PATCH_ATTEMPTS`] rejected draws.
    ///
    /// # Panics
    /// If `out` is not 784 long.
    pub fn sample_patch(
        &self,
        rng: &mut SampleRng,
        out: &mut [f32],
    ) -> Result<(usize, usize, usize), GenerateError> {
        assert_eq!(out.len(), PIXELS, "sample_patch: out must be 28×28");
        for _ in 0..MAX_PATCH_ATTEMPTS {
            let k = below(rng, self.images.len() as u64) as usize;
            let im = &self.images[k];
            let top = below(rng, (im.height - SIDE + 1) as u64) as usize;
            let left = below(rng, (im.width - SIDE + 1) as u64) as usize;
            for r in 0..SIDE {
                let row = (top + r) * im.width + left;
                out[r * SIDE..(r + 1) * SIDE].copy_from_slice(&im.pixels[row..row + SIDE]);
            }
            if patch_variance(out) >= MIN_PATCH_VARIANCE {
                return Ok((k, top, left));
            }
        }
        Err(GenerateError::NoTexturedPatch { attempts: MAX_PATCH_ATTEMPTS })
    }
}

#[cfg(feature = "images")]
fn load_grey(path: &Path) -> Result<GreyImage, GenerateError> {
    let img =
        image::open(path).map_err(|source| GenerateError::Image { path: path.to_path_buf(), source })?;
    let rgb = img.to_rgb32f();
    let (width, height) = (rgb.width() as usize, rgb.height() as usize);
    let pixels = rgb.pixels().map(|p| luma_bt601(p.0[0], p.0[1], p.0[2])).collect();
    Ok(GreyImage { name: path.display().to_string(), width, height, pixels })
}

/// Fills `out` with a background of independent pixels, each `unit()` (uniform in [0, 1)), in
/// row-major order — the `mnist-back-rand` background.
///
/// # Panics
/// If `out` is not 784 long.
pub fn uniform_noise(rng: &mut SampleRng, out: &mut [f32]) {
    assert_eq!(out.len(), PIXELS, "uniform_noise: out must be 28×28");
    for v in out {
        *v = unit(rng) as f32;
    }
}

/// How a digit (white strokes on black, values in [0, 1]) is laid over a background. The original
/// rule was never published; [`Composite::Max`] is the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Composite {
    /// `max(digit, background)`: strokes always show at least their own brightness, anti-aliased
    /// edges blend into the background without a dark halo.
    #[default]
    Max,
    /// `digit` wherever `digit > 0`, else `background`: the digit replaces the background, the
    /// anti-aliased rim included (a dark halo where the background is bright).
    Replace,
}

impl Composite {
    /// The rule's command-line name: `max` or `replace`.
    pub fn name(self) -> &'static str {
        match self {
            Composite::Max => "max",
            Composite::Replace => "replace",
        }
    }

    /// Lays `digit` over `background` in place (`background` becomes the result).
    ///
    /// # Panics
    /// If the lengths differ.
    pub fn apply(self, digit: &[f32], background: &mut [f32]) {
        assert_eq!(digit.len(), background.len(), "Composite::apply: length mismatch");
        for (b, &d) in background.iter_mut().zip(digit) {
            *b = match self {
                Composite::Max => b.max(d),
                Composite::Replace if d > 0.0 => d,
                Composite::Replace => *b,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::rng::{stream, Stream};

    /// A 64×64 image: left half flat 0.5, right half a checkerboard of 0 and 1.
    fn half_flat() -> GreyImage {
        let pixels = (0..64 * 64)
            .map(|i| {
                let (r, c) = (i / 64, i % 64);
                if c < 32 {
                    0.5
                } else {
                    ((r + c) % 2) as f32
                }
            })
            .collect();
        GreyImage { name: "half".into(), width: 64, height: 64, pixels }
    }

    #[test]
    fn patches_below_the_variance_threshold_are_rejected() {
        let pool = BackgroundPool::from_images(vec![half_flat()]).unwrap();
        let mut patch = vec![0.0; PIXELS];
        let mut saw_partial = false;
        for i in 0..300 {
            let mut rng = stream(1, 0, i, Stream::Background);
            let (_, _, left) = pool.sample_patch(&mut rng, &mut patch).unwrap();
            assert!(patch_variance(&patch) >= MIN_PATCH_VARIANCE);
            // A patch starting at column ≥ 32 - 28 + 1 = 5 reaches into the checkerboard.
            assert!(left >= 5, "flat patch accepted at column {left}");
            saw_partial |= left < 32;
        }
        assert!(saw_partial);
    }

    #[test]
    fn a_flat_pool_fails_with_a_typed_error() {
        let flat = GreyImage { name: "flat".into(), width: 30, height: 30, pixels: vec![0.3; 900] };
        let pool = BackgroundPool::from_images(vec![flat]).unwrap();
        let mut rng = stream(1, 0, 0, Stream::Background);
        let err = pool.sample_patch(&mut rng, &mut vec![0.0; PIXELS]).unwrap_err();
        assert!(matches!(err, GenerateError::NoTexturedPatch { .. }), "{err}");
    }

    #[test]
    fn small_images_are_refused() {
        let tiny = GreyImage { name: "tiny".into(), width: 27, height: 40, pixels: vec![0.0; 27 * 40] };
        assert!(matches!(
            BackgroundPool::from_images(vec![tiny]),
            Err(GenerateError::BackgroundTooSmall { width: 27, .. })
        ));
        assert!(matches!(BackgroundPool::from_images(vec![]), Err(GenerateError::NoBackgrounds { .. })));
    }

    #[test]
    fn luma_weights_sum_to_one() {
        assert!((luma_bt601(1.0, 1.0, 1.0) - 1.0).abs() < 1e-6);
        assert_eq!(luma_bt601(0.0, 0.0, 0.0), 0.0);
        assert!((luma_bt601(1.0, 0.0, 0.0) - 0.299).abs() < 1e-6);
    }

    #[test]
    fn composite_rules() {
        let digit = [0.0, 0.2, 1.0];
        let mut bg = [0.7, 0.7, 0.7];
        Composite::Max.apply(&digit, &mut bg);
        assert_eq!(bg, [0.7, 0.7, 1.0]);
        let mut bg = [0.7, 0.7, 0.7];
        Composite::Replace.apply(&digit, &mut bg);
        assert_eq!(bg, [0.7, 0.2, 1.0]);
    }
}
