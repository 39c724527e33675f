//! IDX, the format of the MNIST files (LeCun et al.): raw or gzip-compressed.
//!
//! Layout: two zero bytes, a type byte, the number of dimensions `k`, then `k` big-endian `u32`
//! sizes, then the payload in C order, big-endian. Images (`u8`, type `0x08`) are scaled to
//! [0, 1] by `v / 255`; other element types are converted to f32 unscaled.

use crate::error::{io_err, memory_path, DataError, Result};
use crate::features::{check_finite, Features};
use std::io::{BufRead, Read};
use std::path::Path;

/// The element type of an IDX file (its third byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdxType {
    /// `0x08`, unsigned byte.
    U8,
    /// `0x09`, signed byte.
    I8,
    /// `0x0B`, big-endian i16.
    I16,
    /// `0x0C`, big-endian i32.
    I32,
    /// `0x0D`, big-endian f32.
    F32,
    /// `0x0E`, big-endian f64.
    F64,
}

impl IdxType {
    fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            0x08 => Self::U8,
            0x09 => Self::I8,
            0x0B => Self::I16,
            0x0C => Self::I32,
            0x0D => Self::F32,
            0x0E => Self::F64,
            _ => return None,
        })
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Self::U8 | Self::I8 => 1,
            Self::I16 => 2,
            Self::I32 | Self::F32 => 4,
            Self::F64 => 8,
        }
    }
}

/// A parsed IDX header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxHeader {
    /// Element type.
    pub dtype: IdxType,
    /// Sizes of each dimension (outermost first).
    pub dims: Vec<usize>,
    /// Header length in bytes (`4 + 4 * dims.len()`): the payload starts here.
    pub header_len: usize,
    /// Payload length in bytes announced by the header.
    pub payload_len: usize,
}

/// Parse the header at the start of `bytes` (the whole decompressed file or at least its header).
///
/// Checks the magic, the type byte, that there is at least one dimension, and that the payload size
/// does not overflow. It does not check the payload length against `bytes`; [`parse_idx`] does.
///
/// # Errors
/// [`DataError::Truncated`], [`DataError::BadMagic`], [`DataError::UnsupportedDtype`],
/// [`DataError::BadShape`] (path `<memory>`).
pub fn parse_idx_header(bytes: &[u8]) -> Result<IdxHeader> {
    let path = memory_path();
    if bytes.len() < 4 {
        return Err(DataError::Truncated { path, what: "IDX magic", expected: 4, found: bytes.len() as u64 });
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(DataError::BadMagic { path, format: "IDX", found: bytes[..4].to_vec() });
    }
    let dtype = IdxType::from_byte(bytes[2]).ok_or_else(|| DataError::UnsupportedDtype {
        path: path.clone(),
        format: "IDX",
        dtype: format!("0x{:02x}", bytes[2]),
    })?;
    let k = bytes[3] as usize;
    if k == 0 {
        return Err(DataError::BadShape { path, shape: vec![], reason: "IDX file with zero dimensions" });
    }
    let header_len = 4 + 4 * k;
    if bytes.len() < header_len {
        return Err(DataError::Truncated {
            path,
            what: "IDX dimensions",
            expected: header_len as u64,
            found: bytes.len() as u64,
        });
    }
    let dims: Vec<usize> = bytes[4..header_len]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    // Every sub-product (row width, element count) must fit too, even when some dimension is 0.
    if crate::labels::nonzero_product(&dims, dtype.size()).is_none() {
        return Err(DataError::BadShape { path, shape: dims, reason: "payload size overflows" });
    }
    let payload_len = dims.iter().product::<usize>() * dtype.size();
    Ok(IdxHeader { dtype, dims, header_len, payload_len })
}

/// A whole IDX array: header and payload converted to f32 (u8 scaled to [0, 1]).
#[derive(Debug, Clone)]
pub struct IdxArray {
    /// The header.
    pub header: IdxHeader,
    /// The values in C order, converted to f32.
    pub values: Vec<f32>,
}

