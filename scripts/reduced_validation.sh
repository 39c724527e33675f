#!/usr/bin/env bash
# The reduced MNIST pipeline's settings (the CI test, RESULTS.md "MNIST, reduced pipeline") scored on
# validation rows only: each line of CONFIGS is one variation of the CI configuration (initialisation
# scale, pretraining lr, finetuning lr, finetuning input mask, optimizer, seeds), trained on the first
# 10000 MNIST training images and scored on training rows 50000–60000; the test images are never read
# (example `reduced_validation`). Appends one JSON line per variation to
# results/reduced-validation.jsonl (or $OUT) with the command, commit, machine and date; a variation
# already there (same arguments, same commit) is skipped, so an interrupted run resumes.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-results/reduced-validation.jsonl}
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
cargo build --release -q -p potential-csae --example reduced_validation
B=target/release/examples/reduced_validation
CONFIGS=${CONFIGS:-"1 0.02 0.1 0.2 momentum 1,2,3
4 0.02 0.1 0.2 momentum 1,2,3
2 0.02 0.1 0.2 momentum 1,2,3
1 0.01 0.1 0.2 momentum 1,2,3
1 0.05 0.1 0.2 momentum 1,2,3
1 0.02 0.03 0.2 momentum 1,2,3
1 0.02 0.3 0.2 momentum 1,2,3
1 0.02 0.1 0 momentum 1,2,3
1 0.02 0.1 0.1 momentum 1,2,3
1 0.02 0.1 0.3 momentum 1,2,3
1 0.02 0.001 0.2 adam 1,2,3
1 0.02 0.003 0.2 adam 1,2,3"}
touch "$OUT"
while read -r cfg; do
    [ -n "$cfg" ] || continue
    cmd="cargo run --release -p potential-csae --example reduced_validation -- $cfg"
    if grep -qF "\"command\": \"$cmd\", \"commit\": \"$COMMIT\"" "$OUT"; then
        echo "recorded already: $cfg" >&2
        continue
    fi
    # shellcheck disable=SC2086 # the line is the example's argument list
    line=$(RAYON_NUM_THREADS=${THREADS:-1} "$B" $cfg)
    python3 scripts/record.py "$line" "$cmd" "$COMMIT" >>"$OUT"
    tail -n 1 "$OUT"
done <<<"$CONFIGS"
