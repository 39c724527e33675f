"""What the estimators share: input conversion (what scikit-learn's ``check_array`` does, into
the C-contiguous float32 rows the Rust core reads in place), parameter constraints, seeds, pickling
of the Rust objects, and the docstring sections many methods have in common."""

import inspect
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _core

#: The dtype and layout the Rust core reads without a copy.
ROWS = {"dtype": np.float32, "order": "C"}

#: Parameter constraints (scikit-learn's ``_parameter_constraints``) several estimators share.
POSITIVE_INT = Interval(Integral, 1, None, closed="left")
NON_NEGATIVE = Interval(Real, 0, None, closed="left")
POSITIVE = Interval(Real, 0, None, closed="neither")
ACTIVATION = StrOptions(set(_core.activations()))
OUTPUT = StrOptions({"real", "binary"})
OPTIMIZER = StrOptions({"momentum", "adam"})

#: Docstring sections several methods share, by the placeholder that stands for each on a line of
#: its own (``shared_docs`` writes them out).
SECTIONS = {
    "{rows}": "Parameters\n----------\nX : array-like of shape (n_samples, n_features)\n    Rows.",
    "{blocks}": "Parameters\n----------\n"
    "X : dask.array.Array or array-like of shape (n_samples, n_features)\n    Rows.",
    "{file}": "Parameters\n----------\npath : str or os.PathLike\n    The file.",
}


def shared_docs(func):
    """``func`` with the placeholders of ``SECTIONS`` in its docstring written out."""
    doc = inspect.cleandoc(func.__doc__)
    for placeholder, section in SECTIONS.items():
        doc = doc.replace(placeholder, section)
    func.__doc__ = doc
    return func


def aligned(X):
    """``X`` itself, or an aligned copy of it when its buffer is not float32-aligned (as arrays
    deserialised from a network message can be): Rust reads only aligned floats."""
    return X if X.flags.aligned else np.require(X, requirements=["C_CONTIGUOUS", "ALIGNED"])


def rows(estimator, X, *, reset, ensure_min_samples=1, ensure_all_finite=False):
    """``X`` as C-contiguous float32 rows, validated against ``estimator``.

    A C-contiguous float32 array is passed through as it is (no copy); lists, other dtypes and
    layouts are converted. Finiteness is checked by the Rust core, which names the row and column
    of the first NaN or infinity, so the data is scanned once (unless ``ensure_all_finite``).
    """
    X = validate_data(
        estimator,
        X,
        reset=reset,
        ensure_all_finite=ensure_all_finite,
        ensure_min_samples=ensure_min_samples,
        **ROWS,
    )
    return aligned(X)


def fitted_rows(estimator, X):
    """``X`` as rows for the fitted ``estimator`` (``NotFittedError`` first if it is not)."""
    check_is_fitted(estimator)
    return rows(estimator, X, reset=False)


def labelled_rows(estimator, X, y, **kwargs):
    """``(X, y)``: ``X`` as C-contiguous float32 rows and the labels ``y``, validated against
    ``estimator`` by scikit-learn's ``validate_data`` with ``kwargs``."""
    X, y = validate_data(estimator, X, y, **kwargs, **ROWS)
    return aligned(X), y


def plain_rows(X):
    """``X`` as C-contiguous float32 rows, without an estimator (as ``check_array``)."""
    return aligned(check_array(X, ensure_all_finite=False, **ROWS))


def seed(random_state):
    """The Rust seed (an unsigned 64-bit integer) of a scikit-learn ``random_state``.

    An integer is the seed itself, so ``random_state=3`` gives what ``--seed 3`` gives on the
    command line; ``None`` or a ``RandomState`` draws one.
    """
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state)
    rng = check_random_state(random_state)
    return int(rng.randint(0, np.iinfo(np.int64).max, dtype=np.int64))


class RustState:
    """Pickles the Rust objects among the fitted attributes as their safetensors bytes, and saves
    the fitted model's file.

    ``_rust_attributes`` maps an attribute name to the ``potential._core`` class that reads its
    bytes back; a pickled estimator reloads to the same bits and scores identically. The first of
    them (in every estimator, the only one) is the model that ``save`` writes.
    """

    _rust_attributes = {}

    def __getstate__(self):
        # A copy: object.__getstate__ may hand out the instance's own __dict__.
        state = dict(super().__getstate__())
        for name in self._rust_attributes:
            if state.get(name) is not None:
                state[name] = bytes(state[name].to_bytes())
        return state

    def __setstate__(self, state):
        state = dict(state)
        for name, cls in self._rust_attributes.items():
            if isinstance(state.get(name), (bytes, bytearray)):
                state[name] = cls.from_bytes(bytes(state[name]))
        super().__setstate__(state)

    def save(self, path):
        """Write the fitted model's file (safetensors): the CSAE file of ``potential csae train``,
        the detector file of ``potential detect fit``.

        Parameters
        ----------
        path : str or os.PathLike
            Where to write it, atomically.
        """
        check_is_fitted(self)
        model = next(iter(self._rust_attributes))
        getattr(self, model).save(path)
