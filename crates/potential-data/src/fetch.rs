//! Fetching MNIST: the four standard `.gz` files over plain HTTP, resumable (`Range`), verified
//! (md5 and sha256 of the decompressed payload against the crate's `data/mnist/checksums.txt`,
//! compiled in) and atomic (`<file>.gz.part` renamed to `<file>.gz` only after verification).

use crate::error::{io_err, DataError, Result};
use crate::http;
use md5::Md5;
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

const CHECKSUMS: &str = include_str!("../data/mnist/checksums.txt");

/// The four standard MNIST files (without `.gz`).
pub const MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// The committed checksums of one MNIST file's decompressed payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MnistFile {
    /// File name without `.gz`.
    pub name: &'static str,
    /// md5 (hex) of the decompressed payload.
    pub md5: &'static str,
    /// sha256 (hex) of the decompressed payload.
    pub sha256: &'static str,
    /// Size in bytes of the decompressed payload.
    pub size: u64,
}

/// The checksums of the crate's `data/mnist/checksums.txt`, in [`MNIST_FILES`] order.
///
/// # Panics
/// Never for the committed file (a unit test parses it).
pub fn mnist_checksums() -> Vec<MnistFile> {
    let rows: Vec<MnistFile> = CHECKSUMS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let t: Vec<&'static str> = l.split_whitespace().collect();
            assert_eq!(t.len(), 4, "checksums.txt line {l:?}");
            MnistFile { name: t[0], md5: t[1], sha256: t[2], size: t[3].parse().expect("size") }
        })
        .collect();
    MNIST_FILES
        .iter()
        .map(|n| rows.iter().find(|r| r.name == *n).cloned().expect("every MNIST file has a checksum"))
        .collect()
}

/// Where and how to fetch.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Base URL (`http://…/`); each file is fetched from `<base_url>/<file>.gz`.
    pub base_url: String,
    /// Destination folder (created if missing).
    pub dir: PathBuf,
    /// Connect/read timeout (of each read).
    pub timeout: Duration,
    /// Longest time the whole fetch may take (`None`: no limit); a read that would start later
    /// fails with [`DataError::Http`], keeping the partial file for the next run.
    pub deadline: Option<Duration>,
}

impl FetchOptions {
    /// Fetch into `dir` from `base_url`, with a 30 s timeout and no overall deadline.
    pub fn new(base_url: impl Into<String>, dir: impl Into<PathBuf>) -> Self {
        Self { base_url: base_url.into(), dir: dir.into(), timeout: Duration::from_secs(30), deadline: None }
    }
}

/// Progress reported by [`fetch_mnist`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchEvent<'a> {
    /// The file is present and verifies: nothing to download.
    AlreadyPresent {
        /// File name (`….gz`).
        file: &'a str,
    },
    /// A transfer starts.
    Start {
        /// File name (`….gz`).
        file: &'a str,
        /// Bytes already on disk from an earlier, interrupted transfer (resumed with `Range`).
        resumed_from: u64,
        /// Total size, when the server says.
        total: Option<u64>,
    },
    /// Bytes on disk so far.
    Progress {
        /// File name (`….gz`).
        file: &'a str,
        /// Bytes on disk.
        done: u64,
    },
    /// The file verified and was renamed into place.
    Done {
        /// File name (`….gz`).
        file: &'a str,
    },
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Check a `.gz` file: it must decompress (gzip CRC included) to the payload of `sum`.
fn verify(path: &Path, sum: &MnistFile) -> Result<()> {
    let file = File::open(path).map_err(io_err(path))?;
    let mut dec = flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(1 << 16, file));
    let mut md5 = Md5::new();
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let k = dec.read(&mut buf).map_err(|e| DataError::Checksum {
            path: path.into(),
            algorithm: "gzip",
            expected: "a valid gzip stream".into(),
            actual: e.to_string(),
        })?;
        if k == 0 {
            break;
        }
        md5.update(&buf[..k]);
        sha.update(&buf[..k]);
        size += k as u64;
    }
    let (m, s) = (hex(&md5.finalize()), hex(&sha.finalize()));
    if m != sum.md5 {
        return Err(DataError::Checksum {
            path: path.into(),
            algorithm: "md5",
            expected: sum.md5.into(),
            actual: m,
        });
    }
    if s != sum.sha256 {
        return Err(DataError::Checksum {
            path: path.into(),
            algorithm: "sha256",
            expected: sum.sha256.into(),
            actual: s,
        });
    }
    debug_assert_eq!(size, sum.size);
    Ok(())
}

