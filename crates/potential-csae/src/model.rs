//! [`Csae`]: K class autoencoders, class biases C, and the classifier of Eq. 45.

use crate::{Error, Result};
use potential_activations::ActivationKind;
use potential_kernels::MatRef;
use potential_models::{Output, TiedAutoencoder};
use serde::Serialize;

/// The outputs of a classifier of Eq. 45 computed from its `logits` and `num_classes`:
/// `predict_proba`, `predict`, `ood_score` and `evaluate`, the same for the plain and the
/// factored CSAE (expanded inside each one's `impl`).
macro_rules! classifier_outputs {
    () => {
        /// P(y = i | x) of Eq. 45 for every row, \[n, K\] (each row sums to 1; stable softmax in
        /// `f64`).
        ///
        /// # Errors
        /// As [`Self::energies`].
        pub fn predict_proba(&self, x: potential_kernels::MatRef<'_>) -> $crate::Result<Vec<f64>> {
            Ok($crate::model::softmax_rows(self.logits(x)?, self.num_classes()))
        }

        /// The most probable class of every row (argmax of the logits; the lowest index on ties).
        ///
        /// # Errors
        /// As [`Self::energies`].
        pub fn predict(&self, x: potential_kernels::MatRef<'_>) -> $crate::Result<Vec<u32>> {
            Ok($crate::model::argmax_rows(&self.logits(x)?, self.num_classes()))
        }

        /// The out-of-distribution score log Σᵢ exp sᵢ(x) (= log Σᵢ exp(Eᵢ(x) + Cᵢ) without a
        /// read-out): the log of Eq. 45's normaliser, an unnormalised log-density of x under the
        /// mixture of class models. Low values flag inputs unlike every class.
        ///
        /// # Errors
        /// As [`Self::energies`].
        pub fn ood_score(&self, x: potential_kernels::MatRef<'_>) -> $crate::Result<Vec<f64>> {
            Ok(self.logits(x)?.chunks_exact(self.num_classes()).map($crate::log_sum_exp).collect())
        }

        /// Error rate, confusion matrix, per-class error and mean −log P(y|x) on labelled rows.
        ///
        /// # Errors
        /// [`Error::Data`]($crate::Error::Data) for a label count that differs from the row count
        /// or a label ≥ K; as [`Self::energies`].
        pub fn evaluate(
            &self,
            x: potential_kernels::MatRef<'_>,
            labels: &[u32],
        ) -> $crate::Result<$crate::Evaluation> {
            let k = self.num_classes();
            $crate::model::check_labels("labels", labels, x.rows(), k)?;
            Ok($crate::model::evaluation_from_logits(&self.logits(x)?, labels, k))
        }

        /// [`Self::evaluate`] on a labelled [`Dataset`](potential_data::Dataset), whose classes
        /// must be this classifier's by name (class i of the data named as class i here, for every
        /// class the data names; a dataset may name fewer classes).
        ///
        /// # Errors
        /// [`Error::Data`]($crate::Error::Data) for a class named differently (e.g. "9" in the
        /// data, "nine" here); as [`Self::evaluate`].
        pub fn evaluate_dataset(&self, data: &potential_data::Dataset) -> $crate::Result<$crate::Evaluation> {
            $crate::model::check_class_names("labels", self.class_names(), data.class_names())?;
            self.evaluate(data.features().as_mat(), data.labels())
        }
    };
}
pub(crate) use classifier_outputs;

/// The class-specific autoencoder classifier (Sec. 4, Eq. 45): one tied autoencoder per class with
/// energy Eᵢ(x) and a class bias Cᵢ (the unknown log normalising constant),
///
/// `P(y = i | x) = exp(Eᵢ(x) + Cᵢ) / Σⱼ exp(Eⱼ(x) + Cⱼ)`.
///
/// The *logit* of class i is sᵢ(x) = Eᵢ(x) + Cᵢ. The "energies" variant of Table 4 replaces it by a
/// linear read-out of the energy vector, sᵢ(x) = Σⱼ Aᵢⱼ Eⱼ(x) + Cᵢ ([`Csae::readout`]).
///
/// All class models share the input size D, the activation and the output kind; their hidden sizes
/// may differ (a class added later may have another size). Energies follow the sign convention of
/// `potential-models`: higher = better represented.
#[derive(Clone, Debug, PartialEq)]
pub struct Csae {
    pub(crate) classes: Vec<TiedAutoencoder>,
    pub(crate) class_bias: Vec<f32>,
    pub(crate) names: Vec<String>,
    pub(crate) readout: Option<Vec<f32>>,
    pub(crate) provenance: Option<String>,
}

