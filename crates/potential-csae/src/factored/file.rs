//! Factored-CSAE files: one safetensors file per classifier.
//!
//! Tensors (all F32, row-major), with K classes, D inputs, F factors, H hidden units:
//!
//! | name | shape | paper |
//! |---|---|---|
//! | `factor.input` | \[D, F\] | Wˣ |
//! | `factor.hidden` | \[F, H\] | Wʰ |
//! | `factor.class` | \[K, F\] | Wᶠ |
//! | `class.hidden_bias` | \[K, H\] | Bʰ |
//! | `class.visible_bias` | \[K, D\] | Bʳ |
//! | `class_bias` | \[K\] | C (Eq. 45) |
//!
//! `__metadata__`: `format` = `potential.factored-csae`, `classes` = JSON array of the K label
//! names, `activation` (one of the seven names), `output` (`real`/`binary`), `provenance` (JSON,
//! `{}` when unset). Class j's tied weight (Eq. 48) is `factor.input · diag(factor.class[j]) ·
//! factor.hidden`. Written atomically and deterministically (sorted keys).

use super::model::{FactoredCsae, FactoredParams};
use crate::error::FormatError;
use crate::{Error, Result};
use potential_models::{safetensors_f32_bytes, write_atomically};
use safetensors::tensor::{Dtype, SafeTensors};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The `format` metadata value of a factored-CSAE file.
pub const FACTORED_CSAE_FORMAT: &str = "potential.factored-csae";

/// The tensor names of a factored-CSAE file, in the order of the module docs.
pub const FACTORED_TENSORS: [&str; 6] = [
    "factor.input",
    "factor.hidden",
    "factor.class",
    "class.hidden_bias",
    "class.visible_bias",
    "class_bias",
];

type FResult<T> = std::result::Result<T, FormatError>;

fn tensor(st: &SafeTensors<'_>, name: &str) -> FResult<(Vec<usize>, Vec<f32>)> {
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

/// The `format` value of safetensors bytes (for dispatch between model kinds).
pub(crate) fn format_of(bytes: &[u8]) -> FResult<String> {
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(FormatError::Corrupt)?;
    header
        .metadata()
        .as_ref()
        .and_then(|m| m.get("format").cloned())
        .ok_or(FormatError::MissingMetadata { key: "format" })
}

impl FactoredCsae {
    /// The classifier as safetensors bytes (module docs of `factored::file`; tensor names
    /// [`FACTORED_TENSORS`]). Deterministic.
    pub fn to_safetensors_bytes(&self) -> Vec<u8> {
        let names = serde_json::to_string(&self.names).unwrap_or_else(|_| "[]".into());
        let mut meta: BTreeMap<&str, String> = BTreeMap::new();
        meta.insert("activation", self.activation.name().to_owned());
        meta.insert("classes", names);
        meta.insert("format", FACTORED_CSAE_FORMAT.to_owned());
        meta.insert("output", self.output.name().to_owned());
        meta.insert("provenance", self.provenance.clone().unwrap_or_else(|| "{}".to_owned()));
        let (d, f, h, k) = (self.d, self.f, self.h, self.num_classes());
        let shapes = [vec![d, f], vec![f, h], vec![k, f], vec![k, h], vec![k, d], vec![k]];
        let tensors: BTreeMap<String, (Vec<usize>, &[f32])> = self
            .tensors()
            .into_iter()
            .zip(shapes)
            .map(|((name, v, _), shape)| (name.to_owned(), (shape, v)))
            .collect();
        safetensors_f32_bytes(&meta, &tensors)
    }

    /// A classifier from safetensors bytes, validated.
    ///
    /// # Errors
    /// [`Error::Format`] with the [`FormatError`] naming the problem.
    pub fn from_safetensors_bytes(bytes: &[u8]) -> Result<Self> {
        Ok(Self::decode(bytes)?)
    }

    fn decode(bytes: &[u8]) -> FResult<Self> {
        let st = SafeTensors::deserialize(bytes).map_err(FormatError::Corrupt)?;
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(FormatError::Corrupt)?;
        // Copied into a std map: safetensors' own map type depends on its `std` feature.
        let meta: HashMap<String, String> =
            header.metadata().iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect();
        let meta = &meta;
        let get = |key: &'static str| meta.get(key).ok_or(FormatError::MissingMetadata { key });
        let format = get("format")?;
        if format != FACTORED_CSAE_FORMAT {
            return Err(FormatError::WrongFormat { found: format.clone(), expected: FACTORED_CSAE_FORMAT });
        }
        let (activation, output, names) = crate::file::class_metadata(meta)?;
        let k = names.len();
        for name in st.names() {
            if !FACTORED_TENSORS.contains(&name) {
                return Err(FormatError::UnexpectedTensor { tensor: name.to_owned() });
            }
        }
        let wrong = |tensor: &str, expected: Vec<usize>, found: Vec<usize>| FormatError::WrongShape {
            tensor: tensor.to_owned(),
            expected,
            found,
        };
        // factor.input fixes D and F, factor.hidden H; everything else must agree.
        let (sx, w_x) = tensor(&st, "factor.input")?;
        if sx.len() != 2 || sx[0] == 0 || sx[1] == 0 {
            return Err(wrong("factor.input", vec![sx.first().copied().unwrap_or(1).max(1), 1], sx));
        }
        let (d, f) = (sx[0], sx[1]);
        let (sh, w_h) = tensor(&st, "factor.hidden")?;
        if sh.len() != 2 || sh[0] != f || sh[1] == 0 {
            return Err(wrong("factor.hidden", vec![f, sh.get(1).copied().unwrap_or(1).max(1)], sh));
        }
        let h = sh[1];
        let get_shaped = |name: &str, expected: Vec<usize>| -> FResult<Vec<f32>> {
            let (s, v) = tensor(&st, name)?;
            if s != expected {
                return Err(wrong(name, expected, s));
            }
            Ok(v)
        };
        let w_f = get_shaped("factor.class", vec![k, f])?;
        let b_h = get_shaped("class.hidden_bias", vec![k, h])?;
        let b_r = get_shaped("class.visible_bias", vec![k, d])?;
        let class_bias = get_shaped("class_bias", vec![k])?;
        let params = FactoredParams {
            visible: d,
            factors: f,
            hidden: h,
            input_factors: w_x,
            hidden_factors: w_h,
            class_factors: w_f,
            hidden_bias: b_h,
            visible_bias: b_r,
            class_bias,
        };
        let mut m =
            FactoredCsae::new(params, names, activation, output).map_err(|e| FormatError::BadMetadata {
                key: "format",
                value: FACTORED_CSAE_FORMAT.to_owned(),
                reason: e.to_string(),
            })?;
        m.provenance = meta.get("provenance").cloned();
        Ok(m)
    }

    /// Load a factored-CSAE file.
    ///
    /// # Errors
    /// [`Error::Io`] if it cannot be read; [`Error::File`] with the path and the [`FormatError`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
        Self::decode(&bytes).map_err(|source| Error::File { path: path.to_owned(), source })
    }

    /// Save atomically (a temporary file in the same directory, fsynced, renamed over `path`).
    ///
    /// # Errors
    /// [`Error::Io`] with the path.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        write_atomically(path, &self.to_safetensors_bytes(), ".potential-fcsae-")
            .map_err(|source| Error::Io { path: path.to_owned(), source })
    }
}
