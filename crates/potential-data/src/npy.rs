//! NumPy `.npy` (format versions 1.0, 2.0 and 3.0): header parsing, zero-copy mapping of f32
//! little-endian C-order arrays, a safe read-into-`Vec` path, and label arrays.
//!
//! Features of rank ≥ 2 are flattened to [n, d] with `n` = first axis (so an MNIST [n, 28, 28]
//! array reads as [n, 784]); rank 1 reads as [n, 1]. Supported dtypes: `f4 f8 i1 i2 i4 i8 u1 u2
//! u4 u8 b1` in either byte order; anything else (float16, complex, structured, strings, objects)
//! is [`DataError::UnsupportedDtype`]. Fortran order is accepted only where it coincides with C
//! order (rank ≤ 1 or a single non-trivial axis).

use crate::error::{io_err, memory_path, DataError, Result};
use crate::features::{check_finite, Features, MappedF32};
use crate::idx::with_path;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// The 6-byte magic string of `.npy` files.
pub const NPY_MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Element kind of a `.npy` array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NpyKind {
    /// IEEE float (`f`).
    Float,
    /// Signed integer (`i`).
    Int,
    /// Unsigned integer (`u`).
    Uint,
    /// Boolean (`b`, one byte).
    Bool,
}

/// A supported `.npy` dtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NpyDtype {
    /// Element kind.
    pub kind: NpyKind,
    /// Bytes per element.
    pub size: usize,
    /// Big-endian (`>`); single-byte types are never big-endian.
    pub big_endian: bool,
}

impl NpyDtype {
    /// `<f4`, the type that maps zero-copy.
    pub const F32_LE: NpyDtype = NpyDtype { kind: NpyKind::Float, size: 4, big_endian: false };

    fn parse(descr: &str) -> Option<Self> {
        let (order, rest) = match descr.as_bytes().first()? {
            b'<' | b'|' | b'=' => (false, &descr[1..]),
            b'>' => (true, &descr[1..]),
            _ => (false, descr),
        };
        let kind = match rest.as_bytes().first()? {
            b'f' => NpyKind::Float,
            b'i' => NpyKind::Int,
            b'u' => NpyKind::Uint,
            b'b' => NpyKind::Bool,
            _ => return None,
        };
        let size: usize = rest[1..].parse().ok()?;
        let ok = match kind {
            NpyKind::Float => matches!(size, 4 | 8),
            NpyKind::Int | NpyKind::Uint => matches!(size, 1 | 2 | 4 | 8),
            NpyKind::Bool => size == 1,
        };
        ok.then_some(Self { kind, size, big_endian: order && size > 1 })
    }

    /// Decode element `b` (exactly `size` bytes) as f64.
    fn decode(self, b: &[u8]) -> f64 {
        macro_rules! get {
            ($t:ty, $n:literal) => {{
                let a: [u8; $n] = b.try_into().expect("element size");
                if self.big_endian {
                    <$t>::from_be_bytes(a) as f64
                } else {
                    <$t>::from_le_bytes(a) as f64
                }
            }};
        }
        match (self.kind, self.size) {
            (NpyKind::Float, 4) => get!(f32, 4),
            (NpyKind::Float, _) => get!(f64, 8),
            (NpyKind::Int, 1) => b[0] as i8 as f64,
            (NpyKind::Int, 2) => get!(i16, 2),
            (NpyKind::Int, 4) => get!(i32, 4),
            (NpyKind::Int, _) => get!(i64, 8),
            (NpyKind::Uint, 1) | (NpyKind::Bool, _) => b[0] as f64,
            (NpyKind::Uint, 2) => get!(u16, 2),
            (NpyKind::Uint, 4) => get!(u32, 4),
            (NpyKind::Uint, _) => get!(u64, 8),
        }
    }
}

/// A parsed `.npy` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    /// The element type.
    pub dtype: NpyDtype,
    /// `fortran_order` as written.
    pub fortran_order: bool,
    /// The shape.
    pub shape: Vec<usize>,
    /// Byte offset of the payload (magic + version + length field + header text).
    pub data_offset: usize,
    /// Payload length in bytes (product of the shape × element size).
    pub payload_len: usize,
}

