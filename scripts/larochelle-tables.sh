#!/usr/bin/env bash
# Reproduce RESULTS.md "Deep-learning benchmark (Tables 3 and 5)".
#
# Generates the eight Larochelle et al. (2007) sets from MNIST and the background images
# (`potential data generate all`), then for every set S and model M of Table 3 (CSAE linear,
# modulus, sigmoid, sigmoid factored) runs the protocol of Sec. 4.4 with the set's own validation
# split: pretrain (PRETRAIN_ON=train, the default: on the training rows for the selection runs and
# again on train + validation for the refit; PRETRAIN_ON=all: once on train + validation, the
# protocol of results/larochelle-tables.jsonl), choose the finetuning learning rate and epoch on
# the validation rows, refit the chosen models on train + validation
# (`potential csae train --valid-data … --grid-lr …`), then the test error on the 50000 test
# images (`potential csae eval --json`). Table 5's CSAE cell is the sigmoid or sigmoid-factored
# model, whichever has the lower *validation* error.
#
# Each cell appends one JSON line to $OUT/results.jsonl:
#   {"set", "model", "protocol", "seed", "valid_error", "test_error", "train_seconds", "command",
#    "commit", "machine", "started"}
# and a cell already present there with the same protocol and seed is skipped (a record without
# "protocol" was made before --pretrain-on existed and counts as "pretrain-on all"; one without
# "seed" counts as seed 1), so an interrupted run resumes where it stopped. SEEDS="1 2 3" runs the
# cells of every seed (seed by seed); the tables give mean ± sd over the seeds present, and Table
# 5 chooses sigmoid or sigmoid factored per seed by validation error.
# TABLES_ONLY=1 prints the markdown tables of an existing results file (the records of the
# PRETRAIN_ON protocol; PRETRAIN_ON=all for results/larochelle-tables.jsonl). Table 4 (the variants of
# Sec. 4.7, on MNIST-small, MNIST-rot and convex in the paper) runs with
#   SETS="mnist-basic mnist-rot convex" MODELS="sigmoid-energies sigmoid-normalize-only sigmoid-no-pretrain sigmoid-hinge"
#
# Usage: scripts/larochelle-tables.sh
# Env:   MNIST, BACKGROUNDS (default: ../shared/datasets/{mnist,backgrounds}), OUT (default
#        target/larochelle), SETS (all eight), MODELS ("linear modulus sigmoid sigmoid-factored"),
#        HIDDEN (500), PRETRAIN_EPOCHS (30), FINETUNE_EPOCHS (30), PATIENCE (6), THREADS (2),
#        SEEDS (1; e.g. "1 2 3"), PRETRAIN_ON (train), POTENTIAL (a potential binary to use instead of
#        building one) and POTENTIAL_COMMIT (the commit it was built from, for the records).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DATA=${DATA:-$ROOT/../shared/datasets}
MNIST=${MNIST:-$DATA/mnist}
BACKGROUNDS=${BACKGROUNDS:-$DATA/backgrounds}
OUT=${OUT:-$ROOT/target/larochelle}
SETS=${SETS:-rectangles rectangles-image convex mnist-basic mnist-rot mnist-back-rand mnist-back-image mnist-rot-back-image}
MODELS=${MODELS:-linear modulus sigmoid sigmoid-factored}
HIDDEN=${HIDDEN:-500}
PRETRAIN_EPOCHS=${PRETRAIN_EPOCHS:-30}
FINETUNE_EPOCHS=${FINETUNE_EPOCHS:-30}
PATIENCE=${PATIENCE:-6}
THREADS=${THREADS:-2}
SEEDS=${SEEDS:-${SEED:-1}}
PRETRAIN_ON=${PRETRAIN_ON:-train}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
RES=$OUT/results.jsonl

