//! The UCI optical digits (Alpaydin & Kaynak) as comma-separated integers: 64 pixels of an 8×8
//! image with values 0..=16, then the label. Pixels are scaled to [0, 1] by `v / 16`.
//! Plain or gzip-compressed (detected by magic). Errors name file and line.

use crate::error::{io_err, DataError, Result};
use crate::features::Features;
use crate::labels::MAX_LABEL;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// The largest pixel value of the UCI digits.
pub const DIGITS_MAX: u32 = 16;

/// Parse digits CSV text from `src` (`path` labels errors): every row must have the column count of
/// the first, every pixel an integer in `0..=16`, every label an integer in `0..=MAX_LABEL`.
///
/// # Errors
/// [`DataError::Parse`] with the line, [`DataError::Io`], [`DataError::BadShape`] for no rows.
pub fn parse_digits_csv(src: impl BufRead, path: &Path) -> Result<(Features, Vec<u32>)> {
    let mut values = Vec::new();
    let mut labels = Vec::new();
    let mut d: Option<usize> = None;
    let lut: Vec<f32> = (0..=DIGITS_MAX).map(|v| v as f32 / DIGITS_MAX as f32).collect();
    let (mut src, mut buf, mut line_no) = (src, String::new(), 0u64);
    loop {
        line_no += 1;
        if crate::bounded::read_line(&mut src, &mut buf, line_no, path)? == 0 {
            break;
        }
        let err = |reason: String| DataError::Parse { path: path.to_path_buf(), line: line_no, reason };
        let line = &buf;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let toks: Vec<&str> = line.split(',').map(str::trim).collect();
        if toks.len() < 2 {
            return Err(err("expected pixels followed by a label".into()));
        }
        let width = toks.len() - 1;
        match d {
            None => d = Some(width),
            Some(w) if w != width => {
                return Err(err(format!("{} columns, but the first row has {}", toks.len(), w + 1)))
            }
            Some(_) => {}
        }
        for (col, t) in toks[..width].iter().enumerate() {
            match t.parse::<u32>() {
                Ok(v) if v <= DIGITS_MAX => values.push(lut[v as usize]),
                _ => return Err(err(format!("column {}: {t:?} is not an integer in 0..=16", col + 1))),
            }
        }
        let t = toks[width];
        match t.parse::<u32>() {
            Ok(v) if v <= MAX_LABEL => labels.push(v),
            _ => return Err(err(format!("label {t:?} is not an integer in 0..={MAX_LABEL}"))),
        }
    }
    let Some(d) = d else {
        return Err(DataError::BadShape {
            path: path.into(),
            shape: vec![0, 0],
            reason: "no rows in CSV file",
        });
    };
    let n = labels.len();
    let f = Features::from_vec(values, n, d).map_err(|e| crate::idx::with_path(e, path))?;
    Ok((f, labels))
}

/// Read a digits CSV file (plain or `.gz`).
///
/// # Errors
/// As [`parse_digits_csv`].
pub fn read_digits_csv(path: impl AsRef<Path>) -> Result<(Features, Vec<u32>)> {
    let path = path.as_ref();
    let mut file = std::fs::File::open(path).map_err(io_err(path))?;
    let mut magic = [0u8; 2];
    let gz = file.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    let file = std::fs::File::open(path).map_err(io_err(path))?;
    if gz {
        parse_digits_csv(BufReader::new(flate2::read::MultiGzDecoder::new(file)), path)
    } else {
        parse_digits_csv(BufReader::new(file), path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_scales() {
        let (f, l) = parse_digits_csv("0,16,8,3\n4,0,2,1\n".as_bytes(), Path::new("c")).unwrap();
        assert_eq!((f.n(), f.d()), (2, 3));
        assert_eq!(f.row(0), &[0.0, 1.0, 0.5]);
        assert_eq!(l, vec![3, 1]);
    }

    #[test]
    fn bad_rows() {
        for (text, line) in
            [("0,1,2\n0,1\n", 2), ("0,17,2\n", 1), ("0,x,2\n", 1), ("0,1,-2\n", 1), ("5\n", 1)]
        {
            match parse_digits_csv(text.as_bytes(), Path::new("c")) {
                Err(DataError::Parse { line: l, .. }) => assert_eq!(l, line, "{text:?}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
        assert!(matches!(parse_digits_csv("".as_bytes(), Path::new("c")), Err(DataError::BadShape { .. })));
    }
}
