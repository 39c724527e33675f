#!/usr/bin/env bash
# Record `potential demo` over seeds in results/demo.jsonl (one JSON line per seed): the
# writer-disjoint CSAE test error with the RBF SVM measured beside it on the same rows in the same
# run (trained on the rows as they are, and on the rows with the shifted copies the CSAE trains on),
# and the shuffled-split error. Usage: scripts/demo_seeds.sh [SEEDS...] (default 1 2 3 4 5).
# Env: POTENTIAL_BIN (default target/release/potential), DEMO_OUT (default results/demo.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
P=${POTENTIAL_BIN:-target/release/potential}
OUT=${DEMO_OUT:-results/demo.jsonl}
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
SEEDS=${*:-1 2 3 4 5}
for s in $SEEDS; do
    t0=$(date +%s.%N)
    lines=$("$P" demo digits --seed "$s" -q)
    t1=$(date +%s.%N)
    python3 - "$s" "$COMMIT" "$t0" "$t1" "$lines" >>"$OUT" <<'PY'
import json, platform, re, sys, datetime
seed, commit, t0, t1, text = sys.argv[1:]
w = re.search(r"writer-disjoint test error ([\d.]+)% \((\d+) of (\d+)\); RBF SVM on the same split ([\d.]+)% \((\d+) of \d+; C = ([\d.]+), γ = ([\d.]+)\), with the same shifted copies ([\d.]+)% \((\d+) of \d+; C = ([\d.]+), γ = ([\d.]+)", text)
s = re.search(r"shuffled-split test error ([\d.]+)% \((\d+) of (\d+)", text)
if not (w and s):
    sys.exit(f"unexpected demo output: {text!r}")
print(json.dumps({
    "experiment": "demo", "seed": int(seed), "command": f"potential demo digits --seed {seed} -q",
    "commit": commit,
    "writer_disjoint": {"csae_test_error": int(w[2]) / int(w[3]), "svm_test_error": int(w[5]) / int(w[3]),
                        "svm_c": float(w[6]), "svm_gamma": float(w[7]),
                        "svm_shifted_test_error": int(w[9]) / int(w[3]), "svm_shifted_c": float(w[10]),
                        "svm_shifted_gamma": float(w[11]), "test_rows": int(w[3])},
    "shuffled": {"csae_test_error": int(s[2]) / int(s[3]), "test_rows": int(s[3])},
    "wall_seconds": round(float(t1) - float(t0), 2), "machine": platform.node(),
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
}))
PY
    tail -n 1 "$OUT"
done
