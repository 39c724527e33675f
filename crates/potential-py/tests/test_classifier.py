"""CSAEClassifier: the same Rust code as `potential csae train`, labels of any type, Eq. 45's
probabilities, the OOD score, adding a class."""

import numpy as np
import pandas as pd
import pytest
from conftest import digits, run_cli

from potential import CSAEClassifier, _core


def small(**kw):
    return CSAEClassifier(**{"hidden": 16, "pretrain_epochs": 3, "finetune_epochs": 4, "batch_size": 50, **kw})


def test_python_and_the_cli_train_the_same_classifier_file(cli, tmp_path):
    X, y = digits([0, 1, 2, 3])
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", y.astype(np.uint8))
    clf = small(contractive=0.2, random_state=2).fit(X, y)
    run_cli(cli, "csae", "train", "--data", tmp_path / "x.npy", "--labels", tmp_path / "y.npy",
            "--hidden", 16, "--pretrain-epochs", 3, "--finetune-epochs", 4, "--batch", 50,
            "--contractive", 0.2, "--seed", 2, "--quiet", "--out", tmp_path / "c.safetensors")
    assert bytes(clf.csae_.to_bytes()) == (tmp_path / "c.safetensors").read_bytes()
    clf.save(tmp_path / "again.safetensors")
    assert (tmp_path / "again.safetensors").read_bytes() == (tmp_path / "c.safetensors").read_bytes()


@pytest.mark.parametrize(
    "labels",
    [
        lambda y: y,
        lambda y: np.array(["zero", "one", "two"])[y],
        lambda y: y.astype(float) * 2 - 1,
        lambda y: np.array(["x", "y", "z"], dtype=object)[y],
    ],
    ids=["int", "str", "float", "object"],
)
def test_any_label_type_and_the_shapes_of_every_output(labels):
    X, y = digits([3, 5, 8])
    t = labels(np.searchsorted([3, 5, 8], y))
    clf = small(random_state=0).fit(X[:400], t[:400])
    np.testing.assert_array_equal(clf.classes_, np.unique(t))
    pred = clf.predict(X[400:])
    assert pred.dtype == clf.classes_.dtype and set(pred) <= set(clf.classes_)
    assert clf.score(X[400:], t[400:]) > 0.85
    # The labels only name the classes: the model is the one of their codes 0, 1, 2 (sorted).
    ref = small(random_state=0).fit(X[:400], np.unique(t[:400], return_inverse=True)[1])
    assert [bytes(m.to_bytes()) for m in clf.csae_.class_models] == [bytes(m.to_bytes()) for m in ref.csae_.class_models]
    np.testing.assert_array_equal(clf.csae_.class_bias, ref.csae_.class_bias)
    p = clf.predict_proba(X[400:])
    assert p.shape == (len(X) - 400, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X[400:])), p, rtol=1e-9, atol=1e-300)
    np.testing.assert_array_equal(clf.classes_[p.argmax(axis=1)], pred)
    d = clf.decision_function(X[400:])
    assert d.shape == (len(X) - 400, 3)
    np.testing.assert_allclose(d - d.max(axis=1, keepdims=True), np.log(p) - np.log(p).max(axis=1, keepdims=True),
                               atol=1e-9)
    e = clf.energies(X[400:])
    assert e.shape == (len(X) - 400, 3)


def test_two_classes_give_one_decision_score_per_row():
    X, y = digits([1, 7])
    clf = small(random_state=0).fit(X, y)
    d = clf.decision_function(X)
    assert d.shape == (len(X),)
    np.testing.assert_array_equal(np.where(d > 0, 7, 1), clf.predict(X))


def test_ood_score_is_the_log_normaliser_and_low_off_the_classes():
    X, y = digits([0, 1, 2])
    clf = small(random_state=0).fit(X, y)
    s = clf.score_samples(X)
    e = clf.energies(X) + clf.csae_.class_bias[None, :]
    np.testing.assert_allclose(s, np.logaddexp.reduce(e, axis=1), rtol=1e-12)
    noise = np.random.default_rng(0).uniform(size=(50, 64)).astype(np.float32)
    assert np.median(clf.score_samples(noise)) < np.percentile(s, 5)


def test_pandas_frames_give_feature_names_and_series_labels():
    X, y = digits([4, 9])
    df = pd.DataFrame(X, columns=[f"px{i}" for i in range(64)])
    clf = small(random_state=0).fit(df, pd.Series(np.where(y == 4, "four", "nine")))
    assert list(clf.feature_names_in_) == list(df.columns)
    assert set(clf.predict(df.iloc[:5])) <= {"four", "nine"}
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X[:5])


def test_adding_a_class_keeps_the_others_and_learns_the_new_one():
    X, y = digits([2, 6, 9])
    train, test = slice(0, 420), slice(420, None)
    old = y[train] != 9
    clf = small(random_state=1, finetune_epochs=8).fit(X[train][old], y[train][old])
    before = [bytes(m.to_bytes()) for m in clf.csae_.class_models]
    clf.add_class(X[train][~old], 9, X[train][old], y[train][old])
    assert clf.classes_.tolist() == [2, 6, 9]
    assert [bytes(m.to_bytes()) for m in clf.csae_.class_models][:2] == before
    assert clf.csae_.class_names == ["2", "6", "9"]
    assert clf.score(X[test], y[test]) > 0.85
    # The new class model is what a fit would have pretrained as class index 2 with this seed.
    alone = _core.Csae.pretrain_class(X[train][~old], clf._spec(clf.seed_), 2, False)
    assert bytes(clf.csae_.class_models[2].to_bytes()) == bytes(alone)
    with pytest.raises(ValueError, match="already"):
        clf.add_class(X[:5], 9, X[:5], y[:5])
    with pytest.raises(ValueError, match="neither a known class"):
        clf.add_class(X[:5], 3, X[:5], np.full(5, 7))


def test_one_class_is_refused_and_settings_are_checked():
    X, y = digits([5])
    with pytest.raises(ValueError, match="at least 2 classes"):
        small().fit(X, y)
    X, y = digits([5, 6])
    with pytest.raises(ValueError, match="variant"):
        small(variant="nope").fit(X, y)
    with pytest.raises(ValueError, match="pretrain"):
        small(pretrain=False, variant="energies").fit(X, y)
    clf = small(pretrain=False, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.9
