//! Bounded reading: no input, however hostile, makes a reader allocate without limit. Text lines
//! are capped at [`MAX_LINE_BYTES`], gzip streams at what deflate can produce from the compressed
//! size ([`MAX_DEFLATE_RATIO`]) or what the header's shape declares, and only regular files are
//! read (a pipe or a device such as `/dev/zero` is refused before it is opened for reading).

use crate::error::{DataError, Result};
use std::io::{BufRead, Read};
use std::path::Path;

/// Longest text line the `.amat` and CSV readers accept (64 MiB: a million columns of 60
/// characters each).
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// The largest ratio of decompressed to compressed size that deflate can reach (a run of one
/// byte, 258 bytes per 2-bit code, is about 1032:1); a gzip stream claiming more is refused.
pub const MAX_DEFLATE_RATIO: u64 = 1032;

/// Refuse `path` unless it is a regular file (or a link to one): FIFOs, process substitutions
/// (`<(cat x.npy)`), character devices (`/dev/zero`) and sockets.
///
/// # Errors
/// [`DataError::Io`] when it cannot be inspected; [`DataError::NotAFile`].
pub fn check_regular_file(path: &Path) -> Result<()> {
    let t =
        std::fs::metadata(path).map_err(|source| DataError::Io { path: path.into(), source })?.file_type();
    if t.is_file() {
        return Ok(());
    }
    Err(DataError::NotAFile { path: path.into(), kind: file_kind(t) })
}

/// What a file that is not a regular file is, in words.
fn file_kind(t: std::fs::FileType) -> &'static str {
    if t.is_dir() {
        return "directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "FIFO (named pipe or process substitution)";
        } else if t.is_char_device() {
            return "character device";
        } else if t.is_block_device() {
            return "block device";
        } else if t.is_socket() {
            return "socket";
        }
    }
    "special file"
}

/// Read one line (with its `\n`) into `line`, which is cleared first; `Ok(0)` at the end.
/// `line_no` is the 1-based number of this line, for errors.
///
/// # Errors
/// [`DataError::LineTooLong`] past [`MAX_LINE_BYTES`]; [`DataError::Parse`] for invalid UTF-8;
/// [`DataError::Io`].
pub(crate) fn read_line(
    src: &mut impl BufRead,
    line: &mut String,
    line_no: u64,
    path: &Path,
) -> Result<usize> {
    line.clear();
    let n = src.take(MAX_LINE_BYTES as u64 + 1).read_line(line).map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidData {
            DataError::Parse { path: path.into(), line: line_no, reason: "not UTF-8 text".into() }
        } else {
            DataError::Io { path: path.into(), source: e }
        }
    })?;
    if n > MAX_LINE_BYTES {
        return Err(DataError::LineTooLong { path: path.into(), line: line_no, max: MAX_LINE_BYTES });
    }
    Ok(n)
}

/// Decompress the gzip stream `raw` of `path`, refusing more than `limit` bytes of output.
///
/// # Errors
/// [`DataError::TooLarge`] (naming `reason`, what sets the limit); [`DataError::Io`] for a
/// corrupt stream.
pub(crate) fn gunzip(raw: &[u8], path: &Path, limit: u64, reason: &'static str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len().saturating_mul(4).min(limit as usize));
    flate2::read::MultiGzDecoder::new(raw)
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|source| DataError::Io { path: path.into(), source })?;
    if out.len() as u64 > limit {
        return Err(DataError::TooLarge { path: path.into(), limit, reason });
    }
    Ok(out)
}

/// The most a gzip stream of `compressed` bytes can decompress to.
pub(crate) fn deflate_limit(compressed: u64) -> u64 {
    compressed.saturating_mul(MAX_DEFLATE_RATIO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_fifos_are_refused_files_pass() {
        assert!(matches!(
            check_regular_file(Path::new("/dev/zero")),
            Err(DataError::NotAFile { kind: "character device", .. })
        ));
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"1").unwrap();
        check_regular_file(&f).unwrap();
        assert!(matches!(check_regular_file(dir.path()), Err(DataError::NotAFile { kind: "directory", .. })));
    }

    #[test]
    fn a_line_without_end_stops_at_the_limit() {
        let mut src = std::io::BufReader::new(std::io::repeat(b'1'));
        let mut line = String::new();
        let e = read_line(&mut src, &mut line, 7, Path::new("z.amat")).unwrap_err();
        assert!(matches!(e, DataError::LineTooLong { line: 7, .. }), "{e}");
        let mut src = &b"a b\nc"[..];
        assert_eq!(read_line(&mut src, &mut line, 1, Path::new("x")).unwrap(), 4);
        assert_eq!(line, "a b\n");
    }

    #[test]
    fn gunzip_stops_at_its_limit() {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&vec![0u8; 1 << 20]).unwrap();
        let gz = e.finish().unwrap();
        assert_eq!(gunzip(&gz, Path::new("b.gz"), 1 << 20, "test").unwrap().len(), 1 << 20);
        let err = gunzip(&gz, Path::new("b.gz"), 1000, "header's shape").unwrap_err();
        assert!(err.to_string().contains("more than 1000 bytes"), "{err}");
    }
}