/// Download the four MNIST `.gz` files into `opts.dir`, reporting progress through `on_event`.
///
/// Per file: a complete, verifying `<file>.gz` is kept; otherwise the download continues from
/// `<file>.gz.part` with an HTTP `Range` request (a server answering 200 restarts it), the result is
/// verified (md5 and sha256 of the decompressed payload; the crate's `data/mnist/README.md` says
/// why not of the `.gz` bytes), fsynced and renamed to `<file>.gz`. A cut connection leaves the `.part`
/// for the next run and returns an error; a checksum failure deletes the `.part`.
///
/// Plain `http://` only (no TLS).
///
/// # Errors
/// [`DataError::Http`] (bad URL, connection, status, transfer cut short), [`DataError::Checksum`],
/// [`DataError::Io`]. Returns at the first failing file.
pub fn fetch_mnist(opts: &FetchOptions, on_event: &mut dyn FnMut(FetchEvent<'_>)) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(&opts.dir).map_err(io_err(&opts.dir))?;
    let base = opts.base_url.trim_end_matches('/');
    let deadline = opts.deadline.map(|d| std::time::Instant::now() + d);
    let mut out = Vec::new();
    for sum in mnist_checksums() {
        let file = format!("{}.gz", sum.name);
        let dest = opts.dir.join(&file);
        if dest.is_file() && verify(&dest, &sum).is_ok() {
            on_event(FetchEvent::AlreadyPresent { file: &file });
            out.push(dest);
            continue;
        }
        let part = opts.dir.join(format!("{file}.part"));
        let url = format!("{base}/{file}");
        download(&url, &part, &file, (opts.timeout, deadline), on_event)?;
        if let Err(e) = verify(&part, &sum) {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
        std::fs::rename(&part, &dest).map_err(io_err(&dest))?;
        if let Ok(d) = File::open(&opts.dir) {
            let _ = d.sync_all();
        }
        on_event(FetchEvent::Done { file: &file });
        out.push(dest);
    }
    Ok(out)
}

/// Download `url` into `part`, resuming from its current length.
fn download(
    url: &str,
    part: &Path,
    file: &str,
    (timeout, deadline): (Duration, Option<std::time::Instant>),
    on_event: &mut dyn FnMut(FetchEvent<'_>),
) -> Result<()> {
    let have = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
    let mut resp = http::get(url, have, timeout, deadline)?;
    let http_err = |reason: String| DataError::Http { url: url.into(), reason };
    let (append, start) = match resp.status {
        206 => {
            // Content-Range: bytes <start>-<end>/<total>
            let cr = resp.header("content-range").unwrap_or("");
            let start: Option<u64> = cr
                .strip_prefix("bytes ")
                .and_then(|r| r.split('-').next())
                .and_then(|s| s.trim().parse().ok());
            if start != Some(have) {
                return Err(http_err(format!("206 with Content-Range {cr:?}, expected a range from {have}")));
            }
            (true, have)
        }
        200 => (false, 0),
        // The .part already holds everything: let verification decide.
        416 if have > 0 => return Ok(()),
        s => return Err(http_err(format!("HTTP status {s}"))),
    };
    let total = resp.content_length().map(|l| l + start);
    on_event(FetchEvent::Start { file, resumed_from: start, total });
    let mut out = OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(part)
        .map_err(io_err(part))?;
    let mut buf = vec![0u8; 1 << 16];
    let mut done = start;
    let result = loop {
        match resp.body.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(k) => {
                if let Err(e) = out.write_all(&buf[..k]) {
                    break Err(DataError::Io { path: part.into(), source: e });
                }
                done += k as u64;
                on_event(FetchEvent::Progress { file, done });
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                break Err(http_err(format!(
                    "transfer interrupted after {done} bytes ({e}); the partial file {} is kept, run again to resume",
                    part.display()
                )))
            }
        }
    };
    // Keep what arrived, durably, whether or not the transfer finished.
    out.sync_all().map_err(io_err(part))?;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_checksums_parse() {
        let c = mnist_checksums();
        assert_eq!(c.len(), 4);
        assert_eq!(c[0].md5, "6bbc9ace898e44ae57da46a324031adb");
        assert_eq!(c[3].size, 10008);
        assert!(c.iter().all(|f| f.md5.len() == 32 && f.sha256.len() == 64));
    }

    #[test]
    fn md5_and_sha256_known_answers() {
        assert_eq!(hex(&Md5::digest(b"abc")), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            hex(&Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