impl NpyHeader {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.payload_len / self.dtype.size
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.payload_len == 0
    }

    /// The [n, d] view of a features array: rank ≥ 2 flattens trailing axes, rank 1 is [n, 1].
    fn features_shape(&self, path: &Path) -> Result<(usize, usize)> {
        let bad =
            |reason| DataError::BadShape { path: path.to_path_buf(), shape: self.shape.clone(), reason };
        let (n, d) = match self.shape.as_slice() {
            [] => return Err(bad("a features array needs at least one dimension")),
            [n] => (*n, 1),
            [n, rest @ ..] => (*n, rest.iter().product()),
        };
        if d == 0 {
            return Err(bad("zero-width rows"));
        }
        Ok((n, d))
    }

    /// Whether the payload is column-major with more than one non-trivial axis (it must be
    /// transposed to rows).
    fn is_fortran(&self) -> bool {
        self.fortran_order && self.shape.iter().filter(|&&s| s > 1).count() > 1
    }

    /// Fortran order is read (and transposed) for 2-D arrays only.
    fn check_order(&self, path: &Path) -> Result<()> {
        if self.is_fortran() && self.shape.len() > 2 {
            return Err(DataError::UnsupportedOrder { path: path.to_path_buf(), shape: self.shape.clone() });
        }
        Ok(())
    }
}

/// Parse the header at the start of `bytes` (at least the whole header; the payload may follow).
///
/// # Errors
/// [`DataError::Truncated`], [`DataError::BadMagic`], [`DataError::BadHeader`] (version, length,
/// syntax, missing keys), [`DataError::UnsupportedDtype`], [`DataError::BadShape`] (overflow), all
/// with path `<memory>`.
pub fn parse_npy_header(bytes: &[u8]) -> Result<NpyHeader> {
    let path = memory_path();
    let bad = |reason: String| DataError::BadHeader { path: memory_path(), format: ".npy", reason };
    if bytes.len() < 10 {
        return Err(DataError::Truncated {
            path,
            what: ".npy preamble",
            expected: 10,
            found: bytes.len() as u64,
        });
    }
    if &bytes[..6] != NPY_MAGIC {
        return Err(DataError::BadMagic { path, format: ".npy", found: bytes[..6].to_vec() });
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (len_bytes, header_len) = match major {
        1 => (2, u16::from_le_bytes([bytes[8], bytes[9]]) as usize),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err(DataError::Truncated {
                    path,
                    what: ".npy preamble",
                    expected: 12,
                    found: bytes.len() as u64,
                });
            }
            (4, u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize)
        }
        _ => return Err(bad(format!("unsupported format version {major}.{minor}"))),
    };
    let start: usize = 8 + len_bytes;
    let data_offset = start.checked_add(header_len).ok_or_else(|| bad("header length overflows".into()))?;
    if bytes.len() < data_offset {
        return Err(DataError::Truncated {
            path,
            what: ".npy header",
            expected: data_offset as u64,
            found: bytes.len() as u64,
        });
    }
    let text =
        std::str::from_utf8(&bytes[start..data_offset]).map_err(|_| bad("header is not UTF-8".into()))?;
    let dict = parse_dict(text).map_err(bad)?;
    let mut descr = None;
    let mut fortran = None;
    let mut shape = None;
    for (k, v) in dict {
        match (k.as_str(), v) {
            ("descr", Lit::Str(s)) => descr = Some(s),
            ("descr", Lit::List) => {
                return Err(DataError::UnsupportedDtype { path, format: ".npy", dtype: "structured".into() })
            }
            ("fortran_order", Lit::Bool(b)) => fortran = Some(b),
            ("shape", Lit::Tuple(t)) => shape = Some(t),
            (k, v) => return Err(bad(format!("unexpected entry {k:?}: {v:?}"))),
        }
    }
    let descr = descr.ok_or_else(|| bad("missing 'descr'".into()))?;
    let fortran_order = fortran.ok_or_else(|| bad("missing 'fortran_order'".into()))?;
    let shape = shape.ok_or_else(|| bad("missing 'shape'".into()))?;
    let dtype = NpyDtype::parse(&descr).ok_or_else(|| DataError::UnsupportedDtype {
        path: path.clone(),
        format: ".npy",
        dtype: descr.clone(),
    })?;
    // Every sub-product (row width, element count) must fit too, even when some dimension is 0.
    if crate::labels::nonzero_product(&shape, dtype.size).is_none() {
        return Err(DataError::BadShape { path, shape, reason: "payload size overflows" });
    }
    let payload_len = shape.iter().product::<usize>() * dtype.size;
    Ok(NpyHeader { dtype, fortran_order, shape, data_offset, payload_len })
}

/// A Python literal as it appears in a `.npy` header dict.
#[derive(Debug)]
enum Lit {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
    /// A list (only in structured dtypes, which are unsupported).
    List,
}

