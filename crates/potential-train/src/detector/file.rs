//! The detector file: one safetensors file holding everything needed to score new rows.
//!
//! | tensor | dtype | shape | content |
//! |---|---|---|---|
//! | `scaler.{v}.shift`, `scaler.{v}.scale` | F32 | [D] | an affine view v: x' = (x − shift)·scale |
//! | `scaler.{v}.quantiles` | F32 | [q, D] | a quantile view v: per column, the training values at probabilities i/(q − 1) |
//! | `scaler.{v}.reference` | F32 | [D] | the mean of the scaled training rows of view v |
//! | `member.{i}.weight` | F32 | [H, D] | member i's W (as in a model file) |
//! | `member.{i}.hidden_bias`, `member.{i}.visible_bias` | F32 | [H], [D] | its biases |
//!
//! `__metadata__`: `format` = `potential.detector`; `score` (`energy` or `reconstruction-error`);
//! `combine` (`softplus` or `mean`: how the members' normalised scores make the outlier score;
//! absent = `mean`, as files written before it was stored);
//! `threshold` and `contamination` (decimal, shortest round-trip form; the threshold is on the
//! outlier-score scale, flag = score > threshold); `activation`, `output`; `views` (JSON list of
//! `{"scaler": "min-max" | "standard" | "quantile", "noise": σ}`); `members` (JSON list of
//! `{"view", "noise", "seed", "median", "iqr"}`, in member order); `provenance` (JSON).

use super::config::{Combine, View};
use super::fit::{Detector, Member};
use super::scaler::{Scaler, ScalerKind};
use super::{DetectorError, Result};
use potential_activations::ActivationKind;
use potential_models::{FormatError, NoveltyScore, Output, TensorFile, TiedAutoencoder};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// `__metadata__.format` of a detector file.
pub const DETECTOR_FORMAT: &str = "potential.detector";

#[derive(Serialize, Deserialize)]
struct MemberMeta {
    view: usize,
    noise: f32,
    seed: u64,
    median: f64,
    iqr: f64,
}

fn bad(reason: impl Into<String>) -> DetectorError {
    DetectorError::Format(reason.into())
}

impl From<FormatError> for DetectorError {
    /// A safetensors-level problem of a detector file, as [`DetectorError::Format`].
    fn from(e: FormatError) -> Self {
        bad(e.to_string())
    }
}

/// The metadata of a detector file other than its views and members, parsed and checked.
struct Header {
    score: NoveltyScore,
    combine: Combine,
    threshold: f64,
    contamination: f64,
    activation: ActivationKind,
    output: Output,
}

fn header(file: &TensorFile<'_>) -> Result<Header> {
    let score: NoveltyScore =
        file.meta("score")?.parse().map_err(|e| bad(format!("metadata `score`: {e}")))?;
    // Files written before `combine` was stored combined by the plain mean.
    let combine = match file.meta_opt("combine") {
        None => Combine::Mean,
        Some(c) => Combine::from_name(c)
            .ok_or_else(|| bad(format!("metadata `combine` = `{c}`: expected `softplus` or `mean`")))?,
    };
    let num = |k: &'static str| -> Result<f64> {
        let v = file.meta(k)?;
        v.parse::<f64>().map_err(|_| bad(format!("metadata `{k}` = `{v}` is not a number")))
    };
    let threshold = num("threshold")?;
    if threshold.is_nan() {
        return Err(bad("metadata `threshold` is NaN"));
    }
    let contamination = num("contamination")?;
    potential_models::novelty::check_contamination(contamination)
        .map_err(|e| bad(format!("metadata `contamination`: {e}")))?;
    let activation: ActivationKind =
        file.meta("activation")?.parse().map_err(|e| bad(format!("metadata `activation`: {e}")))?;
    let output: Output = file.meta("output")?.parse().map_err(|e| bad(format!("metadata `output`: {e}")))?;
    Ok(Header { score, combine, threshold, contamination, activation, output })
}

