#!/usr/bin/env bash
# Coverage of the library's src/ by the union of the fuzz corpora (issue 19).
#
# Builds every target with coverage instrumentation (`cargo fuzz coverage`), runs it over
# its committed corpus (fuzz/corpus/<target>), merges the profiles and prints, from
# llvm-cov, the line and region coverage of src/ and the lines no corpus reaches, by file.
# Installs llvm-tools-preview for the nightly toolchain when missing. Not run by CI (it
# takes minutes); its result is recorded in fuzz/README.md.
#
#   bash fuzz/coverage.sh              # every target
#   bash fuzz/coverage.sh roundtrip    # some targets
#   UNCOVERED=0 bash fuzz/coverage.sh  # the summary only
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)
unset CARGO_TARGET_DIR

rustup +nightly component add llvm-tools-preview >/dev/null 2>&1 ||
    rustup +nightly component add llvm-tools-preview
sysroot=$(rustc +nightly --print sysroot)
tools=$(dirname "$(find "$sysroot" -name llvm-profdata -type f | head -n 1)")
if [ ! -x "$tools/llvm-cov" ]; then
    echo "fuzz/coverage.sh: no llvm-cov in $sysroot (llvm-tools-preview)" >&2
    exit 1
fi

if (($#)); then targets=("$@"); else mapfile -t targets < <(cargo +nightly fuzz list); fi
mkdir -p logs
profiles=()
objects=()
for target in "${targets[@]}"; do
    printf 'coverage: %s over %s inputs\n' "$target" "$(find "corpus/$target" -type f | wc -l)"
    if ! cargo +nightly fuzz coverage "$target" "corpus/$target" >"logs/coverage-$target.log" 2>&1; then
        tail -n 20 "logs/coverage-$target.log"
        echo "fuzz/coverage.sh: cargo fuzz coverage $target failed" >&2
        exit 1
    fi
    profiles+=("coverage/$target/coverage.profdata")
    objects+=(-object "target/x86_64-unknown-linux-gnu/coverage/x86_64-unknown-linux-gnu/release/$target")
done

"$tools/llvm-profdata" merge -sparse "${profiles[@]}" -o coverage/all.profdata
# Only the library's own files: src/ of the crate, not the targets, the tests or deps.
only_src="^$root/src/"
cov() {
    "$tools/llvm-cov" "$1" -instr-profile coverage/all.profdata "${objects[@]:1}" \
        --ignore-filename-regex='/(\.cargo|rustc|fuzz|tests)/' "${@:2}"
}

echo
cov report | sed "s|$root/||"
echo

# Uncovered lines per file, from the lcov export (DA:<line>,0).
if [ "${UNCOVERED:-1}" != 0 ]; then
    echo "lines no corpus reaches (file: lines):"
    cov export -format=lcov | awk -v only="$only_src" -v root="$root/" '
        /^SF:/ { file = substr($0, 4); keep = file ~ only; lines = ""; next }
        /^DA:/ && keep { split(substr($0, 4), f, ","); if (f[2] == 0) lines = lines " " f[1]; next }
        /^end_of_record/ && keep && lines != "" { sub(root, "", file); print "  " file ":" lines }
    '
fi