# Per-model settings: the MNIST ones of RESULTS.md (Table 2 rows), unchanged per set.
settings() {
    case $1 in
        linear) echo "--activation linear --contractive 0.2 --pretrain-lr 0.001 --grid-lr 0.0003,0.001 --finetune-mask 0.2" ;;
        modulus) echo "--activation modulus --denoise 0.2 --pretrain-lr 0.001 --grid-lr 0.0003,0.001 --finetune-mask 0.2" ;;
        sigmoid) echo "--activation sigmoid --contractive 0.2 --pretrain-lr 0.02 --grid-lr 0.01,0.03 --finetune-mask 0.1" ;;
        sigmoid-factored) echo "--activation sigmoid --factors $HIDDEN --denoise 0.2 --pretrain-lr 0.0003 --grid-lr 0.003,0.01" ;;
        # Table 4 variants of the sigmoid CSAE; all but no-pretrain start from the sigmoid model's
        # pretraining (written once per set by --pretrain-only).
        sigmoid-energies) echo "$(settings sigmoid) --variant energies" ;;
        sigmoid-normalize-only) echo "$(settings sigmoid) --variant normalize-only" ;;
        sigmoid-hinge) echo "$(settings sigmoid) --variant hinge" ;;
        sigmoid-no-pretrain) echo "$(settings sigmoid) --no-pretrain" ;;
        *) echo "unknown model $1 (linear, modulus, sigmoid, sigmoid-factored, sigmoid-{energies,normalize-only,hinge,no-pretrain})" >&2; exit 2 ;;
    esac
}

# Epoch multipliers (pretraining, finetuning, patience) per set. Pretraining and finetuning take
# minibatches of 100, so RECTANGLES (1200 rows) gets a tenth of the updates per epoch of the
# 12000-row sets; its epochs are scaled up so that every set sees a similar number of updates.
scale() {
    case $1 in
        rectangles) echo "10 4 2" ;;
        *) echo "1 1 1" ;;
    esac
}

# The tables (the paper's figures beside ours, mean ± sd over seeds, Table 5 chosen per seed) are
# scripts/results_table.py's, from the records of this protocol.
tables() {
    python3 scripts/results_table.py --protocol "pretrain-on $PRETRAIN_ON" "$RES"
}

if [ "${TABLES_ONLY:-0}" = 1 ]; then
    tables
    exit 0
fi

if [ -n "${POTENTIAL:-}" ]; then
    P=$POTENTIAL
else
    cargo build --release -p potential-cli --quiet
    P=$TARGET/release/potential
fi
mkdir -p "$OUT"
touch "$RES"

for s in $SETS; do
    if [ ! -f "$OUT/data/$s/test_labels.npy" ]; then
        "$P" data generate "$s" --out "$OUT/data" --mnist "$MNIST" --backgrounds "$BACKGROUNDS" --seed 0 --grid
    fi
done

# The commit the records name: the checkout's, which built the binary — unless POTENTIAL points at
# a binary built elsewhere, whose commit POTENTIAL_COMMIT gives ("unknown" without it).
if [ -n "${POTENTIAL:-}" ]; then
    COMMIT=${POTENTIAL_COMMIT:-unknown}
else
    COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
fi
MACHINE="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
for SEED in $SEEDS; do
for s in $SETS; do
    d=$OUT/data/$s
    for m in $MODELS; do
        if python3 - "$RES" "$s" "$m" "pretrain-on $PRETRAIN_ON" "$SEED" <<'EOF'; then
