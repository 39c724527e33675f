#!/usr/bin/env bash
# ADBench's unsupervised protocol (see scripts/adbench.py) on every .npz of $POTENTIAL_DATASETS/adbench
# (default ../shared/datasets/adbench): `potential detect fit` with no tuning flag beside scikit-learn's
# IsolationForest() and LocalOutlierFactor(novelty=True), seeds 0-2, records appended to
# results/adbench.jsonl (resumable), then the Markdown table of the means.
#   scripts/adbench.sh               # the test protocol (report these)
#   scripts/adbench.sh --validation  # rows carved from the training parts (choose defaults on these)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${POTENTIAL_VENV:-target/venv-bench}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q numpy scikit-learn
fi
cargo build --release -q -p potential-cli
export OMP_NUM_THREADS=1
exec "$venv/bin/python" scripts/adbench.py --bin target/release/potential \
  --datasets "${POTENTIAL_DATASETS:-../shared/datasets}/adbench" "$@"
