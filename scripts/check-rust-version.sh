#!/usr/bin/env bash
# Check each publishable crate's rust-version with cargo's rust-version-aware resolver: the crate is
# packaged, unpacked on its own (its sibling crates patched in from their packages), and its
# dependencies resolved afresh for its rust-version. Cargo marks every dependency it can only
# satisfy with a version that needs a newer Rust ("requires Rust X"); such a normal or build
# dependency makes the stated rust-version untrue and this script fail, as does a sibling crate
# (a path dependency, which the resolver does not check) with a higher rust-version. Dev-dependencies
# only build the crate's own tests and are reported, not counted.
#
# Usage: scripts/check-rust-version.sh      (needs the crates.io index; builds nothing)
set -euo pipefail
cd "$(dirname "$0")/.."
crates=(potential-kernels potential-activations potential-models potential-data potential-train potential-csae
    potential potential-cli)
args=()
for c in "${crates[@]}"; do args+=(-p "$c"); done
cargo package --allow-dirty --no-verify "${args[@]}" >/dev/null 2>&1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/.cargo"
echo '[patch.crates-io]' >"$tmp/.cargo/config.toml"
for c in "${crates[@]}"; do
    tar xzf "target/package/$c-0.1.0.crate" -C "$tmp"
    [ "$c" = potential-cli ] || echo "$c = { path = \"$tmp/$c-0.1.0\" }" >>"$tmp/.cargo/config.toml"
done
bad=0
for c in "${crates[@]}"; do
    dir="$tmp/$c-0.1.0"
    rv=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' "$dir/Cargo.toml")
    rm -f "$dir/Cargo.lock"
    out=$(cd "$dir" && cargo generate-lockfile 2>&1)
    normal=$(cd "$dir" && cargo tree -e normal,build --all-features --prefix none 2>/dev/null | awk '{print $1}' | sort -u)
    flagged=$(grep -E 'requires Rust' <<<"$out" | grep -vE 'available: ' | awk '{print $2}' || true)
    real=""
    for p in $flagged; do
        if grep -qx "$p" <<<"$normal"; then real="$real $p"; fi
    done
    # The crates of this workspace come in by path, which the resolver does not check: compare.
    for p in $(grep -E '^potential' <<<"$normal" | grep -vx "$c"); do
        theirs=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' "$tmp/$p-0.1.0/Cargo.toml")
        if [ "$(printf '%s\n%s\n' "$theirs" "$rv" | sort -V | tail -n 1)" != "$rv" ]; then
            real="$real $p($theirs)"
        fi
    done
    if [ -n "$real" ]; then
        echo "$c (rust-version $rv): dependencies need a newer Rust:$real"
        grep -E 'requires Rust' <<<"$out"
        bad=1
    else
        echo "$c (rust-version $rv): every normal and build dependency resolves${flagged:+ (dev-only newer: $(echo $flagged))}"
    fi
done
exit $bad