/// Test-set figures of a classifier: error rate, confusion matrix and per-class error.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// Rows evaluated.
    pub n: usize,
    /// Misclassified rows.
    pub errors: usize,
    /// errors / n, a fraction in \[0, 1\].
    pub error_rate: f64,
    /// `confusion[t][p]`: rows of true class t predicted as p.
    pub confusion: Vec<Vec<usize>>,
    /// Per true class: fraction misclassified (`None` for a class absent from the data).
    pub per_class_error: Vec<Option<f64>>,
    /// Mean negative log-likelihood −log P(y | x) of Eq. 45 (nats).
    pub mean_nll: f64,
}

/// log Σᵢ exp(aᵢ), stably (max subtracted), in `f64`. −∞ for an empty slice.
pub fn log_sum_exp(a: &[f64]) -> f64 {
    let m = a.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + a.iter().map(|&v| (v - m).exp()).sum::<f64>().ln()
}

/// Each row of K logits replaced by its softmax (Eq. 45), stable in `f64`.
pub(crate) fn softmax_rows(mut s: Vec<f64>, k: usize) -> Vec<f64> {
    for row in s.chunks_exact_mut(k) {
        let lse = log_sum_exp(row);
        for v in row.iter_mut() {
            *v = (*v - lse).exp();
        }
    }
    s
}

/// The argmax of each row of K logits (the first one on ties).
pub(crate) fn argmax_rows(s: &[f64], k: usize) -> Vec<u32> {
    s.chunks_exact(k).map(|r| argmax(r) as u32).collect()
}

/// Index of the largest entry (the first one on ties).
pub(crate) fn argmax(a: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in a.iter().enumerate() {
        if v > a[best] {
            best = i;
        }
    }
    best
}

impl Csae {
    /// A classifier from class models (class i = `classes[i]`, named `names[i]`) and class biases.
    ///
    /// # Errors
    /// [`Error::Data`] for no classes or a name/bias count that differs from the class count, or a
    /// non-finite bias; [`Error::Incompatible`] when a class model differs from class 0 in input
    /// size, activation or output kind.
    pub fn new(classes: Vec<TiedAutoencoder>, names: Vec<String>, class_bias: Vec<f32>) -> Result<Self> {
        let m = Self { classes, class_bias, names, readout: None, provenance: None };
        m.validate()?;
        Ok(m)
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let k = self.classes.len();
        let bad = |reason: String| Error::Data { what: "CSAE", reason };
        if k == 0 {
            return Err(bad("no classes".into()));
        }
        if self.names.len() != k {
            return Err(bad(format!("{} class names for {k} classes", self.names.len())));
        }
        if self.class_bias.len() != k {
            return Err(bad(format!("{} class biases for {k} classes", self.class_bias.len())));
        }
        if let Some(i) = self.class_bias.iter().position(|v| !v.is_finite()) {
            return Err(bad(format!("class bias {i} is {}", self.class_bias[i])));
        }
        if let Some(a) = &self.readout {
            if a.len() != k * k {
                return Err(bad(format!("read-out has {} entries for {k} classes", a.len())));
            }
        }
        let c0 = &self.classes[0];
        for (i, c) in self.classes.iter().enumerate().skip(1) {
            check_compatible(c0, c, i)?;
        }
        Ok(())
    }

