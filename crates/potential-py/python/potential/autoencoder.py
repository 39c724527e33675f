"""``TiedAutoencoder`` (a trained model and its files) and ``Autoencoder`` (contractive or
denoising training, ``potential train``)."""

import json
import os
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions

from . import _core
from ._validation import (
    ACTIVATION,
    NON_NEGATIVE,
    OPTIMIZER,
    OUTPUT,
    POSITIVE,
    POSITIVE_INT,
    fitted_rows,
    plain_rows,
    rows,
    seed,
    shared_docs,
)


def _model_property(name, doc):
    """A read-only property: the attribute ``name`` of the ``potential._core.Tied`` model."""
    return property(lambda self: getattr(self._model, name), doc=doc)


class _Calculus:
    """The energy calculus on rows that ``TiedAutoencoder`` and a fitted ``Autoencoder`` share:
    ``_calculus(X)`` gives the ``potential._core.Tied`` to ask and ``X`` converted for it."""

    def energy(self, X):
        """The energy E(x) of every row (Eq. 11-21; Eq. 28 for binary output).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows (C-contiguous float32 is read in place).

        Returns
        -------
        energy : ndarray of shape (n_samples,)
            float64; higher = better represented.
        """
        model, X = self._calculus(X)
        return model.energy(X)

    @shared_docs
    def reconstruct(self, X):
        """The reconstructions r(x).

        {rows}

        Returns
        -------
        reconstructions : ndarray of shape (n_samples, n_features)
            float32.
        """
        model, X = self._calculus(X)
        return model.reconstruct(X)

    @shared_docs
    def vector_field(self, X):
        """The vector field r(x) - x, the gradient of the energy (Eq. 9; B(x) for binary output).

        {rows}

        Returns
        -------
        field : ndarray of shape (n_samples, n_features)
            float32.
        """
        model, X = self._calculus(X)
        return model.vector_field(X)

    @shared_docs
    def laplacian(self, X):
        """The Laplacian of the energy, the divergence of the vector field (Eq. 38).

        {rows}

        Returns
        -------
        laplacian : ndarray of shape (n_samples,)
            float64; negative at attractors.
        """
        model, X = self._calculus(X)
        return model.laplacian(X)

    @shared_docs
    def contraction(self, X):
        """The contraction sum_k h'(u_k)^2 ||w_k||^2 (the contractive penalty of Eq. 40).

        {rows}

        Returns
        -------
        contraction : ndarray of shape (n_samples,)
            float64.
        """
        model, X = self._calculus(X)
        return model.contraction(X)


