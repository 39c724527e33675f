"""Fitting on Dask when one machine is not enough.

The per-class pretraining of ``CSAEClassifier`` and the members of an ``EnergyDetector`` are
independent; ``fit_csae`` and ``fit_detector`` run them as Dask tasks (the models travel back as
safetensors bytes) and finish on the client: the classifier's finetuning, the detector's scalers
and threshold. The Rust core derives every class's and member's seed from the one seed exactly as
a local ``fit`` does, so the result is the same, byte for byte, as ``fit`` with the same
``random_state``.

``ParallelPostFit`` is ``dask_ml.wrappers.ParallelPostFit`` with ``score_samples`` and
``decision_function`` added: a fitted detector scores a ``dask.array`` block by block on the
workers.

Examples
--------
On a real cluster, connect a client first (the package must be installed on the workers)::

    from distributed import Client
    from potential import CSAEClassifier, EnergyDetector
    from potential.dask import ParallelPostFit, fit_csae, fit_detector

    client = Client("tcp://scheduler:8786")
    clf = fit_csae(CSAEClassifier(random_state=0), X, y)       # one task per class
    det = fit_detector(EnergyDetector(members=4, random_state=0), X)   # one task per member
    scores = ParallelPostFit(det).score_samples(dask_X).compute()
"""

import json

import numpy as np
from dask_ml.wrappers import ParallelPostFit as _DaskMLParallelPostFit
from distributed import get_client

from . import _core
from ._validation import aligned, shared_docs
from .classifier import CSAEClassifier
from .detector import EnergyDetector

__all__ = ["ParallelPostFit", "fit_csae", "fit_detector"]


def _pretrain_class(rows, spec, c, sequential):
    """Task: class ``c``'s model pretrained on its rows, as safetensors bytes."""
    return bytes(_core.Csae.pretrain_class(aligned(rows), spec, c, sequential))


def _fit_member(rows, spec, index, fit_rows=None):
    """Task: detector member ``index``, sized on all rows, fitted on them or on ``fit_rows`` (its
    parts, the model as bytes)."""
    fit_rows = None if fit_rows is None else aligned(fit_rows)
    view, noise, seed, model, median, iqr = _core.Detector.fit_member(aligned(rows), spec, index, fit_rows)
    return view, noise, seed, bytes(model), median, iqr


def fit_csae(estimator, X, y, client=None):
    """Fit a ``CSAEClassifier`` with each class pretrained in its own Dask task.

    The tasks return the pretrained class models as safetensors bytes; the finetuning of all
    classes together (Eq. 45) runs on the client. The result equals ``estimator.fit(X, y)`` with
    the same ``random_state``, byte for byte.

    Parameters
    ----------
    estimator : CSAEClassifier
        The classifier to fit (in place).
    X : array-like of shape (n_samples, n_features)
        Training rows.
    y : array-like of shape (n_samples,)
        Labels.
    client : distributed.Client, default=None
        The cluster (default: the current client, ``distributed.get_client()``).

    Returns
    -------
    estimator : CSAEClassifier
        Fitted.
    """
    if not isinstance(estimator, CSAEClassifier):
        raise TypeError(f"fit_csae fits a CSAEClassifier, not {type(estimator).__name__}")
    X, codes, classes, names, spec = estimator._prepare_fit(X, y)
    if not spec["pretrain"]:
        return estimator._set_csae(_core.Csae.fit(X, codes, names, spec), classes, spec["seed"])
    client = client or get_client()
    sequential = _core.Csae.sequential_pretraining(len(classes))
    futures = []
    for c in range(len(classes)):
        part = client.scatter(np.ascontiguousarray(X[codes == c]))
        futures.append(client.submit(_pretrain_class, part, spec, c, sequential, pure=False))
    models = client.gather(futures)
    csae = _core.Csae.from_classes(X, codes, names, spec, models)
    return estimator._set_csae(csae, classes, spec["seed"])


def fit_detector(estimator, X, client=None):
    """Fit an ``EnergyDetector`` with each member (autoencoder) trained in its own Dask task.

    Every task gets all rows (broadcast once) and fits member i on its view; the client refits the
    scalers (cheap, deterministic), joins the members and fits the threshold. With two stages
    (``trim`` > 0) the client then keeps the rows this first detector finds least strange, and a
    second round of tasks fits the members again on them. The result equals ``estimator.fit(X)``
    with the same ``random_state``, byte for byte.

    Parameters
    ----------
    estimator : EnergyDetector
        The detector to fit (in place).
    X : array-like of shape (n_samples, n_features)
        Training rows.
    client : distributed.Client, default=None
        The cluster (default: the current client).

    Returns
    -------
    estimator : EnergyDetector
        Fitted.
    """
    if not isinstance(estimator, EnergyDetector):
        raise TypeError(f"fit_detector fits an EnergyDetector, not {type(estimator).__name__}")
    X, spec = estimator._prepare_fit(X)
    client = client or get_client()
    n_members, sizes = _core.Detector.plan(X, spec)
    shared = client.scatter(X, broadcast=True)
    futures = [client.submit(_fit_member, shared, spec, i, pure=False) for i in range(n_members)]
    detector = _core.Detector.from_members(X, spec, client.gather(futures))
    sizes = json.loads(sizes)
    if sizes["stages"] == 2:
        kept = detector.trimmed_rows(X, sizes["trim"])
        shared_kept = client.scatter(kept, broadcast=True)
        futures = [client.submit(_fit_member, shared, spec, i, shared_kept, pure=False) for i in range(n_members)]
        detector = _core.Detector.from_members(X, spec, client.gather(futures), kept)
    return estimator._set_detector(detector)


def _call(part, estimator, method):
    """Task: ``estimator.<method>`` on one block of rows."""
    return getattr(estimator, method)(part)


class ParallelPostFit(_DaskMLParallelPostFit):
    """``dask_ml.wrappers.ParallelPostFit`` that also scores block by block.

    ``score_samples`` and ``decision_function`` of the wrapped estimator run on each block of a
    ``dask.array`` (rows only: blocks span all columns) and return a lazy ``dask.array``; on NumPy
    input they return what the estimator returns. Every block is scored by the same Rust code as
    a local call, so the scores equal the local ones exactly.

    Parameters
    ----------
    estimator : estimator
        A fitted (or to be fitted) estimator, e.g. ``EnergyDetector``.
    **kwargs
        As ``dask_ml.wrappers.ParallelPostFit``.
    """

    def _blockwise(self, method, X):
        """``estimator.<method>`` (one score per row) on each block of ``X``, or on ``X``."""
        import dask.array as da

        self._check_method(method)
        X = self._check_array(X)
        estimator = self._postfit_estimator
        if isinstance(X, da.Array):
            return X.map_blocks(
                _call, estimator=estimator, method=method, token=method, drop_axis=1, dtype=np.float64,
                meta=np.empty(0),
            )
        return _call(X, estimator, method)

    @shared_docs
    def score_samples(self, X):
        """``estimator.score_samples`` block by block.

        {blocks}

        Returns
        -------
        scores : dask.array.Array or ndarray of shape (n_samples,)
        """
        return self._blockwise("score_samples", X)

    @shared_docs
    def decision_function(self, X):
        """``estimator.decision_function`` block by block (one score per row).

        {blocks}

        Returns
        -------
        decision : dask.array.Array or ndarray of shape (n_samples,)
        """
        return self._blockwise("decision_function", X)
