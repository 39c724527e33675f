//! `_core.Tied`: a tied autoencoder (weight W [H, D], biases, activation, output kind) with its
//! energy calculus, its safetensors file, and training (`_core.train_autoencoder`).

use crate::arrays::{mat, on_rows, rows, vec1};
use crate::errors::{to_py, value_error};
use crate::pickle::{reduced, Reduced};
use crate::run::{cancellable, detached};
use numpy::{PyArray1, PyArray2, PyReadonlyArray2};
use potential_activations::ActivationKind;
use potential_data::Features;
use potential_models::{Output, TiedAutoencoder};
use potential_train::{init_model, Noise, Optimizer, TrainConfig, Trainer};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// A tied autoencoder: r(x) = W^T h(W x + b_h) + b_r, with the energy E of Eq. 11-21.
#[pyclass(frozen, module = "potential._core")]
pub struct Tied {
    pub(crate) inner: TiedAutoencoder,
}

/// Parse an activation name.
pub fn activation(name: &str) -> PyResult<ActivationKind> {
    name.parse().map_err(to_py)
}

/// Parse an output kind (`real` or `binary`).
pub fn output(name: &str) -> PyResult<Output> {
    name.parse().map_err(to_py)
}

#[pymethods]
impl Tied {
    /// A model from its parameters (copied): weight [H, D], hidden bias [H], visible bias [D].
    #[new]
    fn new(
        weight: PyReadonlyArray2<'_, f32>,
        hidden_bias: Vec<f32>,
        visible_bias: Vec<f32>,
        activation: &str,
        output: &str,
    ) -> PyResult<Self> {
        let (w, _, _) = rows(&weight)?;
        let inner = TiedAutoencoder::new(
            w.to_vec(),
            hidden_bias,
            visible_bias,
            self::activation(activation)?,
            self::output(output)?,
        )
        .map_err(to_py)?;
        Ok(Self { inner })
    }

    /// A model from safetensors bytes (the format of the files `potential train` writes).
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        detached(py, || {
            TiedAutoencoder::from_safetensors_bytes(data).map(|inner| Self { inner }).map_err(to_py)
        })
    }

    /// The model as safetensors bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &detached(py, || self.inner.to_safetensors_bytes().map_err(to_py))?))
    }

    /// Load a model file.
    #[staticmethod]
    fn load(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        detached(py, || TiedAutoencoder::load(&path).map(|inner| Self { inner }).map_err(to_py))
    }

    /// Save atomically.
    fn save(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<()> {
        detached(py, || self.inner.save(&path).map_err(to_py))
    }

    /// Pickling: the safetensors bytes.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Reduced<'py>> {
        reduced(slf, slf.get().to_bytes(slf.py())?)
    }

    /// Hidden units H.
    #[getter]
    fn hidden(&self) -> usize {
        self.inner.hidden()
    }
    /// Inputs D.
    #[getter]
    fn visible(&self) -> usize {
        self.inner.visible()
    }
    /// The activation's name.
    #[getter]
    fn activation(&self) -> String {
        self.inner.activation().name().to_owned()
    }
    /// The output kind's name.
    #[getter]
    fn output(&self) -> String {
        self.inner.output().name().to_owned()
    }
    /// The provenance (JSON), if any.
    #[getter]
    fn provenance(&self) -> Option<String> {
        self.inner.provenance().map(str::to_owned)
    }
    /// W, [H, D] (a copy).
    #[getter]
    fn weight<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        mat(py, self.inner.weight().to_vec(), self.inner.hidden())
    }
    /// b_h, [H] (a copy).
    #[getter]
    fn hidden_bias<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        vec1(py, self.inner.hidden_bias().to_vec())
    }
    /// b_r, [D] (a copy).
    #[getter]
    fn visible_bias<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        vec1(py, self.inner.visible_bias().to_vec())
    }

    /// Energies (Eq. 11-21; Eq. 28 for binary output), [n].
    fn energy<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f32>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        on_rows(py, &x, |v| self.inner.energy_batch(v))
    }
    /// Hidden codes h(Wx + b_h), [n, H].
    fn encode<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f32>,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        on_rows(py, &x, |v| self.inner.encode_batch(v))
    }
    /// Reconstructions r(x), [n, D].
    fn reconstruct<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f32>,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        on_rows(py, &x, |v| self.inner.reconstruct_batch(v))
    }
    /// The vector field r(x) - x = dE/dx (Eq. 9; B(x) for binary output), [n, D].
    fn vector_field<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f32>,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        on_rows(py, &x, |v| self.inner.vector_field_batch(v))
    }
    /// The Laplacian of the energy, the divergence of the field (Eq. 38), [n].
    fn laplacian<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f32>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        on_rows(py, &x, |v| self.inner.laplacian_batch(v))
    }
    /// The contraction sum_k h'(u_k)^2 ||w_k||^2 (Eq. 40), [n].
    fn contraction<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f32>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        on_rows(py, &x, |v| self.inner.contraction_batch(v))
    }
    /// Squared reconstruction errors ||r(x) - x||^2, [n].
    fn reconstruction_error<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f32>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        on_rows(py, &x, |v| self.inner.reconstruction_error_batch(v))
    }
}

