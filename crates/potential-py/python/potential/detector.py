"""``EnergyDetector``: novelty detection with autoencoder energies (``potential detect fit``)."""

import json
import os
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import _core
from ._validation import ACTIVATION, POSITIVE, POSITIVE_INT, RustState, fitted_rows, rows, seed, shared_docs

#: Fewest training rows a detector accepts (the Rust core's ``MIN_ROWS``).
MIN_ROWS = 8


def _views(views):
    """``views`` as a list of ``(scaler, sigma)`` pairs, or ``None`` for the default rule."""
    if views is None:
        return None
    if isinstance(views, str):
        parts = []
        for part in views.split(","):
            name, sep, sigma = part.partition(":")
            if not sep:
                raise ValueError(f"views: {part!r} is not SCALER:SIGMA (e.g. 'min-max:0.2')")
            try:
                parts.append((name.strip(), float(sigma)))
            except ValueError:
                raise ValueError(f"views: sigma {sigma!r} is not a number") from None
        return parts
    try:
        return [(str(name), float(sigma)) for name, sigma in views]
    except (TypeError, ValueError):
        raise ValueError(f"views: {views!r} is not a list of (scaler, sigma) pairs") from None


def _params_of(detector):
    """The parameters a detector file's provenance records (none for a file without one)."""
    p = json.loads(detector.provenance or "{}")
    keys = {"score": "score_type", "activation": "activation", "hidden": "hidden", "epochs": "epochs",
            "batch_size": "batch_size", "combine": "combine", "members_per_view": "members", "seed": "random_state",
            "trim": "trim"}
    params = {name: p[key] for key, name in keys.items() if key in p}
    if p and "trim" not in p:
        # A file without `trim` was fitted in one stage (explicitly, on a mode-dominated table, or
        # before two stages existed); trim=0 refits it so.
        params["trim"] = 0.0
    if "learning_rate" in p:
        # Stored as the f32 it was; its shortest float32 decimal is the value given.
        params["learning_rate"] = float(str(np.float32(p["learning_rate"])))
    if "views" in p:
        params["views"] = [(v["scaler"], float(str(np.float32(v["noise"])))) for v in p["views"]]
    return params


