#!/usr/bin/env bash
# Run Table 2's rows (RESULTS.md, "Table 2 over five seeds") over several seeds, under the clean protocol (--pretrain-on train: no
# class model is pretrained on validation rows before the choices are made).
#
# Rows (the configurations an earlier, test-informed exploration settled on: RESULTS.md, "How the
# Table 2 configurations were found"; 60000 MNIST training images, the last
# 10000 of them the validation rows, then the 10000 test images):
#   sigmoid, modulus, linear   the unfactored CSAE with 500 hiddens per class. Per seed: the class
#       models pretrained once on the 50000 training rows (--pretrain-only --pretrain-on train) and
#       once on all 60000 (--pretrain-on all), then one `csae train --refit` that chooses the epoch
#       (and the learning rate of --grid-lr) on the validation rows starting from the first and
#       refits on all 60000 starting from the second (--pretrained / --pretrained-all).
#   sigmoid-validated   the sigmoid row with the finetuning schedule that scripts/table2_validation.sh
#       chose on validation rows alone (lowest mean validation error over seeds 1-3: `exp:0.95`
#       instead of `exp:0.9`; RESULTS.md, "How the Table 2 configurations were found"). Its
#       pretraining is the sigmoid row's, and the pretrained files are shared with that row.
#   modulus-validated   likewise for the modulus row: a constant finetuning rate of 0.006 (no grid,
#       no schedule) instead of `exp:0.9` with the rate chosen from {0.003, 0.006}.
#   linear-validated   likewise for the linear row: finetuning input mask 0.1 at rate 0.002 (with
#       `exp:0.9`) instead of mask 0.2 with the rate chosen from {0.002, 0.004}.
#   tanh-factored, modulus-factored, relu-factored, square-factored   the factored CSAE: for
#       F = H = 200 and 500 a validation run (pretraining and finetuning on the 50000 training
#       rows, best epoch kept on the validation rows); the size with the lower validation error is
#       refit on all 60000 for its kept epoch count. Pretraining that diverges is retried with both
#       learning rates divided by 3 (twice at most), as the exploration's factored runs were.
# then `csae eval --json` on the test images. Test errors are never used for a choice.
#
# ONE run at a time. Each finished (row, seed) appends one JSON line to $TABLE2_OUT:
#   {"table": "2", "row", "seed", "command", "commit", "protocol": "pretrain-on train",
#    "valid_error", "test_error", "wall_seconds", "machine", "started", ...}
# (errors are fractions; "command" is the shell line of every step joined by &&; "wall_seconds"
# is the sum of "step_seconds", the time of each step including the pretraining and validation
# runs reused from an earlier, interrupted attempt; "chosen" the choice made on the validation
# rows) and a (row, seed) already there is skipped, so an interrupted run resumes where it stopped.
# Intermediate files (pretrained models, validation-run models, logs) stay in $TABLE2_WORK and are
# reused on resume: a pretraining or validation run whose file exists is not run again.
#
# TABLES_ONLY=1 prints the Markdown table of the results file (scripts/results_table.py).
# TABLE2_SMOKE=1 is a quick check of the script itself, not a result: the first 2000 training
# rows (500 of them validation), the first 1000 test rows, 20 hiddens (factored: F = H = 10 and
# 20), one epoch of everything; its records carry "smoke": true and its files go to
# target/table2-smoke unless TABLE2_WORK says otherwise.
#
# Usage: scripts/table2.sh                       (from the repository root or anywhere)
# Env:   POTENTIAL_BIN (default target/release/potential; build it with
#        `cargo build --release -p potential-cli`), POTENTIAL_DATASETS (the datasets folder holding
#        mnist/; default: shared/datasets found walking up from the repository), TABLE2_WORK
#        (default target/table2), TABLE2_OUT (default results/table2.jsonl), ROWS (default all
#        ten: the seven of the paper, then the three -validated rows), SEEDS (default "1 2 3 4 5"),
#        THREADS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SMOKE=${TABLE2_SMOKE:-0}
OUT=${TABLE2_OUT:-$ROOT/results/table2.jsonl}
if [ "$SMOKE" = 1 ]; then
    WORK=${TABLE2_WORK:-$ROOT/target/table2-smoke}
else
    WORK=${TABLE2_WORK:-$ROOT/target/table2}