/// What `potential train` is told, as the Python `Autoencoder` passes it (a dict).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct TrainSpec {
    hidden: usize,
    activation: String,
    output: String,
    epochs: usize,
    batch_size: usize,
    learning_rate: f32,
    momentum: f32,
    weight_decay: f32,
    contractive: f32,
    noise: Option<String>,
    noise_level: f32,
    renormalize: bool,
    optimizer: String,
    metric_rows: usize,
    seed: u64,
}

impl TrainSpec {
    /// The training configuration, as `potential train` builds it from its flags.
    fn config(&self) -> PyResult<TrainConfig> {
        let noise = self
            .noise
            .as_deref()
            .map(|k| Noise::from_name(k, self.noise_level))
            .transpose()
            .map_err(to_py)?;
        let optimizer = match self.optimizer.as_str() {
            "momentum" => Optimizer::Momentum,
            "adam" => Optimizer::ADAM,
            o => return Err(value_error(format!("optimizer {o:?}: must be one of momentum, adam"))),
        };
        let c = TrainConfig {
            epochs: self.epochs,
            batch_size: self.batch_size,
            learning_rate: self.learning_rate,
            momentum: self.momentum,
            optimizer,
            weight_decay: self.weight_decay,
            contractive: self.contractive,
            noise,
            renormalize: self.renormalize,
            seed: self.seed,
            metric_rows: self.metric_rows,
            ..TrainConfig::default()
        };
        c.validate().map_err(to_py)?;
        Ok(c)
    }
}

/// Train a tied autoencoder on the rows `x` as `potential train` does (initialisation and training
/// seeded with `spec["seed"]`); returns the model and the per-epoch metrics as JSON lines. Ctrl-C
/// stops it (`KeyboardInterrupt`).
#[pyfunction]
pub fn train_autoencoder(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f32>,
    spec: TrainSpec,
) -> PyResult<(Tied, String)> {
    let (s, n, d) = rows(&x)?;
    let cfg = spec.config()?;
    let (act, out) = (activation(&spec.activation)?, output(&spec.output)?);
    cancellable(py, |cancel| {
        let x = Features::from_vec(s.to_vec(), n, d).map_err(to_py)?;
        let model = init_model(spec.hidden, d, act, out, spec.seed).map_err(to_py)?;
        let mut t = Trainer::new(model, cfg).map_err(to_py)?;
        let report = t.fit(&x, None, &mut |_| cancel.flow()).map_err(to_py)?;
        let history: Vec<String> = report.history.iter().map(|m| m.to_json_line()).collect();
        Ok((Tied { inner: t.into_model() }, history.join("\n")))
    })
}
