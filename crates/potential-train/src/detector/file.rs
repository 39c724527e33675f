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
use potential_models::{NoveltyScore, Output, TiedAutoencoder};
use safetensors::tensor::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
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

fn tensor(st: &SafeTensors<'_>, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
    let v = st.tensor(name).map_err(|_| bad(format!("tensor `{name}` is missing")))?;
    if v.dtype() != Dtype::F32 || v.shape() != shape {
        return Err(bad(format!(
            "tensor `{name}` is {:?} {:?}, expected F32 {shape:?}",
            v.dtype(),
            v.shape()
        )));
    }
    let out: Vec<f32> =
        v.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    if let Some(i) = out.iter().position(|x| !x.is_finite()) {
        return Err(bad(format!("tensor `{name}` holds {} at index {i}", out[i])));
    }
    Ok(out)
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
        let st =
            SafeTensors::deserialize(bytes).map_err(|e| bad(format!("not a valid safetensors file: {e}")))?;
        let (_, header) = SafeTensors::read_metadata(bytes)
            .map_err(|e| bad(format!("not a valid safetensors file: {e}")))?;
        // Copied into a std map: safetensors' own map type depends on its `std` feature.
        let meta: HashMap<String, String> =
            header.metadata().iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect();
        let meta = &meta;
        let get = |k: &str| meta.get(k).ok_or_else(|| bad(format!("metadata `{k}` is missing")));
        let format = get("format")?;
        if format != DETECTOR_FORMAT {
            return Err(bad(format!("format is `{format}`, expected `{DETECTOR_FORMAT}`")));
        }
        let score: NoveltyScore = get("score")?.parse().map_err(|e| bad(format!("metadata `score`: {e}")))?;
        // Files written before `combine` was stored combined by the plain mean.
        let combine = match meta.get("combine") {
            None => Combine::Mean,
            Some(c) => Combine::from_name(c)
                .ok_or_else(|| bad(format!("metadata `combine` = `{c}`: expected `softplus` or `mean`")))?,
        };
        let num = |k: &str| -> Result<f64> {
            get(k)?.parse::<f64>().map_err(|_| bad(format!("metadata `{k}` = `{}` is not a number", meta[k])))
        };
        let threshold = num("threshold")?;
        if threshold.is_nan() {
            return Err(bad("metadata `threshold` is NaN"));
        }
        let contamination = num("contamination")?;
        potential_models::novelty::check_contamination(contamination)
            .map_err(|e| bad(format!("metadata `contamination`: {e}")))?;
        let activation: ActivationKind =
            get("activation")?.parse().map_err(|e| bad(format!("metadata `activation`: {e}")))?;
        let output: Output = get("output")?.parse().map_err(|e| bad(format!("metadata `output`: {e}")))?;
        let views: Vec<View> =
            serde_json::from_str(get("views")?).map_err(|e| bad(format!("metadata `views`: {e}")))?;
        let metas: Vec<MemberMeta> =
            serde_json::from_str(get("members")?).map_err(|e| bad(format!("metadata `members`: {e}")))?;
        if views.is_empty() || metas.is_empty() {
            return Err(bad("a detector needs at least one view and one member"));
        }
        let d = st
            .tensor("scaler.0.reference")
            .map_err(|_| bad("tensor `scaler.0.reference` is missing"))?
            .shape()
            .first()
            .copied()
            .filter(|&d| d > 0)
            .ok_or_else(|| bad("tensor `scaler.0.reference` must have shape [D], D > 0"))?;
        let mut scalers = Vec::with_capacity(views.len());
        let mut references = Vec::with_capacity(views.len());
        for (v, view) in views.iter().enumerate() {
            scalers.push(match view.scaler {
                ScalerKind::Quantile => {
                    let name = format!("scaler.{v}.quantiles");
                    let q = st
                        .tensor(&name)
                        .map_err(|_| bad(format!("tensor `{name}` is missing")))?
                        .shape()
                        .to_vec();
                    if q.len() != 2 || q[0] < 2 || q[1] != d {
                        return Err(bad(format!("tensor `{name}` has shape {q:?}, expected [q ≥ 2, {d}]")));
                    }
                    let quantiles = tensor(&st, &name, &q)?;
                    for j in 0..d {
                        if (1..q[0]).any(|i| quantiles[i * d + j] < quantiles[(i - 1) * d + j]) {
                            return Err(bad(format!("tensor `{name}`: column {j} is not non-decreasing")));
                        }
                    }
                    Scaler::Quantile { d, quantiles }
                }
                kind => {
                    let shift = tensor(&st, &format!("scaler.{v}.shift"), &[d])?;
                    let scale = tensor(&st, &format!("scaler.{v}.scale"), &[d])?;
                    if let Some(j) = scale.iter().position(|&s| s <= 0.0) {
                        return Err(bad(format!(
                            "tensor `scaler.{v}.scale`: column {j} is {} (must be > 0)",
                            scale[j]
                        )));
                    }
                    Scaler::Affine { kind, shift, scale }
                }
            });
            references.push(tensor(&st, &format!("scaler.{v}.reference"), &[d])?);
        }
        let mut members = Vec::with_capacity(metas.len());
        for (i, m) in metas.into_iter().enumerate() {
            if m.view >= views.len() {
                return Err(bad(format!("member {i} names view {} of {}", m.view, views.len())));
            }
            if !(m.iqr.is_finite() && m.iqr > 0.0 && m.median.is_finite()) {
                return Err(bad(format!(
                    "member {i}: median {} and iqr {} must be finite, iqr > 0",
                    m.median, m.iqr
                )));
            }
            let wname = format!("member.{i}.weight");
            let ws =
                st.tensor(&wname).map_err(|_| bad(format!("tensor `{wname}` is missing")))?.shape().to_vec();
            if ws.len() != 2 || ws[1] != d || ws[0] == 0 {
                return Err(bad(format!("tensor `{wname}` has shape {ws:?}, expected [H ≥ 1, {d}]")));
            }
            let h = ws[0];
            let model = TiedAutoencoder::new(
                tensor(&st, &wname, &[h, d])?,
                tensor(&st, &format!("member.{i}.hidden_bias"), &[h])?,
                tensor(&st, &format!("member.{i}.visible_bias"), &[d])?,
                activation,
                output,
            )?;
            members.push(Member {
                view: m.view,
                noise: m.noise,
                seed: m.seed,
                model,
                median: m.median,
                iqr: m.iqr,
            });
        }
        let expected =
            views.iter().map(|v| if v.scaler == ScalerKind::Quantile { 2 } else { 3 }).sum::<usize>()
                + 3 * members.len();
        if st.len() != expected {
            let known: Vec<String> = st.names().into_iter().map(str::to_owned).collect();
            return Err(bad(format!(
                "{} tensors, expected {expected} for these views and members: {known:?}",
                st.len()
            )));
        }
        let provenance = meta.get("provenance").cloned().unwrap_or_else(|| "{}".to_owned());
        Ok(Detector { scalers, references, members, score, combine, contamination, threshold, provenance })
    }

    /// Load a detector file.
    ///
    /// # Errors
    /// [`DetectorError::Io`]; [`DetectorError::Format`] prefixed with the path.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes =
            std::fs::read(path).map_err(|source| DetectorError::Io { path: path.to_owned(), source })?;
        Self::from_safetensors_bytes(&bytes).map_err(|e| match e {
            DetectorError::Format(r) => DetectorError::Format(format!("{}: {r}", path.display())),
            e => e,
        })
    }

    /// Save atomically (temporary file, fsync, rename, directory sync).
    ///
    /// # Errors
    /// [`DetectorError::Io`].
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        potential_models::write_atomically(path, &self.to_safetensors_bytes(), ".potential-detector-")
            .map_err(|source| DetectorError::Io { path: path.to_owned(), source })
    }
}
