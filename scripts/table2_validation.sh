#!/usr/bin/env bash
# Table 2's unfactored configurations (RESULTS.md, "How the Table 2 configurations were found") scored
# again on validation rows only, under the clean protocol: each variant changes one or more settings
# of a row's configuration in scripts/table2.sh, pretrains the class models on the 50000 training rows
# (--pretrain-only --pretrain-on train; shared with scripts/table2.sh's files when the pretraining
# settings are the row's own), finetunes on them and keeps the epoch with the lowest error on the
# validation rows (the last 10000 training images). No refit, no test image is read.
#
# Each line of VARIANTS is `ROW NAME [FLAG VALUE]...`: the flags replace the row's values (VALUE `on`
# adds a switch such as --pretrain-renormalize). --grid-lr and --refit of the row are dropped, so a
# variant names its --lr (the modulus and linear rows chose theirs from a grid). Every variant runs
# for every seed in SEEDS (default 1).
#
# Each finished (row, variant, seed) appends one JSON line to $OUT (default
# results/table2-validation.jsonl):
#   {"table": "2-validation", "row", "variant", "seed", "overrides", "command", "commit", "protocol",
#    "valid_error", "kept_epoch", "wall_seconds", "step_seconds", "machine", "started", "binary"}
# (errors are fractions) and one already there is skipped, so an interrupted run resumes; a
# pretraining whose file exists in $TABLE2_WORK/pre is reused.
#
# TABLES_ONLY=1 prints the table of mean validation error per variant (scripts/results_table.py).
#
# Env: as scripts/table2.sh (POTENTIAL_BIN, POTENTIAL_DATASETS, TABLE2_WORK, THREADS), plus OUT,
# SEEDS and VARIANTS. TABLE2_SMOKE=1 is scripts/table2.sh's quick check of the script (its small data,
# one epoch of each row's own settings; records marked "smoke": true).
set -euo pipefail
cd "$(dirname "$0")/.."
VOUT=${OUT:-$(pwd)/results/table2-validation.jsonl}
if [ "${TABLES_ONLY:-0}" = 1 ]; then
    exec python3 scripts/results_table.py $([ "${TABLE2_SMOKE:-0}" = 1 ] && echo --include-smoke) "$VOUT"
fi
VSEEDS=${SEEDS:-1}
TABLE2_SOURCE_ONLY=1 TABLE2_OUT=/dev/null ROWS="sigmoid modulus linear" source scripts/table2.sh
touch "$VOUT"

VARIANTS=${VARIANTS:-"sigmoid base
sigmoid lr-0.01 --lr 0.01
sigmoid lr-0.1 --lr 0.1
sigmoid constant --lr-schedule constant
sigmoid exp-0.95 --lr-schedule exp:0.95
sigmoid mask-0.2 --finetune-mask 0.2
sigmoid mask-0 --finetune-mask 0
sigmoid pre-30 --pretrain-epochs 30
sigmoid renormalize --pretrain-renormalize on
modulus lr-0.003 --lr 0.003
modulus lr-0.006 --lr 0.006
modulus constant-lr-0.003 --lr 0.003 --lr-schedule constant
modulus constant-lr-0.006 --lr 0.006 --lr-schedule constant
modulus mask-0.1-lr-0.003 --lr 0.003 --finetune-mask 0.1
linear lr-0.002 --lr 0.002
linear lr-0.004 --lr 0.004
linear constant-lr-0.002 --lr 0.002 --lr-schedule constant
linear constant-lr-0.004 --lr 0.004 --lr-schedule constant
linear mask-0.1-lr-0.002 --lr 0.002 --finetune-mask 0.1"}

# In the array A: give FLAG the value VALUE (replacing its value, or appending FLAG VALUE; VALUE `on`
# appends the switch FLAG).
set_flag() {
    local f=$1 v=$2 i
    for i in "${!A[@]}"; do
        if [ "${A[$i]}" = "$f" ]; then
            if [ "$v" = on ]; then return; fi
            A[i + 1]=$v
            return
        fi
    done
    if [ "$v" = on ]; then A+=("$f"); else A+=("$f" "$v"); fi
}
# Flags of pretraining (the rest belong to finetuning).
is_pre_flag() {
    case $1 in
        --pretrain-* | --contractive | --denoise | --init-scale | --output | --hidden | --activation) return 0 ;;
        *) return 1 ;;
    esac
}

recorded() {
    python3 - "$VOUT" "$1" "$2" "$3" <<'EOF'
import json, sys
out, row, variant, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for line in open(out):
    if line.strip():
        r = json.loads(line)
        if (r.get("table"), r.get("row"), r.get("variant"), r.get("seed")) == ("2-validation", row, variant, seed):
            sys.exit(0)
sys.exit(1)
EOF
}

