#!/usr/bin/env bash
# Coverage of the library's src/ by the union of the fuzz corpora.
#
# Builds every target with coverage instrumentation (`cargo fuzz coverage`), runs it over
# its committed corpus (fuzz/corpus/<target>), exports each target's coverage with llvm-cov
# and prints their union: the region, function and line coverage of src/ by file, and the
# lines no corpus reaches. Installs cargo-fuzz and llvm-tools-preview for the nightly
# toolchain when missing; needs a nightly toolchain and python3. Not run by CI (it takes
# minutes); its result is recorded in fuzz/README.md.
#
#   bash fuzz/coverage.sh              # every target
#   bash fuzz/coverage.sh roundtrip    # some targets
#   UNCOVERED=0 bash fuzz/coverage.sh  # the summary only
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)
unset CARGO_TARGET_DIR

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz/coverage.sh: needs a nightly toolchain (rustup toolchain install nightly)" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
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
for target in "${targets[@]}"; do
    printf 'coverage: %s over %s inputs\n' "$target" "$(find "corpus/$target" -type f | wc -l)"
    if ! cargo +nightly fuzz coverage "$target" "corpus/$target" >"logs/coverage-$target.log" 2>&1; then
        tail -n 20 "logs/coverage-$target.log"
        echo "fuzz/coverage.sh: cargo fuzz coverage $target failed" >&2
        exit 1
    fi
done

# The union of what the targets reach. Not `llvm-profdata merge` of every profile read
# through every binary at once: a function that one binary does not use carries another
# hash there, and llvm-cov then drops the counts the other binaries have for it ("N
# functions have mismatched data"), reporting code as missed that a corpus does reach.
# Instead each binary is read with its own profile and the results are joined here: a
# line, region or function is covered when one target covers it. Lines are counted once
# each (as in the lcov export), not once per function that spans them as llvm-cov's report
# does; regions are code regions, and a function is all its instantiations.
if ! command -v python3 >/dev/null; then
    echo "fuzz/coverage.sh: needs python3 to join the targets' coverage" >&2
    exit 1
fi
mkdir -p coverage/export
exports=()
for target in "${targets[@]}"; do
    object="target/x86_64-unknown-linux-gnu/coverage/x86_64-unknown-linux-gnu/release/$target"
    # (llvm-cov's `-format=text` export is its JSON.)
    for format in json lcov; do
        "$tools/llvm-cov" export -format="${format/json/text}" \
            -instr-profile "coverage/$target/coverage.profdata" "$object" \
            --ignore-filename-regex='/(\.cargo|rustc|fuzz|tests)/' >"coverage/export/$target.$format"
    done
    exports+=("coverage/export/$target")
done

echo
python3 - "$root/src/" "${UNCOVERED:-1}" "${exports[@]}" <<'PY'
import collections, json, sys

only, uncovered, exports = sys.argv[1], sys.argv[2] != "0", sys.argv[3:]
lines = collections.defaultdict(dict)  # file -> line -> covered
regions = collections.defaultdict(dict)  # file -> (start, end) -> covered
functions = collections.defaultdict(dict)  # file -> where it starts -> covered

def join(table, key, covered):
    table[key] = table.get(key, False) or covered

for export in exports:
    name = None
    for line in open(export + ".lcov"):
        if line.startswith("SF:"):
            name = line[3:].strip()
        elif line.startswith("DA:") and name.startswith(only):
            number, count = line[3:].split(",")[:2]
            join(lines[name], int(number), int(count) > 0)
    for function in json.load(open(export + ".json"))["data"][0]["functions"]:
        files = function["filenames"]
        for start_line, start_col, end_line, end_col, count, file, _, kind in (
            r[:8] for r in function["regions"]
        ):
            if kind == 0 and files[file].startswith(only):
                key = (start_line, start_col, end_line, end_col)
                join(regions[files[file]], key, count > 0)
        first = function["regions"][0]
        if files[first[5]].startswith(only):
            join(functions[files[first[5]]], (first[0], first[1]), function["count"] > 0)

def row(name, tables):
    cells = []
    for table in tables:
        n, missed = len(table), sum(not c for c in table.values())
        cover = f"{100 * (n - missed) / n:.2f}%" if n else "-"
        cells.append(f"{n:>9} {missed:>7} {cover:>8}")
    print(f"{name:<36}" + "  ".join(cells))

print(f"{'src/':<36}" + "  ".join(f"{h:>9} {'Missed':>7} {'Cover':>8}" for h in ("Regions", "Functions", "Lines")))
names = sorted(set(lines) | set(regions) | set(functions))
for name in names:
    row(name[len(only):], (regions[name], functions[name], lines[name]))
total = lambda t: {(n, k): c for n in names for k, c in t[n].items()}
row("TOTAL", (total(regions), total(functions), total(lines)))

if uncovered:
    print("\nlines no corpus reaches (file: lines):")
    for name in names:
        missed = sorted(n for n, c in lines[name].items() if not c)
        if missed:
            print(f"  src/{name[len(only):]}: " + " ".join(map(str, missed)))
PY
