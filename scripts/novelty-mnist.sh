#!/usr/bin/env bash
# Reproduce RESULTS.md "Novelty detection (one-class MNIST)".
#
# For every digit K and activation A: train a tied autoencoder on the digit-K images of MNIST train
# (`potential train --class K`), then
#   (1) one-class MNIST: score all 10000 test images (K = normal, the other nine digits = outliers)
#       with `potential detect`, energy and reconstruction error: ROC AUC;
#   (2) Zhai et al. (2016)'s protocol: every test image of K plus images of the other digits drawn
#       without replacement (seed 0) so that they are 30% of the set (example `novelty_testset`),
#       threshold at contamination 0.3, F1 with the outlier as the positive class.
#   (3) the same test sets, but the model trained on a contaminated training set: the digit-K
#       training images plus 30% images of other digits from MNIST train (seed 1), without labels
#       (the unsupervised outlier-removal reading of the protocol), for CONTAMINATED_ACTIVATIONS.
# Every model is trained once per seed in SEEDS (the test sets and the contaminated training sets
# are drawn once, with the seeds above, so the seeds vary the models only).
# Prints markdown tables (per digit: the mean over seeds; last row: mean ± sd over seeds of the mean
# over digits) and writes the raw JSON lines to $OUT/results.jsonl and
# $OUT/results-contaminated.jsonl (TABLES_ONLY=1 only prints the tables of existing files, or with
# RECORD those of RECORD's lines for HIDDEN, EPOCHS, ACTIVATIONS and SEEDS). With
# RECORD=FILE (e.g. results/novelty-mnist.jsonl) every line is also appended to FILE, with the seed,
# configuration, commit and training time, and a model whose lines FILE already holds (same
# protocol part, digit, activation, seed, hidden size and epochs) is not trained again: an
# interrupted run resumes.
#
# Usage: scripts/novelty-mnist.sh            (from the repository root or anywhere)
# Env:   MNIST (default ../shared/datasets/mnist), OUT (default target/novelty-mnist),
#        HIDDEN (100), EPOCHS (5), ACTIVATIONS ("sigmoid relu"), CONTAMINATED_ACTIVATIONS
#        (default: ACTIVATIONS; empty to skip), DIGITS ("0 1 … 9"), SEEDS ("1"), THREADS (2),
#        RUN ("clean contaminated": which parts to run; each rewrites its own results file), RECORD.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MNIST=${MNIST:-$ROOT/../shared/datasets/mnist}
OUT=${OUT:-$ROOT/target/novelty-mnist}
HIDDEN=${HIDDEN:-100}
EPOCHS=${EPOCHS:-5}
ACTIVATIONS=${ACTIVATIONS:-sigmoid relu}
CONTAMINATED_ACTIVATIONS=${CONTAMINATED_ACTIVATIONS-$ACTIVATIONS}
DIGITS=${DIGITS:-0 1 2 3 4 5 6 7 8 9}
THREADS=${THREADS:-2}
RUN=${RUN:-clean contaminated}
SEEDS=${SEEDS:-1}
RECORD=${RECORD:-}
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

RES=$OUT/results.jsonl
RES_C=$OUT/results-contaminated.jsonl

prepare() {
    for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
        [ -e "$MNIST/$f" ] || { echo "missing $MNIST/$f (potential data fetch mnist …)" >&2; exit 1; }
    done
    cargo build --release -p potential-cli --bin potential --example novelty_testset
    mkdir -p "$OUT"
}
P=$TARGET/release/potential
MK=$TARGET/release/examples/novelty_testset

# Regularisation as the paper (Sec. 4.2): contractive for smooth activations, denoising otherwise.
reg() {
    case $1 in
        relu|modulus) echo "--denoise 0.3" ;;
        *) echo "--contractive 0.5" ;;
    esac
}

secs() { echo "$(date +%s.%N) - $1" | bc; }