/// Parse a whole IDX file held in memory (already decompressed). `path` labels errors.
///
/// # Errors
/// Header errors as in [`parse_idx_header`], [`DataError::Truncated`] for a short payload,
/// [`DataError::TrailingBytes`] for a long one, [`DataError::NonFinite`] for NaN/∞ in float files.
pub fn parse_idx(bytes: &[u8], path: &Path) -> Result<IdxArray> {
    stream_idx(bytes, path, Bound::Exact(bytes.len() as u64))
}

/// Read exactly `buf.len()` bytes unless the stream ends first; the number read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// What is known of an IDX stream's length.
#[derive(Clone, Copy)]
enum Bound {
    /// A raw file of this many bytes.
    Exact(u64),
    /// A gzip stream of this many compressed bytes.
    Compressed(u64),
}

/// Parse an IDX stream, converting the payload chunk by chunk (no intermediate byte buffer).
/// `known_len`, the stream's total length when known (a raw file), lets a short or long file be
/// rejected before the output is allocated.
fn stream_idx(mut r: impl Read, path: &Path, bound: Bound) -> Result<IdxArray> {
    let known_len = match bound {
        Bound::Exact(n) => Some(n),
        Bound::Compressed(_) => None,
    };
    let io = |e| DataError::Io { path: path.to_path_buf(), source: e };
    let mut head = vec![0u8; 4];
    let got = read_full(&mut r, &mut head).map_err(io)?;
    head.truncate(got);
    if got == 4 {
        head.resize(4 + 4 * head[3] as usize, 0);
        let got = read_full(&mut r, &mut head[4..]).map_err(io)?;
        head.truncate(4 + got);
    }
    let header = parse_idx_header(&head).map_err(|e| with_path(e, path))?;
    let (expected, size) = (header.payload_len, header.dtype.size());
    if let Bound::Compressed(c) = bound {
        // A shape deflate cannot produce from this many bytes (a bomb, or a corrupt header) is
        // refused before anything is allocated for it.
        let limit = crate::bounded::deflate_limit(c);
        if expected as u64 > limit {
            return Err(DataError::TooLarge {
                path: path.into(),
                limit,
                reason: "compressed size (deflate's 1032:1 ratio)",
            });
        }
    }
    if let Some(len) = known_len {
        let found = len.saturating_sub(header.header_len as u64);
        if found < expected as u64 {
            return Err(DataError::Truncated {
                path: path.into(),
                what: "IDX payload",
                expected: expected as u64,
                found,
            });
        }
        if found > expected as u64 {
            return Err(DataError::TrailingBytes { path: path.into(), extra: found - expected as u64 });
        }
    }
    // Cap the up-front reservation for streams of unknown length (a header can claim anything).
    let cap = if known_len.is_some() { expected / size } else { (expected / size).min(1 << 20) };
    let mut values = Vec::with_capacity(cap);
    let mut buf = vec![0u8; expected.min(1 << 16)]; // 2¹⁶ is a multiple of every element size
    let mut done = 0usize;
    while done < expected {
        let want = (expected - done).min(buf.len());
        let got = read_full(&mut r, &mut buf[..want]).map_err(io)?;
        if got < want {
            return Err(DataError::Truncated {
                path: path.into(),
                what: "IDX payload",
                expected: expected as u64,
                found: (done + got) as u64,
            });
        }
        convert_into(header.dtype, &buf[..want], &mut values);
        done += want;
    }
    // Count at most 1 MiB of trailing data: a decompression bomb's tail is not worth inflating.
    let extra = std::io::copy(&mut (&mut r).take(1 << 20), &mut std::io::sink()).map_err(io)?;
    if extra > 0 {
        return Err(DataError::TrailingBytes { path: path.to_path_buf(), extra });
    }
    if matches!(header.dtype, IdxType::F32 | IdxType::F64) {
        check_finite(&values, header.dims[1..].iter().product::<usize>().max(1), path)?;
    }
    Ok(IdxArray { header, values })
}

