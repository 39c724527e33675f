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
# Prints two markdown tables and writes the raw JSON lines to $OUT/results.jsonl.
#
# Usage: scripts/novelty-mnist.sh            (from the repository root or anywhere)
# Env:   MNIST (default ../shared/datasets/mnist), OUT (default target/novelty-mnist),
#        HIDDEN (100), EPOCHS (10), ACTIVATIONS ("sigmoid relu"), DIGITS ("0 1 … 9"), THREADS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MNIST=${MNIST:-$ROOT/../shared/datasets/mnist}
OUT=${OUT:-$ROOT/target/novelty-mnist}
HIDDEN=${HIDDEN:-100}
EPOCHS=${EPOCHS:-10}
ACTIVATIONS=${ACTIVATIONS:-sigmoid relu}
DIGITS=${DIGITS:-0 1 2 3 4 5 6 7 8 9}
THREADS=${THREADS:-2}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    [ -e "$MNIST/$f" ] || { echo "missing $MNIST/$f (potential data fetch mnist …)" >&2; exit 1; }
done
cargo build --release -p potential-cli --bin potential --example novelty_testset
P=$TARGET/release/potential
MK=$TARGET/release/examples/novelty_testset
mkdir -p "$OUT"
RES=$OUT/results.jsonl
: > "$RES"

# Regularisation as the paper (Sec. 4.2): contractive for smooth activations, denoising otherwise.
reg() {
    case $1 in
        relu|modulus) echo "--denoise 0.3" ;;
        *) echo "--contractive 0.5" ;;
    esac
}

t_all=$(date +%s.%N)
for K in $DIGITS; do
    # Zhai et al. test set for digit K (inliers: every test K; outliers: 30% of the set).
    read -r n_in n_out < <("$MK" "$MNIST/t10k-images-idx3-ubyte" "$MNIST/t10k-labels-idx1-ubyte" "$K" 0.3 0 "$OUT/zhai-$K.npy")
    for A in $ACTIVATIONS; do
        M=$OUT/ae-$A-$K.safetensors
        t0=$(date +%s.%N)
        # shellcheck disable=SC2046
        "$P" train --data "$MNIST/train-images-idx3-ubyte" --labels "$MNIST/train-labels-idx1-ubyte" \
            --class "$K" --activation "$A" --hidden "$HIDDEN" $(reg "$A") --epochs "$EPOCHS" \
            --metric-rows 1000 --seed 1 --threads "$THREADS" --quiet --out "$M"
        t1=$(date +%s.%N)
        for S in energy reconstruction-error; do
            "$P" detect --model "$M" --data "$MNIST/t10k-images-idx3-ubyte" --labels "$MNIST/t10k-labels-idx1-ubyte" \
                --normal-class "$K" --score "$S" --threads "$THREADS" --json |
                jq -c --arg a "$A" --argjson k "$K" '{protocol:"one-class", activation:$a, digit:$k} + .' >> "$RES"
            "$P" detect --model "$M" --data "$OUT/zhai-$K.npy" --labels "$OUT/zhai-$K-labels.npy" \
                --normal-class "$K" --score "$S" --contamination 0.3 --threads "$THREADS" --json |
                jq -c --arg a "$A" --argjson k "$K" '{protocol:"zhai", activation:$a, digit:$k} + .' >> "$RES"
        done
        t2=$(date +%s.%N)
        printf 'digit %s %-8s train %.1f s, detect ×4 %.1f s (zhai set: %s normal + %s outliers)\n' \
            "$K" "$A" "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" "$n_in" "$n_out" >&2
    done
done
printf 'total %.1f s\n' "$(echo "$(date +%s.%N) - $t_all" | bc)" >&2

# Tables: one row per digit, columns activation × score; the mean in the last row.
table() { # $1 protocol, $2 metric
    jq -s -r --arg p "$1" --arg m "$2" --arg acts "$ACTIVATIONS" '
      ($acts | split(" ")) as $A
      | [.[] | select(.protocol == $p)] as $r
      | ([$A[] as $a | ["energy", "reconstruction-error"][] as $s | "\($a) \($s)"]) as $cols
      | "| digit | " + ($cols | join(" | ")) + " |",
        "|---|" + ($cols | map("---:") | join("|")) + "|",
        (($r | map(.digit) | unique)[] as $k
          | "| \($k) | " + ([$A[] as $a | ["energy", "reconstruction-error"][] as $s
              | ($r[] | select(.digit == $k and .activation == $a and .score == $s) | .[$m])
              | (. * 10000 | round / 10000 | tostring)] | join(" | ")) + " |"),
        "| **mean** | " + ([$A[] as $a | ["energy", "reconstruction-error"][] as $s
              | ([$r[] | select(.activation == $a and .score == $s) | .[$m]] | add / length)
              | (. * 10000 | round / 10000 | tostring)] | join(" | ")) + " |"
    ' "$RES"
}
echo
echo "One-class MNIST (10000 test images), ROC AUC:"
table one-class roc_auc
echo
echo "Zhai et al. protocol (30% outliers, contamination 0.3), F1 (outlier = positive):"
table zhai f1
