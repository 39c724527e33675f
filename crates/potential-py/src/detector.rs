//! `_core.Detector`: the novelty detector of `potential detect fit` — fitted whole, or member by
//! member for a distributed fit — with its outlier scores, explanations and file.

use crate::arrays::{mat, on_rows, rows, vec1};
use crate::errors::{to_py, value_error};
use crate::pickle::{reduced, Reduced};
use crate::run::{cancellable, detached};
use crate::tied::{activation, Tied};
use numpy::{PyArray1, PyArray2, PyReadonlyArray2};
use potential_data::Features;
use potential_models::{NoveltyScore, TiedAutoencoder};
use potential_train::detector::{
    Combine, Detector as RustDetector, DetectorConfig, Member, Resolved, ScalerKind, View,
};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// What `potential detect fit` is told, as the Python `EnergyDetector` passes it (a dict; `None`
/// = the default rule).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct DetectorSpec {
    contamination: f64,
    score: String,
    activation: String,
    hidden: Option<usize>,
    epochs: Option<usize>,
    batch_size: Option<usize>,
    learning_rate: f32,
    views: Option<Vec<(String, f32)>>,
    combine: String,
    members_per_view: usize,
    seed: u64,
    trim: Option<f64>,
}

impl DetectorSpec {
    /// The configuration, as `potential detect fit` builds it from its flags.
    fn config(&self) -> PyResult<DetectorConfig> {
        let views = self
            .views
            .as_ref()
            .map(|v| {
                v.iter()
                    .map(|(name, noise)| {
                        Ok(View { scaler: ScalerKind::from_name(name).map_err(to_py)?, noise: *noise })
                    })
                    .collect::<PyResult<Vec<_>>>()
            })
            .transpose()?;
        let score: NoveltyScore = self.score.parse().map_err(to_py)?;
        let combine = Combine::from_name(&self.combine).ok_or_else(|| {
            value_error(format!("combine {:?}: must be one of softplus, mean", self.combine))
        })?;
        Ok(DetectorConfig {
            views,
            members_per_view: self.members_per_view,
            activation: activation(&self.activation)?,
            hidden: self.hidden,
            epochs: self.epochs,
            batch_size: self.batch_size,
            learning_rate: self.learning_rate,
            score,
            contamination: self.contamination,
            seed: self.seed,
            combine,
            trim: self.trim,
        })
    }
}

/// The training rows (copied into an owned table) and the resolved configuration.
fn resolve(s: &[f32], n: usize, d: usize, spec: &DetectorSpec) -> PyResult<(Features, Resolved)> {
    let x = Features::from_vec(s.to_vec(), n, d).map_err(to_py)?;
    let r = spec.config()?.resolve(&x).map_err(to_py)?;
    Ok((x, r))
}

/// The rows a stage fits on: `fit_rows` (the second stage's kept rows) copied into an owned table
/// of `x`'s width, or `x` itself.
fn stage_rows(x: Features, fit_rows: Option<(&[f32], usize, usize)>) -> PyResult<Features> {
    match fit_rows {
        None => Ok(x),
        Some((_, _, d)) if d != x.d() => {
            Err(value_error(format!("fit_rows has {d} columns; the training rows have {}", x.d())))
        }
        Some((s, n, d)) => Features::from_vec(s.to_vec(), n, d).map_err(to_py),
    }
}

/// A fitted novelty detector (scalers, autoencoders, threshold), as in a detector file.
#[pyclass(frozen, module = "potential._core")]
pub struct Detector {
    inner: RustDetector,
}

/// One fitted member travelling between processes: its view, noise, seed, the autoencoder as
/// safetensors bytes, and the median and IQR of its training scores.
type MemberParts<'py> = (usize, f32, u64, Bound<'py, PyBytes>, f64, f64);

/// Per-feature contributions [n, D] and per-row error estimates [n].
type Explanation<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<f64>>);

#[pymethods]
impl Detector {
    /// Fit on the rows `x` exactly as `potential detect fit` does; Ctrl-C stops it.
    #[staticmethod]
    fn fit(py: Python<'_>, x: PyReadonlyArray2<'_, f32>, spec: DetectorSpec) -> PyResult<Self> {
        let (s, n, d) = rows(&x)?;
        cancellable(py, |cancel| {
            let (x, r) = resolve(s, n, d, &spec)?;
            let inner = RustDetector::fit_resolved(&x, &r, &mut |_, _| cancel.flow()).map_err(to_py)?;
            Ok(Self { inner })
        })
    }

    /// Members the configuration fits on `x`, and its resolved sizes (views, hidden, epochs,
    /// batch size) as JSON.
    #[staticmethod]
    fn plan(x: PyReadonlyArray2<'_, f32>, spec: DetectorSpec) -> PyResult<(usize, String)> {
        let (s, n, d) = rows(&x)?;
        let (_, r) = resolve(s, n, d, &spec)?;
        let sizes = serde_json::json!({
            "views": r.views, "hidden": r.hidden, "epochs": r.epochs, "batch_size": r.batch_size,
            "stages": r.stages(), "trim": r.trim,
        });
        Ok((r.members(), sizes.to_string()))
    }

