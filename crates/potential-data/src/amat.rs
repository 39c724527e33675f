//! Larochelle et al. (2007) `.amat` text files: one sample per line, whitespace-separated numbers,
//! the last column the class label. Read as a stream (constant memory), plain, gzip-compressed or
//! straight out of a `.zip` archive (as the benchmark was distributed). Errors name file and line.

use crate::error::{io_err, DataError, Result};
use crate::features::Features;
use crate::labels::MAX_LABEL;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Parse one `.amat` line into `out` (cleared first): the feature values, returning the label (the
/// last column). Blank lines return `Ok(None)`.
///
/// `line_no` (1-based) and `path` only label errors.
///
/// # Errors
/// [`DataError::Parse`] naming `path:line` for a token that is not a number, a non-finite value, a
/// label that is not an integer in `0..=MAX_LABEL`, or a line with a single column.
pub fn parse_amat_line(line: &str, line_no: u64, path: &Path, out: &mut Vec<f32>) -> Result<Option<u32>> {
    out.clear();
    let err = |reason: String| DataError::Parse { path: path.to_path_buf(), line: line_no, reason };
    // Features parse straight to f32 (correctly rounded; going through f64 would round twice).
    // The last token is the label, so each token is converted once the next one is seen.
    let mut last: Option<(usize, &str)> = None;
    for (col, tok) in line.split_ascii_whitespace().enumerate() {
        if let Some((c, prev)) = last.replace((col, tok)) {
            let v: f32 = prev.parse().map_err(|_| err(format!("column {}: bad number {prev:?}", c + 1)))?;
            if !v.is_finite() {
                let what = if prev.parse::<f64>().is_ok_and(f64::is_finite) {
                    "overflows f32"
                } else {
                    "non-finite"
                };
                return Err(err(format!("column {}: {what} value {prev:?}", c + 1)));
            }
            out.push(v);
        }
    }
    let Some((c, tok)) = last else { return Ok(None) };
    let label: f64 = tok.parse().map_err(|_| err(format!("column {}: bad number {tok:?}", c + 1)))?;
    if out.is_empty() {
        return Err(err("a single column: expected features followed by a label".into()));
    }
    if label.fract() != 0.0 || !(0.0..=MAX_LABEL as f64).contains(&label) {
        return Err(err(format!("label {label} is not an integer in 0..={MAX_LABEL}")));
    }
    Ok(Some(label as u32))
}

/// A streaming `.amat` reader over any buffered source; checks every line has the column count of
/// the first.
#[derive(Debug)]
pub struct AmatReader<R> {
    src: R,
    path: PathBuf,
    line: String,
    line_no: u64,
    d: Option<usize>,
}

impl<R: BufRead> AmatReader<R> {
    /// Read from `src`; `path` labels errors.
    pub fn new(src: R, path: impl Into<PathBuf>) -> Self {
        Self { src, path: path.into(), line: String::new(), line_no: 0, d: None }
    }

    /// The number of feature columns, once the first row has been read.
    pub fn d(&self) -> Option<usize> {
        self.d
    }

    /// Read the next row's features into `row` and return its label; `Ok(None)` at the end.
    ///
    /// # Errors
    /// [`DataError::Parse`] (bad token, column count differing from the first row, invalid UTF-8),
    /// [`DataError::LineTooLong`],
    /// [`DataError::Io`].
    pub fn next_row(&mut self, row: &mut Vec<f32>) -> Result<Option<u32>> {
        loop {
            let n = crate::bounded::read_line(&mut self.src, &mut self.line, self.line_no + 1, &self.path)?;
            if n == 0 {
                return Ok(None);
            }
            self.line_no += 1;
            let Some(label) = parse_amat_line(&self.line, self.line_no, &self.path, row)? else { continue };
            match self.d {
                None => self.d = Some(row.len()),
                Some(d) if d != row.len() => {
                    return Err(DataError::Parse {
                        path: self.path.clone(),
                        line: self.line_no,
                        reason: format!("{} columns, but the first row has {}", row.len() + 1, d + 1),
                    })
                }
                Some(_) => {}
            }
            return Ok(Some(label));
        }
    }
}

/// What a streamed pass over an `.amat` saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmatSummary {
    /// Rows read.
    pub n: usize,
    /// Feature columns (0 for an empty file).
    pub d: usize,
}

