"""Input conversion shared by the estimators: what scikit-learn's ``check_array`` does, into the
C-contiguous float32 rows the Rust core reads in place."""

import numpy as np
from sklearn.utils import check_array, check_random_state
from sklearn.utils.validation import validate_data

#: The dtype and layout the Rust core reads without a copy.
ROWS = {"dtype": np.float32, "order": "C"}


def aligned(X):
    """``X`` itself, or an aligned copy of it when its buffer is not float32-aligned (as arrays
    deserialised from a network message can be): Rust reads only aligned floats."""
    return X if X.flags.aligned else np.require(X, requirements=["C_CONTIGUOUS", "ALIGNED"])


def rows(estimator, X, *, reset, ensure_min_samples=1):
    """``X`` as C-contiguous float32 rows, validated against ``estimator``.

    A C-contiguous float32 array is passed through as it is (no copy); lists, other dtypes and
    layouts are converted. Finiteness is checked by the Rust core, which names the row and column
    of the first NaN or infinity, so the data is scanned once.
    """
    X = validate_data(
        estimator,
        X,
        reset=reset,
        ensure_all_finite=False,
        ensure_min_samples=ensure_min_samples,
        **ROWS,
    )
    return aligned(X)


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
    """Pickles the Rust objects among the fitted attributes as their safetensors bytes.

    ``_rust_attributes`` maps an attribute name to the ``potential._core`` class that reads its
    bytes back; a pickled estimator reloads to the same bits and scores identically.
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
