//! The hostile suite's harness: run the built binary on a case under a memory cap and a time limit,
//! then check its outcome, that it printed no panic, that inputs kept their bytes and that a
//! failure left no file behind (no output under its name, no temporary file).

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Address space each run may use: far above what the small fixtures need, far below the
/// runaway allocations the suite guards against (gigabytes).
pub const MEMORY_CAP: u64 = 1 << 30;

/// Longest a case may run: anything slower is a hang.
pub const TIME_LIMIT: Duration = Duration::from_secs(60);

/// Rows and width of the fixture data.
pub const N: usize = 60;
/// Width of the fixture data.
pub const D: usize = 16;

/// What a case must end with.
#[derive(Clone, Debug)]
pub enum Expect {
    /// Exit 0.
    Ok,
    /// Exit 1 with every one of these fragments in stderr (the typed error's file, row, flag…);
    /// no file may appear or change in the case's directory.
    Fails(Vec<&'static str>),
    /// A closed stdout: exit 141 (the shell's SIGPIPE status) or 0, nothing on stderr but notes.
    BrokenPipe,
}

/// Where the child's stdout or stderr goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sink {
    /// Captured.
    Pipe,
    /// A pipe whose reading end is closed before the child writes (`… | head -0`).
    Closed,
    /// `/dev/full` (every write fails with ENOSPC).
    Full,
}

/// One hostile case.
#[derive(Clone, Debug)]
pub struct Case {
    /// Its name in failure reports.
    pub name: String,
    /// The arguments after `potential`.
    pub args: Vec<String>,
    /// The expected end.
    pub expect: Expect,
    /// Where stdout goes.
    pub stdout: Sink,
    /// Where stderr goes.
    pub stderr: Sink,
    /// Files (relative to the directory) that must exist after a success.
    pub creates: Vec<&'static str>,
}

/// A case running `args` (split on spaces) with `expect`.
pub fn case(name: &str, args: &str, expect: Expect) -> Case {
    Case {
        name: name.into(),
        args: args.split_whitespace().map(String::from).collect(),
        expect,
        stdout: Sink::Pipe,
        stderr: Sink::Pipe,
        creates: Vec::new(),
    }
}

/// [`Expect::Fails`] with these stderr fragments.
pub fn fails(fragments: &[&'static str]) -> Expect {
    Expect::Fails(fragments.to_vec())
}

/// A fresh directory holding a copy of the fixtures ([`template`]).
pub fn fixtures() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for e in std::fs::read_dir(template()).expect("template").flatten() {
        std::fs::copy(e.path(), dir.path().join(e.file_name())).expect("copy fixture");
    }
    dir
}

/// The fixtures, made once per test binary: `x.npy` [N, D] in [0, 1), `x2.npy` (other values,
/// same shape), `y.npy` (three classes), `y1.npy` (one class), `yall.npy` (a class per row), `ybig.npy` (one label 16777215),
/// `a.amat` (the rows of x.npy with labels), `m.safetensors` (a trained model), `c.safetensors` (a
/// trained CSAE).
fn template() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        make_fixtures(dir.path());
        dir
    })
    .path()
}

fn make_fixtures(dir: &Path) {
    let p = |n: &str| dir.join(n);
    let x: Vec<f32> = (0..N * D).map(|i| ((i * 7919) % 1000) as f32 / 1000.0).collect();
    let x2: Vec<f32> = (0..N * D).map(|i| ((i * 104_729) % 997) as f32 / 997.0).collect();
    potential_data::write_npy_f32(p("x.npy"), &x, &[N, D]).expect("x.npy");
    potential_data::write_npy_f32(p("x2.npy"), &x2, &[N, D]).expect("x2.npy");
    let y: Vec<u32> = (0..N as u32).map(|i| i % 3).collect();
    potential_data::write_npy_labels(p("y.npy"), &y).expect("y.npy");
    potential_data::write_npy_labels(p("y1.npy"), &vec![0; N]).expect("y1.npy");
    let yall: Vec<u32> = (0..N as u32).collect();
    potential_data::write_npy_labels(p("yall.npy"), &yall).expect("yall.npy");
    let mut ybig = y.clone();
    ybig[5] = (1 << 24) - 1;
    potential_data::write_npy_labels(p("ybig.npy"), &ybig).expect("ybig.npy");
    let mut amat = String::new();
    for (r, l) in x.chunks(D).zip(&y) {
        for v in r {
            amat.push_str(&format!("{v} "));
        }
        amat.push_str(&format!("{l}\n"));
    }
    std::fs::write(p("a.amat"), amat).expect("a.amat");
    let d = dir.to_str().expect("utf-8 path");
    let train = format!("train --data {d}/x.npy --hidden 4 --epochs 2 --out {d}/m.safetensors -q");
    let csae = format!(
        "csae train --data {d}/x.npy --labels {d}/y.npy --hidden 4 --pretrain-epochs 1 --finetune-epochs 1 \
         --out {d}/c.safetensors -q"
    );
    for args in [train, csae] {
        let out = Command::new(env!("CARGO_BIN_EXE_potential"))
            .args(args.split_whitespace())
            .output()
            .expect("run potential");
        assert!(out.status.success(), "fixture `{args}`: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Every file under `dir` with its bytes (recursively; FIFOs and devices by their kind only).
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let (path, meta) = (e.path(), std::fs::symlink_metadata(e.path()));
            match meta {
                Ok(m) if m.is_dir() => {
                    out.insert(path.clone(), b"<dir>".to_vec());
                    stack.push(path);
                }
                Ok(m) if m.is_file() => {
                    out.insert(path.clone(), std::fs::read(&path).unwrap_or_default());
                }
                _ => {
                    out.insert(path, b"<special>".to_vec());
                }
            }
        }
    }
    out
}

