//! Training checkpoints: one safetensors file holding everything needed to continue a run bit for
//! bit.
//!
//! # Format
//! A safetensors file with `__metadata__.format` = `potential.train-checkpoint` and
//!
//! | tensor | dtype | shape | content |
//! |---|---|---|---|
//! | `weight` | F32 | [H, D] | W (as in a model file; README, *File formats*) |
//! | `hidden_bias` | F32 | [H] | b_h |
//! | `visible_bias` | F32 | [D] | b_r |
//! | `velocity.weight` | F32 | [H, D] | momentum velocity of W |
//! | `velocity.hidden_bias` | F32 | [H] | velocity of b_h |
//! | `velocity.visible_bias` | F32 | [D] | velocity of b_r |
//! | `adam.weight`, `adam.hidden_bias`, `adam.visible_bias` | F32 | as above | Adam's second moment (only under [`Optimizer::Adam`](crate::Optimizer::Adam), whose first moment is in `velocity.*`) |
//! | `rng_state` | U8 | [32] | Xoshiro256++ state of the shuffling/corruption generator (4 little-endian u64) |
//! | `best.weight`, `best.hidden_bias`, `best.visible_bias` | F32 | as above | the best model by validation loss (only with validation data) |
//!
//! Metadata keys: `activation`, `output` (as in model files), `provenance` (the model's), `epoch`
//! (completed epochs, decimal), `bad_epochs` (epochs since the best validation loss), `config`
//! (the [`TrainConfig`] as JSON), and with validation data `best_epoch` and `best_valid_loss`
//! (the f64 bit pattern as 16 hex digits, so it round-trips exactly); `data`, the caller's
//! fingerprint of the training data, when one was set.

use crate::step::Params;
use crate::{Error, Result, TrainConfig};
use potential_activations::ActivationKind;
use potential_models::{FormatError, Output, TensorFile, TiedAutoencoder};
use safetensors::tensor::Dtype;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// `__metadata__.format` of a training checkpoint.
pub const CHECKPOINT_FORMAT: &str = "potential.train-checkpoint";

/// The best model seen so far by validation loss.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Best {
    pub model: TiedAutoencoder,
    pub valid_loss: f64,
    pub epoch: usize,
}

/// Everything a checkpoint holds.
#[derive(Clone, Debug)]
pub(crate) struct State {
    pub model: TiedAutoencoder,
    pub velocity: Params,
    pub second: Params,
    pub rng_state: [u8; 32],
    pub epoch: usize,
    pub bad_epochs: usize,
    pub config: TrainConfig,
    pub best: Option<Best>,
    /// The caller's fingerprint of the training data (metadata key `data`, written when set).
    pub data: Option<String>,
}