fi
ROWS=${ROWS:-sigmoid modulus linear tanh-factored modulus-factored relu-factored square-factored sigmoid-validated modulus-validated linear-validated}
SEEDS=${SEEDS:-1 2 3 4 5}
THREADS=${THREADS:-2}
P=${POTENTIAL_BIN:-$ROOT/target/release/potential}
PROTOCOL="pretrain-on train"

if [ "${TABLES_ONLY:-0}" = 1 ]; then
    exec python3 "$ROOT/scripts/results_table.py" "$OUT"
fi

# The shared datasets folder, found as the tests find it (potential_data::datasets_dir).
datasets() {
    if [ -n "${POTENTIAL_DATASETS:-}" ]; then
        echo "$POTENTIAL_DATASETS"
        return
    fi
    local d=$ROOT
    while :; do
        if [ -d "$d/shared/datasets" ]; then
            echo "$d/shared/datasets"
            return
        fi
        [ "$d" = / ] && break
        d=$(dirname "$d")
    done
    echo "no shared/datasets folder found above $ROOT: set POTENTIAL_DATASETS" >&2
    exit 1
}
MNIST=$(datasets)/mnist
# An MNIST file, raw or gzipped.
mnist() {
    if [ -e "$MNIST/$1" ]; then echo "$MNIST/$1"; elif [ -e "$MNIST/$1.gz" ]; then echo "$MNIST/$1.gz"; else
        echo "missing $MNIST/$1 (or .gz): potential data fetch mnist --dir $MNIST" >&2
        exit 1
    fi
}
if [ ! -x "$P" ]; then
    echo "no potential binary at $P: cargo build --release -p potential-cli, or set POTENTIAL_BIN" >&2
    exit 1
fi
mkdir -p "$WORK/pre" "$WORK/models" "$WORK/logs" "$(dirname "$OUT")"
touch "$OUT"

# The first N rows of a .npy file (features [n, d] or labels [n]) into another .npy file.
npy_head() {
    python3 - "$1" "$2" "$3" <<'EOF'
import ast, struct, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
b = open(src, "rb").read()
assert b[:6] == b"\x93NUMPY", src
(hl, off) = (struct.unpack("<H", b[8:10])[0], 10) if b[6] == 1 else (struct.unpack("<I", b[8:12])[0], 12)
h = ast.literal_eval(b[off:off + hl].decode("latin1"))
shape = h["shape"]
assert n <= shape[0] and not h["fortran_order"], (src, shape)
row = int(h["descr"][2:]) * (shape[1] if len(shape) > 1 else 1)
data = b[off + hl: off + hl + n * row]
head = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (h["descr"], ", ".join([str(n)] + [str(s) for s in shape[1:]]) + ("," if len(shape) == 1 else ""))
pad = 64 - (10 + len(head) + 1) % 64
open(dst, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(head) + pad + 1) + head.encode("latin1") + b" " * pad + b"\n" + data)
EOF
}

if [ "$SMOKE" = 1 ]; then
    # 2000 training rows (the last 500 validation), 1000 test rows, as .npy files.
    d=$WORK/data
    mkdir -p "$d"
    if [ ! -f "$d/t10k-labels.npy" ]; then
        "$P" data convert "$(mnist train-images-idx3-ubyte)" "$d/train-all.npy" \
            --labels "$(mnist train-labels-idx1-ubyte)" --labels-out "$d/train-all-labels.npy"
        "$P" data convert "$(mnist t10k-images-idx3-ubyte)" "$d/t10k-all.npy" \
            --labels "$(mnist t10k-labels-idx1-ubyte)" --labels-out "$d/t10k-all-labels.npy"
        npy_head "$d/train-all.npy" "$d/train.npy" 2000
        npy_head "$d/train-all-labels.npy" "$d/train-labels.npy" 2000
        npy_head "$d/t10k-all.npy" "$d/t10k.npy" 1000
        npy_head "$d/t10k-all-labels.npy" "$d/t10k-labels.npy" 1000
        rm -f "$d/train-all.npy" "$d/train-all-labels.npy" "$d/t10k-all.npy" "$d/t10k-all-labels.npy"
    fi
    TRAIN_X=$d/train.npy TRAIN_Y=$d/train-labels.npy TEST_X=$d/t10k.npy TEST_Y=$d/t10k-labels.npy
    VALID_ROWS=500 HIDDEN=20 SIZES="10 20"
