//! `potential data`: `info`, `convert`, `fetch`, and `generate` (in `cmd/generate.rs`).

use crate::error::{CliError, Result};
use potential_data::{
    companion_labels_path, detect_format, for_each_amat_row, label_histogram, labels_path_for, open_features,
    open_labels, read_amat, read_digits_csv, write_npy_f32, write_npy_labels, DataError, Features,
    FetchEvent, FetchOptions, Format, NpyRowWriter,
};
use std::path::{Path, PathBuf};

/// Arguments of `potential data`.
#[derive(clap::Args, Debug)]
pub struct DataArgs {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(clap::Subcommand, Debug)]
enum DataCommand {
    /// Describe a data file: format, rows n, dimensions d, value range, label histogram; optionally
    /// draw sample images as a grid PNG.
    ///
    /// Formats (detected from the first bytes, then the extension): NumPy .npy, MNIST IDX (raw or
    /// .gz), Larochelle .amat (raw, .gz or inside a .zip), UCI digits .csv (raw or .gz).
    Info(InfoArgs),
    /// Convert a data file to .npy (f32 [n, d], payload 64-byte aligned, written atomically); its
    /// labels, if any, go to OUT-labels.npy. .amat input is streamed in constant memory.
    Convert(ConvertArgs),
    /// Download a dataset with checksum verification, resumably and atomically.
    Fetch(FetchArgs),
    /// Generate a set of the Larochelle et al. (2007) benchmark from MNIST and background images.
    Generate(super::generate::GenerateArgs),
}

/// Arguments of `potential data info`.
#[derive(clap::Args, Debug)]
struct InfoArgs {
    /// The data file.
    path: PathBuf,
    /// Labels file (.npy, IDX labels). Default: the labels inside .amat/.csv, or the companion file
    /// (X-labels.npy for X.npy, *-labels-idx1-ubyte for *-images-idx3-ubyte).
    #[arg(long)]
    labels: Option<PathBuf>,
    /// Write the first samples as a grid of grey images to this PNG.
    #[arg(long, value_name = "OUT.png")]
    grid: Option<PathBuf>,
    /// Number of samples in the grid.
    #[arg(long, default_value_t = 100)]
    grid_count: usize,
    /// Image shape HxW (default: square side √d, e.g. 8x8 digits, 28x28 MNIST).
    #[arg(long, value_name = "HxW")]
    shape: Option<String>,
}

/// Arguments of `potential data convert`.
#[derive(clap::Args, Debug)]
struct ConvertArgs {
    /// Input data file (.npy, IDX, .amat, .csv).
    input: PathBuf,
    /// Output features .npy.
    output: PathBuf,
    /// Labels file for inputs without labels inside (IDX, .npy). Default: the companion file if any.
    #[arg(long)]
    labels: Option<PathBuf>,
    /// Where to write the labels (default: OUT-labels.npy next to OUT.npy).
    #[arg(long)]
    labels_out: Option<PathBuf>,
}

/// Datasets `fetch` knows.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum FetchSet {
    /// The four MNIST .gz files (train/t10k images and labels).
    Mnist,
}

/// Arguments of `potential data fetch`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Plain http:// only (no TLS). Each file is verified against the md5 and sha256 of its \
decompressed payload in crates/potential-data/data/mnist/checksums.txt (compiled in); an interrupted transfer is kept as \
<file>.gz.part and resumed with an HTTP Range request on the next run."
)]
struct FetchArgs {
    /// The dataset.
    set: FetchSet,
    /// Destination folder.
    #[arg(long)]
    dir: PathBuf,
    /// Base URL of a mirror holding the FILE.gz files (plain http:// only).
    #[arg(long, default_value = "http://yann.lecun.com/exdb/mnist/")]
    base_url: String,
    /// Connect/read timeout in seconds (each read of the connection).
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Longest time in seconds the whole fetch may take: a server trickling bytes slowly enough
    /// to never trip --timeout is cut off here (the partial file is kept; run again to resume).
    #[arg(long, default_value_t = 1800)]
    deadline: u64,
}

/// Run `potential data`.
pub fn run(args: DataArgs) -> Result<()> {
    match args.command {
        DataCommand::Info(a) => info(a),
        DataCommand::Convert(a) => convert(a),
        DataCommand::Fetch(a) => fetch(a),
        DataCommand::Generate(a) => super::generate::run(a),
    }
}

/// Labels for `path`: explicit, inside the file, or the companion file; `None` when there are none.
fn find_labels(path: &Path, format: Format, explicit: Option<&Path>) -> Result<Option<(Vec<u32>, PathBuf)>> {
    if let Some(l) = explicit {
        return Ok(Some((open_labels(l)?, l.to_path_buf())));
    }
    if matches!(format, Format::Amat | Format::Csv) {
        return Ok(Some((open_labels(path)?, path.to_path_buf())));
    }
    match companion_labels_path(path) {
        Some(l) => Ok(Some((open_labels(&l)?, l))),
        None => Ok(None),
    }
}