/// Parse `{'key': literal, ...}` followed by optional whitespace (the padding).
fn parse_dict(text: &str) -> std::result::Result<Vec<(String, Lit)>, String> {
    let mut p = Parser { s: text.as_bytes(), i: 0 };
    p.ws();
    p.expect(b'{')?;
    let mut out = Vec::new();
    loop {
        p.ws();
        if p.eat(b'}') {
            break;
        }
        let key = p.string()?;
        p.ws();
        p.expect(b':')?;
        p.ws();
        let val = p.literal()?;
        out.push((key, val));
        p.ws();
        if p.eat(b',') {
            continue;
        }
        p.ws();
        p.expect(b'}')?;
        break;
    }
    p.ws();
    if p.i != p.s.len() {
        return Err(format!("unexpected text after the dict at byte {}", p.i));
    }
    Ok(out)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, c: u8) -> std::result::Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected {:?} at byte {}", c as char, self.i))
        }
    }
    fn string(&mut self) -> std::result::Result<String, String> {
        let q = match self.s.get(self.i) {
            Some(&q @ (b'\'' | b'"')) => q,
            _ => return Err(format!("expected a string at byte {}", self.i)),
        };
        self.i += 1;
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i] != q {
            if self.s[self.i] == b'\\' {
                return Err("escapes are not supported in header strings".into());
            }
            self.i += 1;
        }
        if self.i >= self.s.len() {
            return Err("unterminated string".into());
        }
        let out = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        self.i += 1;
        Ok(out)
    }
    fn literal(&mut self) -> std::result::Result<Lit, String> {
        match self.s.get(self.i) {
            Some(b'\'' | b'"') => Ok(Lit::Str(self.string()?)),
            Some(b'(') => {
                self.i += 1;
                let mut dims = Vec::new();
                loop {
                    self.ws();
                    if self.eat(b')') {
                        break;
                    }
                    dims.push(self.int()?);
                    self.ws();
                    if self.eat(b',') {
                        continue;
                    }
                    self.expect(b')')?;
                    break;
                }
                Ok(Lit::Tuple(dims))
            }
            Some(b'[') => Ok(Lit::List),
            _ if self.s[self.i..].starts_with(b"True") => {
                self.i += 4;
                Ok(Lit::Bool(true))
            }
            _ if self.s[self.i..].starts_with(b"False") => {
                self.i += 5;
                Ok(Lit::Bool(false))
            }
            _ => Err(format!("unexpected value at byte {}", self.i)),
        }
    }
    fn int(&mut self) -> std::result::Result<usize, String> {
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
            self.i += 1;
        }
        // Python 2 headers may write longs as `3L`.
        let digits = std::str::from_utf8(&self.s[start..self.i]).expect("ASCII digits");
        self.eat(b'L');
        digits.parse().map_err(|_| format!("bad dimension at byte {start}"))
    }
}

/// Open `path`, read and parse its header, and check the payload length against the file size.
fn open_checked(path: &Path) -> Result<(File, NpyHeader)> {
    let mut file = File::open(path).map_err(io_err(path))?;
    let file_len = file.metadata().map_err(io_err(path))?.len();
    let mut head = Vec::with_capacity(256);
    (&mut file).take(12).read_to_end(&mut head).map_err(io_err(path))?;
    // Learn the full header length, then read exactly the header.
    let total = match parse_npy_header(&head) {
        Err(DataError::Truncated { what: ".npy header", expected, .. }) => expected,
        Err(e) => return Err(with_path(e, path)),
        Ok(h) => h.data_offset as u64,
    };
    if total > file_len {
        return Err(DataError::Truncated {
            path: path.into(),
            what: ".npy header",
            expected: total,
            found: file_len,
        });
    }
    let more = total.saturating_sub(head.len() as u64);
    (&mut file).take(more).read_to_end(&mut head).map_err(io_err(path))?;
    let header = parse_npy_header(&head).map_err(|e| with_path(e, path))?;
    let have = file_len - header.data_offset as u64;
    let want = header.payload_len as u64;
    if have < want {
        return Err(DataError::Truncated {
            path: path.into(),
            what: ".npy payload",
            expected: want,
            found: have,
        });
    }
    if have > want {
        return Err(DataError::TrailingBytes { path: path.into(), extra: have - want });
    }
    Ok((file, header))
}

/// Read the header of a `.npy` file (without its payload), with the payload length checked against
/// the file size.
///
/// # Errors
/// [`DataError::Io`], header errors of [`parse_npy_header`], [`DataError::Truncated`],
/// [`DataError::TrailingBytes`].
pub fn read_npy_header(path: impl AsRef<Path>) -> Result<NpyHeader> {
    open_checked(path.as_ref()).map(|(_, h)| h)
}