else
    TRAIN_X=$(mnist train-images-idx3-ubyte) TRAIN_Y=$(mnist train-labels-idx1-ubyte)
    TEST_X=$(mnist t10k-images-idx3-ubyte) TEST_Y=$(mnist t10k-labels-idx1-ubyte)
    VALID_ROWS=10000 HIDDEN=500 SIZES="200 500"
fi

# Epochs: the configuration's count, 1 in the smoke check.
ep() { if [ "$SMOKE" = 1 ]; then echo 1; else echo "$1"; fi; }

# Unfactored rows: the pretraining arguments (the same for --pretrain-only and the finetuning
# run) and the finetuning arguments, from the exploration's commands (sigmoid: its run I; modulus
# and linear: its session-4 rows; `git show d3a73cf:RESULTS.md` has them).
pre_args() {
    case $1 in
        sigmoid | sigmoid-validated) echo "--activation sigmoid --output binary --hidden $HIDDEN --contractive 0.2 --pretrain-epochs $(ep 60) --pretrain-lr 0.02 --init-scale 1" ;;
        modulus | modulus-validated) echo "--activation modulus --hidden $HIDDEN --denoise 0.2 --pretrain-epochs $(ep 30) --pretrain-lr 0.001 --init-scale 1" ;;
        linear | linear-validated) echo "--activation linear --hidden $HIDDEN --contractive 0.2 --pretrain-epochs $(ep 30) --pretrain-lr 0.001 --init-scale 1" ;;
    esac
}
ft_args() {
    case $1 in
        sigmoid) echo "--refit --patience 8 --lr 0.03 --lr-schedule exp:0.9 --finetune-mask 0.1 --finetune-epochs $(ep 30)" ;;
        sigmoid-validated) echo "--refit --patience 8 --lr 0.03 --lr-schedule exp:0.95 --finetune-mask 0.1 --finetune-epochs $(ep 30)" ;;
        modulus) echo "--refit --patience 6 --grid-lr 0.003,0.006 --lr-schedule exp:0.9 --finetune-mask 0.2 --finetune-epochs $(ep 30)" ;;
        modulus-validated) echo "--refit --patience 6 --lr 0.006 --lr-schedule constant --finetune-mask 0.2 --finetune-epochs $(ep 30)" ;;
        linear) echo "--refit --patience 6 --grid-lr 0.002,0.004 --lr-schedule exp:0.9 --finetune-mask 0.2 --finetune-epochs $(ep 30)" ;;
        linear-validated) echo "--refit --patience 6 --lr 0.002 --lr-schedule exp:0.9 --finetune-mask 0.1 --finetune-epochs $(ep 30)" ;;
    esac
}
# Factored rows: activation, pretraining and finetuning learning rates (the exploration: 0.003 / 0.01,
# modulus 0.001 / 0.00333 after diverging at 0.003).
factored() {
    case $1 in
        tanh-factored) echo "tanh 0.003 0.01" ;;
        modulus-factored) echo "modulus 0.001 0.00333" ;;
        relu-factored) echo "relu 0.003 0.01" ;;
        square-factored) echo "square 0.003 0.01" ;;
        *) return 1 ;;
    esac
}
for r in $ROWS; do
    if [ -z "$(pre_args "$r")" ] && ! factored "$r" >/dev/null; then
        echo "unknown row $r (sigmoid, modulus, linear, tanh-factored, modulus-factored, relu-factored, square-factored, sigmoid-validated, modulus-validated, linear-validated)" >&2
        exit 2
    fi
done

# The checkout's commit, "-dirty" when files other than results/ differ from it or are untracked.
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$ROOT" status --porcelain -- . ':(exclude)results' 2>/dev/null)" ]; then COMMIT=$COMMIT-dirty; fi
BINARY="$P ($("$P" --version))"
MACHINE="$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//') ×$(nproc) ($(uname -n))"

