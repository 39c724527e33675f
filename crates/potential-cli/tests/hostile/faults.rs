//! Faults of the environment: closed and full standard streams, a full disk, a read-only
//! directory, a trickling server, and `--resume` against another run's checkpoint.

use super::support::{case, fails, fixtures, run, run_all, snapshot, Case, Expect, Sink};
use std::io::{Read, Write};
use std::path::Path;

fn with(mut c: Case, stdout: Sink, stderr: Sink) -> Case {
    c.stdout = stdout;
    c.stderr = stderr;
    c
}

fn stream_cases() -> Vec<Case> {
    let reports = [
        ("inspect", "inspect {d}/m.safetensors"),
        ("inspect --json", "inspect {d}/m.safetensors --json"),
        ("data info --labels", "data info {d}/x.npy --labels {d}/y.npy"),
        ("detect --json", "detect --model {d}/m.safetensors --data {d}/x.npy --contamination 0.1 --json -q"),
        ("detect report", "detect --model {d}/m.safetensors --data {d}/x.npy --labels {d}/y.npy --normal-class 0 --contamination 0.1 -q"),
        ("csae eval --json", "csae eval --model {d}/c.safetensors --data {d}/x.npy --labels {d}/y.npy --json"),
        ("csae eval", "csae eval --model {d}/c.safetensors --data {d}/x.npy --labels {d}/y.npy"),
    ];
    let mut v = Vec::new();
    for (name, args) in reports {
        v.push(with(
            case(&format!("{name} | closed pipe"), args, Expect::BrokenPipe),
            Sink::Closed,
            Sink::Pipe,
        ));
        v.push(with(
            case(&format!("{name} > /dev/full"), args, fails(&["<stdout>", "No space left"])),
            Sink::Full,
            Sink::Pipe,
        ));
    }
    // A full or closed stderr loses the notes, never the work.
    let work = [
        ("train", "train --data {d}/x.npy --hidden 4 --epochs 2 --out {d}/o.safetensors", "o.safetensors"),
        ("csae train", "csae train --data {d}/x.npy --labels {d}/y.npy --hidden 4 --pretrain-epochs 1 --finetune-epochs 1 --out {d}/o.safetensors", "o.safetensors"),
        ("detect fit", "detect fit --data {d}/x.npy --out {d}/o.safetensors", "o.safetensors"),
        ("data convert", "data convert {d}/a.amat {d}/o.npy", "o.npy"),
        ("score", "score --model {d}/m.safetensors --data {d}/x.npy --out {d}/o.npy", "o.npy"),
        ("csae predict", "csae predict --model {d}/c.safetensors --data {d}/x.npy --out {d}/o.npy", "o.npy"),
    ];
    for (name, args, out) in work {
        for sink in [Sink::Full, Sink::Closed] {
            let mut c = with(case(&format!("{name} 2> {sink:?}"), args, Expect::Ok), Sink::Pipe, sink);
            c.creates = vec![out];
            v.push(c);
        }
    }
    v
}

#[test]
fn closed_and_full_standard_streams() {
    run_all(stream_cases(), |_| {});
}

fn resume_cases() -> Vec<Case> {
    let r = |name: &str, flags: &str, e: Expect| {
        case(
            name,
            &format!("train --checkpoint-dir {{d}}/ck --resume --out {{d}}/r.safetensors -q {flags}"),
            e,
        )
    };
    vec![
        r("resume: --epochs below the checkpoint's", "--data {d}/x.npy --hidden 4 --epochs 2", fails(&["epoch 3", "--epochs 3"])),
        r("resume: other data of the same width", "--data {d}/x2.npy --hidden 4 --epochs 5", fails(&["other data", "x2.npy"])),
        r("resume: other rows (a validation split)", "--data {d}/x.npy --hidden 4 --epochs 5 --valid-fraction 0.2", fails(&["other data"])),
        r("resume: other --hidden", "--data {d}/x.npy --hidden 5 --epochs 5", fails(&["--hidden 5"])),
        r("resume: other --lr", "--data {d}/x.npy --hidden 4 --epochs 5 --lr 0.5", fails(&["different configuration"])),
        {
            let mut c = r("resume: the same run continues", "--data {d}/x.npy --hidden 4 --epochs 5", Expect::Ok);
            c.creates = vec!["ck/checkpoint.safetensors", "r.safetensors"];
            c
        },
        case("resume: no checkpoint", "train --data {d}/x.npy --hidden 4 --epochs 5 --checkpoint-dir {d}/none --resume --out {d}/r.safetensors", fails(&["--resume", "checkpoint.safetensors"])),
    ]
}

