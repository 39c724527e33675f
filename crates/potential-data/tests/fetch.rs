//! `fetch_mnist` against a loopback HTTP/1.1 server serving ../shared/datasets/mnist, gzipped on the
//! fly into a temporary folder: success, resume after a cut connection, a server ignoring `Range`,
//! corruption caught by the checksum, a corrupt gzip stream, and a 404.

use potential_data::{
    fetch_mnist, label_histogram, load_mnist, shared_data, DataError, FetchEvent, FetchOptions,
};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// The four files gzipped once per test binary: (name.gz, bytes).
fn gz_files() -> Option<&'static HashMap<String, Vec<u8>>> {
    static FILES: OnceLock<Option<HashMap<String, Vec<u8>>>> = OnceLock::new();
    FILES
        .get_or_init(|| {
            let dir = shared_data("mnist/train-images-idx3-ubyte")?.parent()?.to_path_buf();
            let tmp = tempfile::tempdir().unwrap();
            let mut map = HashMap::new();
            for name in potential_data::MNIST_FILES {
                let raw = std::fs::read(dir.join(name)).unwrap();
                let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                enc.write_all(&raw).unwrap();
                let gz = enc.finish().unwrap();
                // Written to a temporary folder too, as the brief of this test says; served from memory.
                std::fs::write(tmp.path().join(format!("{name}.gz")), &gz).unwrap();
                map.insert(format!("{name}.gz"), gz);
            }
            Some(map)
        })
        .as_ref()
}

/// How the server misbehaves.
#[derive(Default)]
struct Faults {
    /// Cut the connection after this many body bytes, once, for this file.
    cut: Option<(String, usize)>,
    /// Ignore `Range` headers (always answer 200 with the whole file).
    ignore_range: bool,
    /// Serve these bytes instead for this file.
    replace: Option<(String, Vec<u8>)>,
}

#[derive(Default)]
struct Log {
    /// (path, Range start) per request.
    requests: Vec<(String, Option<u64>)>,
}

struct Server {
    base: String,
    faults: Arc<Mutex<Faults>>,
    log: Arc<Mutex<Log>>,
}

fn serve(files: &'static HashMap<String, Vec<u8>>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/mnist/", listener.local_addr().unwrap());
    let faults = Arc::new(Mutex::new(Faults::default()));
    let log = Arc::new(Mutex::new(Log::default()));
    let (f2, l2) = (faults.clone(), log.clone());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            // One connection at a time is all the client uses.
            let _ = handle(conn, files, &f2, &l2);
        }
    });
    Server { base, faults, log }
}

fn handle(
    mut conn: TcpStream,
    files: &HashMap<String, Vec<u8>>,
    faults: &Mutex<Faults>,
    log: &Mutex<Log>,
) -> std::io::Result<()> {
    let mut r = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut range = None;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some(v) = h.strip_prefix("Range: bytes=") {
            range = v.trim().trim_end_matches('-').parse::<u64>().ok();
        }
    }
    log.lock().unwrap().requests.push((path.clone(), range));
    let name = path.trim_start_matches("/mnist/").to_string();
    let mut f = faults.lock().unwrap();
    let body: Vec<u8> = match (&f.replace, files.get(&name)) {
        (Some((n, b)), _) if *n == name => b.clone(),
        (_, Some(b)) => b.clone(),
        (_, None) => {
            conn.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
            return Ok(());
        }
    };
    let start = if f.ignore_range { 0 } else { range.unwrap_or(0) as usize };
    let cut = match &f.cut {
        Some((n, k)) if *n == name => Some(*k),
        _ => None,
    };
    if cut.is_some() {
        f.cut = None; // once
    }
    drop(f);
    let slice = &body[start.min(body.len())..];
    let head = if start > 0 {
        format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {}-{}/{}\r\nConnection: close\r\n\r\n",
            slice.len(),
            start,
            body.len() - 1,
            body.len()
        )
    } else {
        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", slice.len())
    };
    conn.write_all(head.as_bytes())?;
    match cut {
        Some(k) => conn.write_all(&slice[..k.min(slice.len())])?, // then drop: connection cut
        None => conn.write_all(slice)?,
    }
    conn.flush()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn fetch(base: &str, dir: &Path) -> (Result<Vec<PathBuf>, DataError>, Vec<String>) {
    let mut events = Vec::new();
    let r = fetch_mnist(&FetchOptions::new(base, dir), &mut |e| match e {
        FetchEvent::Progress { .. } => {}
        other => events.push(format!("{other:?}")),
    });
    (r, events)
}

