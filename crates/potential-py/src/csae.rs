//! `_core.Csae`: the class-specific autoencoder classifier (Eq. 45) of `potential csae train` —
//! fitted whole, or class by class for a distributed fit — with its class energies,
//! probabilities, out-of-distribution score, new classes and file.

use crate::arrays::{labels, on_rows, rows, vec1};
use crate::errors::{to_py, value_error};
use crate::pickle::{reduced, Reduced};
use crate::run::{cancellable, detached, Cancel};
use crate::tied::{activation, output, Tied};
use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use potential_csae::{
    class_features, fit_class_biases, init_classes, pretrain_class, pretrain_parallelism, train_from_classes,
    Csae as RustCsae, CsaeConfig, FinetuneConfig, FinetuneReport, PretrainOn,
};
use potential_data::{Dataset, Features};
use potential_kernels::Parallelism;
use potential_models::TiedAutoencoder;
use potential_train::{Noise, TrainConfig};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rayon::prelude::*;

/// What `potential csae train` is told, as the Python `CSAEClassifier` passes it (a dict).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct CsaeSpec {
    hidden: usize,
    activation: String,
    output: String,
    pretrain: bool,
    pretrain_epochs: usize,
    pretrain_lr: f32,
    contractive: f32,
    denoise: Option<f32>,
    finetune_epochs: usize,
    lr: f32,
    weight_decay: f32,
    batch_size: usize,
    variant: String,
    optimizer: String,
    init_scale: f32,
    seed: u64,
}

impl CsaeSpec {
    /// The configuration, as `potential csae train` builds it from its flags (no validation rows).
    fn config(&self) -> PyResult<CsaeConfig> {
        let pretrain = self.pretrain.then(|| TrainConfig {
            epochs: self.pretrain_epochs,
            batch_size: self.batch_size,
            learning_rate: self.pretrain_lr,
            contractive: self.contractive,
            noise: self.denoise.map(Noise::Mask),
            seed: self.seed,
            ..TrainConfig::default()
        });
        let finetune = FinetuneConfig {
            epochs: self.finetune_epochs,
            batch_size: self.batch_size,
            learning_rate: self.lr,
            weight_decay: self.weight_decay,
            variant: self.variant.parse().map_err(to_py)?,
            seed: self.seed,
            optimizer: self.optimizer.parse().map_err(to_py)?,
            ..FinetuneConfig::default()
        };
        let cfg = CsaeConfig {
            hidden: self.hidden,
            activation: activation(&self.activation)?,
            output: output(&self.output)?,
            pretrain,
            finetune,
            seed: self.seed,
            init_scale: Some(self.init_scale),
            pretrain_on: PretrainOn::Train,
        };
        cfg.validate().map_err(to_py)?;
        Ok(cfg)
    }
}

/// The labelled rows as a data set whose class i is named `names[i]` (rows and labels copied).
fn dataset(x: &[f32], n: usize, d: usize, y: &[u32], names: Vec<String>) -> PyResult<Dataset> {
    if y.len() != n {
        return Err(value_error(format!("{} labels for {n} rows", y.len())));
    }
    let k = names.len();
    if let Some(i) = y.iter().position(|&c| c as usize >= k) {
        return Err(value_error(format!("label {} at row {i}, but there are {k} classes", y[i])));
    }
    Dataset::new(Features::from_vec(x.to_vec(), n, d).map_err(to_py)?, y.to_vec(), Some(names)).map_err(to_py)
}

/// The finetuning report as JSON.
fn report_json(r: &FinetuneReport) -> String {
    serde_json::to_string(r).unwrap_or_else(|_| "{}".to_owned())
}

/// Pretrain class `c` on its rows `x` with Ctrl-C honoured.
fn pretrain_one(
    x: &Features,
    cfg: &CsaeConfig,
    c: usize,
    par: Parallelism,
    cancel: &Cancel,
) -> PyResult<TiedAutoencoder> {
    let p = cfg.pretrain.as_ref().ok_or_else(|| value_error("this configuration has no pretraining"))?;
    pretrain_class(x, cfg, p, c, par, &|_| cancel.flow()).map_err(to_py)
}