# A training run that failed (diverged): one line with its error instead of the scores, so the run
# goes on and the tables say which models are missing. Arguments as `keep` without the input line.
failed() {
    echo "digit $3 $4 seed $5: training failed: $(tail -1 "$OUT/train.err")" >&2
    jq -n -c --arg e "$(tail -1 "$OUT/train.err")" '{failed: $e}' | keep "$@"
}

# Resume: if RECORD already holds the lines of one model ($1 part, clean or contaminated; $2 digit,
# $3 activation, $4 seed), append them to $5 and succeed; otherwise fail (the model is to be trained).
recorded() {
    [ -n "$RECORD" ] && [ -s "$RECORD" ] || return 1
    local old
    old=$(jq -c --arg part "$1" --argjson k "$2" --arg a "$3" --argjson s "$4" --argjson h "$HIDDEN" --argjson e "$EPOCHS" \
        'select(.part == $part and .digit == $k and .activation == $a and .seed == $s and .hidden == $h and .epochs == $e)' "$RECORD")
    [ -n "$old" ] || return 1
    echo "$old" >> "$5"
    echo "digit $2 $3 seed $4 ($1): recorded in $RECORD already" >&2
}

# Tag a detect --json line ($1 protocol, $2 part, $3 digit, $4 activation, $5 seed, $6 training seconds,
# $7 training command) and append it to $8 (and to RECORD).
keep() {
    local line
    line=$(jq -c --arg p "$1" --arg part "$2" --argjson k "$3" --arg a "$4" --argjson s "$5" --argjson t "$6" \
        --arg cmd "$7" --argjson h "$HIDDEN" --argjson e "$EPOCHS" --arg c "$COMMIT" --arg d "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
        --arg m "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores" \
        '{protocol:$p, part:$part, activation:$a, digit:$k, seed:$s, hidden:$h, epochs:$e} + .
         + {train_seconds:$t, train_command:$cmd, commit:$c, machine:$m, date:$d}')
    echo "$line" >> "$8"
    [ -z "$RECORD" ] || echo "$line" >> "$RECORD"
}

# (1) and (2): train on the digit-K training images only.
run_clean() {
    : > "$RES"
    for K in $DIGITS; do
        # Zhai et al. test set for digit K (inliers: every test K; outliers: 30% of the set, seed 0).
        read -r n_in n_out < <("$MK" "$MNIST/t10k-images-idx3-ubyte" "$MNIST/t10k-labels-idx1-ubyte" "$K" 0.3 0 "$OUT/zhai-$K.npy")
        for A in $ACTIVATIONS; do
            for SEED in $SEEDS; do
                recorded clean "$K" "$A" "$SEED" "$RES" && continue
                M=$OUT/ae-$A-$K-$SEED.safetensors
                cmd="potential train --data train-images-idx3-ubyte --labels train-labels-idx1-ubyte --class $K --activation $A --hidden $HIDDEN $(reg "$A") --epochs $EPOCHS --metric-rows 1000 --seed $SEED"
                t0=$(date +%s.%N)
                # shellcheck disable=SC2046
                if ! "$P" train --data "$MNIST/train-images-idx3-ubyte" --labels "$MNIST/train-labels-idx1-ubyte" \
                    --class "$K" --activation "$A" --hidden "$HIDDEN" $(reg "$A") --epochs "$EPOCHS" \
                    --metric-rows 1000 --seed "$SEED" --threads "$THREADS" --quiet --out "$M" 2> "$OUT/train.err"; then
                    failed one-class clean "$K" "$A" "$SEED" "$(secs "$t0")" "$cmd" "$RES"
                    continue
                fi
                t1=$(date +%s.%N)
                tt=$(echo "$t1 - $t0" | bc)
                for S in energy reconstruction-error; do
                    keep one-class clean "$K" "$A" "$SEED" "$tt" "$cmd" "$RES" < <(
                        "$P" detect --model "$M" --data "$MNIST/t10k-images-idx3-ubyte" --labels "$MNIST/t10k-labels-idx1-ubyte" \
                            --normal-class "$K" --score "$S" --threads "$THREADS" --json)
                    keep zhai clean "$K" "$A" "$SEED" "$tt" "$cmd" "$RES" < <(
                        "$P" detect --model "$M" --data "$OUT/zhai-$K.npy" --labels "$OUT/zhai-$K-labels.npy" \
                            --normal-class "$K" --score "$S" --contamination 0.3 --threads "$THREADS" --json)
                done
                printf 'digit %s %-8s seed %s: train %.1f s, detect ×4 %.1f s (zhai set: %s normal + %s outliers)\n' \
                    "$K" "$A" "$SEED" "$tt" "$(secs "$t1")" "$n_in" "$n_out" >&2
            done
        done
    done
}

# (3): train on digit K + 30% other digits of MNIST train, unlabelled; test on the Zhai test sets.
run_contaminated() {
    : > "$RES_C"
    for K in $DIGITS; do
        [ -e "$OUT/zhai-$K.npy" ] ||
            "$MK" "$MNIST/t10k-images-idx3-ubyte" "$MNIST/t10k-labels-idx1-ubyte" "$K" 0.3 0 "$OUT/zhai-$K.npy" > /dev/null
        read -r n_in n_out < <("$MK" "$MNIST/train-images-idx3-ubyte" "$MNIST/train-labels-idx1-ubyte" "$K" 0.3 1 "$OUT/zhai-train-$K.npy")
        for A in $CONTAMINATED_ACTIVATIONS; do
            for SEED in $SEEDS; do
                recorded contaminated "$K" "$A" "$SEED" "$RES_C" && continue
                M=$OUT/ae-contaminated-$A-$K-$SEED.safetensors
                cmd="potential train --data zhai-train-$K.npy --activation $A --hidden $HIDDEN $(reg "$A") --epochs $EPOCHS --metric-rows 1000 --seed $SEED"
                t0=$(date +%s.%N)
                # shellcheck disable=SC2046
                if ! "$P" train --data "$OUT/zhai-train-$K.npy" --activation "$A" --hidden "$HIDDEN" $(reg "$A") \
                    --epochs "$EPOCHS" --metric-rows 1000 --seed "$SEED" --threads "$THREADS" --quiet --out "$M" 2> "$OUT/train.err"; then
                    failed zhai-contaminated contaminated "$K" "$A" "$SEED" "$(secs "$t0")" "$cmd" "$RES_C"
                    continue
                fi
                tt=$(secs "$t0")
                for S in energy reconstruction-error; do
                    keep zhai-contaminated contaminated "$K" "$A" "$SEED" "$tt" "$cmd" "$RES_C" < <(
                        "$P" detect --model "$M" --data "$OUT/zhai-$K.npy" --labels "$OUT/zhai-$K-labels.npy" \
                            --normal-class "$K" --score "$S" --contamination 0.3 --threads "$THREADS" --json)
                done
                printf 'digit %s %-8s seed %s: contaminated training (%s + %s rows) + detect ×2 %.1f s\n' \
                    "$K" "$A" "$SEED" "$n_in" "$n_out" "$(secs "$t0")" >&2
            done
        done
    done
}

# Tables: one row per digit (the mean over seeds), columns activation × score; the last row is the
# mean over digits, as mean ± sd over seeds (sd with n − 1; "n seeds" when there is more than one).
table() { # $1 protocol, $2 metric (a JSON field, or f1_normal: F1 with the normal class positive), $3 activations
    jq -s -r --arg p "$1" --arg m "$2" --arg acts "$3" '
      def val($m): if $m == "f1_normal"
        then (2 * .true_negatives) / (2 * .true_negatives + .false_positives + .false_negatives)
        else .[$m] end;
      def r4: . * 10000 | round / 10000 | tostring;
      def mean: add / length;
      def sd: if length < 2 then null else (mean as $m | (map((. - $m) * (. - $m)) | add) / (length - 1) | sqrt) end;
      ($acts | split(" ")) as $A
      | [.[] | select(.protocol == $p and .failed == null) | .seed //= 1] as $r
      | ([$A[] as $a | ["energy", "reconstruction-error"][] as $s | "\($a) \($s)"]) as $cols
      | "| digit | " + ($cols | join(" | ")) + " |",
        "|---|" + ($cols | map("---:") | join("|")) + "|",
        (($r | map(.digit) | unique)[] as $k
          | "| \($k) | " + ([$A[] as $a | ["energy", "reconstruction-error"][] as $s
              | [$r[] | select(.digit == $k and .activation == $a and .score == $s) | val($m)] | mean | r4]
              | join(" | ")) + " |"),
        "| **mean** | " + ([$A[] as $a | ["energy", "reconstruction-error"][] as $s
              | [$r[] | select(.activation == $a and .score == $s)] as $c
              | [($c | map(.seed) | unique)[] as $sd | [$c[] | select(.seed == $sd) | val($m)] | mean] as $per
              | ($per | mean | r4) + (if ($per | length) > 1 then " ± " + ($per | sd | r4) + " (\($per | length) seeds)" else "" end)]
              | join(" | ")) + " |"
    ' "$RES" "$RES_C"
}
if [ "${TABLES_ONLY:-0}" != 1 ]; then
    prepare
    t_all=$(date +%s.%N)
    case " $RUN " in *" clean "*) run_clean ;; esac
    [ -z "$CONTAMINATED_ACTIVATIONS" ] || case " $RUN " in *" contaminated "*) run_contaminated ;; esac
    printf 'total %.1f s\n' "$(secs "$t_all")" >&2