fn convert_into(dtype: IdxType, p: &[u8], out: &mut Vec<f32>) {
    match dtype {
        IdxType::U8 => {
            // A table keeps the conversion exact (255 ↦ 1.0) and fast.
            let lut: [f32; 256] = std::array::from_fn(|i| i as f32 / 255.0);
            out.extend(p.iter().map(|&b| lut[b as usize]))
        }
        IdxType::I8 => out.extend(p.iter().map(|&b| b as i8 as f32)),
        IdxType::I16 => out.extend(p.chunks_exact(2).map(|c| i16::from_be_bytes([c[0], c[1]]) as f32)),
        IdxType::I32 => {
            out.extend(p.chunks_exact(4).map(|c| i32::from_be_bytes([c[0], c[1], c[2], c[3]]) as f32))
        }
        IdxType::F32 => out.extend(p.chunks_exact(4).map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]]))),
        IdxType::F64 => {
            out.extend(p.chunks_exact(8).map(|c| f64::from_be_bytes(c.try_into().expect("8 bytes")) as f32))
        }
    }
}

pub(crate) fn with_path(e: DataError, path: &Path) -> DataError {
    let p = path.to_path_buf();
    match e {
        DataError::Truncated { what, expected, found, .. } => {
            DataError::Truncated { path: p, what, expected, found }
        }
        DataError::BadMagic { format, found, .. } => DataError::BadMagic { path: p, format, found },
        DataError::UnsupportedDtype { format, dtype, .. } => {
            DataError::UnsupportedDtype { path: p, format, dtype }
        }
        DataError::BadShape { shape, reason, .. } => DataError::BadShape { path: p, shape, reason },
        DataError::BadHeader { format, reason, .. } => DataError::BadHeader { path: p, format, reason },
        DataError::UnsupportedOrder { shape, .. } => DataError::UnsupportedOrder { path: p, shape },
        other => other,
    }
}

/// Read a file whole, transparently decompressing gzip (detected by its magic `1f 8b`).
pub(crate) fn read_maybe_gz(path: &Path) -> Result<Vec<u8>> {
    crate::bounded::check_regular_file(path)?;
    let raw = std::fs::read(path).map_err(io_err(path))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let limit = crate::bounded::deflate_limit(raw.len() as u64);
        crate::bounded::gunzip(&raw, path, limit, "compressed size (deflate's 1032:1 ratio)")
    } else {
        Ok(raw)
    }
}

/// Read an IDX file (raw or .gz) of any rank.
///
/// # Errors
/// As [`parse_idx`], plus [`DataError::Io`] (which includes a corrupt gzip stream).
pub fn read_idx(path: impl AsRef<Path>) -> Result<IdxArray> {
    let path = path.as_ref();
    crate::bounded::check_regular_file(path)?;
    let file = std::fs::File::open(path).map_err(io_err(path))?;
    let len = file.metadata().map_err(io_err(path))?.len();
    let mut src = std::io::BufReader::with_capacity(1 << 16, file);
    let gz = src.fill_buf().map_err(io_err(path))?.starts_with(&[0x1f, 0x8b]);
    if gz {
        stream_idx(flate2::bufread::MultiGzDecoder::new(src), path, Bound::Compressed(len))
    } else {
        stream_idx(src, path, Bound::Exact(len))
    }
}

/// Read IDX images as a [n, d] matrix: `n` = first dimension, `d` = product of the others
/// (784 for MNIST). `u8` pixels are scaled to [0, 1].
///
/// # Errors
/// As [`read_idx`]; [`DataError::BadShape`] for a 1-D file (labels, not images).
pub fn read_idx_images(path: impl AsRef<Path>) -> Result<Features> {
    let path = path.as_ref();
    let arr = read_idx(path)?;
    let dims = &arr.header.dims;
    if dims.len() < 2 {
        return Err(DataError::BadShape {
            path: path.to_path_buf(),
            shape: dims.clone(),
            reason: "IDX images need at least 2 dimensions (this looks like a label file)",
        });
    }
    let n = dims[0];
    let d: usize = dims[1..].iter().product();
    Features::from_vec(arr.values, n, d).map_err(|e| with_path(e, path))
}

