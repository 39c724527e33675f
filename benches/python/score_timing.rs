//! `score-timing DETECTOR X.npy REPEATS OUT.npy`: the Rust side of `benches/python/overhead.py`.
//! Loads a detector file and a float32 table, scores the table once to warm up and then
//! `REPEATS` times with `Detector::outlier_scores` (the library call the Python `EnergyDetector`
//! makes), prints the seconds of each timed call as one JSON line, and writes the scores to
//! `OUT.npy` so the script can check that Python computed the same ones.

use potential_train::detector::Detector;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, det, data, repeats, out] = args.as_slice() else {
        return Err("usage: score-timing DETECTOR X.npy REPEATS OUT.npy".into());
    };
    let det = Detector::load(det)?;
    // Read into memory (not mapped), as a NumPy array is.
    let x = potential_data::open_features(data)?.into_vec();
    let repeats: usize = repeats.parse()?;
    let mut scores = det.outlier_scores(&x)?;
    let mut seconds = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let t0 = Instant::now();
        scores = det.outlier_scores(std::hint::black_box(&x))?;
        seconds.push(t0.elapsed().as_secs_f64());
    }
    potential_data::write_npy_f64(out, &scores, &[scores.len()])?;
    println!(
        "{{\"seconds\": {seconds:?}, \"rows\": {}, \"threads\": {}}}",
        scores.len(),
        rayon::current_num_threads()
    );
    Ok(())
}
