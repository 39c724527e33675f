"""``CSAEClassifier``: the class-specific autoencoder classifier (Eq. 45; ``potential csae train``)."""

import json
from numbers import Integral, Real

import numpy as np
from scipy.special import log_softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from . import _core
from ._validation import (
    ACTIVATION,
    NON_NEGATIVE,
    OPTIMIZER,
    OUTPUT,
    POSITIVE,
    POSITIVE_INT,
    RustState,
    fitted_rows,
    labelled_rows,
    rows,
    seed,
    shared_docs,
)


def _names(classes):
    """The Rust class names of ``classes``: their strings, or their indices if two collide."""
    names = [str(c) for c in classes]
    return names if len(set(names)) == len(names) else [str(i) for i in range(len(classes))]


class CSAEClassifier(RustState, ClassifierMixin, BaseEstimator):
    """The class-specific autoencoder classifier (CSAE) of Kamyshanska & Memisevic, Sec. 4.

    One tied autoencoder per class, each pretrained on its own class; its energy E_i(x)
    (Eq. 11-21) scores how well class i's model represents x, and

        P(y = i | x) = exp(E_i(x) + C_i) / sum_j exp(E_j(x) + C_j)      (Eq. 45)

    with learned class biases C_i. After pretraining, every parameter is finetuned on the negative
    log of Eq. 45. This is ``potential csae train`` -- the same Rust code, so the same
    ``random_state`` as ``--seed`` gives the same model file -- and the defaults are its flags'.

    Parameters
    ----------
    hidden : int, default=100
        Hidden units per class model.
    activation : str, default="sigmoid"
        Hidden activation of every class model.
    output : {"real", "binary"}, default="real"
        Output kind: squared error, or cross-entropy for data in [0, 1] (Eq. 28).
    pretrain : bool, default=True
        Pretrain each class model on its own class (False: random initialisation; only with
        ``variant`` "log" or "hinge").
    pretrain_epochs : int, default=10
        Pretraining epochs per class.
    pretrain_lr : float, default=0.01
        Pretraining learning rate.
    contractive : float, default=0.0
        Contractive penalty of pretraining (Eq. 40).
    denoise : float, default=None
        Zero-masking probability of denoising pretraining.
    finetune_epochs : int, default=20
        Finetuning epochs.
    learning_rate : float, default=0.01
        Finetuning learning rate.
    weight_decay : float, default=0.0
        L2 weight decay on every class's W during finetuning.
    batch_size : int, default=100
        Rows per minibatch (pretraining and finetuning).
    variant : {"log", "hinge", "normalize-only", "energies"}, default="log"
        What finetuning optimises (Table 4).
    optimizer : {"momentum", "adam"}, default="momentum"
        Finetuning update rule.
    init_scale : float, default=1.0
        Initial weights uniform on +-init_scale * sqrt(6 / (H + D)).
    random_state : int, RandomState instance or None, default=None
        Seed of everything random (an int is the command line's ``--seed``).

    Attributes
    ----------
    csae_ : potential._core.Csae
        The fitted classifier (what a CSAE file holds).
    classes_ : ndarray of shape (n_classes,)
        The labels, any type; class i of the model is ``classes_[i]``.
    history_ : list of dict
        Per finetuning epoch: loss and training error.
    seed_ : int
        The seed the classifier was fitted with (``random_state``, or drawn from it); ``add_class``
        pretrains the new class with it.
    n_features_in_ : int
        Number of columns seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen during ``fit``, when ``X`` was a DataFrame with string column names.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from potential import CSAEClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = CSAEClassifier(hidden=32, random_state=0).fit(X[:1500] / 16, y[:1500])
    >>> clf.score(X[1500:] / 16, y[1500:]) > 0.9
    True
    """

    _parameter_constraints = {
        "hidden": [POSITIVE_INT],
        "activation": [ACTIVATION],
        "output": [OUTPUT],
        "pretrain": ["boolean"],
        "pretrain_epochs": [POSITIVE_INT],
        "pretrain_lr": [POSITIVE],
        "contractive": [NON_NEGATIVE],
        "denoise": [Interval(Real, 0, 1, closed="left"), None],
        "finetune_epochs": [Interval(Integral, 0, None, closed="left")],
        "learning_rate": [POSITIVE],
        "weight_decay": [NON_NEGATIVE],
        "batch_size": [POSITIVE_INT],
        "variant": [StrOptions({"log", "hinge", "normalize-only", "energies"})],
        "optimizer": [OPTIMIZER],
        "init_scale": [POSITIVE],
        "random_state": ["random_state"],
    }
    _rust_attributes = {"csae_": _core.Csae}

    def __init__(
        self,
        *,
        hidden=100,
        activation="sigmoid",
        output="real",
        pretrain=True,
        pretrain_epochs=10,
        pretrain_lr=0.01,
        contractive=0.0,
        denoise=None,
        finetune_epochs=20,
        learning_rate=0.01,
        weight_decay=0.0,
        batch_size=100,
        variant="log",
        optimizer="momentum",
        init_scale=1.0,
        random_state=None,
    ):
        self.hidden = hidden
        self.activation = activation
        self.output = output
        self.pretrain = pretrain
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_lr = pretrain_lr
        self.contractive = contractive
        self.denoise = denoise
        self.finetune_epochs = finetune_epochs
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.variant = variant
        self.optimizer = optimizer
        self.init_scale = init_scale
        self.random_state = random_state

    def _spec(self, seed_):
        """The settings of ``potential csae train`` as the Rust core takes them."""
        return {
            "hidden": int(self.hidden),
            "activation": self.activation,
            "output": self.output,
            "pretrain": bool(self.pretrain),
            "pretrain_epochs": int(self.pretrain_epochs),
            "pretrain_lr": float(self.pretrain_lr),
            "contractive": float(self.contractive),
            "denoise": None if self.denoise is None else float(self.denoise),
            "finetune_epochs": int(self.finetune_epochs),
            "lr": float(self.learning_rate),
            "weight_decay": float(self.weight_decay),
            "batch_size": int(self.batch_size),
            "variant": self.variant,
            "optimizer": self.optimizer,
            "init_scale": float(self.init_scale),
            "seed": seed_,
        }

    def _prepare_fit(self, X, y):
        """Validated parameters, rows and labels: ``(X, codes, classes, names, settings)``."""
        self._validate_params()
        X, y = labelled_rows(self, X, y)
        check_classification_targets(y)
        classes, codes = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"CSAEClassifier needs at least 2 classes in y; got 1 class ({classes[0]!r})"
            )
        codes = np.ascontiguousarray(codes.reshape(-1), dtype=np.uint32)
        return X, codes, classes, _names(classes), self._spec(seed(self.random_state))

    def _set_csae(self, csae, classes, seed_=None):
        self.csae_ = csae
        self.classes_ = classes
        if seed_ is not None:
            self.seed_ = seed_
        report = json.loads(csae.report) if csae.report else {}
        self.history_ = report.get("history", [])
        return self

    def fit(self, X, y):
        """Pretrain a model per class, then finetune the classifier (Eq. 45).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows. C-contiguous float32 is used as it is; anything else is converted.
        y : array-like of shape (n_samples,)
            Labels of any type (at least two distinct ones).

        Returns
        -------
        self : CSAEClassifier
            The fitted classifier.
        """
        X, codes, classes, names, spec = self._prepare_fit(X, y)
        return self._set_csae(_core.Csae.fit(X, codes, names, spec), classes, spec["seed"])

    @shared_docs
    def energies(self, X):
        """The class energies E_i(x) (Eq. 11-21; Eq. 28 for binary output).

        {rows}

        Returns
        -------
        energies : ndarray of shape (n_samples, n_classes)
            Higher = better represented by that class's model.
        """
        X = fitted_rows(self, X)
        return self.csae_.energies(X)

    @shared_docs
    def decision_function(self, X):
        """The logits E_i(x) + C_i of Eq. 45.

        {rows}

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes
            With two classes, the logit of ``classes_[1]`` minus that of ``classes_[0]``, as
            scikit-learn's binary classifiers do.
        """
        X = fitted_rows(self, X)
        logits = self.csae_.logits(X)
        return logits[:, 1] - logits[:, 0] if logits.shape[1] == 2 else logits

    @shared_docs
    def predict_proba(self, X):
        """P(y = i | x) of Eq. 45.

        {rows}

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``; every row sums to 1.
        """
        X = fitted_rows(self, X)
        return self.csae_.predict_proba(X)

    @shared_docs
    def predict_log_proba(self, X):
        """log P(y = i | x) of Eq. 45, computed from the logits (no log of 0).

        {rows}

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        X = fitted_rows(self, X)
        return log_softmax(self.csae_.logits(X), axis=1)

    @shared_docs
    def predict(self, X):
        """The most probable class of every row.

        {rows}

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        X = fitted_rows(self, X)
        return self.classes_[self.csae_.predict(X)]

    @shared_docs
    def score_samples(self, X):
        """The out-of-distribution score log sum_i exp(E_i(x) + C_i).

        The log of Eq. 45's normaliser: an unnormalised log-density of x under the mixture of
        class models. Low values flag rows unlike every class.

        {rows}

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Higher = more like the training classes.
        """
        X = fitted_rows(self, X)
        return self.csae_.ood_score(X)

    def add_class(self, X_new, label, X, y):
        """Add class ``label`` without retraining the others (the promise of Sec. 4).

        The new class's autoencoder is pretrained on ``X_new`` alone, as ``fit`` would have
        pretrained it as class K; every other class model stays as it is; then the K + 1 class
        biases C (the unknown log normalising constants of Eq. 45) are refitted on the labelled
        rows ``X``, ``y`` together with ``X_new`` -- a sample of the known classes is enough.

        Parameters
        ----------
        X_new : array-like of shape (n_new, n_features)
            Rows of the new class.
        label : object
            Its label (not in ``classes_``).
        X : array-like of shape (n_samples, n_features)
            Rows of the known classes (rows labelled ``label`` may be among them).
        y : array-like of shape (n_samples,)
            Their labels, from ``classes_`` or ``label``.

        Returns
        -------
        self : CSAEClassifier
            With ``classes_`` extended by ``label`` (last).
        """
        check_is_fitted(self)
        if not self.pretrain:
            raise ValueError("add_class pretrains the new class's model: it needs pretrain=True")
        if any(label == c for c in self.classes_.tolist()):
            raise ValueError(f"class {label!r} is already in classes_")
        X_new = rows(self, X_new, reset=False)
        X, y = labelled_rows(self, X, y, reset=False, ensure_all_finite=False)
        classes = np.asarray(self.classes_.tolist() + [label])
        if classes.dtype.kind != self.classes_.dtype.kind and self.classes_.dtype.kind != "O":
            classes = np.asarray(self.classes_.tolist() + [label], dtype=object)
        index = {c: i for i, c in enumerate(classes.tolist())}
        try:
            codes = np.fromiter((index[v] for v in y.tolist()), dtype=np.uint32, count=len(y))
        except KeyError as e:
            raise ValueError(f"y holds the label {e.args[0]!r}, neither a known class nor {label!r}") from None
        k = len(classes) - 1
        all_rows = np.ascontiguousarray(np.concatenate([X, X_new]), dtype=np.float32)
        all_codes = np.concatenate([codes, np.full(len(X_new), k, dtype=np.uint32)])
        taken = set(self.csae_.class_names)
        name = next((n for n in (str(label), str(k), f"class-{k}") if n not in taken), None)
        if name is None:
            raise ValueError(f"no free class name for {label!r}: {sorted(taken)!r} are taken")
        csae = self.csae_.add_class(X_new, name, all_rows, all_codes, self._spec(self.seed_))
        return self._set_csae(csae, classes)
