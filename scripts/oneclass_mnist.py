#!/usr/bin/env python3
"""One-class MNIST with `potential detect fit`'s defaults: for each digit K, fit on the training images
of K (pixels / 255, no labels used beyond picking the digit), score the 10000 test images, ROC AUC
with the other nine digits as the outliers (the positive class); seeds 0, 1, 2. The usual comparison
is Deep SVDD (Ruff et al., ICML 2018), mean AUC 94.8 %.

`--validation` fits on the digit's images among the first 50000 training images and scores the last
10000 training images instead: the rows on which settings may be chosen (the test images are then not
read). Records (one JSON line per digit and seed) go to --out; finished ones are skipped.
"""
import argparse, json, os, platform, subprocess, tempfile, time

import numpy as np


def idx(path):
    b = open(path, "rb").read()
    nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(b[4 + 4 * nd:], dtype=np.uint8).reshape(dims)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="target/release/potential")
    ap.add_argument("--mnist", default=os.path.join(os.environ.get("POTENTIAL_DATASETS", "../shared/datasets"), "mnist"))
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--digits", default="0,1,2,3,4,5,6,7,8,9")
    ap.add_argument("--validation", action="store_true")
    ap.add_argument("--name", default="potential detect fit (defaults)")
    ap.add_argument("--extra", default="")
    ap.add_argument("--out", default="results/oneclass-mnist.jsonl")
    a = ap.parse_args()
    from sklearn.metrics import roc_auc_score
    X = idx(os.path.join(a.mnist, "train-images-idx3-ubyte")).reshape(-1, 784).astype(np.float32) / 255
    y = idx(os.path.join(a.mnist, "train-labels-idx1-ubyte"))
    if a.validation:
        X, y, T, yt = X[:50000], y[:50000], X[50000:], y[50000:]
    else:
        T = idx(os.path.join(a.mnist, "t10k-images-idx3-ubyte")).reshape(-1, 784).astype(np.float32) / 255
        yt = idx(os.path.join(a.mnist, "t10k-labels-idx1-ubyte"))
    protocol = "oneclass-mnist-validation" if a.validation else "oneclass-mnist-test"
    done = set()
    if os.path.exists(a.out):
        for l in open(a.out):
            r = json.loads(l)
            done.add((r["protocol"], r["detector"], r["digit"], r["seed"]))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp, open(a.out, "a") as out:
        te = os.path.join(tmp, "test.npy")
        np.save(te, np.ascontiguousarray(T))
        for k in [int(d) for d in a.digits.split(",")]:
            tr = os.path.join(tmp, "train.npy")
            np.save(tr, np.ascontiguousarray(X[y == k]))
            for seed in [int(s) for s in a.seeds.split(",")]:
                if (protocol, a.name, k, seed) in done:
                    continue
                det, sc = os.path.join(tmp, "d.safetensors"), os.path.join(tmp, "s.csv")
                t0 = time.time()
                subprocess.run([a.bin, "detect", "fit", "--data", tr, "--out", det, "--seed", str(seed), "-q"] + a.extra.split(), check=True)
                t1 = time.time()
                subprocess.run([a.bin, "detect", "--model", det, "--data", te, "--out", sc, "-q"], check=True, stdout=subprocess.DEVNULL)
                t2 = time.time()
                s = np.loadtxt(sc, delimiter=",", skiprows=1, usecols=1)
                auc = roc_auc_score((yt != k).astype(int), s)
                rec = {"suite": "oneclass-mnist", "protocol": protocol, "detector": a.name, "digit": k, "seed": seed,
                       "roc_auc": auc, "fit_seconds": t1 - t0, "score_seconds": t2 - t1, "train_rows": int((y == k).sum()),
                       "command": f"potential detect fit --data DIGIT{k}.npy --out D.safetensors --seed {seed} {a.extra}".strip(),
                       "commit": commit, "machine": f"{platform.machine()} {os.cpu_count()} cpus",
                       "date": time.strftime("%Y-%m-%dT%H:%M:%S")}
                out.write(json.dumps(rec) + "\n"); out.flush()
                print(f"digit {k} seed {seed}: AUC {auc:.4f} ({t2 - t0:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
