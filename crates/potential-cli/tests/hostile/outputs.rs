//! Outputs: never over an input or another output, never a directory, reported before the work
//! when their directory is missing, and never a stale temporary file.

use super::support::{case, fails, fixtures, run, run_all, Case, Expect, Sink};

fn cases() -> Vec<Case> {
    let ok = |name: &str, args: &str, creates: &'static str| {
        let mut c = case(name, args, Expect::Ok);
        c.creates = vec![creates];
        c
    };
    let written = [
        ok(
            "train writes its model",
            "train --data {d}/x.npy --hidden 4 --epochs 1 --out {d}/o.safetensors -q",
            "o.safetensors",
        ),
        ok("data convert writes features", "data convert {d}/a.amat {d}/o.npy", "o.npy"),
        ok(
            "csae predict writes classes",
            "csae predict --model {d}/c.safetensors --data {d}/x.npy --out {d}/p.csv",
            "p.csv",
        ),
        ok(
            "detect writes flags",
            "detect --model {d}/m.safetensors --data {d}/x.npy --contamination 0.1 --out {d}/f.npy -q",
            "f.npy",
        ),
    ];
    let mut v: Vec<Case> = written.into_iter().collect();
    let replace = ["would replace the input"];
    v.extend([
        case("train: --out is the data", "train --data {d}/x.npy --hidden 4 --epochs 1 --out {d}/x.npy", fails(&replace)),
        case("train: --metrics is the data", "train --data {d}/x.npy --hidden 4 --epochs 1 --metrics {d}/x.npy --out {d}/o.safetensors", fails(&replace)),
        case("train: --metrics is --out", "train --data {d}/x.npy --hidden 4 --epochs 1 --metrics {d}/o.safetensors --out {d}/o.safetensors", fails(&["--metrics and --out"])),
        case("train: --out through ./", "train --data {d}/x.npy --hidden 4 --epochs 1 --out {d}/./x.npy", fails(&replace)),
        case("train: --out a directory", "train --data {d}/x.npy --hidden 4 --epochs 1 --out {d}", fails(&["is a directory"])),
        case("train: --out in a missing directory", "train --data {d}/x.npy --hidden 4 --epochs 1 --out {d}/no/o.safetensors", fails(&["does not exist"])),
        case("train: --checkpoint-dir is a file", "train --data {d}/x.npy --hidden 4 --epochs 1 --checkpoint-dir {d}/x.npy --out {d}/o.safetensors", fails(&["not a directory"])),
        case("data convert: --labels-out is the output", "data convert {d}/x.npy {d}/o.npy --labels {d}/y.npy --labels-out {d}/o.npy", fails(&["o.npy"])),
        case("data convert: output is the input", "data convert {d}/x.npy {d}/x.npy", fails(&replace)),
        case("data info: --grid is the input", "data info {d}/x.npy --grid {d}/x.npy --shape 4x4", fails(&replace)),
        case("score: --out is the model", "score --model {d}/m.safetensors --data {d}/x.npy --out {d}/m.safetensors", fails(&["m.safetensors"])),
        case("score: --out is the data", "score --model {d}/m.safetensors --data {d}/x.npy --out {d}/x.npy", fails(&replace)),
        case("detect: --out is the data", "detect --model {d}/m.safetensors --data {d}/x.npy --contamination 0.1 --out {d}/x.npy", fails(&replace)),
        case("detect fit: --out is the data", "detect fit --data {d}/x.npy --out {d}/x.npy", fails(&replace)),
        case("csae train: --out is the labels", "csae train --data {d}/x.npy --labels {d}/y.npy --hidden 4 --out {d}/y.npy", fails(&replace)),
        case("csae train: --out in a missing directory", "csae train --data {d}/x.npy --labels {d}/y.npy --hidden 4 --out {d}/no/c.safetensors", fails(&["does not exist"])),
        case("csae predict: --out is the model", "csae predict --model {d}/c.safetensors --data {d}/x.npy --out {d}/c.safetensors", fails(&["c.safetensors"])),
        case("csae plot: --out is a file", "csae plot --model {d}/c.safetensors --out {d}/x.npy", fails(&["not a directory"])),
        case("demo: --out is a file", "demo circle --out {d}/x.npy", fails(&["not a directory"])),
        case("data generate: --out is a file", "data generate rectangles --out {d}/x.npy", fails(&["not a directory"])),
        case("data fetch: --dir is a file", "data fetch mnist --dir {d}/x.npy", fails(&["not a directory"])),
    ]);
    v
}

#[test]
fn outputs_never_replace_inputs_and_fail_early() {
    run_all(cases(), |_| {});
}

/// A temporary file of our naming whose process is gone is removed by the next run writing that
/// output; one of a live process is left alone.
#[test]
fn stale_temporaries_of_dead_runs_are_removed() {
    let dir = fixtures();
    let d = dir.path();
    let dead = (1u32 << 22) - 3; // above the default pid_max, so no process has it
    assert!(!std::path::Path::new(&format!("/proc/{dead}")).exists());
    let stale = d.join(format!(".o.safetensors.{dead}.0.tmp"));
    let live = d.join(format!(".o.safetensors.{}.0.tmp", std::process::id()));
    std::fs::write(&stale, vec![0u8; 1 << 16]).unwrap();
    std::fs::write(&live, b"in use").unwrap();
    let args: Vec<String> =
        format!("train --data {0}/x.npy --hidden 4 --epochs 1 --out {0}/o.safetensors -q", d.display())
            .split_whitespace()
            .map(String::from)
            .collect();
    let r = run(d, &args, Sink::Pipe, Sink::Pipe);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(!stale.exists(), "the dead run's temporary file is still there");
    assert!(live.exists(), "a live process's temporary file was removed");
}
