#!/usr/bin/env bash
# Instructions per operation, counted by callgrind (independent of machine noise).
#
# For each message and mode, runs examples/instructions.rs under callgrind with N=1 and
# N=1+ITERS iterations and prints (difference / ITERS): set-up and process start cancel out.
# Prints a Markdown table with the ratios the targets are stated in.
#
#   bash benches/instructions.sh                 # every message, every mode
#   bash benches/instructions.sh batch_64        # some messages
#   ITERS=100 bash benches/instructions.sh
#   BUILD_ONLY=1 bash benches/instructions.sh    # CI: build the binary, run nothing
#   BIN=/tmp/instructions-main bash benches/instructions.sh   # a binary built elsewhere
#
# To compare two trees in one session, build each (`cargo build --profile bench --example
# instructions`), copy each binary away, and run this once per binary with BIN.
set -euo pipefail
cd "$(dirname "$0")/.."

ITERS=${ITERS:-1000}

if [[ -n "${BIN:-}" ]]; then
    bin=$BIN
else
    # The bench profile (release + debug info), so callgrind_annotate can name lines.
    cargo build --quiet --profile bench --example instructions
    bin="$(cargo metadata --format-version 1 --no-deps \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/examples/instructions"
fi
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

# Instructions per operation of one message and mode.
per_op() {
    local lo hi
    lo=$(count "$1" "$2" 1)
    hi=$(count "$1" "$2" $((ITERS + 1)))
    python3 -c "print(round(($hi - $lo) / $ITERS))"
}

echo "| message | decode xentara-ws | minicbor skip | our skip | xentara / skip | ciborium | ciborium / xentara | encode xentara-ws | encode ciborium |"
echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|"
for msg in "${messages[@]}"; do
    dx=$(per_op "$msg" decode-xentara)
    ds=$(per_op "$msg" decode-minicbor-skip)
    sx=$(per_op "$msg" skip-xentara)
    dc=$(per_op "$msg" decode-ciborium)
    ex=$(per_op "$msg" encode-xentara)
    ec=$(per_op "$msg" encode-ciborium)
    python3 -c "print(f'| $msg | $dx | $ds | $sx | {$dx / $ds:.2f} | $dc | {$dc / $dx:.1f} | $ex | $ec |')"
done
# The seed request against hand-written references.
if [[ " ${messages[*]} " == *" close_sub_session "* ]]; then
    dx=$(per_op close_sub_session decode-xentara)
    dh=$(per_op close_sub_session decode-minicbor-hand)
    db=$(per_op close_sub_session decode-bytes)
    ex=$(per_op close_sub_session encode-xentara)
    eh=$(per_op close_sub_session encode-minicbor-hand)
    echo
    echo "| seed close_sub_session | xentara-ws | hand-written minicbor | ratio | plain byte reader | ratio |"
    echo "|---|--:|--:|--:|--:|--:|"
    python3 -c "print(f'| decode | $dx | $dh | {$dx / $dh:.2f} | $db | {$dx / $db:.1f} |')"
    python3 -c "print(f'| encode | $ex | $eh | {$ex / $eh:.2f} | | |')"
fi