#[test]
fn fetches_verifies_and_skips_present_files() {
    let Some(files) = gz_files() else { return };
    let srv = serve(files);
    let dir = tempfile::tempdir().unwrap();
    let (r, events) = fetch(&srv.base, dir.path());
    let paths = r.unwrap();
    assert_eq!(paths.len(), 4);
    for p in &paths {
        let name = p.file_name().unwrap().to_str().unwrap();
        assert_eq!(&std::fs::read(p).unwrap(), &files[name], "{name}");
    }
    assert_eq!(events.iter().filter(|e| e.starts_with("Done")).count(), 4, "{events:?}");
    // No .part or temporary files remain.
    assert_eq!(names_in(dir.path()).len(), 4);
    // The downloaded .gz files load.
    let (train, test) = load_mnist(dir.path()).unwrap();
    assert_eq!((train.n(), train.d(), test.n()), (60000, 784, 10000));
    assert_eq!(
        label_histogram(train.labels()),
        vec![5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
    // A second run downloads nothing.
    let before = srv.log.lock().unwrap().requests.len();
    let (r, events) = fetch(&srv.base, dir.path());
    r.unwrap();
    assert_eq!(srv.log.lock().unwrap().requests.len(), before);
    assert_eq!(events.iter().filter(|e| e.starts_with("AlreadyPresent")).count(), 4);
}

#[test]
fn interrupted_transfer_is_caught_then_resumed() {
    let Some(files) = gz_files() else { return };
    let srv = serve(files);
    let dir = tempfile::tempdir().unwrap();
    let name = "train-images-idx3-ubyte.gz";
    let cut_at = files[name].len() / 3;
    srv.faults.lock().unwrap().cut = Some((name.into(), cut_at));
    let (r, _) = fetch(&srv.base, dir.path());
    match r {
        Err(DataError::Http { reason, .. }) => assert!(reason.contains("interrupted"), "{reason}"),
        other => panic!("expected an interrupted transfer, got {other:?}"),
    }
    let part = dir.path().join(format!("{name}.part"));
    assert_eq!(std::fs::metadata(&part).unwrap().len(), cut_at as u64, "partial data kept");
    assert!(!dir.path().join(name).exists(), "nothing renamed into place");

    let (r, events) = fetch(&srv.base, dir.path());
    r.unwrap();
    assert!(events.iter().any(|e| e.contains(&format!("resumed_from: {cut_at}"))), "{events:?}");
    let reqs = &srv.log.lock().unwrap().requests;
    assert!(reqs.iter().any(|(p, r)| p.ends_with(name) && *r == Some(cut_at as u64)), "{reqs:?}");
    assert_eq!(std::fs::read(dir.path().join(name)).unwrap(), files[name]);
    assert!(!part.exists());
}

#[test]
fn server_ignoring_range_restarts_cleanly() {
    let Some(files) = gz_files() else { return };
    let srv = serve(files);
    let dir = tempfile::tempdir().unwrap();
    let name = "t10k-labels-idx1-ubyte.gz";
    // A stale partial file of garbage: a 200 answer must overwrite it, not append.
    std::fs::write(dir.path().join(format!("{name}.part")), b"garbage").unwrap();
    srv.faults.lock().unwrap().ignore_range = true;
    let (r, _) = fetch(&srv.base, dir.path());
    r.unwrap();
    assert_eq!(std::fs::read(dir.path().join(name)).unwrap(), files[name]);
}

#[test]
fn corruption_is_caught_by_the_checksum() {
    let Some(files) = gz_files() else { return };
    let name = "train-labels-idx1-ubyte.gz";
    // A valid gzip stream of a payload with one label changed: only the payload checksum can tell.
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(&files[name][..]).read_to_end(&mut raw).unwrap();
    raw[5000] = (raw[5000] + 1) % 10;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&raw).unwrap();
    let srv = serve(files);
    srv.faults.lock().unwrap().replace = Some((name.into(), enc.finish().unwrap()));
    let dir = tempfile::tempdir().unwrap();
    match fetch(&srv.base, dir.path()).0 {
        Err(DataError::Checksum { algorithm: "md5", expected, .. }) => {
            assert_eq!(expected, "a25bea736e30d166cdddb491f175f624")
        }
        other => panic!("expected a checksum error, got {other:?}"),
    }
    assert!(!dir.path().join(name).exists());
    assert!(!dir.path().join(format!("{name}.part")).exists(), "a corrupt download is deleted");

    // A flipped byte inside the gzip stream: caught while decompressing (CRC or inflate error).
    let mut bad = files[name].clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x55;
    srv.faults.lock().unwrap().replace = Some((name.into(), bad));
    match fetch(&srv.base, dir.path()).0 {
        Err(DataError::Checksum { .. }) => {}
        other => panic!("expected a checksum error, got {other:?}"),
    }
    assert!(!dir.path().join(name).exists());
}

#[test]
fn missing_file_is_an_http_error() {
    let Some(files) = gz_files() else { return };
    let srv = serve(files);
    let dir = tempfile::tempdir().unwrap();
    let base = srv.base.replace("/mnist/", "/nowhere/");
    match fetch(&base, dir.path()).0 {
        Err(DataError::Http { reason, .. }) => assert!(reason.contains("404"), "{reason}"),
        other => panic!("expected a 404, got {other:?}"),
    }
    assert!(names_in(dir.path()).is_empty());
}