/// View `v`'s scaler of `d` columns, checked (quantile columns non-decreasing, scales > 0).
fn scaler(file: &TensorFile<'_>, v: usize, view: &View, d: usize) -> Result<Scaler> {
    if view.scaler == ScalerKind::Quantile {
        let name = format!("scaler.{v}.quantiles");
        let q = file.shape(&name)?;
        if q.len() != 2 || q[0] < 2 || q[1] != d {
            return Err(bad(format!("tensor `{name}` has shape {q:?}, expected [q ≥ 2, {d}]")));
        }
        let quantiles = file.f32_shaped(&name, &q)?;
        for j in 0..d {
            if (1..q[0]).any(|i| quantiles[i * d + j] < quantiles[(i - 1) * d + j]) {
                return Err(bad(format!("tensor `{name}`: column {j} is not non-decreasing")));
            }
        }
        return Ok(Scaler::Quantile { d, quantiles });
    }
    let shift = file.f32_shaped(&format!("scaler.{v}.shift"), &[d])?;
    let scale = file.f32_shaped(&format!("scaler.{v}.scale"), &[d])?;
    if let Some(j) = scale.iter().position(|&s| s <= 0.0) {
        return Err(bad(format!("tensor `scaler.{v}.scale`: column {j} is {} (must be > 0)", scale[j])));
    }
    Ok(Scaler::Affine { kind: view.scaler, shift, scale })
}

/// Member `i` (described by `m`) of a detector with `views` views and `d` columns.
fn member(
    file: &TensorFile<'_>,
    i: usize,
    m: MemberMeta,
    views: usize,
    d: usize,
    h: &Header,
) -> Result<Member> {
    if m.view >= views {
        return Err(bad(format!("member {i} names view {} of {views}", m.view)));
    }
    if !(m.iqr.is_finite() && m.iqr > 0.0 && m.median.is_finite()) {
        return Err(bad(format!(
            "member {i}: median {} and iqr {} must be finite, iqr > 0",
            m.median, m.iqr
        )));
    }
    let wname = format!("member.{i}.weight");
    let ws = file.shape(&wname)?;
    if ws.len() != 2 || ws[1] != d || ws[0] == 0 {
        return Err(bad(format!("tensor `{wname}` has shape {ws:?}, expected [H ≥ 1, {d}]")));
    }
    let hidden = ws[0];
    let model = TiedAutoencoder::new(
        file.f32_shaped(&wname, &[hidden, d])?,
        file.f32_shaped(&format!("member.{i}.hidden_bias"), &[hidden])?,
        file.f32_shaped(&format!("member.{i}.visible_bias"), &[d])?,
        h.activation,
        h.output,
    )?;
    Ok(Member { view: m.view, noise: m.noise, seed: m.seed, model, median: m.median, iqr: m.iqr })
}

impl Detector {
    /// The detector as safetensors bytes (deterministic; see the module docs for the layout).
    pub fn to_safetensors_bytes(&self) -> Vec<u8> {
        let d = self.dim();
        let mut names: Vec<(String, Vec<usize>, &[f32])> = Vec::new();
        for (v, s) in self.scalers.iter().enumerate() {
            match s {
                Scaler::Affine { shift, scale, .. } => {
                    names.push((format!("scaler.{v}.shift"), vec![d], shift));
                    names.push((format!("scaler.{v}.scale"), vec![d], scale));
                }
                Scaler::Quantile { quantiles, .. } => {
                    names.push((format!("scaler.{v}.quantiles"), vec![quantiles.len() / d, d], quantiles));
                }
            }
            names.push((format!("scaler.{v}.reference"), vec![d], &self.references[v]));
        }
        for (i, m) in self.members.iter().enumerate() {
            let h = m.model.hidden();
            names.push((format!("member.{i}.weight"), vec![h, d], m.model.weight()));
            names.push((format!("member.{i}.hidden_bias"), vec![h], m.model.hidden_bias()));
            names.push((format!("member.{i}.visible_bias"), vec![d], m.model.visible_bias()));
        }
        let tensors: BTreeMap<String, (Vec<usize>, &[f32])> =
            names.into_iter().map(|(k, s, v)| (k, (s, v))).collect();
        let views: Vec<View> = self
            .scalers
            .iter()
            .enumerate()
            .map(|(v, s)| View {
                scaler: s.kind(),
                noise: self.members.iter().find(|m| m.view == v).map_or(0.0, |m| m.noise),
            })
            .collect();
        let members: Vec<MemberMeta> = self
            .members
            .iter()
            .map(|m| MemberMeta { view: m.view, noise: m.noise, seed: m.seed, median: m.median, iqr: m.iqr })
            .collect();
        let first = &self.members[0].model;
        let mut meta = BTreeMap::new();
        meta.insert("format", DETECTOR_FORMAT.to_owned());
        meta.insert("score", self.score.name().to_owned());
        meta.insert("combine", self.combine.name().to_owned());
        meta.insert("threshold", format!("{:?}", self.threshold));
        meta.insert("contamination", format!("{:?}", self.contamination));
        meta.insert("activation", first.activation().name().to_owned());
        meta.insert("output", first.output().name().to_owned());
        meta.insert("views", serde_json::to_string(&views).unwrap_or_default());
        meta.insert("members", serde_json::to_string(&members).unwrap_or_default());
        meta.insert("provenance", self.provenance.clone());
        potential_models::safetensors_f32_bytes(&meta, &tensors)
    }

