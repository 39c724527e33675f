//! Build a novelty-detection test set in the way of Zhai et al. (2016)'s image experiments: every
//! test image of the normal class, plus images of the other classes drawn uniformly without
//! replacement (seeded) so that they make up the requested fraction of the result.
//!
//! ```text
//! cargo run --release -p potential-cli --example novelty_testset -- \
//!     IMAGES LABELS NORMAL_CLASS OUTLIER_FRACTION SEED OUT.npy
//! ```
//!
//! With n_in normal rows and fraction ρ, n_out = round(n_in · ρ / (1 − ρ)) outliers are drawn
//! (ρ = 0.3: 30% of the rows are outliers). Rows keep their original order (normal and outlier rows
//! interleaved as in the source file). Writes OUT.npy (f32 [n, d]) and OUT-labels.npy (the original
//! labels, so `potential detect --normal-class K` recovers which rows are outliers), and prints
//! `n_in n_out` on stdout.

use rand::{RngExt, SeedableRng};
use std::process::ExitCode;

fn run(args: &[String]) -> Result<(usize, usize), String> {
    let [images, labels, normal, frac, seed, out] = args else {
        return Err("usage: novelty_testset IMAGES LABELS NORMAL_CLASS OUTLIER_FRACTION SEED OUT.npy".into());
    };
    let normal: u32 = normal.parse().map_err(|e| format!("NORMAL_CLASS {normal}: {e}"))?;
    let frac: f64 = frac.parse().map_err(|e| format!("OUTLIER_FRACTION {frac}: {e}"))?;
    if !(frac > 0.0 && frac < 1.0) {
        return Err(format!("OUTLIER_FRACTION {frac} must be in (0, 1)"));
    }
    let seed: u64 = seed.parse().map_err(|e| format!("SEED {seed}: {e}"))?;
    let ds =
        potential_data::open_dataset(images.as_ref(), Some(labels.as_ref())).map_err(|e| e.to_string())?;
    let inliers = ds.class_indices(normal);
    if inliers.is_empty() {
        return Err(format!("no rows of class {normal} in {images}"));
    }
    let mut others: Vec<usize> = (0..ds.n()).filter(|&i| ds.labels()[i] != normal).collect();
    let n_out = (inliers.len() as f64 * frac / (1.0 - frac)).round() as usize;
    if n_out > others.len() {
        return Err(format!("{n_out} outliers needed, only {} rows of other classes", others.len()));
    }
    // Partial Fisher–Yates: the first n_out entries become a uniform sample without replacement.
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    for i in 0..n_out {
        let j = rng.random_range(i..others.len());
        others.swap(i, j);
    }
    let mut rows: Vec<usize> = inliers.iter().copied().chain(others[..n_out].iter().copied()).collect();
    rows.sort_unstable();
    let sub = ds.select(&rows);
    let out = std::path::Path::new(out);
    potential_data::write_npy_f32(out, sub.features().as_slice(), &[sub.n(), sub.d()])
        .map_err(|e| e.to_string())?;
    potential_data::write_npy_labels(potential_data::labels_path_for(out), sub.labels())
        .map_err(|e| e.to_string())?;
    Ok((inliers.len(), n_out))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok((n_in, n_out)) => {
            println!("{n_in} {n_out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