fn check_lengths(path: &Path, f: &Features, labels: &[u32], lpath: &Path) -> Result<()> {
    if f.n() != labels.len() {
        return Err(DataError::LengthMismatch {
            features_path: path.into(),
            features: f.n(),
            labels_path: lpath.into(),
            labels: labels.len(),
        }
        .into());
    }
    Ok(())
}

fn info(a: InfoArgs) -> Result<()> {
    if let Some(g) = &a.grid {
        let mut inputs = vec![a.path.as_path()];
        inputs.extend(a.labels.as_deref());
        crate::paths::check_output(g, &inputs)?;
    }
    let format = detect_format(&a.path)?;
    // The report is built first and written once, so a closed pipe (`| head -1`) ends the program
    // quietly instead of panicking in println!.
    let mut out = String::new();
    macro_rules! outln {
        ($o:expr, $($t:tt)*) => {{
            use std::fmt::Write as _;
            // Writing to a String cannot fail.
            let _ = writeln!($o, $($t)*);
        }};
    }
    let (f, labels) = match format {
        Format::Amat if a.labels.is_none() => {
            let (f, l) = read_amat(&a.path)?;
            (f, Some((l, a.path.clone())))
        }
        Format::Csv if a.labels.is_none() => {
            let (f, l) = read_digits_csv(&a.path)?;
            (f, Some((l, a.path.clone())))
        }
        _ => (open_features(&a.path)?, find_labels(&a.path, format, a.labels.as_deref())?),
    };
    outln!(out, "file:    {}", a.path.display());
    outln!(out, "format:  {format:?}");
    outln!(out, "n:       {}", f.n());
    outln!(out, "d:       {}", f.d());
    if let Some((lo, hi)) = f.value_range() {
        let mean = f.as_slice().iter().map(|&v| v as f64).sum::<f64>() / f.as_slice().len().max(1) as f64;
        outln!(out, "values:  min {lo}, max {hi}, mean {mean:.6}");
    }
    match &labels {
        Some((l, lpath)) => {
            check_lengths(&a.path, &f, l, lpath)?;
            // One line per class up to the largest label: a stray huge label is an error, not
            // millions of empty classes.
            if let Some((row, label)) = potential_data::label_beyond_classes(l) {
                return Err(potential_data::DataError::BadLabel {
                    path: lpath.clone(),
                    row,
                    value: f64::from(label),
                    max: (l.len().max(potential_data::MAX_CLASSES) - 1) as u32,
                }
                .into());
            }
            let hist = label_histogram(l);
            outln!(out, "labels:  {} ({} classes)", lpath.display(), hist.len());
            for (c, k) in hist.iter().enumerate() {
                outln!(out, "  {c:>4}: {k}");
            }
        }
        None => outln!(out, "labels:  none found (give --labels)"),
    }
    if let Some(png) = &a.grid {
        let (h, w) = image_shape(f.d(), a.shape.as_deref())?;
        write_grid(&f, h, w, a.grid_count, png)?;
        outln!(out, "grid:    {} ({} samples of {h}x{w})", png.display(), a.grid_count.min(f.n()));
    }
    crate::output::print_stdout(&out)
}

/// The image shape: `HxW` if given, else the square side when `d` is a perfect square.
pub(crate) fn image_shape(d: usize, shape: Option<&str>) -> Result<(usize, usize)> {
    if let Some(s) = shape {
        let parsed = s
            .split_once(['x', 'X'])
            .and_then(|(h, w)| Some((h.parse::<usize>().ok()?, w.parse::<usize>().ok()?)));
        return match parsed {
            Some((h, w)) if h > 0 && h.checked_mul(w) == Some(d) => Ok((h, w)),
            _ => Err(CliError::Usage(format!("--shape {s}: expected HxW with H*W = d = {d}"))),
        };
    }
    let side = (d as f64).sqrt().round() as usize;
    if side * side == d {
        Ok((side, side))
    } else {
        Err(CliError::Usage(format!("d = {d} is not a square: give the image shape with --shape HxW")))
    }
}