    /// A detector from safetensors bytes, validated (shapes, finite values, threshold, members).
    ///
    /// # Errors
    /// [`DetectorError::Format`] saying what is missing or malformed.
    pub fn from_safetensors_bytes(bytes: &[u8]) -> Result<Self> {
        let file = TensorFile::parse(bytes)?;
        file.expect_format(DETECTOR_FORMAT)?;
        let h = header(&file)?;
        let views: Vec<View> =
            serde_json::from_str(file.meta("views")?).map_err(|e| bad(format!("metadata `views`: {e}")))?;
        let metas: Vec<MemberMeta> = serde_json::from_str(file.meta("members")?)
            .map_err(|e| bad(format!("metadata `members`: {e}")))?;
        if views.is_empty() || metas.is_empty() {
            return Err(bad("a detector needs at least one view and one member"));
        }
        let d = file
            .shape("scaler.0.reference")?
            .first()
            .copied()
            .filter(|&d| d > 0)
            .ok_or_else(|| bad("tensor `scaler.0.reference` must have shape [D], D > 0"))?;
        let mut scalers = Vec::with_capacity(views.len());
        let mut references = Vec::with_capacity(views.len());
        for (v, view) in views.iter().enumerate() {
            scalers.push(scaler(&file, v, view, d)?);
            references.push(file.f32_shaped(&format!("scaler.{v}.reference"), &[d])?);
        }
        let members = metas
            .into_iter()
            .enumerate()
            .map(|(i, m)| member(&file, i, m, views.len(), d, &h))
            .collect::<Result<Vec<_>>>()?;
        let expected =
            views.iter().map(|v| if v.scaler == ScalerKind::Quantile { 2 } else { 3 }).sum::<usize>()
                + 3 * members.len();
        if file.len() != expected {
            return Err(bad(format!(
                "{} tensors, expected {expected} for these views and members: {:?}",
                file.len(),
                file.names()
            )));
        }
        let provenance = file.meta_opt("provenance").unwrap_or("{}").to_owned();
        let Header { score, combine, threshold, contamination, .. } = h;
        Ok(Detector { scalers, references, members, score, combine, contamination, threshold, provenance })
    }

    /// Load a detector file.
    ///
    /// # Errors
    /// [`DetectorError::Io`]; [`DetectorError::Format`] prefixed with the path.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = potential_models::read_regular_file(path)
            .map_err(|source| DetectorError::Io { path: path.to_owned(), source })?;
        Self::from_safetensors_bytes(&bytes).map_err(|e| match e {
            DetectorError::Format(r) => DetectorError::Format(format!("{}: {r}", path.display())),
            e => e,
        })
    }

    /// Save atomically ([`potential_data::write_atomic`]: temporary file, fsync, rename, directory
    /// sync).
    ///
    /// # Errors
    /// [`DetectorError::Io`] naming the file (the temporary one or `path`).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        potential_data::write_atomic(path, &self.to_safetensors_bytes()).map_err(|e| match e {
            potential_data::DataError::Io { path, source } => DetectorError::Io { path, source },
            other => DetectorError::Data(other),
        })
    }
}
