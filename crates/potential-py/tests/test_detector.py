"""EnergyDetector: the same Rust code as `potential detect fit` (same seed, same file, same
scores), scikit-learn's outlier conventions, explanations."""

import numpy as np
import pytest
from conftest import blobs, run_cli
from sklearn.base import clone

from potential import EnergyDetector


def test_python_and_the_cli_fit_the_same_detector_file_and_scores(cli, tmp_path):
    X = blobs(400, 6, seed=1, outliers=20)
    np.save(tmp_path / "x.npy", X)
    det = EnergyDetector(epochs=15, members=2, random_state=3).fit(X)
    run_cli(cli, "detect", "fit", "--data", tmp_path / "x.npy", "--epochs", 15, "--members", 2,
            "--seed", 3, "--quiet", "--out", tmp_path / "d.safetensors")
    cli_bytes = (tmp_path / "d.safetensors").read_bytes()
    assert bytes(det.detector_.to_bytes()) == cli_bytes
    # The CLI's scores and flags of the same rows are Python's, to the last bit.
    run_cli(cli, "detect", "--model", tmp_path / "d.safetensors", "--data", tmp_path / "x.npy",
            "--out", tmp_path / "flags.csv", "--explain", "0-9", "--out-explain", tmp_path / "e.npy")
    table = np.genfromtxt(tmp_path / "flags.csv", delimiter=",", names=True)
    np.testing.assert_array_equal(table[table.dtype.names[1]], -det.score_samples(X))
    np.testing.assert_array_equal(table["outlier"] == 1, det.predict(X) == -1)
    np.testing.assert_array_equal(np.load(tmp_path / "e.npy"), det.explain(X[:10]))
    # A detector file written by the CLI loads as a fitted estimator scoring the same.
    loaded = EnergyDetector.load(tmp_path / "d.safetensors")
    np.testing.assert_array_equal(loaded.score_samples(X), det.score_samples(X))
    assert loaded.offset_ == det.offset_ and loaded.n_features_in_ == 6
    # It carries the parameters the file records: refitting it gives the file again.
    assert (loaded.random_state, loaded.members, loaded.epochs, loaded.learning_rate) == (3, 2, 15, 0.001)
    assert bytes(clone(loaded).fit(X).detector_.to_bytes()) == cli_bytes
    det.save(tmp_path / "again.safetensors")
    assert (tmp_path / "again.safetensors").read_bytes() == cli_bytes


def test_outlier_conventions_and_contamination():
    X = blobs(500, 4, seed=2, outliers=25)
    det = EnergyDetector(epochs=40, contamination=0.05, random_state=0).fit(X)
    s = det.score_samples(X)
    assert s.dtype == np.float64 and s.shape == (500,)
    np.testing.assert_array_equal(det.decision_function(X), s - det.offset_)
    pred = det.predict(X)
    assert set(np.unique(pred)) == {-1, 1}
    np.testing.assert_array_equal(pred == -1, det.decision_function(X) < 0)
    # PyOD's rule on the training rows: exactly 5 % flagged (no ties).
    assert (pred == -1).sum() == 25
    # The far rows are the strange ones.
    assert (pred[-25:] == -1).mean() > 0.9
    np.testing.assert_array_equal(det.fit_predict(X), pred)


def test_same_seed_same_bits_other_seed_other_bits():
    X = blobs(200, 3, seed=4)
    a = EnergyDetector(epochs=10, random_state=7).fit(X)
    b = EnergyDetector(epochs=10, random_state=7).fit(X)
    c = EnergyDetector(epochs=10, random_state=8).fit(X)
    assert bytes(a.detector_.to_bytes()) == bytes(b.detector_.to_bytes())
    assert bytes(a.detector_.to_bytes()) != bytes(c.detector_.to_bytes())
    rng = np.random.RandomState(5)
    d = EnergyDetector(epochs=10, random_state=rng).fit(X)
    assert np.isfinite(d.score_samples(X)).all()


def test_explanations_sum_to_the_outlier_score_minus_the_reference():
    X = blobs(300, 5, seed=6, outliers=10)
    det = EnergyDetector(epochs=20, random_state=1).fit(X)
    c, err = det.explain(X[-10:], nodes=16, return_error=True)
    assert c.shape == (10, 5) and err.shape == (10,)
    total = -det.score_samples(X[-10:]) - det.reference_score_
    np.testing.assert_allclose(c.sum(axis=1), total, rtol=1e-6, atol=1e-6 + float(err.max()))
    with pytest.raises(ValueError, match="nodes"):
        det.explain(X[:2], nodes=0)
    # Explanations attribute the energy: a reconstruction-error detector has none.
    rec = EnergyDetector(epochs=5, score_type="reconstruction-error", random_state=1).fit(X)
    with pytest.raises(ValueError, match="reconstruction"):
        rec.explain(X[:2])


def test_trim_reaches_the_rust_core_and_the_file_records_it(cli, tmp_path):
    X = blobs(300, 4, seed=6, outliers=15)
    np.save(tmp_path / "x.npy", X)
    two = EnergyDetector(epochs=4, random_state=1).fit(X)
    one = EnergyDetector(epochs=4, trim=0, random_state=1).fit(X)
    assert bytes(one.detector_.to_bytes()) != bytes(two.detector_.to_bytes())
    assert bytes(EnergyDetector(epochs=4, trim=0.1, random_state=1).fit(X).detector_.to_bytes()) == bytes(
        two.detector_.to_bytes())
    for trim, det in [("0", one), ("0.1", two)]:
        run_cli(cli, "detect", "fit", "--data", tmp_path / "x.npy", "--epochs", 4, "--trim", trim, "--seed", 1,
                "--quiet", "--out", tmp_path / "d.safetensors")
        assert (tmp_path / "d.safetensors").read_bytes() == bytes(det.detector_.to_bytes())
        loaded = EnergyDetector.load(tmp_path / "d.safetensors")
        assert loaded.trim == float(trim)
        assert bytes(clone(loaded).fit(X).detector_.to_bytes()) == bytes(det.detector_.to_bytes())
    # The threshold is fitted on all the rows: about a tenth of them flagged either way.
    assert 20 <= (two.predict(X) == -1).sum() <= 40
    for bad in (-0.1, 0.5, "x"):
        with pytest.raises(ValueError, match="trim"):
            EnergyDetector(trim=bad).fit(X)


def test_views_members_and_settings_reach_the_rust_core():
    X = blobs(200, 3, seed=8)
    det = EnergyDetector(epochs=5, views="standard:0.3,min-max:0.5", members=2, hidden=7,
                         random_state=0).fit(X)
    assert len(det.detector_.members) == 4
    assert all(m.hidden == 7 for m in det.detector_.members)
    same = EnergyDetector(epochs=5, views=[("standard", 0.3), ("min-max", 0.5)], members=2, hidden=7,
                          random_state=0).fit(X)
    assert bytes(same.detector_.to_bytes()) == bytes(det.detector_.to_bytes())
    for bad, msg in [("quantile", "SCALER:SIGMA"), ("nope:0.2", "scaler"), ("min-max:x", "not a number"),
                     ("min-max:-1", "noise")]:
        with pytest.raises(ValueError, match=msg):
            EnergyDetector(epochs=5, views=bad).fit(X)