class TiedAutoencoder(_Calculus):
    """A tied autoencoder r(x) = W^T h(W x + b_h) + b_r as an energy model.

    Its energy E (Eq. 11-21; Eq. 28 for binary output) has the gradient r(x) - x (Eq. 9): higher
    energy = better represented. The model is the one of the safetensors files ``potential train``
    writes (format ``potential.tied-autoencoder``); pickling goes through those bytes.

    Parameters
    ----------
    weight : array-like of shape (n_hidden, n_features)
        W.
    hidden_bias : array-like of shape (n_hidden,)
        b_h.
    visible_bias : array-like of shape (n_features,)
        b_r.
    activation : str, default="sigmoid"
        Hidden activation h.
    output : {"real", "binary"}, default="real"
        Output kind.

    Examples
    --------
    >>> import numpy as np
    >>> from potential import TiedAutoencoder
    >>> m = TiedAutoencoder([[1.0, 0.0]], [0.0], [0.0, 0.0], activation="linear")
    >>> m.energy([[3.0, 4.0]]).tolist()      # -1/2 ||x - W^T W x||^2 (Eq. 16)
    [-8.0]
    >>> m.laplacian([[3.0, 4.0]]).tolist()   # d - D (Eq. 38)
    [-1.0]
    >>> TiedAutoencoder.from_bytes(m.to_bytes()) == m
    True
    """

    def __init__(self, weight, hidden_bias, visible_bias, activation="sigmoid", output="real"):
        w = plain_rows(weight)
        hb = np.asarray(hidden_bias, dtype=np.float32).reshape(-1).tolist()
        vb = np.asarray(visible_bias, dtype=np.float32).reshape(-1).tolist()
        self._model = _core.Tied(w, hb, vb, activation, output)

    @classmethod
    def _wrap(cls, model):
        obj = cls.__new__(cls)
        obj._model = model
        return obj

    @classmethod
    def from_bytes(cls, data):
        """A model from safetensors bytes.

        Parameters
        ----------
        data : bytes
            The bytes of a model file.

        Returns
        -------
        model : TiedAutoencoder
        """
        return cls._wrap(_core.Tied.from_bytes(bytes(data)))

    def to_bytes(self):
        """The model file's bytes (safetensors, deterministic).

        Returns
        -------
        data : bytes
        """
        return bytes(self._model.to_bytes())

    @classmethod
    @shared_docs
    def load(cls, path):
        """Load a model file (e.g. written by ``potential train``).

        {file}

        Returns
        -------
        model : TiedAutoencoder
        """
        return cls._wrap(_core.Tied.load(os.fspath(path)))

    def save(self, path):
        """Write the model file atomically.

        Parameters
        ----------
        path : str or os.PathLike
            Where to write it.
        """
        self._model.save(os.fspath(path))

    def __getstate__(self):
        return {"safetensors": self.to_bytes()}

    def __setstate__(self, state):
        self._model = _core.Tied.from_bytes(bytes(state["safetensors"]))

    def __eq__(self, other):
        return isinstance(other, TiedAutoencoder) and self.to_bytes() == other.to_bytes()

    __hash__ = None

    def __repr__(self):
        m = self._model
        return f"TiedAutoencoder({m.hidden} x {m.visible}, activation={m.activation!r}, output={m.output!r})"

    n_hidden = _model_property("hidden", "int: Hidden units H.")
    n_features = _model_property("visible", "int: Inputs D.")
    activation = _model_property("activation", "str: The hidden activation.")
    output = _model_property("output", 'str: The output kind, "real" or "binary".')
    weight = _model_property("weight", "ndarray of shape (n_hidden, n_features): W (a copy).")
    hidden_bias = _model_property("hidden_bias", "ndarray of shape (n_hidden,): b_h (a copy).")
    visible_bias = _model_property("visible_bias", "ndarray of shape (n_features,): b_r (a copy).")

    @property
    def provenance(self):
        """dict: How the model was trained (from its file), or {}."""
        return json.loads(self._model.provenance or "{}")

    def _calculus(self, X):
        return self._model, plain_rows(X)

    @shared_docs
    def encode(self, X):
        """The hidden codes h(W x + b_h).

        {rows}

        Returns
        -------
        codes : ndarray of shape (n_samples, n_hidden)
            float32.
        """
        return self._model.encode(plain_rows(X))

    @shared_docs
    def reconstruction_error(self, X):
        """The squared reconstruction error ||r(x) - x||^2.

        {rows}

        Returns
        -------
        error : ndarray of shape (n_samples,)
            float64.
        """
        return self._model.reconstruction_error(plain_rows(X))