# Run `potential ARGS…`, its output in LOG; the shell line goes to the record's command list.
STEPS=()
run() {
    local log=$1
    shift
    local line="potential $*"
    STEPS+=("$line")
    echo "  \$ $line"
    "$P" "$@" >"$log" 2>&1 || {
        echo "failed (see $log):" >&2
        tail -n 5 "$log" >&2
        return 1
    }
}
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 1))" "$1" "$2"; }
# Seconds of a step that made FILE: measured now, or read back from FILE.seconds on resume.
timed() {
    local file=$1
    shift
    if [ -f "$file" ] && [ -f "$file.seconds" ]; then
        echo "  (reusing $file)"
        STEPS+=("$(cat "$file.cmd")")
        SECONDS_STEP=$(cat "$file.seconds")
        return
    fi
    local t0 t1 before=${#STEPS[@]}
    t0=$(now)
    "$@" || return 1
    t1=$(now)
    SECONDS_STEP=$(elapsed "$t0" "$t1")
    printf '%s\n' "${STEPS[@]:$before}" >"$file.cmd"
    echo "$SECONDS_STEP" >"$file.seconds"
}

done_already() {
    python3 - "$OUT" "$1" "$2" "$PROTOCOL" "$SMOKE" <<'EOF'
import json, sys
out, row, seed, protocol, smoke = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5] == "1"
for line in open(out):
    if line.strip():
        r = json.loads(line)
        if (r.get("table"), r.get("row"), r.get("seed"), r.get("protocol"), bool(r.get("smoke"))) == ("2", row, seed, protocol, smoke):
            sys.exit(0)
sys.exit(1)
EOF
}

unfactored() {
    # A "-validated" row pretrains as its row does: the same files.
    local r=$1 s=$2 pre_tr=$WORK/pre/${1%-validated}-s$2-train.safetensors pre_all=$WORK/pre/${1%-validated}-s$2-all.safetensors
    local model=$WORK/models/$r-s$s.safetensors base
    read -r -a pre <<<"$(pre_args "$r")"
    read -r -a ft <<<"$(ft_args "$r")"
    base=(csae train --data "$TRAIN_X" --labels "$TRAIN_Y" "${pre[@]}" --valid-rows "$VALID_ROWS" --seed "$s" --threads "$THREADS")
    timed "$pre_tr" run "$WORK/logs/$r-s$s-pre-train.log" "${base[@]}" --pretrain-only --pretrain-on train --out "$pre_tr"
    STEP_SECONDS+=("pretrain-train=$SECONDS_STEP")
    timed "$pre_all" run "$WORK/logs/$r-s$s-pre-all.log" "${base[@]}" --pretrain-only --pretrain-on all --out "$pre_all"
    STEP_SECONDS+=("pretrain-all=$SECONDS_STEP")
    local log=$WORK/logs/$r-s$s.log t0 t1
    t0=$(now)
    run "$log" "${base[@]}" --pretrain-on train --pretrained "$pre_tr" --pretrained-all "$pre_all" "${ft[@]}" --out "$model"
    t1=$(now)
    STEP_SECONDS+=("select-and-refit=$(elapsed "$t0" "$t1")")
    CHOSEN=$(grep -m1 "^chosen: " "$log" || true)
    VALID=$(grep -o "validation error [0-9.]*%" <<<"$CHOSEN" | grep -o "[0-9.]*" || true)
    MODEL=$model
}