    /// Number of classes K.
    pub fn num_classes(&self) -> usize {
        self.classes.len()
    }
    /// Input dimension D.
    pub fn visible(&self) -> usize {
        self.classes[0].visible()
    }
    /// The hidden activation shared by the class models.
    pub fn activation(&self) -> ActivationKind {
        self.classes[0].activation()
    }
    /// The output kind shared by the class models.
    pub fn output(&self) -> Output {
        self.classes[0].output()
    }
    /// Class names, indexed by class.
    pub fn class_names(&self) -> &[String] {
        &self.names
    }
    /// The autoencoder of class i.
    ///
    /// # Panics
    /// If `i ≥ K`.
    pub fn class_model(&self, i: usize) -> &TiedAutoencoder {
        &self.classes[i]
    }
    /// The autoencoder of class i, mutable (e.g. for a custom initialisation). Keep its input size,
    /// activation and output kind: the classifier checks them only when built or loaded.
    ///
    /// # Panics
    /// If `i ≥ K`.
    pub fn class_model_mut(&mut self, i: usize) -> &mut TiedAutoencoder {
        &mut self.classes[i]
    }
    /// Every class autoencoder.
    pub fn class_models(&self) -> &[TiedAutoencoder] {
        &self.classes
    }
    /// The class biases C (length K).
    pub fn class_bias(&self) -> &[f32] {
        &self.class_bias
    }
    /// Mutable class biases.
    pub fn class_bias_mut(&mut self) -> &mut [f32] {
        &mut self.class_bias
    }
    /// The read-out A (K×K row-major) of the "energies" variant, if any.
    pub fn readout(&self) -> Option<&[f32]> {
        self.readout.as_deref()
    }
    /// Set (or remove) the read-out A (K×K row-major): logits become sᵢ = Σⱼ Aᵢⱼ Eⱼ + Cᵢ.
    ///
    /// # Errors
    /// [`Error::Data`] for a wrong length or a non-finite entry.
    pub fn set_readout(&mut self, readout: Option<Vec<f32>>) -> Result<()> {
        let k = self.num_classes();
        if let Some(a) = &readout {
            if a.len() != k * k || a.iter().any(|v| !v.is_finite()) {
                return Err(Error::Data {
                    what: "read-out",
                    reason: format!("needs {} finite entries, got {}", k * k, a.len()),
                });
            }
        }
        self.readout = readout;
        Ok(())
    }
    /// Free-form provenance (JSON) written to model files.
    pub fn provenance(&self) -> Option<&str> {
        self.provenance.as_deref()
    }
    /// Set the provenance string.
    pub fn set_provenance(&mut self, provenance: Option<String>) {
        self.provenance = provenance;
    }

    pub(crate) fn check_input(&self, x: MatRef<'_>) -> Result<()> {
        if x.cols() != self.visible() {
            return Err(Error::Data {
                what: "input",
                reason: format!("{} columns, the classifier has {} inputs", x.cols(), self.visible()),
            });
        }
        Ok(())
    }

    /// The class energies Eᵢ(x) of every row of `x` (\[n, D\]): a row-major \[n, K\] matrix in `f64`
    /// (Eq. 11–21, or Eq. 28 for binary output).
    ///
    /// # Errors
    /// [`Error::Data`] for a wrong column count; [`Error::Model`] for non-finite inputs or energies.
    pub fn energies(&self, x: MatRef<'_>) -> Result<Vec<f64>> {
        self.check_input(x)?;
        let (n, k) = (x.rows(), self.num_classes());
        let mut out = vec![0.0f64; n * k];
        let mut col = vec![0.0f64; n];
        for (i, m) in self.classes.iter().enumerate() {
            m.energy_batch_into(x, &mut col)?;
            for (r, &e) in col.iter().enumerate() {
                out[r * k + i] = e;
            }
        }
        Ok(out)
    }

    /// Logits sᵢ = Eᵢ + Cᵢ (or Σⱼ Aᵢⱼ Eⱼ + Cᵢ with a read-out) from an \[n, K\] energy matrix.
    ///
    /// # Panics
    /// If `energies.len()` is not a multiple of K.
    pub fn logits_from_energies(&self, energies: &[f64]) -> Vec<f64> {
        let k = self.num_classes();
        assert_eq!(energies.len() % k, 0, "logits_from_energies: {} values for {k} classes", energies.len());
        let mut out = vec![0.0f64; energies.len()];
        for (e, s) in energies.chunks_exact(k).zip(out.chunks_exact_mut(k)) {
            match &self.readout {
                None => {
                    for ((s, &e), &c) in s.iter_mut().zip(e).zip(&self.class_bias) {
                        *s = e + c as f64;
                    }
                }
                Some(a) => {
                    for (i, s) in s.iter_mut().enumerate() {
                        let row = &a[i * k..(i + 1) * k];
                        *s = self.class_bias[i] as f64
                            + row.iter().zip(e).map(|(&a, &e)| a as f64 * e).sum::<f64>();
                    }
                }
            }
        }
        out
    }

    /// The logits sᵢ(x) of every row, \[n, K\].
    ///
    /// # Errors
    /// As [`Csae::energies`].
    pub fn logits(&self, x: MatRef<'_>) -> Result<Vec<f64>> {
        Ok(self.logits_from_energies(&self.energies(x)?))
    }

    classifier_outputs!();

