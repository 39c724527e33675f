//! Writing generated sets: `.npy` per split, `.amat` as in the original distribution, a preview grid.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::error::GenerateError;
use super::generator::{Generator, Samples};
use super::set::Split;
use super::PIXELS;
#[cfg(feature = "images")]
use super::SIDE;
use crate::{write_npy_f32, write_npy_labels, AtomicFile};

/// The file format of a generated set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutputFormat {
    /// `{train,valid,test}_images.npy` (`<f4` `[n, 784]`) and `{train,valid,test}_labels.npy`
    /// (`|u1` `[n]`).
    #[default]
    Npy,
    /// `train.amat` (training rows then validation rows, the original convention) and `test.amat`:
    /// one line per sample, 784 values then the label, separated by single spaces.
    Amat,
}

impl FromStr for OutputFormat {
    type Err = GenerateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "npy" => Ok(OutputFormat::Npy),
            "amat" => Ok(OutputFormat::Amat),
            other => Err(GenerateError::Invalid {
                what: "format",
                reason: format!("`{other}` (expected npy or amat)"),
            }),
        }
    }
}

/// What [`write_set`] wrote.
#[derive(Clone, Debug)]
pub struct WrittenSet {
    /// The set's folder (`out/SET`).
    pub dir: PathBuf,
    /// The files, in writing order.
    pub files: Vec<PathBuf>,
    /// Samples per split.
    pub counts: [(Split, usize); 3],
}

/// Generates the first `limit` samples (all if `None`) of each split of `generator`'s set and writes
/// them under `out/SET/` in `format`, atomically per file. `progress(k)` is called as samples are done.
///
/// # Errors
/// The generator's errors; [`GenerateError::Io`] if the folder cannot be created;
/// [`GenerateError::Data`] from the `.npy` writer.
pub fn write_set(
    generator: &Generator<'_>,
    out: &Path,
    format: OutputFormat,
    limit: Option<usize>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<WrittenSet, GenerateError> {
    let dir = out.join(generator.set().name());
    std::fs::create_dir_all(&dir).map_err(|source| GenerateError::Io { path: dir.clone(), source })?;
    let sizes = generator.sizes().limited(limit.unwrap_or(usize::MAX));
    let mut files = Vec::new();
    let mut generated = Vec::new();
    for split in Split::ALL {
        let samples = generator.generate(split, sizes.get(split), progress)?;
        if format == OutputFormat::Npy {
            files.extend(write_npy_split(&dir, split, &samples)?);
        } else {
            generated.push(samples);
        }
    }
    if format == OutputFormat::Amat {
        let (train, valid, test) = (&generated[0], &generated[1], &generated[2]);
        let train_path = dir.join("train.amat");
        write_amat(&train_path, [train, valid])?;
        let test_path = dir.join("test.amat");
        write_amat(&test_path, [test])?;
        files.extend([train_path, test_path]);
    }
    let counts = Split::ALL.map(|s| (s, sizes.get(s)));
    Ok(WrittenSet { dir, files, counts })
}

/// Writes `dir/{split}_images.npy` (`<f4` `[n, 784]`) and `dir/{split}_labels.npy` (`|u1` `[n]`);
/// returns both paths.
///
/// # Errors
/// The `.npy` writer's errors ([`GenerateError::Data`]).
pub fn write_npy_split(dir: &Path, split: Split, samples: &Samples) -> Result<[PathBuf; 2], GenerateError> {
    let images = dir.join(format!("{}_images.npy", split.name()));
    let labels = dir.join(format!("{}_labels.npy", split.name()));
    write_npy_f32(&images, &samples.images, &[samples.len(), PIXELS])?;
    let wide: Vec<u32> = samples.labels.iter().map(|&l| u32::from(l)).collect();
    write_npy_labels(&labels, &wide)?;
    Ok([images, labels])
}

/// Writes samples as `.amat` text, atomically: per sample one line of 784 values (Rust's shortest
/// round-trip `f32` formatting, e.g. `0`, `0.5019608`, `1`) and the integer label, single spaces
/// between, `\n` at the end; the parts in order.
///
/// # Errors
/// [`GenerateError::Data`] ([`crate::DataError::Io`]) on a write failure.
pub fn write_amat<'s>(
    path: &Path,
    parts: impl IntoIterator<Item = &'s Samples>,
) -> Result<(), GenerateError> {
    let mut file = AtomicFile::create(path)?;
    let io = |source| GenerateError::Io { path: path.to_path_buf(), source };
    let mut line = String::with_capacity(PIXELS * 12);
    for samples in parts {
        for i in 0..samples.len() {
            line.clear();
            for v in samples.image(i) {
                use std::fmt::Write as _;
                // Writing to a String cannot fail.
                let _ = write!(line, "{v} ");
            }
            line.push_str(&samples.labels[i].to_string());
            line.push('\n');
            file.writer().write_all(line.as_bytes()).map_err(io)?;
        }
    }
    file.commit()?;
    Ok(())
}

/// A preview: the first `rows × cols` samples as a grey PNG (white = 1), each 28×28 image scaled
/// by `scale` and separated by a 1-pixel mid-grey border; labels are not drawn. Written atomically
/// ([`crate::write_png`]).
///
/// Needs the `images` feature.
///
/// # Errors
/// [`GenerateError::Data`] if the PNG cannot be written.
#[cfg(feature = "images")]
pub fn write_grid_png(
    path: &Path,
    samples: &Samples,
    rows: usize,
    cols: usize,
    scale: usize,
) -> Result<(), GenerateError> {
    let cell = SIDE * scale + 1;
    let (w, h) = (cols * cell + 1, rows * cell + 1);
    let mut img = vec![128u8; w * h];
    for k in 0..samples.len().min(rows * cols) {
        let (gr, gc) = (k / cols, k % cols);
        for (p, &v) in samples.image(k).iter().enumerate() {
            let value = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            for dy in 0..scale {
                for dx in 0..scale {
                    let x = gc * cell + 1 + (p % SIDE) * scale + dx;
                    let y = gr * cell + 1 + (p / SIDE) * scale + dy;
                    img[y * w + x] = value;
                }
            }
        }
    }
    Ok(crate::write_png(path, w, h, crate::PngColor::Grey, &img)?)
}
