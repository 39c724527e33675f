//! CSAE files: one safetensors file per classifier (README, *File formats*).
//!
//! Tensors (all F32): `class.{i}.weight` \[Hᵢ, D\], `class.{i}.hidden_bias` \[Hᵢ\],
//! `class.{i}.visible_bias` \[D\] for i = 0..K, `class_bias` \[K\], and `readout` \[K, K\] only for the
//! "energies" variant. `__metadata__`: `format` = `potential.csae`, `classes` = JSON array of the K
//! label names, `activation` (one of the seven names), `output` (`real`/`binary`), `provenance`
//! (JSON, `{}` when unset).

use crate::{Csae, Error, FormatError, Result};
use potential_activations::ActivationKind;
use potential_models::{safetensors_f32_bytes, Output, TensorFile, TiedAutoencoder};
use std::collections::BTreeMap;
use std::path::Path;

/// The `format` metadata value of a CSAE file.
pub const CSAE_FORMAT: &str = "potential.csae";

type FResult<T> = std::result::Result<T, FormatError>;

impl Csae {
    /// The classifier as safetensors bytes (module docs). Deterministic: metadata and tensors in
    /// sorted key order, tensor data in that order, header padded with spaces to 8 bytes.
    pub fn to_safetensors_bytes(&self) -> Vec<u8> {
        let meta =
            class_metadata_out(CSAE_FORMAT, self.activation(), self.output(), &self.names, &self.provenance);
        let mut tensors: BTreeMap<String, (Vec<usize>, &[f32])> = BTreeMap::new();
        let (k, d) = (self.num_classes(), self.visible());
        for (i, m) in self.classes.iter().enumerate() {
            tensors.insert(format!("class.{i}.weight"), (vec![m.hidden(), d], m.weight()));
            tensors.insert(format!("class.{i}.hidden_bias"), (vec![m.hidden()], m.hidden_bias()));
            tensors.insert(format!("class.{i}.visible_bias"), (vec![d], m.visible_bias()));
        }
        tensors.insert("class_bias".into(), (vec![k], &self.class_bias));
        if let Some(a) = &self.readout {
            tensors.insert("readout".into(), (vec![k, k], a));
        }
        safetensors_f32_bytes(&meta, &tensors)
    }

    /// A classifier from safetensors bytes (module docs), validated.
    ///
    /// # Errors
    /// [`Error::Format`] with the [`FormatError`] naming the problem.
    pub fn from_safetensors_bytes(bytes: &[u8]) -> Result<Self> {
        Ok(Self::decode(bytes)?)
    }

    pub(crate) fn decode(bytes: &[u8]) -> FResult<Self> {
        let file = TensorFile::parse(bytes)?;
        file.expect_format(CSAE_FORMAT)?;
        let (activation, output, names) = class_metadata(&file)?;
        let k = names.len();
        let mut known: Vec<String> = vec!["class_bias".into(), "readout".into()];
        for i in 0..k {
            for t in ["weight", "hidden_bias", "visible_bias"] {
                known.push(format!("class.{i}.{t}"));
            }
        }
        file.check_names(|name| known.iter().any(|k| k == name))?;
        let class_bias = file.f32_shaped("class_bias", &[k])?;
        let mut classes = Vec::with_capacity(k);
        let mut d = None;
        for i in 0..k {
            let wn = format!("class.{i}.weight");
            let (ws, weight) = file.f32(&wn)?;
            if ws.len() != 2 || ws[1] == 0 || d.is_some_and(|d| d != ws[1]) {
                let expected = vec![ws.first().copied().unwrap_or(0), d.unwrap_or(1)];
                return Err(FormatError::WrongShape { tensor: wn, expected, found: ws });
            }
            let (h, dd) = (ws[0], ws[1]);
            d = Some(dd);
            let hb = file.f32_shaped(&format!("class.{i}.hidden_bias"), &[h])?;
            let vb = file.f32_shaped(&format!("class.{i}.visible_bias"), &[dd])?;
            let m = TiedAutoencoder::new(weight, hb, vb, activation, output).map_err(|e| {
                FormatError::BadMetadata { key: "format", value: wn.clone(), reason: e.to_string() }
            })?;
            classes.push(m);
        }
        let readout =
            if file.contains("readout") { Some(file.f32_shaped("readout", &[k, k])?) } else { None };
        let provenance = file.meta_opt("provenance").map(str::to_owned);
        Ok(Csae { classes, class_bias, names, readout, provenance })
    }