    /// Add class `name` with its autoencoder `model` (trained on that class alone), leaving every
    /// other class model untouched. Its bias starts at 0; fit the biases afterwards
    /// ([`crate::fit_class_biases`]) — the generative classifier's promise of Sec. 4: a new class
    /// costs one autoencoder and K + 1 numbers. With a read-out, the new class reads its own energy
    /// (Aₖₖ = 1, zeros elsewhere in its row and column).
    ///
    /// # Errors
    /// [`Error::Incompatible`] when `model` differs in input size, activation or output kind;
    /// [`Error::Data`] for a duplicate name.
    pub fn add_class(&mut self, name: impl Into<String>, model: TiedAutoencoder) -> Result<()> {
        let name = name.into();
        let k = self.num_classes();
        check_compatible(&self.classes[0], &model, k)?;
        if self.names.contains(&name) {
            return Err(Error::Data { what: "new class", reason: format!("a class named {name:?} exists") });
        }
        if let Some(a) = &self.readout {
            let mut b = vec![0.0f32; (k + 1) * (k + 1)];
            for i in 0..k {
                b[i * (k + 1)..i * (k + 1) + k].copy_from_slice(&a[i * k..(i + 1) * k]);
            }
            b[k * (k + 1) + k] = 1.0;
            self.readout = Some(b);
        }
        self.classes.push(model);
        self.names.push(name);
        self.class_bias.push(0.0);
        Ok(())
    }
}

fn check_compatible(c0: &TiedAutoencoder, c: &TiedAutoencoder, i: usize) -> Result<()> {
    let reason = if c.visible() != c0.visible() {
        format!("{} inputs, class 0 has {}", c.visible(), c0.visible())
    } else if c.activation() != c0.activation() {
        format!("activation {}, class 0 has {}", c.activation(), c0.activation())
    } else if c.output() != c0.output() {
        format!("output {}, class 0 has {}", c.output().name(), c0.output().name())
    } else {
        return Ok(());
    };
    Err(Error::Incompatible { class: i, reason })
}

/// Classes are matched by name: class i of `data` (for every class the data names) must be named
/// as class i of the classifier, so a class added as "nine" is never refitted against data that
/// calls class 9 "9".
pub(crate) fn check_class_names(what: &'static str, model: &[String], data: &[String]) -> Result<()> {
    if data.len() > model.len() {
        return Err(Error::Data {
            what,
            reason: format!(
                "{} classes {data:?}, the classifier has {} ({model:?})",
                data.len(),
                model.len()
            ),
        });
    }
    match model.iter().zip(data).position(|(m, d)| m != d) {
        None => Ok(()),
        Some(i) => Err(Error::Data {
            what,
            reason: format!(
                "class {i} is named {:?} in the data but {:?} in the classifier (classes are matched by \
name: relabel the data or name the classes alike)",
                data[i], model[i]
            ),
        }),
    }
}

pub(crate) fn check_labels(what: &'static str, labels: &[u32], n: usize, k: usize) -> Result<()> {
    if labels.len() != n {
        return Err(Error::Data { what, reason: format!("{} labels for {n} rows", labels.len()) });
    }
    if let Some(i) = labels.iter().position(|&l| l as usize >= k) {
        return Err(Error::Data {
            what,
            reason: format!("label {} at row {i}, but the classifier has {k} classes", labels[i]),
        });
    }
    Ok(())
}

pub(crate) fn evaluation_from_logits(logits: &[f64], labels: &[u32], k: usize) -> Evaluation {
    let n = labels.len();
    let mut confusion = vec![vec![0usize; k]; k];
    let mut nll = 0.0f64;
    for (s, &y) in logits.chunks_exact(k).zip(labels) {
        confusion[y as usize][argmax(s)] += 1;
        nll += log_sum_exp(s) - s[y as usize];
    }
    let errors = n - (0..k).map(|i| confusion[i][i]).sum::<usize>();
    let per_class_error = confusion
        .iter()
        .enumerate()
        .map(|(t, row)| {
            let tot: usize = row.iter().sum();
            (tot > 0).then(|| (tot - row[t]) as f64 / tot as f64)
        })
        .collect();
    Evaluation {
        n,
        errors,
        error_rate: if n == 0 { 0.0 } else { errors as f64 / n as f64 },
        confusion,
        per_class_error,
        mean_nll: if n == 0 { 0.0 } else { nll / n as f64 },
    }
}
