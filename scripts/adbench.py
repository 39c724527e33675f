#!/usr/bin/env python3
"""ADBench's unsupervised protocol for `potential detect fit`, with scikit-learn's IsolationForest()
and LocalOutlierFactor(novelty=True) measured in the same run.

Protocol (Han et al., ADBench, NeurIPS 2022): a set over 10000 rows is subsampled to 10000 (seeded);
a stratified 70/30 train/test split (random_state = seed); min-max scaling fitted on the training
part; each detector is fitted on the (contaminated) training part without labels; ROC AUC and
average precision (AUCPR) of its outlier scores on the test part; seeds 0, 1, 2.

`--validation` carves a second stratified 70/30 split out of the training part (random_state =
seed + 100) and evaluates on it instead: the rows on which defaults may be chosen. The test part is
then never read.

Every (set, seed, detector) appends one JSON line to --out (resumable: finished lines are skipped).
`--table` prints the Markdown table of the means from the records.
"""
import argparse, glob, json, os, platform, subprocess, sys, tempfile, time

import numpy as np


def commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except Exception:
        return "unknown"


def split(path, seed, validation):
    from sklearn.model_selection import train_test_split
    d = np.load(path)
    X, y = d["X"].astype(np.float64), d["y"].astype(int)
    if len(X) > 10000:
        idx = np.random.RandomState(seed).choice(len(X), 10000, replace=False)
        X, y = X[idx], y[idx]
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
    if validation:
        Xtr, Xte, ytr, yte = train_test_split(Xtr, ytr, test_size=0.3, stratify=ytr, random_state=seed + 100)
    lo, hi = Xtr.min(0), Xtr.max(0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    return (Xtr - lo) / span, (Xte - lo) / span, yte


def run_potential(binary, Xtr, Xte, seed, extra):
    with tempfile.TemporaryDirectory() as tmp:
        tr, te = os.path.join(tmp, "train.npy"), os.path.join(tmp, "test.npy")
        det, scores = os.path.join(tmp, "det.safetensors"), os.path.join(tmp, "scores.csv")
        np.save(tr, Xtr.astype(np.float32))
        np.save(te, Xte.astype(np.float32))
        fit = [binary, "detect", "fit", "--data", tr, "--out", det, "--seed", str(seed), "-q"] + extra
        t0 = time.time()
        subprocess.run(fit, check=True)
        t1 = time.time()
        subprocess.run([binary, "detect", "--model", det, "--data", te, "--out", scores, "-q"], check=True,
                       stdout=subprocess.DEVNULL)
        t2 = time.time()
        s = np.loadtxt(scores, delimiter=",", skiprows=1, usecols=1)
        cmd = " ".join(["potential", "detect", "fit", "--data", "TRAIN.npy", "--out", "D.safetensors",
                        "--seed", str(seed)] + extra)
        return s, t1 - t0, t2 - t1, cmd


BASELINES = ("IsolationForest()", "LocalOutlierFactor(novelty=True)")


def run_sklearn(name, Xtr, Xte, seed):
    from sklearn.ensemble import IsolationForest
    from sklearn.neighbors import LocalOutlierFactor
    t0 = time.time()
    m = IsolationForest(random_state=seed) if name == "IsolationForest()" else LocalOutlierFactor(novelty=True)
    m.fit(Xtr)
    t1 = time.time()
    s = -m.score_samples(Xte)
    return s, t1 - t0, time.time() - t1, f"sklearn {name}" + (f" random_state={seed}" if "Forest" in name else "")


def table(records, protocol):
    rows = [r for r in records if r["protocol"] == protocol]
    sets = sorted({r["set"] for r in rows}, key=lambda s: int(s.split("_")[0]))
    dets = list(dict.fromkeys(r["detector"] for r in rows))
    out = ["| set | " + " | ".join(f"{d} AUC / AP" for d in dets) + " |",
           "|---|" + "---|" * len(dets)]
    means = {d: ([], [], []) for d in dets}
    for s in sets:
        cells = []
        for d in dets:
            rs = [r for r in rows if r["set"] == s and r["detector"] == d]
            if not rs:
                cells.append("–")
                continue
            a = np.mean([r["roc_auc"] for r in rs]); p = np.mean([r["average_precision"] for r in rs])
            t = np.mean([r["fit_seconds"] + r["score_seconds"] for r in rs])
            means[d][0].append(a); means[d][1].append(p); means[d][2].append(t)
            cells.append(f"{a:.3f} / {p:.3f} ({t:.2f} s)")
        out.append(f"| {s} | " + " | ".join(cells) + " |")
    out.append("| **mean** | " + " | ".join(
        f"**{np.mean(means[d][0]):.3f} / {np.mean(means[d][1]):.3f}** ({np.mean(means[d][2]):.2f} s)" for d in dets) + " |")
    seeds = sorted({r["seed"] for r in rows})
    out.append("")
    out.append(f"Protocol `{protocol}`, seeds {seeds}; each cell: mean ROC AUC / mean average precision over the "
               "seeds (mean wall time of fit + scoring per seed).")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="target/release/potential")
    ap.add_argument("--datasets", default=os.path.join(os.environ.get("POTENTIAL_DATASETS", "../shared/datasets"), "adbench"))
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--out", default="results/adbench.jsonl")
    ap.add_argument("--validation", action="store_true", help="evaluate on validation rows carved from the training part")
    ap.add_argument("--baselines", default=",".join(BASELINES),
                    help="comma-separated scikit-learn baselines to run beside potential ('' for none)")
    ap.add_argument("--name", default="potential detect fit (defaults)")
    ap.add_argument("--extra", default="", help="extra flags for `potential detect fit` (default: none)")
    ap.add_argument("--save-scores", default=None, metavar="DIR",
                    help="also save each run's outlier scores and labels as DIR/<set>-<seed>-<name>.npy")
    ap.add_argument("--table", action="store_true", help="print the Markdown table of --out and exit")
    a = ap.parse_args()
    protocol = "adbench-validation" if a.validation else "adbench-test"
    done = []
    if os.path.exists(a.out):
        with open(a.out) as f:
            done = [json.loads(l) for l in f if l.strip()]
    if a.table:
        print(table(done, protocol))
        return
    sets = sorted(glob.glob(os.path.join(a.datasets, "*.npz")), key=lambda p: int(os.path.basename(p).split("_")[0]))
    if not sets:
        sys.exit(f"no .npz files in {a.datasets}")
    key = lambda r: (r["protocol"], r["set"], r["seed"], r["detector"])
    have = {key(r) for r in done}
    baselines = [b for b in a.baselines.split(",") if b]
    unknown = [b for b in baselines if b not in BASELINES]
    if unknown:
        sys.exit(f"--baselines: unknown {unknown}; known: {', '.join(BASELINES)} (or '' for none)")
    dets = [a.name] + baselines
    c = commit()
    machine = f"{platform.machine()} {os.cpu_count()} cpus {platform.processor() or ''}".strip()
    extra = a.extra.split()
    with open(a.out, "a") as out:
        for path in sets:
            name = os.path.basename(path)[:-4]
            for seed in [int(s) for s in a.seeds.split(",")]:
                Xtr, Xte, yte = None, None, None
                for det in dets:
                    if (protocol, name, seed, det) in have:
                        continue
                    if Xtr is None:
                        Xtr, Xte, yte = split(path, seed, a.validation)
                    from sklearn.metrics import average_precision_score, roc_auc_score
                    if det == a.name:
                        s, tf, ts, cmd = run_potential(a.bin, Xtr, Xte, seed, extra)
                    else:
                        s, tf, ts, cmd = run_sklearn(det, Xtr, Xte, seed)
                    rec = {"suite": "adbench", "protocol": protocol, "set": name, "seed": seed, "detector": det,
                           "roc_auc": roc_auc_score(yte, s), "average_precision": average_precision_score(yte, s),
                           "fit_seconds": tf, "score_seconds": ts, "train_rows": len(Xtr), "eval_rows": len(Xte),
                           "command": cmd, "commit": c, "machine": machine,
                           "date": time.strftime("%Y-%m-%dT%H:%M:%S")}
                    out.write(json.dumps(rec) + "\n"); out.flush()
                    if a.save_scores:
                        os.makedirs(a.save_scores, exist_ok=True)
                        tag = "".join(ch if ch.isalnum() else "_" for ch in det)
                        np.save(os.path.join(a.save_scores, f"{name}-{seed}-{tag}.npy"), np.asarray(s, dtype=np.float64))
                        np.save(os.path.join(a.save_scores, f"{name}-{seed}-labels.npy"), yte)
                    print(f"{name} seed {seed} {det}: AUC {rec['roc_auc']:.3f} AP {rec['average_precision']:.3f} "
                          f"({tf + ts:.2f} s)", flush=True)
    print(table(done + [json.loads(l) for l in open(a.out)][len(done):], protocol))


if __name__ == "__main__":
    main()