#[test]
fn resume_checks_what_it_resumes() {
    run_all(resume_cases(), |d| {
        let args: Vec<String> = format!(
            "train --data {0}/x.npy --hidden 4 --epochs 3 --checkpoint-dir {0}/ck --out {0}/first.safetensors -q",
            d.display()
        )
        .split_whitespace()
        .map(String::from)
        .collect();
        let r = run(d, &args, Sink::Pipe, Sink::Pipe);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
    });
}

/// Mount a tmpfs of `size` at `at` (read-only with `ro`); `Err` says why it cannot.
fn mount_tmpfs(at: &Path, size: &str, ro: bool) -> Result<(), String> {
    let opts = if ro { format!("size={size},ro") } else { format!("size={size}") };
    let out = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &opts, "tmpfs"])
        .arg(at)
        .output()
        .map_err(|e| format!("cannot run mount: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("mount -t tmpfs failed: {}", String::from_utf8_lossy(&out.stderr).trim()))
    }
}

fn umount(at: &Path) {
    let _ = std::process::Command::new("umount").arg(at).status();
}

/// A full disk: the write fails with a typed error, the previous file under the name keeps its
/// bytes, and no temporary file is left.
#[test]
fn a_full_disk_keeps_the_previous_file() {
    let dir = fixtures();
    let d = dir.path();
    let small = d.join("small");
    std::fs::create_dir(&small).unwrap();
    if let Err(why) = mount_tmpfs(&small, "64k", false) {
        assert!(std::env::var_os("POTENTIAL_REQUIRE_TMPFS").is_none(), "{why}");
        eprintln!("skipped: a_full_disk_keeps_the_previous_file: {why} (needs root)");
        return;
    }
    let result = std::panic::catch_unwind(|| {
        std::fs::copy(d.join("m.safetensors"), small.join("o.safetensors")).unwrap();
        let before = snapshot(&small);
        // 2000 hidden × 16 inputs: 128 KiB of weights, twice the file system.
        for cmd in [
            "train --data {d}/x.npy --hidden 2000 --epochs 1 --out {d}/small/o.safetensors -q",
            "score --model {d}/m.safetensors --data {d}/big.npy --out {d}/small/o.npy -q",
            "data convert {d}/big.npy {d}/small/o.npy",
        ] {
            let big: Vec<f32> = vec![0.5; 20_000 * 16];
            potential_data::write_npy_f32(d.join("big.npy"), &big, &[20_000, 16]).unwrap();
            let args: Vec<String> =
                cmd.replace("{d}", d.to_str().unwrap()).split_whitespace().map(String::from).collect();
            let r = run(d, &args, Sink::Pipe, Sink::Pipe);
            assert_eq!(r.code, Some(1), "{cmd}: {}", r.stderr);
            assert!(r.stderr.contains("No space left"), "{cmd}: {}", r.stderr);
            assert!(!r.stderr.contains("panicked"), "{cmd}: {}", r.stderr);
            assert_eq!(snapshot(&small), before, "{cmd}: the full disk's files changed");
        }
    });
    umount(&small);
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}