/// The outcome of a run.
pub struct Run {
    /// Exit code (None: killed by a signal).
    pub code: Option<i32>,
    /// Captured stderr (empty when not captured).
    pub stderr: String,
    /// Wall time.
    pub seconds: f64,
}

fn stdio(s: Sink) -> (Stdio, bool) {
    match s {
        Sink::Pipe => (Stdio::piped(), false),
        Sink::Closed => (Stdio::piped(), true),
        Sink::Full => {
            let f = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
            (Stdio::from(f), false)
        }
    }
}

/// The binary under test: this build's, or `POTENTIAL_HOSTILE_BIN` (to count how an older build
/// fares on the catalogue).
fn binary() -> std::ffi::OsString {
    std::env::var_os("POTENTIAL_HOSTILE_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_potential").into())
}

/// Run the binary with `args` in `dir` under [`MEMORY_CAP`] and [`TIME_LIMIT`].
pub fn run(dir: &Path, args: &[String], stdout: Sink, stderr: Sink) -> Run {
    let (out, close_out) = stdio(stdout);
    let (err, close_err) = stdio(stderr);
    let mut cmd = Command::new(binary());
    cmd.args(args).current_dir(dir).stdin(Stdio::null()).stdout(out).stderr(err);
    cmd.env("RAYON_NUM_THREADS", "2");
    // SAFETY: setrlimit is async-signal-safe and touches no state of the parent; the closure only
    // calls it between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit { rlim_cur: MEMORY_CAP, rlim_max: MEMORY_CAP };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let t0 = Instant::now();
    let mut child = cmd.spawn().expect("spawn potential");
    if close_out {
        drop(child.stdout.take());
    }
    if close_err {
        drop(child.stderr.take());
    }
    // Drain the pipes on threads so a chatty child never blocks on a full pipe.
    let drain = |r: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut s);
            }
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let o = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let e = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if t0.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = o.join();
    let stderr = e.join().unwrap_or_default();
    Run { code: status.code(), stderr, seconds: t0.elapsed().as_secs_f64() }
}

/// Run `c` in `dir` and return what is wrong with its outcome (empty: as expected).
pub fn check(dir: &Path, c: &Case) -> Vec<String> {
    let before = snapshot(dir);
    let r = run(dir, &c.args, c.stdout, c.stderr);
    let after = snapshot(dir);
    let mut bad = Vec::new();
    let mut say = |m: String| bad.push(format!("[{}] {m}\n    stderr: {}", c.name, r.stderr.trim()));
    if r.stderr.contains("panicked") || r.stderr.contains("memory allocation of") {
        say("panicked or aborted".into());
    }
    // Inputs never change: every file present before keeps its bytes unless the case writes it.
    for (p, bytes) in &before {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !c.creates.iter().any(|w| p.ends_with(w)) && after.get(p).is_some_and(|a| a != bytes) {
            say(format!("{name} changed"));
        }
        if !after.contains_key(p) {
            say(format!("{name} disappeared"));
        }
    }
    let temporaries: Vec<_> =
        after.keys().filter(|p| p.to_string_lossy().ends_with(".tmp") && !before.contains_key(*p)).collect();
    if !temporaries.is_empty() {
        say(format!("temporary files left: {temporaries:?}"));
    }
    match &c.expect {
        Expect::Ok => {
            if r.code != Some(0) {
                say(format!("exit {:?}, expected success", r.code));
            }
            for w in &c.creates {
                if !dir.join(w).is_file() {
                    say(format!("{w} not written"));
                }
            }
        }
        Expect::Fails(fragments) => {
            // 1: the command's typed error; 2: a flag clap's parser refused.
            if !matches!(r.code, Some(1) | Some(2)) {
                say(format!("exit {:?}, expected a typed error (1, or 2 from the flag parser)", r.code));
            }
            if !r.stderr.lines().any(|l| l.starts_with("error: ")) {
                say("no `error: ` line on stderr".into());
            }
            for f in fragments {
                if !r.stderr.contains(f) {
                    say(format!("stderr lacks {f:?}"));
                }
            }
            let new: Vec<_> = after.keys().filter(|p| !before.contains_key(*p)).collect();
            if !new.is_empty() {
                say(format!("files left by a failed run: {new:?}"));
            }
        }
        Expect::BrokenPipe => {
            if !matches!(r.code, Some(0) | Some(141)) {
                say(format!("exit {:?}, expected 141 or 0 on a closed stdout", r.code));
            }
            if r.stderr.contains("error") {
                say("a closed pipe reported as an error".into());
            }
        }
    }
    if r.seconds > TIME_LIMIT.as_secs_f64() {
        say(format!("still running after {TIME_LIMIT:?} (a hang): killed"));
    } else if r.seconds > TIME_LIMIT.as_secs_f64() / 2.0 {
        say(format!("took {:.1} s", r.seconds));
    }
    bad
}

/// Run every case in a fresh fixture directory each (`{d}` in arguments is the directory) and
/// fail with the list of every case that went wrong.
pub fn run_all(cases: Vec<Case>, prepare: impl Fn(&Path)) {
    let (mut bad, mut wrong) = (Vec::new(), 0usize);
    let total = cases.len();
    for mut c in cases {
        let dir = fixtures();
        prepare(dir.path());
        let d = dir.path().to_str().expect("utf-8").to_owned();
        for a in &mut c.args {
            *a = a.replace("{d}", &d);
        }
        let problems = check(dir.path(), &c);
        wrong += usize::from(!problems.is_empty());
        bad.extend(problems);
    }
    assert!(bad.is_empty(), "{wrong} of {total} cases went wrong:\n{}", bad.join("\n"));
}