while read -r r name overrides; do
    [ -n "$r" ] || continue
    if [ -z "$(pre_args "$r")" ]; then
        echo "unknown row $r in VARIANTS (sigmoid, modulus, linear)" >&2
        exit 2
    fi
    read -r -a ov <<<"$overrides"
    if [ $((${#ov[@]} % 2)) != 0 ]; then
        echo "variant $r $name: flags and values do not pair up: $overrides" >&2
        exit 2
    fi
    for s in $VSEEDS; do
        if recorded "$r" "$name" "$s"; then
            echo "== $r / $name / seed $s: recorded already"
            continue
        fi
        echo "== $r / $name / seed $s"
        STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
        STEPS=()
        STEP_SECONDS=()
        read -r -a A <<<"$(pre_args "$r")"
        pre_changed=""
        for ((i = 0; i < ${#ov[@]}; i += 2)); do
            if is_pre_flag "${ov[i]}"; then
                set_flag "${ov[i]}" "${ov[i + 1]}"
                pre_changed=1
            fi
        done
        pre=("${A[@]}")
        # The row's finetuning arguments without the selection (--refit, --grid-lr VALUES).
        read -r -a F <<<"$(ft_args "$r")"
        A=()
        for ((i = 0; i < ${#F[@]}; i++)); do
            case ${F[i]} in
                --refit) ;;
                --grid-lr) i=$((i + 1)) ;;
                *) A+=("${F[i]}") ;;
            esac
        done
        for ((i = 0; i < ${#ov[@]}; i += 2)); do
            if ! is_pre_flag "${ov[i]}"; then set_flag "${ov[i]}" "${ov[i + 1]}"; fi
        done
        ft=("${A[@]}")
        if [ -n "$pre_changed" ]; then
            pre_tr=$WORK/pre/$r-$name-s$s-train.safetensors
        else
            pre_tr=$WORK/pre/$r-s$s-train.safetensors
        fi
        base=(csae train --data "$TRAIN_X" --labels "$TRAIN_Y" "${pre[@]}" --valid-rows "$VALID_ROWS" --seed "$s" --threads "$THREADS")
        timed "$pre_tr" run "$WORK/logs/$(basename "$pre_tr" .safetensors).log" "${base[@]}" --pretrain-only --pretrain-on train --out "$pre_tr"
        STEP_SECONDS+=("pretrain-train=$SECONDS_STEP")
        model=$WORK/models/$r-$name-s$s-val.safetensors
        log=$WORK/logs/$r-$name-s$s-val.log
        t0=$(now)
        run "$log" "${base[@]}" --pretrain-on train --pretrained "$pre_tr" "${ft[@]}" --out "$model"
        t1=$(now)
        STEP_SECONDS+=("finetune=$(elapsed "$t0" "$t1")")
        kept=$(grep -m1 "^kept epoch " "$log" || true)
        python3 - "$VOUT" "$r" "$name" "$s" "$overrides" "$COMMIT" "$PROTOCOL" "$kept" "$MACHINE" "$STARTED" \
            "$BINARY" "$SMOKE" "${STEP_SECONDS[*]}" "${STEPS[@]}" <<'EOF'
import json, re, sys
(out, row, variant, seed, overrides, commit, protocol, kept, machine, started, binary, smoke, seconds), steps = sys.argv[1:14], sys.argv[14:]
m = re.match(r"kept epoch (\d+) \(validation error ([0-9.]+)%\)", kept)
if not m:
    sys.exit(f"{row} / {variant} / seed {seed}: no 'kept epoch' line in the training log ({kept!r})")
step_seconds = {k: float(v) for k, v in (kv.split("=") for kv in seconds.split())}
rec = {
    "table": "2-validation", "row": row, "variant": variant, "seed": int(seed), "overrides": overrides,
    "command": " && ".join(steps), "commit": commit, "protocol": protocol,
    "valid_error": round(float(m.group(2)) / 100, 6), "kept_epoch": int(m.group(1)),
    "wall_seconds": round(sum(step_seconds.values()), 1), "step_seconds": step_seconds,
    "machine": machine, "started": started, "binary": binary,
}
if smoke == "1":
    rec["smoke"] = True
with open(out, "a") as f:
    f.write(json.dumps(rec) + "\n")
print(f"== {row} / {variant} / seed {seed}: validation {100 * rec['valid_error']:.2f}% (epoch {rec['kept_epoch']})")
EOF
    done
done <<<"$VARIANTS"
python3 scripts/results_table.py $([ "$SMOKE" = 1 ] && echo --include-smoke) "$VOUT"