class EnergyDetector(RustState, OutlierMixin, BaseEstimator):
    """Novelty detector built from the energies of denoising tied autoencoders.

    A tied autoencoder trained with Gaussian denoising at noise sigma is a score-matching model,
    and since the gradient of its energy is r(x) - x (Eq. 9) the energy estimates
    sigma^2 log p(x) up to a constant: rows of low energy lie where the data is thin. This is the
    detector of ``potential detect fit`` -- the same Rust code, so the same ``random_state`` as
    ``--seed`` gives the same detector file and the same scores. Every ``None`` parameter follows
    the command line's default rule (README, section "Novelty detection"): three views of the
    columns (min-max scaling at sigma 0.8, the normal quantile transform and standardisation at
    0.5) or, on a mode-dominated table such as images, min-max scaling alone at 0.2; relu hiddens,
    2 x columns of them (at most 512); Adam for about 5000 updates within a compute budget, split
    over two stages (one on a mode-dominated table): a first detector sets aside the tenth of the
    training rows it finds strangest and the detector is fitted again on the rest (``trim``).

    Parameters
    ----------
    contamination : float, default=0.1
        Expected fraction of outliers among the training rows, in (0, 0.5]: sets ``offset_``.
    score_type : {"energy", "reconstruction-error"}, default="energy"
        What the autoencoders rank rows by (the command line's ``--score``).
    activation : str, default="relu"
        Hidden activation of every autoencoder.
    hidden : int, default=None
        Hidden units per autoencoder (None: 2 x columns, at most 512).
    epochs : int, default=None
        Epochs per autoencoder (None: about 5000 updates).
    batch_size : int, default=None
        Rows per minibatch (None: 100, or a tenth of the rows under 1000 rows).
    learning_rate : float, default=1e-3
        Adam's learning rate.
    views : str or list of (str, float), default=None
        The views as ``"SCALER:SIGMA,..."`` or ``[(scaler, sigma), ...]`` with scalers
        ``"min-max"``, ``"standard"``, ``"quantile"`` (None: the default rule).
    combine : {"softplus", "mean"}, default="softplus"
        How the members' normalised scores make the outlier score.
    members : int, default=1
        Autoencoders per view, each with its own seed.
    trim : float, default=None
        Fraction of the training rows a first-stage detector sets aside before the detector is
        fitted again on the rest (a trimmed refit, robust to outliers among the training rows), in
        [0, 0.5); 0 fits one stage on every row (None: 0.1, or 0 on a mode-dominated table). The
        threshold is fitted on all rows.
    random_state : int, RandomState instance or None, default=None
        Seed of every member's initialisation, shuffling and noise (an int is the command
        line's ``--seed``).

    Attributes
    ----------
    detector_ : potential._core.Detector
        The fitted detector (what a detector file holds).
    offset_ : float
        ``decision_function = score_samples - offset_``; minus the detector file's threshold.
    reference_score_ : float
        The outlier score of the mean training row of every view (see ``explain``).
    n_features_in_ : int
        Number of columns seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen during ``fit``, when ``X`` was a DataFrame with string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from potential import EnergyDetector
    >>> X = np.random.default_rng(0).normal(size=(500, 4)).astype(np.float32)
    >>> det = EnergyDetector(epochs=20, random_state=0).fit(X)
    >>> det.predict([[0, 0, 0, 0], [6, -6, 6, -6]]).tolist()
    [1, -1]
    """

    _parameter_constraints = {
        "contamination": [Interval(Real, 0, 0.5, closed="right")],
        "score_type": [StrOptions({"energy", "reconstruction-error"})],
        "activation": [ACTIVATION],
        "hidden": [POSITIVE_INT, None],
        "epochs": [POSITIVE_INT, None],
        "batch_size": [POSITIVE_INT, None],
        "learning_rate": [POSITIVE],
        "views": [str, list, tuple, None],
        "combine": [StrOptions({"softplus", "mean"})],
        "members": [POSITIVE_INT],
        "trim": [Interval(Real, 0, 0.5, closed="left"), None],
        "random_state": ["random_state"],
    }
    _rust_attributes = {"detector_": _core.Detector}

    def __init__(
        self,
        *,
        contamination=0.1,
        score_type="energy",
        activation="relu",
        hidden=None,
        epochs=None,
        batch_size=None,
        learning_rate=1e-3,
        views=None,
        combine="softplus",
        members=1,
        trim=None,
        random_state=None,
    ):
        self.contamination = contamination
        self.score_type = score_type
        self.activation = activation
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.views = views
        self.combine = combine
        self.members = members
        self.trim = trim
        self.random_state = random_state

    def _spec(self, seed_):
        """The settings of ``potential detect fit`` as the Rust core takes them."""
        return {
            "contamination": float(self.contamination),
            "score": self.score_type,
            "activation": self.activation,
            "hidden": self.hidden,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "learning_rate": float(self.learning_rate),
            "views": _views(self.views),
            "combine": self.combine,
            "members_per_view": int(self.members),
            "seed": seed_,
            "trim": None if self.trim is None else float(self.trim),
        }

    def _prepare_fit(self, X):
        """Validated parameters and rows, and the settings with a drawn seed."""
        self._validate_params()
        X = rows(self, X, reset=True, ensure_min_samples=MIN_ROWS)
        return X, self._spec(seed(self.random_state))

    def _set_detector(self, detector):
        self.detector_ = detector
        self.offset_ = -detector.threshold
        self.reference_score_ = detector.reference_score() if detector.score == "energy" else np.nan
        return self

    def fit(self, X, y=None):
        """Fit the detector on the rows of ``X`` (no labels).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows, at least 8. C-contiguous float32 is used as it is; anything else is
            converted.
        y : None
            Ignored.

        Returns
        -------
        self : EnergyDetector
            The fitted detector.
        """
        X, spec = self._prepare_fit(X)
        return self._set_detector(_core.Detector.fit(X, spec))

    def score_samples(self, X):
        """Normality of each row: minus the outlier score (higher = more normal).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score (C-contiguous float32 is read in place).

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``-outlier_score``, float64.
        """
        X = fitted_rows(self, X)
        scores = self.detector_.outlier_scores(X)
        np.negative(scores, out=scores)
        return scores

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            Negative where the row is flagged.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """Flag the rows: -1 for an outlier, 1 for an inlier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to flag.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            -1 where the outlier score is above the detector's threshold, else 1.
        """
        return np.where(self.decision_function(X) >= 0, 1, -1)

    def explain(self, X, nodes=8, return_error=False):
        """Why each row is strange: its outlier score split exactly over its features.

        For every member the energy difference between the row and its view's mean training row is
        attributed to the features along the straight path between them (Eq. 9: the gradient of
        the energy is r(x) - x), by Gauss-Legendre quadrature. Each row of the result sums to the
        row's outlier score minus ``reference_score_``, i.e. to
        ``-score_samples(X) - reference_score_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to explain.
        nodes : int, default=8
            Quadrature nodes (the error estimate compares with twice as many).
        return_error : bool, default=False
            Also return the per-row quadrature error estimate.

        Returns
        -------
        contributions : ndarray of shape (n_samples, n_features)
            Per feature, its share of the outlier score (positive = makes the row stranger).
        error : ndarray of shape (n_samples,)
            Only with ``return_error``.
        """
        check_is_fitted(self)
        if not isinstance(nodes, (int, np.integer)) or nodes < 1:
            raise ValueError(f"nodes must be a positive integer, got {nodes!r}")
        X = rows(self, X, reset=False)
        contributions, error = self.detector_.explain(X, int(nodes))
        return (contributions, error) if return_error else contributions

    @classmethod
    @shared_docs
    def load(cls, path):
        """A fitted detector from a detector file (e.g. written by ``potential detect fit``).

        {file}

        Returns
        -------
        detector : EnergyDetector
            Fitted, with the parameters the file records (its provenance: the seed, views and
            the sizes the default rule chose), so that refitting it on the same rows gives the
            same file; parameters a file does not record keep their defaults.
        """
        detector = _core.Detector.load(os.fspath(path))
        est = cls(contamination=detector.contamination, **_params_of(detector))
        est.n_features_in_ = detector.dim
        return est._set_detector(detector)