/// The classifier of the class models `classes` makes for the labelled rows `x`, `y` (pretrained
/// or read), finetuned by [`train_from_classes`] as `potential csae train` finetunes them; Ctrl-C
/// stops it (the monitor stops the finetuning).
fn fit_classes(
    py: Python<'_>,
    x: &PyReadonlyArray2<'_, f32>,
    y: &PyReadonlyArray1<'_, u32>,
    names: Vec<String>,
    spec: &CsaeSpec,
    classes: impl FnOnce(&Dataset, &CsaeConfig, &Cancel) -> PyResult<Vec<TiedAutoencoder>> + Send,
) -> PyResult<Csae> {
    let ((s, n, d), y) = (rows(x)?, labels(y)?);
    let cfg = spec.config()?;
    cancellable(py, |cancel| {
        let data = dataset(s, n, d, y, names)?;
        let classes = classes(&data, &cfg, cancel)?;
        let (inner, report) =
            train_from_classes(&cfg, classes, &data, None, &|_| cancel.flow()).map_err(to_py)?;
        Ok(Csae { inner, report: Some(report_json(&report)) })
    })
}

/// A fitted CSAE: K class autoencoders and class biases.
#[pyclass(frozen, module = "potential._core")]
pub struct Csae {
    inner: RustCsae,
    report: Option<String>,
}

#[pymethods]
impl Csae {
    /// Fit on the rows `x` with labels `y` (0..K-1, class i named `names[i]`) exactly as
    /// `potential csae train` does: classes pretrained in parallel, then finetuned; Ctrl-C stops it.
    #[staticmethod]
    fn fit(
        py: Python<'_>,
        x: PyReadonlyArray2<'_, f32>,
        y: PyReadonlyArray1<'_, u32>,
        names: Vec<String>,
        spec: CsaeSpec,
    ) -> PyResult<Self> {
        fit_classes(py, &x, &y, names, &spec, |data, cfg, cancel| {
            let k = data.num_classes();
            if cfg.pretrain.is_some() {
                let par = pretrain_parallelism(k);
                (0..k)
                    .into_par_iter()
                    .map(|c| pretrain_one(&class_features(data, c as u32), cfg, c, par, cancel))
                    .collect()
            } else {
                init_classes(data, k, cfg).map_err(to_py)
            }
        })
    }

    /// Whether the class models of a `k`-class fit run their gemms sequentially on this machine
    /// (the choice `fit` makes; a distributed fit passes the client's choice to every task so
    /// that the bits do not depend on the workers' thread counts).
    #[staticmethod]
    fn sequential_pretraining(k: usize) -> bool {
        pretrain_parallelism(k) == Parallelism::Sequential
    }

    /// Pretrain class `c` on its rows `x` alone (the bits it has in `fit`), as safetensors bytes.
    #[staticmethod]
    fn pretrain_class<'py>(
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f32>,
        spec: CsaeSpec,
        c: usize,
        sequential: bool,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let (s, n, d) = rows(&x)?;
        let cfg = spec.config()?;
        let par = if sequential { Parallelism::Sequential } else { Parallelism::Rayon(0) };
        let bytes = cancellable(py, |cancel| {
            let x = Features::from_vec(s.to_vec(), n, d).map_err(to_py)?;
            pretrain_one(&x, &cfg, c, par, cancel)?.to_safetensors_bytes().map_err(to_py)
        })?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// The classifier of class models pretrained by `pretrain_class` (bytes, in class order),
    /// finetuned on all rows as `fit` finetunes them.
    #[staticmethod]
    fn from_classes(
        py: Python<'_>,
        x: PyReadonlyArray2<'_, f32>,
        y: PyReadonlyArray1<'_, u32>,
        names: Vec<String>,
        spec: CsaeSpec,
        classes: Vec<Vec<u8>>,
    ) -> PyResult<Self> {
        fit_classes(py, &x, &y, names, &spec, |_, _, _| {
            classes.iter().map(|b| TiedAutoencoder::from_safetensors_bytes(b).map_err(to_py)).collect()
        })
    }