class Autoencoder(_Calculus, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """A tied autoencoder trained with a contractive or denoising objective (``potential train``).

    The objective per row is the reconstruction loss (squared error, or cross-entropy for binary
    output) plus ``contractive`` times the contractive penalty of Eq. 40, with the input corrupted
    by ``noise`` at ``denoise`` when set; minibatch momentum SGD (Sec. 4.2). The same Rust code as
    ``potential train``: the same ``random_state`` as ``--seed`` gives the same model file.
    ``transform`` gives the hidden codes; the energy calculus is on the fitted model.

    Parameters
    ----------
    hidden : int, default=100
        Hidden units.
    activation : str, default="sigmoid"
        Hidden activation.
    output : {"real", "binary"}, default="real"
        Output kind (binary: data in [0, 1], cross-entropy).
    contractive : float, default=0.0
        Contractive penalty lambda (Eq. 40; the paper uses 0.2, 0.5, 1.0).
    denoise : float, default=None
        Corruption level (probability for mask and salt-pepper, standard deviation for gaussian).
    noise : {"mask", "gaussian", "salt-pepper"}, default="mask"
        Corruption kind (with ``denoise``).
    epochs : int, default=10
        Epochs.
    batch_size : int, default=100
        Rows per minibatch.
    learning_rate : float, default=0.01
        Learning rate.
    momentum : float, default=0.9
        Momentum.
    weight_decay : float, default=0.0
        L2 weight decay on W.
    optimizer : {"momentum", "adam"}, default="momentum"
        Update rule.
    renormalize : bool, default=False
        Rescale all filters to their mean norm after every step (Sec. 4.2).
    random_state : int, RandomState instance or None, default=None
        Seed of the initialisation, shuffling and corruption (an int is ``--seed``).

    Attributes
    ----------
    model_ : TiedAutoencoder
        The trained model.
    history_ : list of dict
        Per epoch: loss, reconstruction error, contraction, mean energy, ...
    n_features_in_ : int
        Number of columns seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen during ``fit``, when ``X`` was a DataFrame with string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from potential import Autoencoder
    >>> t = np.linspace(0, 1, 200, dtype=np.float32)
    >>> X = np.stack([t, 2 * t, -t], axis=1)
    >>> ae = Autoencoder(hidden=8, epochs=20, batch_size=20, learning_rate=0.05,
    ...                  contractive=0.1, random_state=7).fit(X)
    >>> ae.transform(X).shape
    (200, 8)
    >>> ae.history_[-1]["reconstruction_error"] < ae.history_[0]["reconstruction_error"]
    True
    """

    _parameter_constraints = {
        "hidden": [POSITIVE_INT],
        "activation": [ACTIVATION],
        "output": [OUTPUT],
        "contractive": [NON_NEGATIVE],
        "denoise": [NON_NEGATIVE, None],
        "noise": [StrOptions({"mask", "gaussian", "salt-pepper"})],
        "epochs": [POSITIVE_INT],
        "batch_size": [POSITIVE_INT],
        "learning_rate": [POSITIVE],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [NON_NEGATIVE],
        "optimizer": [OPTIMIZER],
        "renormalize": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        hidden=100,
        activation="sigmoid",
        output="real",
        contractive=0.0,
        denoise=None,
        noise="mask",
        epochs=10,
        batch_size=100,
        learning_rate=0.01,
        momentum=0.9,
        weight_decay=0.0,
        optimizer="momentum",
        renormalize=False,
        random_state=None,
    ):
        self.hidden = hidden
        self.activation = activation
        self.output = output
        self.contractive = contractive
        self.denoise = denoise
        self.noise = noise
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.optimizer = optimizer
        self.renormalize = renormalize
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    def fit(self, X, y=None):
        """Train the autoencoder on the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : None
            Ignored.

        Returns
        -------
        self : Autoencoder
            The fitted estimator.
        """
        self._validate_params()
        X = rows(self, X, reset=True, ensure_all_finite=True)
        spec = {
            "hidden": int(self.hidden),
            "activation": self.activation,
            "output": self.output,
            "epochs": int(self.epochs),
            "batch_size": int(self.batch_size),
            "learning_rate": float(self.learning_rate),
            "momentum": float(self.momentum),
            "weight_decay": float(self.weight_decay),
            "contractive": float(self.contractive),
            "noise": None if self.denoise is None else self.noise,
            "noise_level": 0.0 if self.denoise is None else float(self.denoise),
            "renormalize": bool(self.renormalize),
            "optimizer": self.optimizer,
            "metric_rows": 5000,
            "seed": seed(self.random_state),
        }
        model, history = _core.train_autoencoder(X, spec)
        self.model_ = TiedAutoencoder._wrap(model)
        self.history_ = [json.loads(line) for line in history.splitlines()]
        self._n_features_out = model.hidden
        return self

    def _calculus(self, X):
        X = fitted_rows(self, X)
        return self.model_._model, X

    @shared_docs
    def transform(self, X):
        """The hidden codes h(W x + b_h) of every row.

        {rows}

        Returns
        -------
        codes : ndarray of shape (n_samples, hidden)
            float32.
        """
        model, X = self._calculus(X)
        return model.encode(X)

    @shared_docs
    def score_samples(self, X):
        """The energy of every row (higher = better represented); see ``energy``.

        {rows}

        Returns
        -------
        energy : ndarray of shape (n_samples,)
        """
        return self.energy(X)