/// Draw the first `count` rows as a near-square grid of h×w grey tiles, 1-pixel gaps, each tile
/// upscaled so it is at least 28 pixels high. Values in [0, 1] map to 0..255 directly; data outside
/// [0, 1] is min-max scaled over the samples drawn.
fn write_grid(f: &Features, h: usize, w: usize, count: usize, out: &Path) -> Result<()> {
    let count = count.min(f.n());
    if count == 0 {
        return Err(CliError::Usage("no rows to draw".into()));
    }
    let cols = (count as f64).sqrt().ceil() as usize;
    let rows = count.div_ceil(cols);
    let scale = 28usize.div_ceil(h).max(1);
    let (th, tw) = (h * scale, w * scale);
    let (img_h, img_w) = (rows * (th + 1) + 1, cols * (tw + 1) + 1);
    let sample = &f.as_slice()[..count * f.d()];
    let (lo, hi) = sample.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let (lo, hi) = if lo >= 0.0 && hi <= 1.0 { (0.0, 1.0) } else { (lo, hi.max(lo + f32::EPSILON)) };
    let mut px = vec![64u8; img_h * img_w];
    for i in 0..count {
        let (r, c) = (i / cols, i % cols);
        let row = f.row(i);
        for y in 0..th {
            for x in 0..tw {
                let v = (row[(y / scale) * w + x / scale] - lo) / (hi - lo);
                let (py, pxx) = (1 + r * (th + 1) + y, 1 + c * (tw + 1) + x);
                px[py * img_w + pxx] = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            }
        }
    }
    Ok(potential_data::write_png(out, img_w, img_h, potential_data::PngColor::Grey, &px)?)
}

fn convert(a: ConvertArgs) -> Result<()> {
    let format = detect_format(&a.input)?;
    let labels_out = a.labels_out.clone().unwrap_or_else(|| labels_path_for(&a.output));
    let mut inputs = vec![a.input.as_path()];
    inputs.extend(a.labels.as_deref());
    crate::paths::check_output(&a.output, &inputs)?;
    crate::paths::check_output(&labels_out, &inputs)?;
    if crate::paths::same_file(&labels_out, &a.output) {
        return Err(CliError::Usage(format!(
            "the labels ({}) and the features ({}) would be the same file: choose two names",
            labels_out.display(),
            a.output.display()
        )));
    }
    if format == Format::Amat && a.labels.is_none() {
        // Streamed: one row in memory at a time (plus 4 bytes per label).
        let mut writer: Option<NpyRowWriter> = None;
        let mut labels = Vec::new();
        let summary = for_each_amat_row(&a.input, |row, l| {
            let w = match &mut writer {
                Some(w) => w,
                None => writer.insert(NpyRowWriter::create(&a.output, row.len())?),
            };
            w.push_row(row)?;
            labels.push(l);
            Ok(())
        })?;
        let Some(w) = writer else {
            return Err(CliError::Usage(format!("{}: no rows to convert", a.input.display())));
        };
        w.finish()?;
        write_npy_labels(&labels_out, &labels)?;
        crate::note!("{}: {} x {} -> {}", a.input.display(), summary.n, summary.d, a.output.display());
        crate::note!("labels -> {}", labels_out.display());
        return Ok(());
    }
    let f = open_features(&a.input)?;
    let labels = find_labels(&a.input, format, a.labels.as_deref())?;
    if let Some((l, lpath)) = &labels {
        check_lengths(&a.input, &f, l, lpath)?;
    }
    write_npy_f32(&a.output, f.as_slice(), &[f.n(), f.d()])?;
    crate::note!("{}: {} x {} -> {}", a.input.display(), f.n(), f.d(), a.output.display());
    if let Some((l, _)) = labels {
        write_npy_labels(&labels_out, &l)?;
        crate::note!("labels -> {}", labels_out.display());
    }
    Ok(())
}

fn fetch(a: FetchArgs) -> Result<()> {
    match a.set {
        FetchSet::Mnist => {}
    }
    crate::paths::check_output_dir(&a.dir)?;
    let mut opts = FetchOptions::new(a.base_url.clone(), a.dir.clone());
    opts.timeout = std::time::Duration::from_secs(a.timeout.max(1));
    opts.deadline = Some(std::time::Duration::from_secs(a.deadline.max(1)));
    let style =
        indicatif::ProgressStyle::with_template("{msg:28} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
            .expect("static template")
            .progress_chars("=> ");
    let mut bar: Option<indicatif::ProgressBar> = None;
    let paths = potential_data::fetch_mnist(&opts, &mut |e| match e {
        FetchEvent::AlreadyPresent { file } => crate::note!("{file}: present and verified"),
        FetchEvent::Start { file, resumed_from, total } => {
            let b = indicatif::ProgressBar::new(total.unwrap_or(0)).with_style(style.clone());
            b.set_message(file.to_string());
            b.set_position(resumed_from);
            if resumed_from > 0 {
                b.println(format!("{file}: resuming from byte {resumed_from}"));
            }
            bar = Some(b);
        }
        FetchEvent::Progress { done, .. } => {
            if let Some(b) = &bar {
                b.set_position(done);
            }
        }
        FetchEvent::Done { file } => {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
            crate::note!("{file}: downloaded and verified");
        }
        _ => {}
    });
    if let Some(b) = bar.take() {
        b.abandon();
    }
    let paths = paths?;
    for p in paths {
        crate::outln!("{}", p.display());
    }
    Ok(())
}
