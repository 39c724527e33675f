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
use crate::file::{class_metadata, class_metadata_out, read_file, write_file};
use crate::{FormatError, Result};
use potential_models::{safetensors_f32_bytes, TensorFile};
use std::collections::BTreeMap;
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

impl FactoredCsae {
    /// The classifier as safetensors bytes (module docs of `factored::file`; tensor names
    /// [`FACTORED_TENSORS`]). Deterministic.
    pub fn to_safetensors_bytes(&self) -> Vec<u8> {
        let meta = class_metadata_out(
            FACTORED_CSAE_FORMAT,
            self.activation,
            self.output,
            &self.names,
            &self.provenance,
        );
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
    /// [`Error::Format`](crate::Error::Format) with the [`FormatError`] naming the problem.
    pub fn from_safetensors_bytes(bytes: &[u8]) -> Result<Self> {
        Ok(Self::decode(bytes)?)
    }

    pub(crate) fn decode(bytes: &[u8]) -> FResult<Self> {
        let file = TensorFile::parse(bytes)?;
        let format = file.meta("format")?;
        if format != FACTORED_CSAE_FORMAT {
            return Err(FormatError::WrongFormat {
                found: format.to_owned(),
                expected: FACTORED_CSAE_FORMAT,
            });
        }
        let (activation, output, names) = class_metadata(&file)?;
        let k = names.len();
        file.check_names(|name| FACTORED_TENSORS.contains(&name))?;
        let wrong = |tensor: &str, expected: Vec<usize>, found: Vec<usize>| FormatError::WrongShape {
            tensor: tensor.to_owned(),
            expected,
            found,
        };
        // factor.input fixes D and F, factor.hidden H; everything else must agree.
        let (sx, w_x) = file.f32("factor.input")?;
        if sx.len() != 2 || sx[0] == 0 || sx[1] == 0 {
            return Err(wrong("factor.input", vec![sx.first().copied().unwrap_or(1).max(1), 1], sx));
        }
        let (d, f) = (sx[0], sx[1]);
        let (sh, w_h) = file.f32("factor.hidden")?;
        if sh.len() != 2 || sh[0] != f || sh[1] == 0 {
            return Err(wrong("factor.hidden", vec![f, sh.get(1).copied().unwrap_or(1).max(1)], sh));
        }
        let h = sh[1];
        let params = FactoredParams {
            visible: d,
            factors: f,
            hidden: h,
            input_factors: w_x,
            hidden_factors: w_h,
            class_factors: file.f32_shaped("factor.class", &[k, f])?,
            hidden_bias: file.f32_shaped("class.hidden_bias", &[k, h])?,
            visible_bias: file.f32_shaped("class.visible_bias", &[k, d])?,
            class_bias: file.f32_shaped("class_bias", &[k])?,
        };
        let mut m =
            FactoredCsae::new(params, names, activation, output).map_err(|e| FormatError::BadMetadata {
                key: "format",
                value: FACTORED_CSAE_FORMAT.to_owned(),
                reason: e.to_string(),
            })?;
        m.provenance = file.meta_opt("provenance").map(str::to_owned);
        Ok(m)
    }

    /// Load a factored-CSAE file.
    ///
    /// # Errors
    /// [`Error::Io`](crate::Error::Io) if it cannot be read; [`Error::File`](crate::Error::File)
    /// with the path and the [`FormatError`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        read_file(path.as_ref(), Self::decode)
    }

    /// Save atomically (a temporary file in the same directory, fsynced, renamed over `path`).
    ///
    /// # Errors
    /// [`Error::Io`](crate::Error::Io).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        write_file(path.as_ref(), &self.to_safetensors_bytes())
    }
}
