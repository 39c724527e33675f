//! Malformed, truncated, oversized and non-file inputs of every reader.

use super::support::{case, fails, run_all, Case, Expect};
use std::io::Write;
use std::path::Path;

/// Files the input cases read, beside the fixtures.
fn prepare(d: &Path) {
    let w = |n: &str, b: &[u8]| std::fs::write(d.join(n), b).expect("write");
    let x = std::fs::read(d.join("x.npy")).expect("x.npy");
    w("trunc.npy", &x[..x.len() - 7]);
    w("head.npy", &x[..20]);
    w("empty.npy", b"");
    w("badmagic.npy", b"\x93NUMPX\x01\x00\x10\x00{'descr': '<f4'}     \n");
    let mut lie = x.clone();
    let s = String::from_utf8_lossy(&lie[10..80]).replace("(60, 16)", "(99, 16)");
    lie.splice(10..80, s.bytes());
    w("lie.npy", &lie);
    let mut big = x[..10].to_vec();
    let h = "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }";
    big.splice(8..10, (h.len() as u16 + 1).to_le_bytes());
    big.extend_from_slice(h.as_bytes());
    big.push(b'\n');
    w("huge.npy", &big);
    let mut nan = x.clone();
    let at = nan.len() - 4 * 3;
    nan[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    w("nan.npy", &nan);
    w("cols.amat", b"0.1 0.2 1\n0.1 0.2 0.3 1\n");
    w("token.amat", b"0.1 zz 1\n");
    w("binary.amat", &[0xff, 0xfe, 0x00, 0x80, b'\n']);
    w("long.amat", &vec![b'1'; (64 << 20) + 10]);
    w("bad.csv", b"1,2,3,0\n1,2,99,1\n");
    w("short-idx3-ubyte", &[0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 4, 0, 0, 0, 4, 1, 2, 3]);
    w(
        "dims-idx3-ubyte",
        &[0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    );
    // A gzip bomb: a header declaring 10 images of 4×4, then 64 MiB of zeros.
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    g.write_all(&[0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 4, 0, 0, 0, 4]).expect("gz");
    for _ in 0..64 {
        g.write_all(&[0u8; 1 << 20]).expect("gz");
    }
    w("bomb-idx3-ubyte.gz", &g.finish().expect("gz"));
    // A gzip file whose header claims 2^20 × 2^12 pixels (4 GiB) from a few bytes.
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    g.write_all(&[0, 0, 8, 3, 0, 16, 0, 0, 0, 0, 0x40, 0, 0, 0, 0x40, 0]).expect("gz");
    w("claim-idx3-ubyte.gz", &g.finish().expect("gz"));
    w("corrupt-idx3-ubyte.gz", &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]);
    let m = std::fs::read(d.join("m.safetensors")).expect("model");
    w("trunc.safetensors", &m[..m.len() / 2]);
    w("hlen.safetensors", &u64::MAX.to_le_bytes());
    w("ylong.npy", &[]);
    potential_data::write_npy_labels(d.join("ylong.npy"), &vec![0; 61]).expect("labels");
    potential_data::write_npy_f32(d.join("ylabels-float.npy"), &[0.5; 60], &[60]).expect("labels");
    std::fs::create_dir(d.join("dir.npy")).expect("dir");
    for (link, target) in [("zero.npy", "/dev/zero"), ("zero.amat", "/dev/zero"), ("zero.csv", "/dev/zero")] {
        std::os::unix::fs::symlink(target, d.join(link)).expect("symlink");
    }
    let fifo = d.join("fifo.amat");
    let c = std::ffi::CString::new(fifo.to_str().expect("utf-8")).expect("path");
    // SAFETY: mkfifo reads a NUL-terminated path that lives across the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

fn cases() -> Vec<Case> {
    let info = |name: &str, file: &str, e: Expect| case(name, &format!("data info {{d}}/{file}"), e);
    let score = |name: &str, data: &str, e: Expect| {
        case(name, &format!("score --model {{d}}/m.safetensors --data {{d}}/{data} --out {{d}}/s.npy -q"), e)
    };
    vec![
        info("npy: truncated payload", "trunc.npy", fails(&["trunc.npy", "truncated"])),
        info("npy: header cut", "head.npy", fails(&["head.npy"])),
        info("npy: empty file", "empty.npy", fails(&["empty.npy"])),
        info("npy: bad magic", "badmagic.npy", fails(&["badmagic.npy"])),
        info("npy: shape larger than the file", "lie.npy", fails(&["lie.npy"])),
        info("npy: shape overflowing", "huge.npy", fails(&["huge.npy"])),
        info("npy: a directory", "dir.npy", fails(&["dir.npy"])),
        info("npy: missing file", "nothere.npy", fails(&["nothere.npy", "No such file"])),
        info("npy: /dev/zero", "zero.npy", fails(&["zero.npy", "character device"])),
        info("amat: /dev/zero", "zero.amat", fails(&["zero.amat", "not a regular file"])),
        info("csv: /dev/zero", "zero.csv", fails(&["zero.csv", "not a regular file"])),
        info("amat: a FIFO (read once or refused, never a hang)", "fifo.amat", fails(&["fifo.amat", "FIFO"])),
        info("amat: column count changes", "cols.amat", fails(&["cols.amat:2", "columns"])),
        info("amat: bad token", "token.amat", fails(&["token.amat:1"])),
        info("amat: not UTF-8", "binary.amat", fails(&["binary.amat:1", "UTF-8"])),
        info("amat: one line longer than the limit", "long.amat", fails(&["long.amat:1", "longer than"])),
        info("csv: pixel out of range", "bad.csv", fails(&["bad.csv:2", "column 3"])),
        info("idx: truncated payload", "short-idx3-ubyte", fails(&["short-idx3-ubyte", "truncated"])),
        info("idx: absurd dimensions", "dims-idx3-ubyte", fails(&["dims-idx3-ubyte"])),
        info("idx.gz: bomb behind a small header", "bomb-idx3-ubyte.gz", fails(&["bomb-idx3-ubyte.gz", "trailing"])),
        info("idx.gz: header claims 4 GiB", "claim-idx3-ubyte.gz", fails(&["claim-idx3-ubyte.gz", "decompresses"])),
        info("idx.gz: corrupt stream", "corrupt-idx3-ubyte.gz", fails(&["corrupt-idx3-ubyte.gz"])),
        info("npy: NaN", "nan.npy", fails(&["nan.npy", "row 59", "column 13"])),
        score("score: NaN row named", "nan.npy", fails(&["nan.npy", "row 59"])),
        score("score: width mismatch", "a.amat", Expect::Ok),
        case("labels: 16777215 in data info (no line per label value)", "data info {d}/x.npy --labels {d}/ybig.npy", fails(&["ybig.npy", "row 5", "16777215"])),
        case("labels: /dev/zero", "data info {d}/x.npy --labels /dev/zero", fails(&["/dev/zero", "not a regular file"])),
        case("labels: one too many", "data info {d}/x.npy --labels {d}/ylong.npy", fails(&["ylong.npy", "61"])),
        case("labels: fractional", "data info {d}/x.npy --labels {d}/ylabels-float.npy", fails(&["ylabels-float.npy", "row 0"])),
        case(
            "labels: 16777215 in csae train (no class per label value)",
            "csae train --data {d}/x.npy --labels {d}/ybig.npy --hidden 4 --pretrain-epochs 1 --finetune-epochs 1 --out {d}/o.safetensors -q",
            fails(&["ybig.npy", "row 5", "16777215"]),
        ),
        case("model: /dev/zero", "inspect /dev/zero", fails(&["/dev/zero", "not a regular file"])),
        case("model: score with /dev/zero", "score --model /dev/zero --data {d}/x.npy --out {d}/s.npy", fails(&["/dev/zero"])),
        case("model: truncated", "inspect {d}/trunc.safetensors", fails(&["trunc.safetensors"])),
        case("model: header length 2^64-1", "inspect {d}/hlen.safetensors", fails(&["hlen.safetensors"])),
        case("model: a data file", "inspect {d}/x.npy", fails(&["x.npy"])),
        case("model: a CSAE given to score", "score --model {d}/c.safetensors --data {d}/x.npy --out {d}/s.npy", fails(&["c.safetensors"])),
        case("model: a tied model given to csae eval", "csae eval --model {d}/m.safetensors --data {d}/x.npy --labels {d}/y.npy", fails(&["m.safetensors"])),
        case("detect: model of other width", "detect --model {d}/m.safetensors --data {d}/cols.amat --contamination 0.1", fails(&["cols.amat"])),
        case("csae eval: /dev/zero labels", "csae eval --model {d}/c.safetensors --data {d}/x.npy --labels /dev/zero", fails(&["/dev/zero"])),
        case("data convert: FIFO input", "data convert {d}/fifo.amat {d}/o.npy", fails(&["fifo.amat", "FIFO"])),
        case("train: /dev/zero data", "train --data {d}/zero.amat --hidden 4 --epochs 1 --out {d}/o.safetensors", fails(&["zero.amat"])),
        case("detect fit: truncated data", "detect fit --data {d}/trunc.npy --out {d}/o.safetensors -q", fails(&["trunc.npy"])),
    ]
}

#[test]
fn malformed_inputs_are_typed_errors() {
    run_all(cases(), prepare);
}