    /// A new classifier with class `name` added: its autoencoder pretrained on `x_new` alone as
    /// class K would be (`pretrain_class` with index K), every other class model unchanged, and
    /// the K + 1 class biases refitted on the labelled rows `x`, `y` (labels 0..K, K = the new
    /// class).
    #[allow(clippy::too_many_arguments)]
    fn add_class(
        &self,
        py: Python<'_>,
        x_new: PyReadonlyArray2<'_, f32>,
        name: String,
        x: PyReadonlyArray2<'_, f32>,
        y: PyReadonlyArray1<'_, u32>,
        spec: CsaeSpec,
    ) -> PyResult<Self> {
        let ((sn, nn, dn), (s, n, d), y) = (rows(&x_new)?, rows(&x)?, labels(&y)?);
        let cfg = spec.config()?;
        cancellable(py, |cancel| {
            let k = self.inner.num_classes();
            let x_new = Features::from_vec(sn.to_vec(), nn, dn).map_err(to_py)?;
            let model = pretrain_one(&x_new, &cfg, k, pretrain_parallelism(1), cancel)?;
            let mut inner = self.inner.clone();
            inner.add_class(name, model).map_err(to_py)?;
            let data = dataset(s, n, d, y, inner.class_names().to_vec())?;
            let report = fit_class_biases(&mut inner, &cfg.finetune, &data, None).map_err(to_py)?;
            Ok(Self { inner, report: Some(report_json(&report)) })
        })
    }

    /// Class energies E_i(x), [n, K].
    fn energies<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f32>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        on_rows(py, &x, |v| self.inner.energies(v))
    }
    /// Logits s_i = E_i + C_i, [n, K].
    fn logits<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f32>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        on_rows(py, &x, |v| self.inner.logits(v))
    }
    /// P(y = i | x) of Eq. 45, [n, K].
    fn predict_proba<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f32>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        on_rows(py, &x, |v| self.inner.predict_proba(v))
    }
    /// The most probable class index, [n].
    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f32>,
    ) -> PyResult<Bound<'py, PyArray1<u32>>> {
        on_rows(py, &x, |v| self.inner.predict(v))
    }
    /// The out-of-distribution score log sum_i exp(E_i + C_i) (low = unlike every class), [n].
    fn ood_score<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f32>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        on_rows(py, &x, |v| self.inner.ood_score(v))
    }

    /// Classes K.
    #[getter]
    fn num_classes(&self) -> usize {
        self.inner.num_classes()
    }
    /// Inputs D.
    #[getter]
    fn visible(&self) -> usize {
        self.inner.visible()
    }
    /// Class names.
    #[getter]
    fn class_names(&self) -> Vec<String> {
        self.inner.class_names().to_vec()
    }
    /// Class biases C, [K].
    #[getter]
    fn class_bias<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        vec1(py, self.inner.class_bias().to_vec())
    }
    /// The class autoencoders.
    #[getter]
    fn class_models(&self) -> Vec<Tied> {
        self.inner.class_models().iter().map(|m| Tied { inner: m.clone() }).collect()
    }
    /// The finetuning report of the fit that made this classifier (JSON), if it was made here.
    #[getter]
    fn report(&self) -> Option<String> {
        self.report.clone()
    }
    /// The provenance (JSON), if any.
    #[getter]
    fn provenance(&self) -> Option<String> {
        self.inner.provenance().map(str::to_owned)
    }

    /// A classifier from the bytes of a CSAE file.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        detached(py, || {
            RustCsae::from_safetensors_bytes(data).map(|inner| Self { inner, report: None }).map_err(to_py)
        })
    }
    /// The CSAE file's bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &detached(py, || Ok(self.inner.to_safetensors_bytes()))?))
    }
    /// Load a CSAE file (as `potential csae train` writes them).
    #[staticmethod]
    fn load(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        detached(py, || RustCsae::load(&path).map(|inner| Self { inner, report: None }).map_err(to_py))
    }
    /// Save atomically.
    fn save(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<()> {
        detached(py, || self.inner.save(&path).map_err(to_py))
    }
    /// Pickling: the file's bytes.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Reduced<'py>> {
        reduced(slf, slf.get().to_bytes(slf.py())?)
    }
}