/// A read-only output directory is reported before any training.
#[test]
fn a_read_only_directory_is_reported_first() {
    let dir = fixtures();
    let d = dir.path();
    let ro = d.join("ro");
    std::fs::create_dir(&ro).unwrap();
    if let Err(why) = mount_tmpfs(&ro, "64k", true) {
        assert!(std::env::var_os("POTENTIAL_REQUIRE_TMPFS").is_none(), "{why}");
        eprintln!("skipped: a_read_only_directory_is_reported_first: {why} (needs root)");
        return;
    }
    let result = std::panic::catch_unwind(|| {
        for cmd in [
            // 100000 epochs would take minutes: the error must come first.
            "train --data {d}/x.npy --hidden 4 --epochs 100000 --out {d}/ro/o.safetensors -q",
            "train --data {d}/x.npy --hidden 4 --epochs 100000 --checkpoint-dir {d}/ro/ck --out {d}/o.safetensors -q",
            "csae train --data {d}/x.npy --labels {d}/y.npy --hidden 4 --pretrain-epochs 100000 --out {d}/ro/c.safetensors -q",
            "detect fit --data {d}/x.npy --epochs 100000 --out {d}/ro/d.safetensors -q",
            "demo circle --out {d}/ro",
        ] {
            let args: Vec<String> =
                cmd.replace("{d}", d.to_str().unwrap()).split_whitespace().map(String::from).collect();
            let r = run(d, &args, Sink::Pipe, Sink::Pipe);
            assert_eq!(r.code, Some(1), "{cmd}: {}", r.stderr);
            assert!(r.stderr.contains("Read-only"), "{cmd}: {}", r.stderr);
            assert!(r.seconds < 10.0, "{cmd}: reported after {:.1} s", r.seconds);
        }
    });
    umount(&ro);
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}

/// A server that sends a header and then five bytes a second never trips `--timeout`; `--deadline`
/// ends the fetch, keeping the partial file.
#[test]
fn a_trickling_server_meets_the_deadline() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut s = stream;
                let mut req = [0u8; 1024];
                let _ = s.read(&mut req);
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n");
                for _ in 0..300 {
                    if s.write_all(b"x").is_err() {
                        return;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
            });
        }
    });
    let dir = fixtures();
    let d = dir.path();
    let args: Vec<String> = format!(
        "data fetch mnist --dir {}/mnist --base-url http://127.0.0.1:{port}/ --timeout 5 --deadline 3",
        d.display()
    )
    .split_whitespace()
    .map(String::from)
    .collect();
    let r = run(d, &args, Sink::Pipe, Sink::Pipe);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("deadline"), "{}", r.stderr);
    assert!(r.seconds < 10.0, "the fetch ran {:.1} s past a 3 s deadline", r.seconds);
}

/// Two runs sharing `--metrics` (or `--checkpoint-dir`): the second is refused while the first
/// runs, and the first's log stays whole JSON lines.
#[test]
fn two_runs_never_share_a_metrics_log() {
    let dir = fixtures();
    let d = dir.path();
    let ds = d.to_str().unwrap();
    let long = format!("train --data {ds}/x.npy --hidden 4 --epochs 100000 --metrics {ds}/m.jsonl --checkpoint-dir {ds}/ck --out {ds}/a.safetensors -q");
    let mut first = std::process::Command::new(env!("CARGO_BIN_EXE_potential"))
        .args(long.split_whitespace())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while !(d.join(".m.jsonl.lock").exists() && d.join("m.jsonl").exists()) && t0.elapsed().as_secs() < 30 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let second = |extra: &str, flag: &str| {
        let args: Vec<String> =
            format!("train --data {ds}/x.npy --hidden 4 --epochs 2 --out {ds}/b.safetensors -q {extra}")
                .split_whitespace()
                .map(String::from)
                .collect();
        let r = run(d, &args, Sink::Pipe, Sink::Pipe);
        assert_eq!(r.code, Some(1), "{extra}: {}", r.stderr);
        assert!(r.stderr.contains("another run") && r.stderr.contains(flag), "{}", r.stderr);
    };
    second(&format!("--metrics {ds}/m.jsonl"), "--metrics");
    second(&format!("--checkpoint-dir {ds}/ck"), "--checkpoint-dir");
    let _ = first.kill();
    let _ = first.wait();
    let log = std::fs::read_to_string(d.join("m.jsonl")).unwrap();
    assert!(log.lines().count() > 0 && log.lines().all(|l| l.starts_with('{') && l.ends_with('}')), "{log}");
    assert!(!d.join("b.safetensors").exists());
}
