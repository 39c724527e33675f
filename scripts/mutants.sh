#!/usr/bin/env bash
# Mutation testing (cargo-mutants) over the code whose tests RESULTS.md's testing section vouches
# for: the activations (potential-kernels/src/activation.rs, the scalar specification that
# potential-activations documents), potential-models, and the CSAE's gradient code.
#
# Each scope keeps its own output under $OUT/<scope>/mutants.out and runs with --iterate: a run
# that is interrupted (or a session that ends) resumes where it stopped, skipping the mutants
# already caught, so the many CPU-hours can be spread over several sittings. At the end of each
# scope one JSON line is appended to results/mutants.jsonl: the counts (caught, missed, timeout,
# unviable), the commit, the machine and the wall time. The missed mutants are listed in
# $OUT/<scope>/mutants.out/missed.txt; each must be killed by a new test or explained in
# RESULTS.md ("Testing").
#
# Usage: scripts/mutants.sh [SCOPE ...]      (default: activations models csae-gradients)
# Env:   OUT (default target/mutants), JOBS (default 1: the tests use both cores already),
#        CARGO_MUTANTS (default: cargo mutants; installed by `cargo install cargo-mutants --locked`).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-target/mutants}
JOBS=${JOBS:-1}
read -r -a MUTANTS <<<"${CARGO_MUTANTS:-cargo mutants}"

scope_args() {
    case $1 in
        activations) echo "--package potential-kernels --file crates/potential-kernels/src/activation.rs \
            --test-package potential-kernels --test-package potential-activations --test-package potential-models" ;;
        # --all-features: the PCA autoencoder (feature `pca`) is part of the crate the scope vouches for.
        models) echo "--package potential-models --test-package potential-models --all-features" ;;
        csae-gradients) echo "--package potential-csae --file crates/potential-csae/src/finetune.rs \
            --file crates/potential-csae/src/factored/grad.rs --file crates/potential-csae/src/training/loss.rs \
            --test-package potential-csae" ;;
        *) echo "unknown scope $1 (activations, models, csae-gradients)" >&2; exit 2 ;;
    esac
}

for scope in "${@:-activations models csae-gradients}"; do
    for s in $scope; do
        read -r -a args <<<"$(scope_args "$s")"
        mkdir -p "$OUT/$s"
        t0=$(date +%s)
        started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
        rc=0
        "${MUTANTS[@]}" "${args[@]}" --iterate --jobs "$JOBS" --output "$OUT/$s" --no-shuffle || rc=$?
        # cargo-mutants exits 2 when mutants were missed, 3 on timeouts: both are results, not failures.
        case $rc in 0 | 2 | 3) ;; *) echo "cargo mutants failed on $s (exit $rc)" >&2; exit "$rc" ;; esac
        t1=$(date +%s)
        python3 - "$OUT/$s/mutants.out" "$s" "$((t1 - t0))" "$started" "$(git rev-parse --short HEAD)" \
            "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores" "${args[*]}" <<'EOF'
import json, os, sys
out, scope, seconds, started, commit, machine, args = sys.argv[1:]
def count(name):
    p = os.path.join(out, name)
    return sum(1 for l in open(p) if l.strip()) if os.path.exists(p) else 0
rec = {"scope": scope, "caught": count("caught.txt"), "missed": count("missed.txt"),
       "timeout": count("timeout.txt"), "unviable": count("unviable.txt"),
       "wall_seconds": int(seconds), "started": started, "commit": commit, "machine": machine,
       "command": f"cargo mutants {args} --iterate"}
print(json.dumps(rec))
with open("results/mutants.jsonl", "a") as f:
    f.write(json.dumps(rec) + "\n")
EOF
    done
done