    /// Load a CSAE file.
    ///
    /// # Errors
    /// [`Error::Io`] if it cannot be read; [`Error::File`] with the path and the [`FormatError`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        read_file(path.as_ref(), Self::decode)
    }

    /// Save atomically: a temporary file in the same directory, fsynced, renamed over `path`.
    ///
    /// # Errors
    /// [`Error::Io`] with the path.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        write_file(path.as_ref(), &self.to_safetensors_bytes())
    }
}

/// Read the file `path` and decode it with `decode`.
///
/// # Errors
/// [`Error::Io`] if it cannot be read; [`Error::File`] with the path and the [`FormatError`].
pub(crate) fn read_file<T>(path: &Path, decode: impl FnOnce(&[u8]) -> FResult<T>) -> Result<T> {
    let bytes = potential_models::read_regular_file(path)
        .map_err(|source| Error::Io { path: path.to_owned(), source })?;
    decode(&bytes).map_err(|source| Error::File { path: path.to_owned(), source })
}

/// Write `bytes` to `path` atomically ([`potential_data::write_atomic`]: temporary file, fsync,
/// rename, directory sync).
///
/// # Errors
/// [`Error::Io`] with the file (the temporary one or `path`).
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    potential_data::write_atomic(path, bytes).map_err(|e| match e {
        potential_data::DataError::Io { path, source } => Error::Io { path, source },
        other => Error::Dataset(other),
    })
}

/// The metadata of both CSAE formats: `format`, `activation`, `classes` (JSON array), `output`
/// and `provenance` (`{}` when unset).
pub(crate) fn class_metadata_out(
    format: &str,
    activation: ActivationKind,
    output: Output,
    names: &[String],
    provenance: &Option<String>,
) -> BTreeMap<&'static str, String> {
    let names = serde_json::to_string(names).unwrap_or_else(|_| "[]".into());
    let mut meta: BTreeMap<&str, String> = BTreeMap::new();
    meta.insert("activation", activation.name().to_owned());
    meta.insert("classes", names);
    meta.insert("format", format.to_owned());
    meta.insert("output", output.name().to_owned());
    meta.insert("provenance", provenance.clone().unwrap_or_else(|| "{}".to_owned()));
    meta
}

/// The `activation`, `output` and `classes` metadata shared by the plain and the factored CSAE
/// files, parsed; at least one class.
pub(crate) fn class_metadata(file: &TensorFile<'_>) -> FResult<(ActivationKind, Output, Vec<String>)> {
    let bad = |key: &'static str, value: &str, reason: String| FormatError::BadMetadata {
        key,
        value: value.to_owned(),
        reason,
    };
    let act_s = file.meta("activation")?;
    let activation: ActivationKind = act_s.parse().map_err(|e| bad("activation", act_s, format!("{e}")))?;
    let out_s = file.meta("output")?;
    let output: Output = out_s.parse().map_err(|e| bad("output", out_s, format!("{e}")))?;
    let cls = file.meta("classes")?;
    let names: Vec<String> = serde_json::from_str(cls)
        .map_err(|e| bad("classes", cls, format!("not a JSON array of strings: {e}")))?;
    if names.is_empty() {
        return Err(bad("classes", cls, "no classes".into()));
    }
    Ok((activation, output, names))
}
