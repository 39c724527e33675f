//! Absurd and contradictory flags: refused by name before any work or allocation.

use super::support::{case, fails, run_all, Case, Expect};

fn cases() -> Vec<Case> {
    let train = |name: &str, flags: &str, e: Expect| {
        case(name, &format!("train --data {{d}}/x.npy --epochs 1 --out {{d}}/o.safetensors -q {flags}"), e)
    };
    let csae = |name: &str, flags: &str, e: Expect| {
        case(
            name,
            &format!(
                "csae train --data {{d}}/x.npy --pretrain-epochs 1 --finetune-epochs 1 \
                 --out {{d}}/o.safetensors -q {flags}"
            ),
            e,
        )
    };
    let fit = |name: &str, flags: &str, e: Expect| {
        case(name, &format!("detect fit --data {{d}}/x.npy --out {{d}}/o.safetensors -q {flags}"), e)
    };
    vec![
        train("train: --hidden 0", "--hidden 0", fails(&["hidden"])),
        train("train: --hidden 2^64-1", "--hidden 18446744073709551615", fails(&["hidden"])),
        train("train: --hidden 10^9", "--hidden 1000000000", fails(&["hidden", "2^28"])),
        train("train: --threads 100000", "--hidden 4 --threads 100000", fails(&["--threads 100000"])),
        train("train: --threads 0", "--hidden 4 --threads 0", fails(&["--threads"])),
        train("train: --batch-size 0", "--hidden 4 --batch-size 0", fails(&["batch"])),
        train("train: --lr NaN", "--hidden 4 --lr NaN", fails(&["learning"])),
        train("train: --lr -1", "--hidden 4 --lr=-1", fails(&["learning"])),
        train("train: --denoise 2", "--hidden 4 --denoise 2", fails(&["2"])),
        train("train: --valid-fraction 1", "--hidden 4 --valid-fraction 1", fails(&["--valid-fraction"])),
        train("train: --patience without validation", "--hidden 4 --patience 2", fails(&["--patience"])),
        train(
            "train: --patience with a split of 0 rows",
            "--hidden 4 --patience 2 --valid-fraction 0.001",
            fails(&["--patience", "0 rows"]),
        ),
        train("train: --class without labels", "--hidden 4 --class 1", fails(&["x.npy", "no labels given"])),
        train("train: --class absent from the labels", "--hidden 4 --class 7 --labels {d}/y.npy", fails(&["--class 7"])),
        csae("csae: one class", "--hidden 4 --labels {d}/y1.npy", fails(&["y1.npy", "two"])),
        csae("csae: --factors 10^9", "--labels {d}/y.npy --hidden 4 --factors 1000000000", fails(&["factors = 1000000000"])),
        csae("csae: --hidden 10^9", "--labels {d}/y.npy --hidden 1000000000", fails(&["hidden"])),
        csae("csae: --hidden 0", "--labels {d}/y.npy --hidden 0", fails(&["hidden"])),
        csae("csae: --threads 100000", "--labels {d}/y.npy --hidden 4 --threads 100000", fails(&["--threads"])),
        csae("csae: --grid-lr without validation", "--labels {d}/y.npy --hidden 4 --grid-lr 0.1,0.2", fails(&["--valid-rows"])),
        csae("csae: --valid-rows all rows", "--labels {d}/y.npy --hidden 4 --valid-rows 60", fails(&["no rows"])),
        fit("detect fit: --hidden 10^9", "--hidden 1000000000", fails(&["hidden"])),
        // Memory: each model is below the 2^28-parameter cap, the whole run is not.
        train("train: over --max-memory", "--hidden 100000 --max-memory 10M", fails(&["--max-memory", "16×100000"])),
        train("train: --max-memory 0", "--hidden 4 --max-memory 0", fails(&["--max-memory", "at least 1 byte"])),
        train("train: --max-memory 12X", "--hidden 4 --max-memory 12X", fails(&["--max-memory", "K, M, G or T"])),
        csae(
            "csae: 60 classes of 16×10^6 over ulimit -v",
            "--labels {d}/yall.npy --hidden 1000000",
            fails(&["60 class models of 16×1000000", "ulimit -v"]),
        ),
        csae(
            "csae factored: over --max-memory",
            "--labels {d}/y.npy --hidden 4 --factors 1000000 --max-memory 64M",
            fails(&["factored CSAE", "--max-memory"]),
        ),
        csae(
            "csae factored: --grid-hidden candidate over --max-memory",
            "--labels {d}/y.npy --hidden 4 --factors 4 --grid-hidden 4,1000000 --valid-rows 20 --max-memory 64M",
            fails(&["4 factors, 1000000 hidden", "--max-memory"]),
        ),
        csae(
            "csae: --grid-hidden candidate over --max-memory",
            "--labels {d}/y.npy --hidden 4 --grid-hidden 4,100000 --valid-rows 20 --max-memory 10M",
            fails(&["class models of 16×100000", "--max-memory"]),
        ),
        fit("detect fit: over --max-memory", "--max-memory 10K", fails(&["autoencoders of 16×32", "--max-memory"])),
        fit("detect fit: --contamination 0.9", "--contamination 0.9", fails(&["contamination"])),
        fit("detect fit: --members 0", "--members 0", fails(&["members"])),
        case(
            "detect: --contamination 0",
            "detect --model {d}/m.safetensors --data {d}/x.npy --contamination 0",
            fails(&["contamination"]),
        ),
        case(
            "detect: --explain-png --shape overflowing",
            "detect --model {d}/m.safetensors --data {d}/x.npy --contamination 0.1 --explain 0 --explain-png {d}/e.png --shape 9223372036854776200x2",
            fails(&["shape"]),
        ),
        case(
            "data info: --shape overflowing H×W",
            "data info {d}/x.npy --grid {d}/g.png --shape 9223372036854776200x2",
            fails(&["shape"]),
        ),
        case("data info: --shape not the width", "data info {d}/x.npy --grid {d}/g.png --shape 3x3", fails(&["3x3"])),
        case("score: --block 0", "score --model {d}/m.safetensors --data {d}/x.npy --out {d}/s.npy --block 0", fails(&["block"])),
        case("score: --threads 100000", "score --model {d}/m.safetensors --data {d}/x.npy --out {d}/s.npy --threads 100000", fails(&["--threads"])),
        case("score: unknown output kind", "score --model {d}/m.safetensors --data {d}/x.npy --out {d}/s.txt", fails(&["s.txt"])),
        case("csae plot: --filters 0", "csae plot --model {d}/c.safetensors --out {d}/plots --filters 0", Expect::Ok),
        case("data generate: unknown set", "data generate nosuchset --out {d}/gen", Expect::Fails(vec!["nosuchset"])),
    ]
}

#[test]
fn absurd_flags_are_refused_by_name() {
    run_all(cases(), |_| {});
}