/// Stream every row of an `.amat` file (plain, `.gz`, or the first `*.amat` entry of a `.zip`,
/// detected by magic bytes) through `f(features, label)`, in constant memory.
///
/// # Errors
/// [`DataError::Io`], [`DataError::Zip`], [`DataError::Parse`], and whatever `f` returns.
pub fn for_each_amat_row(
    path: impl AsRef<Path>,
    mut f: impl FnMut(&[f32], u32) -> Result<()>,
) -> Result<AmatSummary> {
    let path = path.as_ref();
    let mut file = File::open(path).map_err(io_err(path))?;
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut file, &mut magic).map_err(io_err(path))?;
    drop(file);
    let mut run = |src: &mut dyn BufRead, label_path: PathBuf| -> Result<AmatSummary> {
        let mut r = AmatReader::new(src, label_path);
        let mut row = Vec::new();
        let mut n = 0;
        while let Some(label) = r.next_row(&mut row)? {
            f(&row, label)?;
            n += 1;
        }
        Ok(AmatSummary { n, d: r.d().unwrap_or(0) })
    };
    let file = File::open(path).map_err(io_err(path))?;
    if got == 4 && magic == *b"PK\x03\x04" {
        zipped(file, path, &mut run)
    } else if got >= 2 && magic[..2] == [0x1f, 0x8b] {
        run(&mut BufReader::with_capacity(1 << 16, flate2::read::MultiGzDecoder::new(file)), path.into())
    } else {
        run(&mut BufReader::with_capacity(1 << 16, file), path.into())
    }
}

/// The first `*.amat` entry of the zip archive `file` (at `path`), streamed through `run`.
#[cfg(feature = "zip")]
fn zipped(
    file: File,
    path: &Path,
    run: &mut dyn FnMut(&mut dyn BufRead, PathBuf) -> Result<AmatSummary>,
) -> Result<AmatSummary> {
    let zerr = |e: zip::result::ZipError| DataError::Zip { path: path.into(), reason: e.to_string() };
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(zerr)?;
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<std::result::Result<_, _>>()
        .map_err(zerr)?;
    let Some(name) = names.iter().find(|n| n.ends_with(".amat")).cloned() else {
        return Err(DataError::Zip { path: path.into(), reason: format!("no .amat entry among {names:?}") });
    };
    let entry = archive.by_name(&name).map_err(zerr)?;
    let mut reader = BufReader::with_capacity(1 << 16, entry);
    run(&mut reader, path.join(&name))
}

/// Without the `zip` feature a zipped `.amat` is refused with [`DataError::Zip`].
#[cfg(not(feature = "zip"))]
fn zipped(
    _file: File,
    path: &Path,
    _run: &mut dyn FnMut(&mut dyn BufRead, PathBuf) -> Result<AmatSummary>,
) -> Result<AmatSummary> {
    Err(DataError::Zip {
        path: path.into(),
        reason: "reading .amat inside .zip needs the `zip` feature of potential-data".into(),
    })
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..])? {
            0 => break,
            k => got += k,
        }
    }
    Ok(got)
}

/// Read a whole `.amat` into memory: features [n, d] and labels.
///
/// # Errors
/// As [`for_each_amat_row`]; [`DataError::BadShape`] for a file without rows.
pub fn read_amat(path: impl AsRef<Path>) -> Result<(Features, Vec<u32>)> {
    let path = path.as_ref();
    let mut values = Vec::new();
    let mut labels = Vec::new();
    let s = for_each_amat_row(path, |row, l| {
        values.extend_from_slice(row);
        labels.push(l);
        Ok(())
    })?;
    if s.n == 0 {
        return Err(DataError::BadShape {
            path: path.into(),
            shape: vec![0, 0],
            reason: "no rows in .amat file",
        });
    }
    let f = Features::from_vec(values, s.n, s.d).map_err(|e| crate::idx::with_path(e, path))?;
    Ok((f, labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Result<Vec<(Vec<f32>, u32)>> {
        let mut r = AmatReader::new(text.as_bytes(), "t.amat");
        let mut out = Vec::new();
        let mut row = Vec::new();
        while let Some(l) = r.next_row(&mut row)? {
            out.push((row.clone(), l));
        }
        Ok(out)
    }

    #[test]
    fn parses_rows_and_skips_blank_lines() {
        let ok = rows("0.5 1.000e+00 3\n\n  0 0.25\t7.0000000e+00  \n").unwrap();
        assert_eq!(ok, vec![(vec![0.5, 1.0], 3), (vec![0.0, 0.25], 7)]);
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let cases = [
            ("1 2\n1 x 3\n", 2, "bad number"),
            ("1 2\n1 nan 3\n", 2, "non-finite"),
            ("1 2\n1 inf 3\n", 2, "non-finite"),
            ("1 2\n1 3 x\n", 2, "column 3: bad number"),
            ("1 2\n1 2 3\n", 2, "columns"),
            ("1 2.5\n", 1, "label"),
            ("1 -1\n", 1, "label"),
            ("7\n", 1, "single column"),
            ("1 1e39 2\n", 1, "overflows f32"),
        ];
        for (text, line, what) in cases {
            match rows(text) {
                Err(DataError::Parse { path, line: l, reason }) => {
                    assert_eq!(l, line, "{text:?}");
                    assert!(reason.contains(what), "{text:?}: {reason}");
                    assert_eq!(path, Path::new("t.amat"));
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }
}