factored_row() {
    local r=$1 s=$2 act plr flr best="" best_err="" best_epoch="" size log
    read -r act plr flr <<<"$(factored "$r")"
    for size in $SIZES; do
        local val=$WORK/models/$r-s$s-f$size-val.safetensors
        log=$WORK/logs/$r-s$s-f$size-val.log
        if [ ! -f "$val.seconds" ] || [ ! -f "$val.params" ]; then
            local p=$plr f=$flr try
            rm -f "$val" "$val.cmd" "$val.seconds" "$val.params"
            for try in 1 2 3; do
                if timed "$val" run "$log" csae train --data "$TRAIN_X" --labels "$TRAIN_Y" --activation "$act" \
                    --factors "$size" --hidden "$size" --denoise 0.2 --pretrain-epochs "$(ep 10)" --pretrain-lr "$p" \
                    --finetune-epochs "$(ep 30)" --lr "$f" --patience 8 --valid-rows "$VALID_ROWS" --seed "$s" \
                    --threads "$THREADS" --out "$val"; then
                    break
                fi
                unset 'STEPS[${#STEPS[@]}-1]'
                if ! grep -q "pretraining diverged" "$log" || [ "$try" = 3 ]; then
                    exit 1
                fi
                p=$(python3 -c "print(f'{$p / 3:.3g}')")
                f=$(python3 -c "print(f'{$f / 3:.3g}')")
                echo "  pretraining diverged: learning rates / 3 ($p, $f)"
            done
            echo "$p $f" >"$val.params"
        else
            timed "$val" true
        fi
        STEP_SECONDS+=("valid-f$size=$SECONDS_STEP")
        local kept err
        kept=$(grep -m1 "^kept epoch " "$log")
        err=$(grep -o "validation error [0-9.]*%" <<<"$kept" | grep -o "[0-9.]*")
        echo "  F = H = $size: $kept"
        if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $err < $best_err else 1)"; then
            best=$size best_err=$err best_epoch=$(grep -o "^kept epoch [0-9]*" <<<"$kept" | grep -o "[0-9]*$")
            read -r BEST_PLR BEST_FLR <"$val.params"
        fi
    done
    MODEL=$WORK/models/$r-s$s.safetensors
    log=$WORK/logs/$r-s$s.log
    local t0 t1
    t0=$(now)
    run "$log" csae train --data "$TRAIN_X" --labels "$TRAIN_Y" --activation "$act" --factors "$best" \
        --hidden "$best" --denoise 0.2 --pretrain-epochs "$(ep 10)" --pretrain-lr "$BEST_PLR" \
        --finetune-epochs "$best_epoch" --lr "$BEST_FLR" --seed "$s" --threads "$THREADS" --out "$MODEL"
    t1=$(now)
    STEP_SECONDS+=("refit=$(elapsed "$t0" "$t1")")
    CHOSEN="chosen: factors $best, hidden $best, lr $BEST_FLR, $best_epoch epochs (validation error $best_err%); refit on all rows"
    VALID=$best_err
}

if [ "${TABLE2_SOURCE_ONLY:-0}" = 1 ]; then
    return 0
fi

for r in $ROWS; do
    for s in $SEEDS; do
        if done_already "$r" "$s"; then
            echo "== $r / seed $s: done already"
            continue
        fi
        echo "== $r / seed $s"
        STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
        STEPS=()
        STEP_SECONDS=()
        if factored "$r" >/dev/null; then factored_row "$r" "$s"; else unfactored "$r" "$s"; fi
        eval_log=$WORK/logs/$r-s$s-eval.log
        t0=$(now)
        run "$eval_log" csae eval --model "$MODEL" --data "$TEST_X" --labels "$TEST_Y" --threads "$THREADS" --json
        t1=$(now)
        STEP_SECONDS+=("eval=$(elapsed "$t0" "$t1")")
        TEST=$(python3 -c 'import json, sys; print(json.loads([l for l in open(sys.argv[1]) if l.startswith("{")][-1])["error_rate"])' "$eval_log")
        python3 - "$OUT" "$r" "$s" "$COMMIT" "$PROTOCOL" "${VALID:-}" "$TEST" "$MACHINE" "$STARTED" "$CHOSEN" \
            "$SMOKE" "$BINARY" "${STEP_SECONDS[*]}" "${STEPS[@]}" <<'EOF'
import json, sys
(out, row, seed, commit, protocol, valid, test, machine, started, chosen, smoke, binary, seconds), steps = sys.argv[1:14], sys.argv[14:]
step_seconds = {k: float(v) for k, v in (kv.split("=") for kv in seconds.split())}
if not valid:
    sys.exit(f"{row} / seed {seed}: no validation error in the training log ({chosen!r})")
rec = {
    "table": "2", "row": row, "seed": int(seed), "command": " && ".join(steps), "commit": commit,
    "protocol": protocol, "valid_error": round(float(valid) / 100, 6), "test_error": float(test),
    "wall_seconds": round(sum(step_seconds.values()), 1), "machine": machine, "started": started,
    "step_seconds": step_seconds, "chosen": chosen, "binary": binary,
}
if smoke == "1":
    rec["smoke"] = True
with open(out, "a") as f:
    f.write(json.dumps(rec) + "\n")
EOF
        echo "== $r / seed $s: validation ${VALID:-?}%, test $(python3 -c "print(f'{100*$TEST:.2f}')")%"
    done
done
python3 "$ROOT/scripts/results_table.py" "$OUT" $([ "$SMOKE" = 1 ] && echo --include-smoke)