import json, sys
res, s, m, protocol, seed = sys.argv[1:]
rows = [json.loads(l) for l in open(res) if l.strip()]
key = (s, m, protocol, int(seed))
sys.exit(0 if any((r["set"], r["model"], r.get("protocol", "pretrain-on all"), r.get("seed", 1)) == key for r in rows) else 1)
EOF
            echo "== $s / $m / seed $SEED: done already"
            continue
        fi
        # Seed 1 keeps the file names of the runs before SEEDS existed.
        sfx=""
        [ "$SEED" != 1 ] && sfx="-s$SEED"
        model=$OUT/models/$s-$m$sfx.safetensors
        mkdir -p "$OUT/models" "$OUT/logs"
        # Pretraining that diverges is retried with its learning rate divided by 3 (twice at most).
        read -r -a set_args <<<"$(settings "$m")"
        read -r sp sf spat <<<"$(scale "$s")"
        case $m in
            sigmoid-energies | sigmoid-normalize-only | sigmoid-hinge)
                # The pretraining of the selection runs (rows as --pretrain-on says) and, for
                # train, the refit's on train + validation.
                read -r -a pre_args <<<"$(settings sigmoid)"
                ons=(all)
                [ "$PRETRAIN_ON" = train ] && ons=(train all)
                for on in "${ons[@]}"; do
                    pre=$OUT/models/$s-sigmoid-pretrained-$on$sfx.safetensors
                    if [ ! -f "$pre" ]; then
                        "$P" csae train --data "$d/train_images.npy" --labels "$d/train_labels.npy" \
                            --valid-data "$d/valid_images.npy" --valid-labels "$d/valid_labels.npy" \
                            --hidden "$HIDDEN" "${pre_args[@]}" --pretrain-epochs $((PRETRAIN_EPOCHS * sp)) \
                            --seed "$SEED" --threads "$THREADS" --pretrain-only --pretrain-on "$on" --out "$pre"
                    fi
                done
                if [ "$PRETRAIN_ON" = train ]; then
                    set_args+=(--pretrained "$OUT/models/$s-sigmoid-pretrained-train$sfx.safetensors"
                        --pretrained-all "$OUT/models/$s-sigmoid-pretrained-all$sfx.safetensors")
                else
                    set_args+=(--pretrained "$OUT/models/$s-sigmoid-pretrained-all$sfx.safetensors")
                fi
                ;;
        esac
        t0=$(date +%s.%N)
        started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
        log=$OUT/logs/$s-$m$sfx.log
        for try in 1 2 3; do
            args=(csae train --data "$d/train_images.npy" --labels "$d/train_labels.npy"
                --valid-data "$d/valid_images.npy" --valid-labels "$d/valid_labels.npy"
                --hidden "$HIDDEN" "${set_args[@]}" --pretrain-epochs $((PRETRAIN_EPOCHS * sp))
                --finetune-epochs $((FINETUNE_EPOCHS * sf)) --patience $((PATIENCE * spat)) --refit --seed "$SEED"
                --pretrain-on "$PRETRAIN_ON"
                --threads "$THREADS" --out "$model")
            rm -f "$model"
            echo "== $s / $m: potential ${args[*]}"
            "$P" "${args[@]}" 2>&1 | tee "$log" | grep -v "^\s*finetune epoch" || true
            [ -f "$model" ] && break
            grep -q "pretraining diverged" "$log" && [ "$try" -lt 3 ] || {
                echo "training $s / $m failed: see $log" >&2
                exit 1
            }
            for i in "${!set_args[@]}"; do
                if [ "${set_args[$i]}" = --pretrain-lr ]; then
                    set_args[i + 1]=$(python3 -c "print(f'{${set_args[$i + 1]} / 3:.3g}')")
                fi
            done
            echo "== $s / $m: pretraining diverged; pretraining learning rate / 3"
        done
        t1=$(date +%s.%N)
        valid=$(grep -o "^chosen: .*validation error [0-9.]*%" "$log" | grep -o "[0-9.]*%$" | tr -d % || true)
        test=$("$P" csae eval --model "$model" --data "$d/test_images.npy" --labels "$d/test_labels.npy" \
            --threads "$THREADS" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["error_rate"])')
        python3 - "$RES" "$s" "$m" "pretrain-on $PRETRAIN_ON" "${valid:-nan}" "$test" "$t0" "$t1" "potential ${args[*]}" \
            "$SEED" "$COMMIT" "$MACHINE, --threads $THREADS" "$started" <<'EOF'
import json, sys
res, s, m, protocol, valid, test, t0, t1, cmd, seed, commit, machine, started = sys.argv[1:]
with open(res, "a") as f:
    f.write(json.dumps({"set": s, "model": m, "protocol": protocol, "seed": int(seed),
                        "valid_error": float(valid) / 100, "test_error": float(test),
                        "train_seconds": round(float(t1) - float(t0), 1), "command": cmd,
                        "commit": commit, "machine": machine, "started": started}) + "\n")
EOF
        echo "== $s / $m / seed $SEED: validation ${valid:-?}%, test $(python3 -c "print(f'{100*$test:.2f}')")%"
    done
done
done
tables
