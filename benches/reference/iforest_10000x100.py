"""Reference beside the criterion bench `detector/fit+score/10000x100/t2`: scikit-learn's
IsolationForest() and LocalOutlierFactor(novelty=True) fitted on a 10000 x 100 table of the same
construction (10-dimensional latent factor, uniform noise, every 17th column exponentiated) and
scoring the same rows; median of 5 runs each, n_jobs=2 where the estimator has it."""
import time, statistics, numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import LocalOutlierFactor

rng = np.random.default_rng(5)
N, D = 10_000, 100
mix = rng.uniform(-1, 1, (10, D)).astype(np.float32)
z = rng.uniform(-1, 1, (N, 10)) + rng.uniform(-1, 1, (N, 10))
X = (z @ mix + 0.1 * rng.uniform(-1, 1, (N, D))).astype(np.float32)
X[:, ::17] = np.exp(X[:, ::17])
for name, make in [("IsolationForest()", lambda: IsolationForest(random_state=0, n_jobs=2)),
                   ("LocalOutlierFactor(novelty=True)", lambda: LocalOutlierFactor(novelty=True, n_jobs=2))]:
    ts = []
    for _ in range(5):
        t0 = time.perf_counter(); m = make().fit(X); m.score_samples(X); ts.append(time.perf_counter() - t0)
    print(f"{name}: median {statistics.median(ts):.3f} s over 5 runs ({', '.join(f'{t:.3f}' for t in ts)})")
