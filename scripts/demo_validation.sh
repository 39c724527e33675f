#!/usr/bin/env bash
# The validation sweep behind `potential demo`'s settings (RESULTS.md, "The main job"): each line of
# CONFIGS is one variation of the demo's selection (input mask, hidden dropout, weight decay,
# contractive λ, hidden sizes, seeds, one-pixel shifts), scored by its best validation error on the
# writer-disjoint split — the test writers are never read. Appends one JSON line per variation to
# results/demo-validation.jsonl (or $OUT), with the command, commit, machine and date.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-results/demo-validation.jsonl}
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
cargo build --release -q -p potential-csae --example demo_validation
B=target/release/examples/demo_validation
CONFIGS=${CONFIGS:-"0 0 0 0.2 50,100 1,2,3,4,5 0
0.1 0 0 0.2 50,100 1,2,3,4,5 0
0.2 0 0 0.2 50,100 1,2,3,4,5 0
0.3 0 0 0.2 50,100 1,2,3,4,5 0
0 0.2 0 0.2 50,100 1,2,3,4,5 0
0 0.5 0 0.2 50,100 1,2,3,4,5 0
0 0 0.001 0.2 50,100 1,2,3,4,5 0
0 0 0.0001 0.2 50,100 1,2,3,4,5 0
0 0 0 0.5 50,100 1,2,3,4,5 0
0 0 0 1.0 50,100 1,2,3,4,5 0
0 0 0 0.0 50,100 1,2,3,4,5 0
0 0 0 0.2 100,200 1,2,3,4,5 0
0 0 0 0.2 50,100 1,2,3 1
0.1 0 0 0.2 50,100 1,2,3 1
0.2 0 0 0.2 50,100 1,2,3 1
0.3 0 0 0.2 50,100 1,2,3 1
0.2 0 0 0.2 100,200 1,2,3 1"}
while read -r cfg; do
    [ -n "$cfg" ] || continue
    # shellcheck disable=SC2086 # the line is the example's argument list
    line=$(RAYON_NUM_THREADS=${THREADS:-1} "$B" $cfg)
    python3 scripts/record.py "$line" "cargo run --release -p potential-csae --example demo_validation -- $cfg" "$COMMIT" >>"$OUT"
    tail -n 1 "$OUT"
done <<<"$CONFIGS"
