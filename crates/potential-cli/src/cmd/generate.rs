//! `potential data generate`: the Larochelle et al. (2007) benchmark sets, generated.

use std::path::PathBuf;
use std::time::Instant;

use potential_data::generate::{
    write_grid_png, write_set, BackgroundPool, BenchmarkSet, Composite, Generator, MnistPool, OutputFormat,
    Sources, Split,
};

use crate::error::{CliError, Result};

/// The long help of `potential data generate`, after the options.
const LONG_HELP: &str = "\
Files: writes OUT/SET/{train,valid,test}_images.npy (f32 little-endian, C order, shape [n, 784]: 28x28 images \
row by row, values in [0, 1]) and OUT/SET/{train,valid,test}_labels.npy (u8 [n]). With --format amat: \
OUT/SET/train.amat (the training rows, then the validation rows, as in the original files) and \
OUT/SET/test.amat, one sample per line: 784 values, then the label.

Sets (train/valid/test): mnist-basic, mnist-rot, mnist-back-rand, mnist-back-image, \
mnist-rot-back-image (10000/2000/50000, labels 0-9); rectangles (1000/200/50000, label 1 = taller than \
wide); rectangles-image (10000/2000/50000, same labels); convex (6000/2000/50000, label 1 = convex).

Recipes: 62000 distinct MNIST digits (the training and test files pooled, seeded permutation); \
rotation uniform in [0, 2pi), bilinear; backgrounds are uniform noise or grey 28x28 patches of the \
background images (BT.601 luma, patches with pixel variance below 0.002 rejected); a digit is laid over \
its background by max(digit, background) unless --composite replace; rectangles have sides uniform \
on 1..=28 with |h - w| >= 3; convex regions are intersections of geometric(0.195) random half-planes \
(>= 19 pixels), non-convex ones unions of 2-4 regions of geometric(0.07) half-planes that fail the \
digital convexity test, matched to the convex class's pixel counts. The full recipes, and what had to \
be guessed, are in the documentation of potential_data::generate.

The output depends only on SET, --seed, the source images and --composite: not on the number of \
threads (RAYON_NUM_THREADS); --limit N writes exactly the first N samples of each split of a full run.";

/// Arguments of `potential data generate` (the layout and recipes are in [`LONG_HELP`]).
#[derive(clap::Args, Debug)]
#[command(after_long_help = LONG_HELP)]
pub struct GenerateArgs {
    /// The set: mnist-basic, mnist-rot, mnist-back-rand, mnist-back-image, mnist-rot-back-image,
    /// rectangles, rectangles-image, convex, or `all`.
    #[arg(value_name = "SET")]
    set: String,
    /// Output folder; each set goes to OUT/SET/.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Folder with the four MNIST IDX files (raw or .gz). Default: the `mnist` folder of the shared
    /// datasets ($POTENTIAL_DATASETS, or `shared/datasets` found walking up from here).
    #[arg(long, value_name = "DIR")]
    mnist: Option<PathBuf>,
    /// Folder of background images (.png, .jpg, .jpeg; sorted by name). Default: the `backgrounds`
    /// folder of the shared datasets.
    #[arg(long, value_name = "DIR")]
    backgrounds: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Npy)]
    format: FormatArg,
    /// Write only the first N samples of each split (the same samples a full run writes first).
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// How a digit is laid over its background: `max` = max(digit, background); `replace` = the digit
    /// wherever it is non-zero.
    #[arg(long, value_enum, default_value_t = CompositeArg::Max)]
    composite: CompositeArg,
    /// Also write OUT/SET/grid.png: the first 100 training samples, 10×10, scaled ×2.
    #[arg(long)]
    grid: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum FormatArg {
    /// NumPy .npy per split.
    Npy,
    /// Larochelle .amat text (train = train + valid, test).
    Amat,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum CompositeArg {
    /// max(digit, background).
    Max,
    /// The digit where it is non-zero, else the background.
    Replace,
}

fn default_source(given: Option<PathBuf>, name: &str) -> Result<PathBuf> {
    match given {
        Some(p) => Ok(p),
        None => potential_data::datasets_dir().map(|d| d.join(name)).ok_or_else(|| {
            CliError::Usage(format!(
                "no --{name} folder given and no shared datasets found (set POTENTIAL_DATASETS or pass --{name} DIR)"
            ))
        }),
    }
}

/// Run `potential data generate`.
pub fn run(args: GenerateArgs) -> Result<()> {
    let sets: Vec<BenchmarkSet> = if args.set.trim().eq_ignore_ascii_case("all") {
        BenchmarkSet::ALL.to_vec()
    } else {
        vec![args.set.parse()?]
    };
    crate::paths::check_output_dir(&args.out)?;
    let format = match args.format {
        FormatArg::Npy => OutputFormat::Npy,
        FormatArg::Amat => OutputFormat::Amat,
    };
    let composite = match args.composite {
        CompositeArg::Max => Composite::Max,
        CompositeArg::Replace => Composite::Replace,
    };
    let mnist = if sets.iter().any(|s| s.needs_mnist()) {
        let dir = default_source(args.mnist.clone(), "mnist")?;
        let t = Instant::now();
        let pool = MnistPool::load_dir(&dir)?;
        crate::note!(
            "MNIST: {} digits from {} in {:.1} s",
            pool.len(),
            dir.display(),
            t.elapsed().as_secs_f64()
        );
        Some(pool)
    } else {
        None
    };
    let backgrounds = if sets.iter().any(|s| s.needs_backgrounds()) {
        let dir = default_source(args.backgrounds.clone(), "backgrounds")?;
        let pool = BackgroundPool::load_dir(&dir)?;
        crate::note!("backgrounds: {} images from {}", pool.images().len(), dir.display());
        Some(pool)
    } else {
        None
    };
    let sources = Sources { mnist: mnist.as_ref(), backgrounds: backgrounds.as_ref() };
    let style = indicatif::ProgressStyle::with_template(
        "{msg:20} [{bar:30}] {pos}/{len} samples {per_sec} eta {eta}",
    )
    .expect("static template")
    .progress_chars("=> ");
    for set in sets {
        let generator = Generator::new(set, args.seed, sources)?.composite(composite);
        let sizes = generator.sizes().limited(args.limit.unwrap_or(usize::MAX));
        let bar = indicatif::ProgressBar::new(sizes.total() as u64).with_style(style.clone());
        bar.set_message(set.name());
        let t = Instant::now();
        let written = write_set(&generator, &args.out, format, args.limit, &|k| bar.inc(k))?;
        bar.finish_and_clear();
        if args.grid {
            let n = sizes.train.min(100);
            let samples = generator.generate(Split::Train, n, &|_| {})?;
            write_grid_png(&written.dir.join("grid.png"), &samples, 10, 10, 2)?;
        }
        crate::outln!(
            "{}: {}/{}/{} train/valid/test samples, seed {}, {} → {} in {:.1} s",
            set,
            sizes.train,
            sizes.valid,
            sizes.test,
            args.seed,
            match format {
                OutputFormat::Npy => "npy",
                OutputFormat::Amat => "amat",
            },
            written.dir.display(),
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
