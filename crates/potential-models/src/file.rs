//! Model files: safetensors in the format of the README's *File formats* section.
//!
//! Tensors `weight` f32 [hidden, visible], `hidden_bias` f32 [hidden], `visible_bias` f32 [visible];
//! `__metadata__`: `format` = `potential.tied-autoencoder`, `activation` (an `ActivationKind` name),
//! `output` ∈ {`real`, `binary`}, and `provenance` (free-form JSON string, `{}` when unset).

use crate::{Error, FormatError, Output, Result, TensorFile, TiedAutoencoder};
use potential_activations::ActivationKind;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The `format` metadata value of a tied autoencoder file.
pub const TIED_FORMAT: &str = "potential.tied-autoencoder";

const TENSORS: [&str; 3] = ["hidden_bias", "visible_bias", "weight"];

/// A JSON string literal (RFC 8259 escaping).
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Safetensors bytes of F32 `tensors` (name → (shape, row-major data)) with string `metadata`,
/// deterministic: the header lists `__metadata__` and then the tensors in sorted key order (the
/// `safetensors` crate's writer takes a `HashMap`, whose order varies from run to run), tensor data
/// follow in that order, and the header is padded with spaces to a multiple of 8 bytes. Shared by
/// every file format of the workspace that stores f32 tensors (tied models, CSAE).
pub fn safetensors_f32_bytes(
    metadata: &BTreeMap<&str, String>,
    tensors: &BTreeMap<String, (Vec<usize>, &[f32])>,
) -> Vec<u8> {
    let mut header = String::from("{\"__metadata__\":{");
    for (i, (k, v)) in metadata.iter().enumerate() {
        if i > 0 {
            header.push(',');
        }
        header.push_str(&format!("{}:{}", json_string(k), json_string(v)));
    }
    header.push('}');
    let mut offset = 0usize;
    for (name, (shape, data)) in tensors {
        let end = offset + 4 * data.len();
        let shape: Vec<String> = shape.iter().map(|s| s.to_string()).collect();
        header.push_str(&format!(
            ",{}:{{\"dtype\":\"F32\",\"shape\":[{}],\"data_offsets\":[{offset},{end}]}}",
            json_string(name),
            shape.join(",")
        ));
        offset = end;
    }
    header.push('}');
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut out = Vec::with_capacity(8 + header.len() + offset);
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for (_, data) in tensors.values() {
        out.extend(data.iter().flat_map(|x| x.to_le_bytes()));
    }
    out
}

/// Write `bytes` to `path` atomically: a new temporary file named `{prefix}{pid}.{n}.tmp` in the
/// same directory (created exclusively, never replacing anything), flushed to disk (fsync), renamed
/// over `path`, then the directory synced where possible — so readers never see a partial file and
/// a crash leaves the previous file intact. The temporary file is removed when a step fails.
///
/// The model files' writer, with the standard library alone. Every other file of the workspace
/// goes through `potential_data::AtomicFile`, the same protocol; this crate does not depend on
/// `potential-data` (whose decompressors, memory maps and random streams a user of the models
/// alone does not need), hence this private copy.
///
/// # Errors
/// The underlying I/O error.
fn write_atomically(path: &Path, bytes: &[u8], prefix: &str) -> std::io::Result<()> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => std::path::PathBuf::from("."),
    };
    let pid = std::process::id();
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!("{prefix}{pid}.{}.tmp", NEXT.fetch_add(1, Ordering::Relaxed)));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => break (tmp, f),
            // A file of another process (or a crashed run) with the same name: take the next number.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    };
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // Make the rename itself durable where directories can be synced.
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