fn read_payload(file: &mut File, header: &NpyHeader, path: &Path) -> Result<Vec<u8>> {
    file.seek(SeekFrom::Start(header.data_offset as u64)).map_err(io_err(path))?;
    let mut buf = vec![0u8; header.payload_len];
    file.read_exact(&mut buf).map_err(io_err(path))?;
    Ok(buf)
}

fn convert_to_f32(header: &NpyHeader, bytes: &[u8]) -> Vec<f32> {
    let dt = header.dtype;
    if dt.kind == NpyKind::Float && dt.size == 4 {
        bytes
            .chunks_exact(4)
            .map(|c| {
                let a = [c[0], c[1], c[2], c[3]];
                if dt.big_endian {
                    f32::from_be_bytes(a)
                } else {
                    f32::from_le_bytes(a)
                }
            })
            .collect()
    } else {
        bytes.chunks_exact(dt.size).map(|c| dt.decode(c) as f32).collect()
    }
}

/// Read a features array into an owned [n, d] matrix (safe; copies). Any supported dtype is
/// converted to f32; `<f4` is read straight into the f32 buffer. Values must be finite.
///
/// # Errors
/// As [`read_npy_header`]; [`DataError::UnsupportedOrder`], [`DataError::BadShape`],
/// [`DataError::NonFinite`].
pub fn read_npy_features(path: impl AsRef<Path>) -> Result<Features> {
    let path = path.as_ref();
    let (mut file, header) = open_checked(path)?;
    header.check_order(path)?;
    if header.is_fortran() {
        let bytes = read_payload(&mut file, &header, path)?;
        return features_from_payload(&header, &bytes, path);
    }
    let (n, d) = header.features_shape(path)?;
    let values = if header.dtype == NpyDtype::F32_LE {
        // Read straight into the f32 buffer: no intermediate byte copy.
        let mut v = vec![0f32; n * d];
        file.seek(SeekFrom::Start(header.data_offset as u64)).map_err(io_err(path))?;
        file.read_exact(bytemuck::cast_slice_mut(&mut v)).map_err(io_err(path))?;
        v
    } else {
        convert_to_f32(&header, &read_payload(&mut file, &header, path)?)
    };
    check_finite(&values, d, path)?;
    Features::from_vec(values, n, d).map_err(|e| with_path(e, path))
}

/// A features matrix from a parsed header and its payload bytes (any supported dtype, C order or
/// 2-D Fortran order, which is transposed to rows); values must be finite. `path` names errors.
pub(crate) fn features_from_payload(header: &NpyHeader, bytes: &[u8], path: &Path) -> Result<Features> {
    header.check_order(path)?;
    let (n, d) = header.features_shape(path)?;
    let mut values = convert_to_f32(header, bytes);
    if header.is_fortran() {
        // Column-major [n, d]: element (i, j) sits at j·n + i.
        let cols = values;
        values = vec![0.0; n * d];
        for (j, col) in cols.chunks_exact(n).enumerate() {
            for (i, &v) in col.iter().enumerate() {
                values[i * d + j] = v;
            }
        }
    }
    check_finite(&values, d, path)?;
    Features::from_vec(values, n, d).map_err(|e| with_path(e, path))
}

/// Labels from a parsed header and its payload bytes: shape `[n]` or `[n, 1]`, integral values in
/// `0..=MAX_LABEL` (any numeric dtype). `path` names errors.
pub(crate) fn labels_from_payload(header: &NpyHeader, bytes: &[u8], path: &Path) -> Result<Vec<u32>> {
    if !matches!(header.shape.as_slice(), [_] | [_, 1]) {
        return Err(DataError::BadShape {
            path: path.into(),
            shape: header.shape.clone(),
            reason: "labels must have shape [n] or [n, 1]",
        });
    }
    let dt = header.dtype;
    crate::labels::labels_from_f64(bytes.chunks_exact(dt.size).map(|c| dt.decode(c)), path)
}

