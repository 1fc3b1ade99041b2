#!/usr/bin/env bash
# Instructions per operation, counted by callgrind (independent of machine noise).
#
# For each message and mode, runs examples/instructions.rs under callgrind with N=1 and
# N=1+ITERS iterations and prints (difference / ITERS): set-up and process start cancel out.
#
#   bash benches/instructions.sh                 # every message, every mode
#   bash benches/instructions.sh batch_64        # some messages
#   ITERS=100 MODES="decode-xentara" bash benches/instructions.sh
#   BUILD_ONLY=1 bash benches/instructions.sh    # CI: build the binary, run nothing
set -euo pipefail
cd "$(dirname "$0")/.."

ITERS=${ITERS:-1000}
MODES=${MODES:-"decode-xentara decode-minicbor-skip decode-ciborium encode-xentara encode-ciborium"}

# The bench profile (release + debug info), so callgrind_annotate can name lines.
cargo build --quiet --profile bench --example instructions
bin="$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/examples/instructions"
"$bin" --list >/dev/null
if [[ -n "${BUILD_ONLY:-}" ]]; then
    echo "built $bin"
    exit 0
fi
command -v valgrind >/dev/null || { echo "valgrind not found (apt-get install valgrind)" >&2; exit 1; }

if [[ $# -gt 0 ]]; then
    messages=("$@")
else
    read -r -a messages <<<"$("$bin" --list | sed -n 's/^messages: //p') batch_8 batch_512"
fi

# Total instructions of one run.
count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$@" 2>&1 >/dev/null \
        | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

printf '%-18s' message
for mode in $MODES; do printf ' %20s' "$mode"; done
printf '\n'
for msg in "${messages[@]}"; do
    printf '%-18s' "$msg"
    for mode in $MODES; do
        lo=$(count "$msg" "$mode" 1)
        hi=$(count "$msg" "$mode" $((ITERS + 1)))
        printf ' %20s' "$(python3 -c "print(f'{($hi - $lo) / $ITERS:.1f}')")"
    done
    printf '\n'
done