/// Read IDX labels (1-D, any integer type) as class indices.
///
/// # Errors
/// As [`read_idx`]; [`DataError::BadShape`] when not 1-D; [`DataError::BadLabel`] for negative or
/// fractional values.
pub fn read_idx_labels(path: impl AsRef<Path>) -> Result<Vec<u32>> {
    let path = path.as_ref();
    let bytes = read_maybe_gz(path)?;
    let header = parse_idx_header(&bytes).map_err(|e| with_path(e, path))?;
    if header.dims.len() != 1 {
        return Err(DataError::BadShape {
            path: path.to_path_buf(),
            shape: header.dims,
            reason: "IDX labels must be 1-D",
        });
    }
    if header.dtype == IdxType::U8 {
        let payload = &bytes[header.header_len..];
        if payload.len() != header.payload_len {
            // Reuse the generic length checks for the right error.
            parse_idx(&bytes, path)?;
        }
        return Ok(payload.iter().map(|&b| b as u32).collect());
    }
    let arr = parse_idx(&bytes, path)?;
    crate::labels::labels_from_f64(arr.values.iter().map(|&v| v as f64), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(dtype: u8, dims: &[u32], payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, dtype, dims.len() as u8];
        for d in dims {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn parses_u8_images_scaled() {
        let b = idx(0x08, &[2, 1, 2], &[0, 255, 51, 102]);
        let a = parse_idx(&b, Path::new("t")).unwrap();
        assert_eq!(a.header.dims, vec![2, 1, 2]);
        assert_eq!(a.values, vec![0.0, 1.0, 0.2, 0.4]);
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        let p = Path::new("t");
        assert!(matches!(parse_idx(&[0, 0], p), Err(DataError::Truncated { .. })));
        assert!(matches!(parse_idx(&idx(0x08, &[2], &[1, 2])[..6], p), Err(DataError::Truncated { .. })));
        let mut b = idx(0x08, &[2], &[1, 2]);
        b[1] = 8;
        assert!(matches!(parse_idx(&b, p), Err(DataError::BadMagic { .. })));
        assert!(matches!(parse_idx(&idx(0x0A, &[1], &[1]), p), Err(DataError::UnsupportedDtype { .. })));
        assert!(matches!(parse_idx(&idx(0x08, &[], &[]), p), Err(DataError::BadShape { .. })));
        assert!(matches!(parse_idx(&idx(0x08, &[3], &[1, 2]), p), Err(DataError::Truncated { .. })));
        assert!(matches!(parse_idx(&idx(0x08, &[1], &[1, 2]), p), Err(DataError::TrailingBytes { .. })));
        let huge = idx(0x0E, &[u32::MAX, u32::MAX, u32::MAX], &[]);
        assert!(matches!(parse_idx(&huge, p), Err(DataError::BadShape { .. })));
        // Found by the idx_header fuzz target: a zero first dimension hid an overflowing row width.
        let zero_n = idx(0x0D, &[0, 0x2108_0100, 0x0000_0D00, 0x8103_0209], &[]);
        assert!(matches!(parse_idx(&zero_n, p), Err(DataError::BadShape { .. })));
        let nan = idx(0x0D, &[1, 1], &f32::NAN.to_be_bytes());
        assert!(matches!(parse_idx(&nan, p), Err(DataError::NonFinite { .. })));
    }

    #[test]
    fn other_dtypes_convert() {
        let mut payload = Vec::new();
        payload.extend_from_slice(&(-3i16).to_be_bytes());
        payload.extend_from_slice(&7i16.to_be_bytes());
        let a = parse_idx(&idx(0x0B, &[2], &payload), Path::new("t")).unwrap();
        assert_eq!(a.values, vec![-3.0, 7.0]);
        let a = parse_idx(&idx(0x0E, &[1], &2.5f64.to_be_bytes()), Path::new("t")).unwrap();
        assert_eq!(a.values, vec![2.5]);
    }
}