/// Memory-map a features array. A `<f4` C-order payload at a 4-byte-aligned offset (every file
/// NumPy ≥ 1.9 or [`write_npy_f32`](crate::write_npy_f32) writes) is used in place with no copy: the resident memory
/// grows only with the pages touched. Other dtypes or alignments fall back to
/// [`read_npy_features`]. Values are **not** checked for NaN (that would touch every page); call
/// [`Features::check_finite`] if needed.
///
/// # Safety
/// The unsafety is inherited from [`memmap2::Mmap::map`]: the file must not be modified or
/// truncated, by this or any other process, while the returned [`Features`] (or any clone or
/// row view of it) is alive. Otherwise reads may see changing data or the process may receive
/// `SIGBUS`.
///
/// # Errors
/// As [`read_npy_features`] (except [`DataError::NonFinite`] on the mapped path).
pub unsafe fn map_npy_features(path: impl AsRef<Path>) -> Result<Features> {
    let path = path.as_ref();
    let (file, header) = open_checked(path)?;
    header.check_order(path)?;
    let (n, d) = header.features_shape(path)?;
    if header.dtype != NpyDtype::F32_LE || header.is_fortran() {
        return read_npy_features(path);
    }
    // SAFETY: the caller guarantees the file is not modified while the map lives (this function's
    // own `# Safety` contract); the map is read-only.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io_err(path))?;
    match MappedF32::new(map, header.data_offset, n * d) {
        Some(m) => Ok(Features::from_mapped(m, n, d)),
        None => read_npy_features(path),
    }
}

/// Read a label array: any integer (or bool) dtype, or floats holding integers; shape `[n]` or
/// `[n, 1]`. Values must be in `0..=MAX_LABEL`.
///
/// # Errors
/// As [`read_npy_header`]; [`DataError::BadShape`] for other shapes; [`DataError::BadLabel`].
///
/// [`MAX_LABEL`]: crate::MAX_LABEL
pub fn read_npy_labels(path: impl AsRef<Path>) -> Result<Vec<u32>> {
    let path = path.as_ref();
    let (mut file, header) = open_checked(path)?;
    if !matches!(header.shape.as_slice(), [_] | [_, 1]) {
        return labels_from_payload(&header, &[], path);
    }
    let bytes = read_payload(&mut file, &header, path)?;
    labels_from_payload(&header, &bytes, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(descr: &str, fortran: bool, shape: &str, payload: &[u8]) -> Vec<u8> {
        let dict = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
            if fortran { "True" } else { "False" }
        );
        let mut text = dict.into_bytes();
        while (10 + text.len() + 1) % 64 != 0 {
            text.push(b' ');
        }
        text.push(b'\n');
        let mut v = NPY_MAGIC.to_vec();
        v.extend_from_slice(&[1, 0]);
        v.extend_from_slice(&(text.len() as u16).to_le_bytes());
        v.extend_from_slice(&text);
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn parses_header() {
        let h = parse_npy_header(&npy("<f4", false, "(3, 4)", &[])).unwrap();
        assert_eq!(h.shape, vec![3, 4]);
        assert_eq!(h.dtype, NpyDtype::F32_LE);
        assert_eq!(h.data_offset % 64, 0);
        assert_eq!(h.payload_len, 48);
        let h = parse_npy_header(&npy(">i8", true, "(5,)", &[])).unwrap();
        assert_eq!(
            (h.dtype.kind, h.dtype.size, h.dtype.big_endian, h.fortran_order),
            (NpyKind::Int, 8, true, true)
        );
        let h = parse_npy_header(&npy("|u1", false, "()", &[])).unwrap();
        assert!(h.shape.is_empty());
    }

    #[test]
    fn header_errors() {
        assert!(matches!(parse_npy_header(b"\x93NUMPY"), Err(DataError::Truncated { .. })));
        assert!(matches!(parse_npy_header(b"\x93NUMPZ\x01\x00\x00\x00"), Err(DataError::BadMagic { .. })));
        let mut v = npy("<f4", false, "(1,)", &[]);
        v[6] = 9;
        assert!(matches!(parse_npy_header(&v), Err(DataError::BadHeader { .. })));
        for d in ["<f2", "<c8", "|S3", "|O", "<M8[ns]"] {
            assert!(
                matches!(
                    parse_npy_header(&npy(d, false, "(1,)", &[])),
                    Err(DataError::UnsupportedDtype { .. })
                ),
                "{d}"
            );
        }
        let v = npy("<f4", false, "(1, 2", &[]);
        assert!(matches!(parse_npy_header(&v), Err(DataError::BadHeader { .. })));
        let v = npy("<f4", false, "(99999999999, 99999999999, 99999999999)", &[]);
        assert!(matches!(parse_npy_header(&v), Err(DataError::BadShape { .. })));
        let v = npy("<f4", false, "(1,)", &[]);
        assert!(matches!(parse_npy_header(&v[..20]), Err(DataError::Truncated { .. })));
        // A zero dimension must not hide an overflowing row width.
        let v = npy("<f4", false, "(0, 99999999999, 99999999999)", &[]);
        assert!(matches!(parse_npy_header(&v), Err(DataError::BadShape { .. })));
    }
}