    /// Fit member `index` alone (the bits it has in a whole fit), its sizes resolved on the
    /// training rows `x`, on `x` (first stage) or on `fit_rows` (the second stage's kept rows,
    /// from `trimmed_rows`); Ctrl-C stops it.
    #[staticmethod]
    #[pyo3(signature = (x, spec, index, fit_rows=None))]
    fn fit_member<'py>(
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f32>,
        spec: DetectorSpec,
        index: usize,
        fit_rows: Option<PyReadonlyArray2<'py, f32>>,
    ) -> PyResult<MemberParts<'py>> {
        let (s, n, d) = rows(&x)?;
        let fit_rows = fit_rows.as_ref().map(rows).transpose()?;
        let (m, bytes) = cancellable(py, |cancel| {
            let (x, r) = resolve(s, n, d, &spec)?;
            let x = stage_rows(x, fit_rows)?;
            let m = RustDetector::fit_member(&x, &r, index, &mut |_| cancel.flow()).map_err(to_py)?;
            let bytes = m.model.to_safetensors_bytes().map_err(to_py)?;
            Ok((m, bytes))
        })?;
        Ok((m.view, m.noise, m.seed, PyBytes::new(py, &bytes), m.median, m.iqr))
    }

    /// The detector of members fitted by `fit_member` (in index order) on the same rows: `x`,
    /// or `fit_rows` for the second stage, whose threshold is then fitted on all of `x`.
    #[staticmethod]
    #[pyo3(signature = (x, spec, members, fit_rows=None))]
    fn from_members(
        py: Python<'_>,
        x: PyReadonlyArray2<'_, f32>,
        spec: DetectorSpec,
        members: Vec<MemberParts<'_>>,
        fit_rows: Option<PyReadonlyArray2<'_, f32>>,
    ) -> PyResult<Self> {
        let (s, n, d) = rows(&x)?;
        let fit_rows = fit_rows.as_ref().map(rows).transpose()?;
        let members: Vec<_> = members
            .into_iter()
            .map(|(v, noise, seed, b, median, iqr)| (v, noise, seed, b.as_bytes().to_vec(), median, iqr))
            .collect();
        detached(py, || {
            let (x, r) = resolve(s, n, d, &spec)?;
            let members = members
                .into_iter()
                .map(|(view, noise, seed, bytes, median, iqr)| {
                    let mut model = TiedAutoencoder::from_safetensors_bytes(&bytes).map_err(to_py)?;
                    model.set_provenance(None);
                    Ok(Member { view, noise, seed, model, median, iqr })
                })
                .collect::<PyResult<Vec<_>>>()?;
            let stage = stage_rows(x.clone(), fit_rows)?;
            let mut inner = RustDetector::from_members(&stage, &r, members).map_err(to_py)?;
            if fit_rows.is_some() {
                inner.fit_threshold(&x).map_err(to_py)?;
            }
            Ok(Self { inner })
        })
    }

    /// The rows of `x` the second stage of a two-stage fit is fitted on: all but the fraction
    /// `trim` this (first-stage) detector finds strangest, in their order.
    fn trimmed_rows<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f32>,
        trim: f64,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let (s, n, d) = rows(&x)?;
        let kept = detached(py, || {
            let x = Features::from_vec(s.to_vec(), n, d).map_err(to_py)?;
            self.inner.trimmed_rows(&x, trim).map_err(to_py)
        })?;
        let k = kept.n();
        mat(py, kept.into_vec(), k)
    }

    /// Outlier scores (higher = more unusual), [n]; the rows are read in place.
    fn outlier_scores<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f32>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        on_rows(py, &x, |v| self.inner.outlier_scores(v.as_slice()))
    }

    /// Per-feature shares of each row's outlier score ([n, D]) and the quadrature error estimate
    /// per row ([n]), with `nodes` Gauss-Legendre nodes.
    fn explain<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f32>,
        nodes: usize,
    ) -> PyResult<Explanation<'py>> {
        let (s, n, _) = rows(&x)?;
        let (c, e) = detached(py, || self.inner.explain(s, nodes).map_err(to_py))?;
        Ok((mat(py, c, n)?, vec1(py, e)))
    }

    /// The outlier score of the references (what explanations sum to the score minus).
    fn reference_score(&self, py: Python<'_>) -> PyResult<f64> {
        detached(py, || self.inner.reference_score().map_err(to_py))
    }

    /// The threshold on the outlier-score scale (flag: score > threshold).
    #[getter]
    fn threshold(&self) -> f64 {
        self.inner.threshold()
    }
    /// The contamination the threshold was fitted with.
    #[getter]
    fn contamination(&self) -> f64 {
        self.inner.contamination()
    }
    /// Columns of a scored row.
    #[getter]
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    /// The provenance (JSON).
    #[getter]
    fn provenance(&self) -> String {
        self.inner.provenance().to_owned()
    }
    /// The members' autoencoders (on their views' scaled inputs).
    #[getter]
    fn members(&self) -> Vec<Tied> {
        self.inner.members().iter().map(|m| Tied { inner: m.model.clone() }).collect()
    }
    /// The score the members rank by.
    #[getter]
    fn score(&self) -> String {
        self.inner.score_kind().name().to_owned()
    }

    /// A detector from the bytes of a detector file.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        detached(py, || RustDetector::from_safetensors_bytes(data).map(|inner| Self { inner }).map_err(to_py))
    }
    /// The detector file's bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &detached(py, || Ok(self.inner.to_safetensors_bytes()))?))
    }
    /// Load a detector file (as `potential detect fit` writes them).
    #[staticmethod]
    fn load(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        detached(py, || RustDetector::load(&path).map(|inner| Self { inner }).map_err(to_py))
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
