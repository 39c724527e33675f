"""Bad input raises a Python exception with a clear message; nothing crashes the interpreter.
Good input in any layout or dtype is converted as scikit-learn's check_array would."""

import numpy as np
import pytest
import scipy.sparse
from conftest import blobs, digits

from potential import Autoencoder, CSAEClassifier, EnergyDetector, TiedAutoencoder
from potential.detector import MIN_ROWS


@pytest.fixture(scope="module")
def models():
    X, y = digits([1, 2])
    det = EnergyDetector(epochs=5, random_state=0).fit(X)
    clf = CSAEClassifier(hidden=8, pretrain_epochs=1, finetune_epochs=1, random_state=0).fit(X, y)
    ae = Autoencoder(hidden=5, epochs=1, random_state=0).fit(X)
    return X, y, {"detector": (det, det.score_samples), "csae": (clf, clf.predict_proba),
                  "autoencoder": (ae, ae.transform), "tied": (ae.model_, ae.model_.energy)}


KINDS = ["detector", "csae", "autoencoder", "tied"]


@pytest.mark.parametrize("kind", KINDS)
def test_other_dtypes_and_layouts_are_converted_and_give_the_same_result(models, kind):
    X, _, m = models
    _, f = m[kind]
    want = f(X)
    for variant in (X.tolist(), X.astype(np.float64), np.asfortranarray(X), X.astype(object),
                    np.repeat(X, 2, axis=1)[:, ::2], (X * 16).astype(np.int64) / 16):
        np.testing.assert_array_equal(f(variant), want)


@pytest.mark.parametrize("kind", KINDS)
def test_nan_inf_wrong_width_1d_empty_3d_strings_sparse_are_clear_errors(models, kind):
    X, _, m = models
    _, f = m[kind]
    bad = X[:4].copy()
    bad[2, 5] = np.nan
    with pytest.raises(ValueError, match=r"NaN.*row 2.*column 5|row 2, column 5 is NaN"):
        f(bad)
    bad[2, 5] = np.inf
    with pytest.raises(ValueError, match="inf"):
        f(bad)
    with pytest.raises(ValueError, match="features|columns|expected 64|64"):
        f(X[:, :10])
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        f(X[0])
    with pytest.raises(ValueError, match="0 sample"):
        f(X[:0])
    with pytest.raises(ValueError, match="3"):
        f(X[None])
    with pytest.raises(ValueError, match="could not convert|string"):
        f(np.array([["a"] * 64], dtype=object))
    with pytest.raises(TypeError, match="[Ss]parse"):
        f(scipy.sparse.csr_matrix(X))
    with pytest.raises(ValueError, match="[Cc]omplex"):
        f(X[:3].astype(np.complex64))


def test_fitting_bad_data_and_bad_settings():
    X, y = digits([1, 2])
    with pytest.raises(ValueError, match=f"1 sample.*minimum of {MIN_ROWS}"):
        EnergyDetector().fit(X[:1])
    with pytest.raises(ValueError, match="0 sample"):
        EnergyDetector().fit(np.empty((0, 3)))
    with pytest.raises(ValueError, match="NaN"):
        EnergyDetector(epochs=2).fit(np.where(np.arange(X.size).reshape(X.shape) == 77, np.nan, X))
    with pytest.raises(ValueError, match="contamination"):
        EnergyDetector(contamination=0.7).fit(X)
    with pytest.raises(ValueError, match="activation"):
        EnergyDetector(activation="swish").fit(X)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        CSAEClassifier().fit(X, y[:-1])
    with pytest.raises(ValueError, match="NaN"):
        CSAEClassifier().fit(np.where(X > 0.9, np.nan, X), y)
    with pytest.raises(ValueError, match="Unknown label type"):
        CSAEClassifier().fit(X, np.linspace(0, 1, len(X)))
    with pytest.raises(ValueError, match="hidden"):
        Autoencoder(hidden=0).fit(X)
    with pytest.raises(ValueError, match="infinity|inf"):
        Autoencoder(epochs=1).fit(np.where(X > 0.9, np.inf, X))
    # float64 values beyond float32's range become inf on conversion, and are named as such.
    with pytest.warns(RuntimeWarning, match="overflow"), pytest.raises(ValueError, match="inf"):
        Autoencoder(epochs=1).fit(np.full((10, 3), 1e300))
    # A weight of more than 2^28 entries is refused before anything is allocated.
    with pytest.raises(ValueError, match="hidden"):
        Autoencoder(hidden=2**40, epochs=1).fit(X)


def test_unfitted_estimators_say_so():
    from sklearn.exceptions import NotFittedError

    for est, m in [(EnergyDetector(), "score_samples"), (CSAEClassifier(), "predict"), (Autoencoder(), "transform")]:
        with pytest.raises(NotFittedError):
            getattr(est, m)(np.zeros((2, 3)))


def test_corrupt_and_foreign_model_files(tmp_path):
    X = blobs(60, 3)
    det = EnergyDetector(epochs=2, random_state=0).fit(X)
    good = bytes(det.detector_.to_bytes())
    (tmp_path / "trunc.safetensors").write_bytes(good[: len(good) // 3])
    with pytest.raises(ValueError, match="trunc.safetensors.*not a valid safetensors file"):
        EnergyDetector.load(tmp_path / "trunc.safetensors")
    with pytest.raises(FileNotFoundError):
        EnergyDetector.load(tmp_path / "nope.safetensors")
    # A model file is not a detector file, and the other way round.
    ae = Autoencoder(hidden=3, epochs=1, random_state=0).fit(X)
    ae.model_.save(tmp_path / "m.safetensors")
    with pytest.raises(ValueError, match=r"m.safetensors: unknown format `potential.tied-autoencoder` \(expected `potential.detector`\)"):
        EnergyDetector.load(tmp_path / "m.safetensors")
    det.save(tmp_path / "d.safetensors")
    with pytest.raises(ValueError, match="potential.detector"):
        TiedAutoencoder.load(tmp_path / "d.safetensors")
    # Flipped bytes anywhere are either refused with a message or still a valid detector.
    refused = 0
    for i in range(0, len(good), max(1, len(good) // 97)):
        flipped = bytearray(good)
        flipped[i] ^= 0x5A
        try:
            type(det.detector_).from_bytes(bytes(flipped))
        except ValueError as e:
            assert str(e)
            refused += 1
    assert refused > 0
    # A directory where a file should be written.
    with pytest.raises(OSError):
        det.save(tmp_path)


def test_misaligned_buffers_are_copied_in_python_and_refused_by_the_rust_core(models):
    X, _, m = models
    det, f = m["detector"]
    raw = np.zeros(X.nbytes + 1, dtype=np.uint8)
    mis = raw[1:].view(np.float32).reshape(X.shape)
    mis[...] = X
    assert not mis.flags.aligned
    np.testing.assert_array_equal(f(mis), f(X))
    with pytest.raises(ValueError, match="aligned"):
        det.detector_.outlier_scores(mis)
