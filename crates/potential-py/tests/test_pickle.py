"""Pickling goes through safetensors bytes: a reloaded estimator scores bit-identically."""

import io
import pickle

import joblib
import numpy as np
import pytest
from conftest import blobs, digits

from potential import Autoencoder, CSAEClassifier, EnergyDetector, TiedAutoencoder


def fitted():
    X, y = digits([0, 3, 8])
    yield "detector", EnergyDetector(epochs=10, random_state=0).fit(X), X, ["score_samples", "predict", "explain"]
    yield "csae", CSAEClassifier(hidden=16, pretrain_epochs=2, finetune_epochs=2, random_state=0).fit(X, y), X, [
        "predict_proba", "decision_function", "score_samples", "predict"]
    yield "autoencoder", Autoencoder(hidden=9, epochs=2, random_state=0).fit(X), X, [
        "transform", "energy", "laplacian", "vector_field"]


@pytest.mark.parametrize("name, est, X, methods", list(fitted()), ids=lambda v: v if isinstance(v, str) else "")
def test_pickle_and_joblib_round_trips_score_bit_identically(name, est, X, methods):
    state = est.__getstate__()
    # The Rust models travel as safetensors bytes, not as extension objects.
    rust = {k: v for k, v in state.items() if k.endswith("_") and isinstance(v, bytes)}
    if name != "autoencoder":
        assert rust and all(v[8:9] == b"{" for v in rust.values())
    if name == "autoencoder":
        assert "safetensors" in est.model_.__getstate__()
    for back in (pickle.loads(pickle.dumps(est)), _joblib_round_trip(est)):
        assert type(back) is type(est) and back.get_params() == est.get_params()
        for m in methods:
            a, b = getattr(est, m)(X), getattr(back, m)(X)
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b, err_msg=f"{name}.{m}")
    # Pickling leaves the original intact.
    assert not isinstance(getattr(est, next(iter(rust)) if rust else "model_"), bytes)


def _joblib_round_trip(est):
    buf = io.BytesIO()
    joblib.dump(est, buf)
    buf.seek(0)
    return joblib.load(buf)


def test_a_tied_autoencoder_pickles_as_its_file():
    ae = Autoencoder(hidden=4, epochs=2, random_state=1).fit(blobs(50, 3))
    m = ae.model_
    assert m.__getstate__() == {"safetensors": m.to_bytes()}
    back = pickle.loads(pickle.dumps(m))
    assert back == m and back.to_bytes() == m.to_bytes()
    # The extension objects pickle through their bytes too.
    core = pickle.loads(pickle.dumps(m._model))
    assert bytes(core.to_bytes()) == m.to_bytes()
