//! CSAE files: one safetensors file per classifier (README, *File formats*).
//!
//! Tensors (all F32): `class.{i}.weight` \[Hᵢ, D\], `class.{i}.hidden_bias` \[Hᵢ\],
//! `class.{i}.visible_bias` \[D\] for i = 0..K, `class_bias` \[K\], and `readout` \[K, K\] only for the
//! "energies" variant. `__metadata__`: `format` = `potential.csae`, `classes` = JSON array of the K
//! label names, `activation` (one of the seven names), `output` (`real`/`binary`), `provenance`
//! (JSON, `{}` when unset).

use crate::error::FormatError;
use crate::{Csae, Error, Result};
use potential_activations::ActivationKind;
use potential_models::{safetensors_f32_bytes, write_atomically, Output, TiedAutoencoder};
use safetensors::tensor::{Dtype, SafeTensors};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The `format` metadata value of a CSAE file.
pub const CSAE_FORMAT: &str = "potential.csae";

fn tensor(st: &SafeTensors<'_>, name: &str) -> std::result::Result<(Vec<usize>, Vec<f32>), FormatError> {
    let view = st.tensor(name).map_err(|_| FormatError::MissingTensor { tensor: name.to_owned() })?;
    if view.dtype() != Dtype::F32 {
        return Err(FormatError::WrongDtype {
            tensor: name.to_owned(),
            found: format!("{:?}", view.dtype()),
        });
    }
    let data: Vec<f32> =
        view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    if let Some(index) = data.iter().position(|v| !v.is_finite()) {
        return Err(FormatError::NonFinite { tensor: name.to_owned(), index, value: data[index] });
    }
    Ok((view.shape().to_vec(), data))
}

fn shape_is(name: &str, found: Vec<usize>, expected: Vec<usize>) -> std::result::Result<(), FormatError> {
    if found == expected {
        Ok(())
    } else {
        Err(FormatError::WrongShape { tensor: name.to_owned(), expected, found })
    }
}

impl Csae {
    /// The classifier as safetensors bytes (module docs). Deterministic: metadata and tensors in
    /// sorted key order, tensor data in that order, header padded with spaces to 8 bytes.
    pub fn to_safetensors_bytes(&self) -> Vec<u8> {
        let names = serde_json::to_string(&self.names).unwrap_or_else(|_| "[]".into());
        let provenance = self.provenance.clone().unwrap_or_else(|| "{}".to_owned());
        let mut meta: BTreeMap<&str, String> = BTreeMap::new();
        meta.insert("activation", self.activation().name().to_owned());
        meta.insert("classes", names);
        meta.insert("format", CSAE_FORMAT.to_owned());
        meta.insert("output", self.output().name().to_owned());
        meta.insert("provenance", provenance);
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

    fn decode(bytes: &[u8]) -> std::result::Result<Self, FormatError> {
        let st = SafeTensors::deserialize(bytes).map_err(FormatError::Corrupt)?;
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(FormatError::Corrupt)?;
        // Copied into a std map: safetensors' own map type depends on its `std` feature.
        let meta: HashMap<String, String> =
            header.metadata().iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect();
        let meta = &meta;
        let get = |key: &'static str| meta.get(key).ok_or(FormatError::MissingMetadata { key });
        let format = get("format")?;
        if format != CSAE_FORMAT {
            return Err(FormatError::UnknownFormat { found: format.clone() });
        }
        let (activation, output, names) = class_metadata(meta)?;
        let k = names.len();
        let mut known: Vec<String> = vec!["class_bias".into(), "readout".into()];
        for i in 0..k {
            for t in ["weight", "hidden_bias", "visible_bias"] {
                known.push(format!("class.{i}.{t}"));
            }
        }
        for name in st.names() {
            if !known.iter().any(|k| k == name) {
                return Err(FormatError::UnexpectedTensor { tensor: name.to_owned() });
            }
        }
        let (cs, class_bias) = tensor(&st, "class_bias")?;
        shape_is("class_bias", cs, vec![k])?;
        let mut classes = Vec::with_capacity(k);
        let mut d = None;
        for i in 0..k {
            let wn = format!("class.{i}.weight");
            let (ws, weight) = tensor(&st, &wn)?;
            if ws.len() != 2 || ws[1] == 0 || d.is_some_and(|d| d != ws[1]) {
                let expected = vec![ws.first().copied().unwrap_or(0), d.unwrap_or(1)];
                return Err(FormatError::WrongShape { tensor: wn, expected, found: ws });
            }
            let (h, dd) = (ws[0], ws[1]);
            d = Some(dd);
            let hn = format!("class.{i}.hidden_bias");
            let (hs, hb) = tensor(&st, &hn)?;
            shape_is(&hn, hs, vec![h])?;
            let vn = format!("class.{i}.visible_bias");
            let (vs, vb) = tensor(&st, &vn)?;
            shape_is(&vn, vs, vec![dd])?;
            let m = TiedAutoencoder::new(weight, hb, vb, activation, output).map_err(|e| {
                FormatError::BadMetadata { key: "format", value: wn.clone(), reason: e.to_string() }
            })?;
            classes.push(m);
        }
        let readout = if st.names().contains(&"readout") {
            let (rs, a) = tensor(&st, "readout")?;
            shape_is("readout", rs, vec![k, k])?;
            Some(a)
        } else {
            None
        };
        Ok(Csae { classes, class_bias, names, readout, provenance: meta.get("provenance").cloned() })
    }

    /// Load a CSAE file.
    ///
    /// # Errors
    /// [`Error::Io`] if it cannot be read; [`Error::File`] with the path and the [`FormatError`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
        Self::decode(&bytes).map_err(|source| Error::File { path: path.to_owned(), source })
    }

    /// Save atomically: a temporary file in the same directory, fsynced, renamed over `path`.
    ///
    /// # Errors
    /// [`Error::Io`] with the path.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        write_atomically(path, &self.to_safetensors_bytes(), ".potential-csae-")
            .map_err(|source| Error::Io { path: path.to_owned(), source })
    }
}

/// The `activation`, `output` and `classes` metadata shared by the plain and the factored CSAE
/// files, parsed; at least one class.
pub(crate) fn class_metadata(
    meta: &HashMap<String, String>,
) -> std::result::Result<(ActivationKind, Output, Vec<String>), FormatError> {
    let get = |key: &'static str| meta.get(key).ok_or(FormatError::MissingMetadata { key });
    let bad = |key: &'static str, value: &str, reason: String| FormatError::BadMetadata {
        key,
        value: value.to_owned(),
        reason,
    };
    let act_s = get("activation")?;
    let activation: ActivationKind = act_s.parse().map_err(|e| bad("activation", act_s, format!("{e}")))?;
    let out_s = get("output")?;
    let output: Output = out_s.parse().map_err(|e| bad("output", out_s, format!("{e}")))?;
    let cls = get("classes")?;
    let names: Vec<String> = serde_json::from_str(cls)
        .map_err(|e| bad("classes", cls, format!("not a JSON array of strings: {e}")))?;
    if names.is_empty() {
        return Err(bad("classes", cls, "no classes".into()));
    }
    Ok((activation, output, names))
}
