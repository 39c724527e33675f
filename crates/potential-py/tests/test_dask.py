"""Dask on a LocalCluster of two worker processes: per-class pretraining and per-member fits as
tasks give the bytes of a local fit; block-wise scoring gives the local scores exactly."""

import dask.array as da
import numpy as np
import pytest
from conftest import blobs, digits
from dask_ml.wrappers import ParallelPostFit as DaskMLParallelPostFit
from distributed import Client, LocalCluster

from potential import CSAEClassifier, EnergyDetector
from potential.dask import ParallelPostFit, fit_csae, fit_detector


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        with Client(cluster) as c:
            yield c


def test_the_cluster_has_two_worker_processes(client):
    info = client.scheduler_info()
    assert len(info["workers"]) == 2
    pids = client.run(lambda: __import__("os").getpid())
    assert len(set(pids.values())) == 2 and __import__("os").getpid() not in pids.values()


def test_csae_classes_pretrained_as_tasks_give_the_local_bytes(client):
    X, y = digits([0, 3, 5, 8])
    labels = np.array(["zero", "three", "five", "eight"])[np.searchsorted([0, 3, 5, 8], y)]
    params = dict(hidden=16, pretrain_epochs=3, finetune_epochs=3, contractive=0.1, random_state=11)
    local = CSAEClassifier(**params).fit(X, labels)
    remote = fit_csae(CSAEClassifier(**params), X, labels, client=client)
    assert bytes(remote.csae_.to_bytes()) == bytes(local.csae_.to_bytes())
    np.testing.assert_array_equal(remote.classes_, local.classes_)
    np.testing.assert_array_equal(remote.predict_proba(X), local.predict_proba(X))
    assert remote.history_ == [{**h, "seconds": h2["seconds"]} for h, h2 in zip(local.history_, remote.history_)]
    # Without pretraining there is nothing to distribute: a local fit, the same bytes.
    flat = dict(params, pretrain=False)
    assert bytes(fit_csae(CSAEClassifier(**flat), X, y, client=client).csae_.to_bytes()) == bytes(
        CSAEClassifier(**flat).fit(X, y).csae_.to_bytes())


def test_detector_members_fitted_as_tasks_give_the_local_bytes(client):
    X = blobs(400, 5, seed=2, outliers=20)
    params = dict(epochs=10, members=2, random_state=5)
    local = EnergyDetector(**params).fit(X)
    remote = fit_detector(EnergyDetector(**params), X, client=client)
    assert bytes(remote.detector_.to_bytes()) == bytes(local.detector_.to_bytes())
    assert remote.offset_ == local.offset_
    with pytest.raises(TypeError, match="EnergyDetector"):
        fit_detector(CSAEClassifier(), X, client=client)


def test_parallel_post_fit_scores_a_dask_array_exactly_as_locally(client):
    X = blobs(3000, 6, seed=4, outliers=100)
    det = EnergyDetector(epochs=10, random_state=0).fit(X[:1000])
    dX = da.from_array(X, chunks=(700, 6))
    wrapped = ParallelPostFit(det)
    s = wrapped.score_samples(dX)
    assert isinstance(s, da.Array) and s.npartitions == 5
    np.testing.assert_array_equal(s.compute(), det.score_samples(X))
    np.testing.assert_array_equal(wrapped.decision_function(dX).compute(), det.decision_function(X))
    np.testing.assert_array_equal(wrapped.predict(dX).compute(), det.predict(X))
    # dask-ml's own wrapper predicts block by block as well.
    np.testing.assert_array_equal(DaskMLParallelPostFit(det).predict(dX).compute(), det.predict(X))
    # NumPy input is scored locally.
    np.testing.assert_array_equal(wrapped.score_samples(X[:10]), det.score_samples(X[:10]))
    # Fitting through the wrapper fits the detector.
    fitted = ParallelPostFit(EnergyDetector(epochs=10, random_state=0)).fit(X[:1000])
    np.testing.assert_array_equal(fitted.score_samples(dX).compute(), det.score_samples(X))


def test_the_default_client_is_used(client):
    X, y = digits([1, 2])
    params = dict(hidden=8, pretrain_epochs=1, finetune_epochs=1, random_state=0)
    est = fit_csae(CSAEClassifier(**params), X, y)
    assert bytes(est.csae_.to_bytes()) == bytes(CSAEClassifier(**params).fit(X, y).csae_.to_bytes())
    det = fit_detector(EnergyDetector(epochs=2, random_state=0), X)
    assert bytes(det.detector_.to_bytes()) == bytes(EnergyDetector(epochs=2, random_state=0).fit(X).detector_.to_bytes())
