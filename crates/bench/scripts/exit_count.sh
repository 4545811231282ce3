#!/bin/sh
# User-space instructions per operation, winhv against raw KVM, counted by
# callgrind: each side runs N and 2N operations of a row in its own process;
# (count(2N) - count(N)) / N cancels set-up and one-time costs. Prints the
# figure and the functions the extra instructions go to (self cost).
#
#   crates/bench/scripts/exit_count.sh [N] [ROW...]
#
# `perf stat -e instructions:u` would be the quicker tool, but on our PVM
# machines the counter is "<not supported>"; callgrind works (KVM ioctls
# included: valgrind knows KVM_RUN and the kvm_run mapping).
set -eu
N=${1:-1000}
shift || true
[ $# -gt 0 ] || set -- "port I/O exit round trip" "MMIO exit round trip" "HLT exit round trip" \
    "MMIO exit + TryMmioEmulation" "port I/O exit + TryIoEmulation"
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
cargo build --release -q -p winhv-bench --example exit_count --manifest-path "$ROOT/Cargo.toml" 2>/dev/null
BIN=$TARGET/release/examples/exit_count
for row in "$@"; do
    for side in kvm winhv; do
        for n in "$N" $((N * 2)); do
            valgrind --tool=callgrind --callgrind-out-file="$OUT/$side-$n.out" \
                "$BIN" "$side" "$n" "$row" >/dev/null 2>"$OUT/$side-$n.log" ||
                { echo "$row: $side: valgrind failed, see $OUT/$side-$n.log"; exit 1; }
        done
        echo "== $row: $side"
        python3 "$(dirname "$0")/cg_diff.py" "$OUT/$side-$N.out" "$OUT/$side-$((N * 2)).out" "$N" self 12
    done
done