fn le(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn corrupt(path: &Path, reason: impl Into<String>) -> Error {
    Error::Checkpoint { path: path.to_owned(), reason: reason.into() }
}

/// Serialise `state` to bytes.
pub(crate) fn encode(state: &State, path: &Path) -> Result<Vec<u8>> {
    let m = &state.model;
    let (h, d) = (m.hidden(), m.visible());
    let mut bufs: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = vec![
        ("weight".into(), Dtype::F32, vec![h, d], le(m.weight())),
        ("hidden_bias".into(), Dtype::F32, vec![h], le(m.hidden_bias())),
        ("visible_bias".into(), Dtype::F32, vec![d], le(m.visible_bias())),
        ("velocity.weight".into(), Dtype::F32, vec![h, d], le(&state.velocity.weight)),
        ("velocity.hidden_bias".into(), Dtype::F32, vec![h], le(&state.velocity.hidden_bias)),
        ("velocity.visible_bias".into(), Dtype::F32, vec![d], le(&state.velocity.visible_bias)),
        ("rng_state".into(), Dtype::U8, vec![32], state.rng_state.to_vec()),
    ];
    if matches!(state.config.optimizer, crate::Optimizer::Adam { .. }) {
        bufs.push(("adam.weight".into(), Dtype::F32, vec![h, d], le(&state.second.weight)));
        bufs.push(("adam.hidden_bias".into(), Dtype::F32, vec![h], le(&state.second.hidden_bias)));
        bufs.push(("adam.visible_bias".into(), Dtype::F32, vec![d], le(&state.second.visible_bias)));
    }
    let mut meta = HashMap::new();
    meta.insert("format".to_owned(), CHECKPOINT_FORMAT.to_owned());
    meta.insert("activation".to_owned(), m.activation().name().to_owned());
    meta.insert("output".to_owned(), m.output().name().to_owned());
    meta.insert("provenance".to_owned(), m.provenance().unwrap_or("{}").to_owned());
    meta.insert("epoch".to_owned(), state.epoch.to_string());
    meta.insert("bad_epochs".to_owned(), state.bad_epochs.to_string());
    let config = serde_json::to_string(&state.config).map_err(|e| corrupt(path, e.to_string()))?;
    meta.insert("config".to_owned(), config);
    if let Some(fp) = &state.data {
        meta.insert("data".to_owned(), fp.clone());
    }
    if let Some(b) = &state.best {
        bufs.push(("best.weight".into(), Dtype::F32, vec![h, d], le(b.model.weight())));
        bufs.push(("best.hidden_bias".into(), Dtype::F32, vec![h], le(b.model.hidden_bias())));
        bufs.push(("best.visible_bias".into(), Dtype::F32, vec![d], le(b.model.visible_bias())));
        meta.insert("best_epoch".to_owned(), b.epoch.to_string());
        meta.insert("best_valid_loss".to_owned(), format!("{:016x}", b.valid_loss.to_bits()));
    }
    Ok(serialize_sorted(&bufs, &meta))
}

/// The safetensors byte layout with the header keys in sorted order (metadata included), so equal
/// states give equal bytes (`safetensors::serialize` takes a `HashMap`, whose order varies between
/// processes): an 8-byte little-endian header length, the JSON header padded with spaces to a
/// multiple of 8 bytes, then the tensor data in header order.
fn serialize_sorted(
    bufs: &[(String, Dtype, Vec<usize>, Vec<u8>)],
    meta: &HashMap<String, String>,
) -> Vec<u8> {
    use serde_json::{json, Map, Value};
    let mut header = Map::new();
    let meta: std::collections::BTreeMap<_, _> = meta.iter().collect();
    header.insert("__metadata__".to_owned(), json!(meta));
    let mut sorted: Vec<_> = bufs.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut offset = 0usize;
    for (name, dtype, shape, buf) in &sorted {
        let dt = match dtype {
            Dtype::U8 => "U8",
            _ => "F32",
        };
        header.insert(
            name.clone(),
            json!({"dtype": dt, "shape": shape, "data_offsets": [offset, offset + buf.len()]}),
        );
        offset += buf.len();
    }
    // Deterministic either way: serde_json's Map is a BTreeMap (sorted keys), or with `preserve_order`
    // keeps the insertion order above (metadata first, then sorted names).
    let mut text = Value::Object(header).to_string().into_bytes();
    while !text.len().is_multiple_of(8) {
        text.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + text.len() + offset);
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(&text);
    for (_, _, _, buf) in sorted {
        out.extend_from_slice(buf);
    }
    out
}

/// Write `state` atomically (temporary file beside `path`, fsync, rename): a reader or a crash never
/// sees a partial checkpoint, and the previous one stays intact until the rename.
pub(crate) fn save(state: &State, path: &Path) -> Result<()> {
    let bytes = encode(state, path)?;
    let mut f = potential_data::AtomicFile::create(path)?;
    let tmp = f.tmp_path().to_path_buf();
    f.writer().write_all(&bytes).map_err(|source| Error::Io { path: tmp, source })?;
    f.commit()?;
    Ok(())
}

/// Read a checkpoint file.
pub(crate) fn load(path: &Path) -> Result<State> {
    let bytes = potential_models::read_regular_file(path)
        .map_err(|source| Error::Io { path: path.to_owned(), source })?;
    decode(&bytes, path)
}

/// Decode checkpoint bytes (`path` names them in errors).
pub(crate) fn decode(bytes: &[u8], path: &Path) -> Result<State> {
    let fe = |e: FormatError| corrupt(path, e.to_string());
    let file = TensorFile::parse(bytes).map_err(fe)?;
    file.expect_format(CHECKPOINT_FORMAT).map_err(fe)?;
    let get = |key: &'static str| file.meta(key).map_err(fe);
    let activation: ActivationKind =
        get("activation")?.parse().map_err(|e| corrupt(path, format!("activation: {e}")))?;
    let output: Output = get("output")?.parse().map_err(|e| corrupt(path, format!("output: {e}")))?;
    let num = |key: &'static str| -> Result<usize> {
        get(key)?.parse().map_err(|_| corrupt(path, format!("metadata `{key}` is not a number")))
    };
    let epoch = num("epoch")?;
    let bad_epochs = num("bad_epochs")?;
    let config: TrainConfig =
        serde_json::from_str(get("config")?).map_err(|e| corrupt(path, format!("config: {e}")))?;
    let ws = file.shape("weight").map_err(fe)?;
    let &[h, d] = ws.as_slice() else {
        return Err(corrupt(path, format!("tensor `weight` has shape {ws:?}, expected 2-D")));
    };
    let params = |prefix: &str| -> Result<Params> {
        Ok(Params {
            weight: file.f32_shaped(&format!("{prefix}weight"), &[h, d]).map_err(fe)?,
            hidden_bias: file.f32_shaped(&format!("{prefix}hidden_bias"), &[h]).map_err(fe)?,
            visible_bias: file.f32_shaped(&format!("{prefix}visible_bias"), &[d]).map_err(fe)?,
        })
    };
    let model_of = |prefix: &str| -> Result<TiedAutoencoder> {
        let p = params(prefix)?;
        Ok(TiedAutoencoder::new(p.weight, p.hidden_bias, p.visible_bias, activation, output)?)
    };
    let mut model = model_of("")?;
    model.set_provenance(file.meta_opt("provenance").map(str::to_owned));
    let velocity = params("velocity.")?;
    let second = if matches!(config.optimizer, crate::Optimizer::Adam { .. }) {
        params("adam.")?
    } else {
        Params::zeros(h, d)
    };
    let mut rng_state = [0u8; 32];
    rng_state.copy_from_slice(&file.u8_shaped("rng_state", &[32]).map_err(fe)?);
    let best = match file.meta_opt("best_epoch") {
        None => None,
        Some(_) => {
            let bits = u64::from_str_radix(get("best_valid_loss")?, 16)
                .map_err(|_| corrupt(path, "metadata `best_valid_loss` is not 16 hex digits"))?;
            Some(Best {
                model: model_of("best.")?,
                valid_loss: f64::from_bits(bits),
                epoch: num("best_epoch")?,
            })
        }
    };
    let data = file.meta_opt("data").map(str::to_owned);
    Ok(State { model, velocity, second, rng_state, epoch, bad_epochs, config, best, data })
}