impl TiedAutoencoder {
    /// The model as safetensors bytes (README, *File formats*).
    ///
    /// The bytes are deterministic: the header lists `__metadata__` and the tensors in sorted key
    /// order (the `safetensors` crate's writer takes a `HashMap`, whose order varies from run to run,
    /// so the header is written here; files are read back with the `safetensors` crate). Tensor data
    /// follow in the order `hidden_bias`, `visible_bias`, `weight` (sorted by name, as safetensors
    /// writers do), the header is padded with spaces to a multiple of 8 bytes.
    ///
    /// # Errors
    /// None at present; the `Result` leaves room for size limits.
    pub fn to_safetensors_bytes(&self) -> Result<Vec<u8>> {
        let (h, d) = (self.hidden, self.visible);
        let mut meta = BTreeMap::new();
        meta.insert("activation", self.activation.name().to_owned());
        meta.insert("format", TIED_FORMAT.to_owned());
        meta.insert("output", self.output.name().to_owned());
        meta.insert("provenance", self.provenance.clone().unwrap_or_else(|| "{}".to_owned()));
        let mut tensors: BTreeMap<String, (Vec<usize>, &[f32])> = BTreeMap::new();
        tensors.insert("hidden_bias".into(), (vec![h], &self.hidden_bias));
        tensors.insert("visible_bias".into(), (vec![d], &self.visible_bias));
        tensors.insert("weight".into(), (vec![h, d], &self.weight));
        Ok(safetensors_f32_bytes(&meta, &tensors))
    }

    /// A model from safetensors bytes (README, *File formats*), validated.
    ///
    /// # Errors
    /// [`Error::Format`] with the [`FormatError`] naming the problem: corrupt/truncated bytes, missing
    /// metadata, unknown format, activation or output, missing/unexpected tensor, wrong dtype, wrong
    /// shape, non-finite values.
    pub fn from_safetensors_bytes(bytes: &[u8]) -> Result<Self> {
        Ok(Self::decode(bytes)?)
    }

    fn decode(bytes: &[u8]) -> std::result::Result<Self, FormatError> {
        let file = TensorFile::parse(bytes)?;
        file.expect_format(TIED_FORMAT)?;
        let activation: ActivationKind =
            file.meta("activation")?.parse().map_err(|e: potential_activations::ParseActivationError| {
                FormatError::UnknownActivation { found: e.name().to_owned() }
            })?;
        let output: Output = file.meta("output")?.parse()?;
        let provenance = file.meta_opt("provenance").map(str::to_owned);
        file.check_names(|name| TENSORS.contains(&name))?;
        let (ws, weight) = file.f32("weight")?;
        let (hs, hidden_bias) = file.f32("hidden_bias")?;
        let (vs, visible_bias) = file.f32("visible_bias")?;
        let wrong = |tensor: &str, expected, found| FormatError::WrongShape {
            tensor: tensor.to_owned(),
            expected,
            found,
        };
        if ws.len() != 2 || ws[1] == 0 {
            let expected = vec![hs.first().copied().unwrap_or(0), vs.first().copied().unwrap_or(1).max(1)];
            return Err(wrong("weight", expected, ws));
        }
        let (h, d) = (ws[0], ws[1]);
        if hs != [h] {
            return Err(wrong("hidden_bias", vec![h], hs));
        }
        if vs != [d] {
            return Err(wrong("visible_bias", vec![d], vs));
        }
        Ok(Self { hidden: h, visible: d, weight, hidden_bias, visible_bias, activation, output, provenance })
    }

    /// Load a model file.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read; [`Error::File`] carrying the path and the
    /// [`FormatError`] if its contents are not a valid model.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes =
            crate::read_regular_file(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
        Self::decode(&bytes).map_err(|source| Error::File { path: path.to_owned(), source })
    }

    /// Save the model atomically: the bytes go to a temporary file in the same directory, which is
    /// flushed to disk (fsync) and then renamed over `path`, so readers never see a partial file.
    ///
    /// # Errors
    /// [`Error::Io`] with the path on any I/O failure; [`Error::Format`] if serialisation fails.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let bytes = self.to_safetensors_bytes()?;
        write_atomically(path, &bytes, ".potential-model-")
            .map_err(|source| Error::Io { path: path.to_owned(), source })
    }
}