fi
if [ "${TABLES_ONLY:-0}" = 1 ] && [ -n "$RECORD" ]; then
    # The tables of RECORD's lines for this configuration (HIDDEN, EPOCHS, ACTIVATIONS, SEEDS).
    RES=$(mktemp) RES_C=$(mktemp)
    trap 'rm -f "$RES" "$RES_C"' EXIT
    sel='. as $r | select($r.hidden == $h and $r.epochs == $e and any($seeds[]; . == $r.seed) and any($acts[]; . == $r.activation))'
    for part in clean:"$RES" contaminated:"$RES_C"; do
        jq -c --argjson h "$HIDDEN" --argjson e "$EPOCHS" --argjson seeds "[$(echo $SEEDS | tr ' ' ,)]" \
            --argjson acts "$(printf '%s\n' $ACTIVATIONS | jq -R . | jq -s -c .)" --arg part "${part%%:*}" \
            "$sel | select(.part == \$part)" "$RECORD" > "${part#*:}"
    done
fi
touch "$RES" "$RES_C"
echo
echo "One-class MNIST (10000 test images), ROC AUC:"
table one-class roc_auc "$ACTIVATIONS"
echo
echo "Zhai et al. protocol (30% outliers, contamination 0.3), F1 (outlier = positive):"
table zhai f1 "$ACTIVATIONS"
echo
echo "Same, F1 with the normal digit as the positive class:"
table zhai f1_normal "$ACTIVATIONS"
echo
echo "Same test sets, ROC AUC:"
table zhai roc_auc "$ACTIVATIONS"
if [ -n "$CONTAMINATED_ACTIVATIONS" ] && [ -s "$RES_C" ]; then
    echo
    echo "Contaminated training (digit K + 30% other digits), Zhai test sets, F1 (outlier = positive):"
    table zhai-contaminated f1 "$CONTAMINATED_ACTIVATIONS"
    echo
    echo "Same, F1 with the normal digit as the positive class:"
    table zhai-contaminated f1_normal "$CONTAMINATED_ACTIVATIONS"
    echo
    echo "Same, ROC AUC:"
    table zhai-contaminated roc_auc "$CONTAMINATED_ACTIVATIONS"
fi
if jq -e -s 'any(.[]; .failed != null)' "$RES" "$RES_C" > /dev/null; then
    echo
    echo "Failed training runs (not in the tables above; the mean of a seed with a failed digit is over the other digits):"
    jq -r 'select(.failed != null) | "- \(.part) digit \(.digit), \(.activation), seed \(.seed): \(.failed)"' "$RES" "$RES_C"
fi
