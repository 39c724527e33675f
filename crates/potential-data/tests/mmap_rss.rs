//! Opening MNIST train as a memory-mapped `.npy` costs no copy: anonymous (heap) memory does not
//! grow, and file-backed resident memory grows only with the pages touched.
//!
//! Alone in its own test binary so no other test's allocations disturb the measurement; Linux only
//! (reads `/proc/self/status`).

#![cfg(target_os = "linux")]

use potential_data::{map_npy_features, read_idx_images, shared_data, write_npy_f32};

/// (RssAnon, RssFile) in KiB.
fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| -> u64 {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name} missing"));
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    (field("RssAnon:"), field("RssFile:"))
}

#[test]
fn mapped_mnist_train_costs_no_copy() {
    let Some(img) = shared_data("mnist/train-images-idx3-ubyte") else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("train.npy");
    {
        let f = read_idx_images(&img).unwrap();
        write_npy_f32(&path, f.as_slice(), &[f.n(), f.d()]).unwrap();
    } // the 188 MB owned copy is freed here (large allocations go back to the OS)
    let file_kib = std::fs::metadata(&path).unwrap().len() / 1024;

    let (anon0, file0) = rss_kib();
    // SAFETY: the file is private to this test and not modified while mapped.
    let m = unsafe { map_npy_features(&path) }.unwrap();
    assert!(m.is_mapped());
    let (anon1, file1) = rss_kib();

    // Touch the first tenth of the rows. (Contiguous on purpose: the kernel maps file pages in
    // blocks — fault-around, large folios — so scattered single rows can each bring in megabytes.)
    let tenth = m.n() / 10;
    let mut s: f64 = m.rows(0..tenth).as_slice().iter().map(|&v| v as f64).sum();
    let (anon2, file2) = rss_kib();
    // Touch everything.
    s += m.as_slice().iter().map(|&v| v as f64).sum::<f64>();
    let (anon3, file3) = rss_kib();
    assert!(s > 0.0);
    eprintln!(
        "file {file_kib} KiB; RssAnon/RssFile KiB: before map {anon0}/{file0}, mapped {anon1}/{file1}, \
         first tenth touched {anon2}/{file2}, all touched {anon3}/{file3}"
    );
    // Mapping reads nothing but the header page(s).
    assert!(file1.saturating_sub(file0) < 1024, "mapping alone paged in {} KiB", file1 - file0);
    // A tenth of the rows pages in about a tenth of the file (plus the kernel's mapping granularity).
    assert!(file2.saturating_sub(file0) < file_kib / 10 + 8192, "a tenth paged in {} KiB", file2 - file0);
    // Reading everything pages in the file (file-backed, shared with the page cache) …
    assert!(file3 - file0 > file_kib * 9 / 10, "all rows paged in only {} KiB", file3 - file0);
    // … while no anonymous copy is ever made.
    assert!(anon3.saturating_sub(anon0) < 4096, "anonymous memory grew by {} KiB", anon3 - anon0);
}
