#!/usr/bin/env bash
# A fuzz campaign: every target for MINUTES, as many at once as there are cores,
# then each target's finds merged into its committed corpus (minimized), and a table:
# target, executions, executions/s, corpus size, coverage (libFuzzer's edges), crashes.
#
#   bash fuzz/campaign.sh 20              # every target, 20 minutes each
#   bash fuzz/campaign.sh 1 roundtrip     # some targets
#   JOBS=1 bash fuzz/campaign.sh 20       # one target at a time
#
# No sanitizer (the crate has no unsafe code; 2-3x faster), the dictionary on, from the
# committed corpus and the seeds. A crash leaves its input in fuzz/artifacts/<target>/ and
# makes the script exit 1; make it a regression test (fuzz/README.md says how). Review
# `git status fuzz/corpus` before committing the grown corpus.
set -euo pipefail
cd "$(dirname "$0")"
unset CARGO_TARGET_DIR

if (($# < 1)) || ! [[ $1 =~ ^[0-9]+$ ]] || (($1 < 1)); then
    echo "usage: bash fuzz/campaign.sh MINUTES [TARGET...]" >&2
    exit 2
fi
seconds=$(($1 * 60))
shift
parallel=${JOBS:-$(nproc)}
cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
cargo +nightly fuzz build -s none
if (($#)); then targets=("$@"); else mapfile -t targets < <(cargo +nightly fuzz list); fi

mkdir -p logs
run() {
    local target=$1 work="target/campaign/$1"
    rm -rf "$work"
    mkdir -p "$work" "corpus/$target"
    if cargo +nightly fuzz run -s none "$target" "$work" "corpus/$target" seeds -- \
        -dict=cbor.dict -max_total_time="$seconds" -print_final_stats=1 \
        >"logs/campaign-$target.log" 2>&1; then
        echo 0 >"logs/campaign-$target.status"
    else
        echo 1 >"logs/campaign-$target.status"
    fi
}

echo "campaign: ${#targets[@]} targets, $((seconds / 60)) min each, $parallel at a time"
for target in "${targets[@]}"; do
    while (($(jobs -rp | wc -l) >= parallel)); do wait -n || true; done
    echo "campaign: $target started $(date +%H:%M:%S)"
    run "$target" &
done
wait

# Merge each target's finds into its corpus, minimized (cargo fuzz cmin's -merge=1).
for target in "${targets[@]}"; do
    merged="target/campaign/$target.merged"
    rm -rf "$merged"
    mkdir -p "$merged"
    cargo +nightly fuzz run -s none "$target" "$merged" "corpus/$target" "target/campaign/$target" \
        -- -merge=1 >"logs/campaign-$target.merge.log" 2>&1 || {
        echo "campaign: merging $target failed (logs/campaign-$target.merge.log); corpus left as it was"
        continue
    }
    rm -rf "corpus/$target"
    mv "$merged" "corpus/$target"
done

stat() { grep -E "^stat::$1:" "logs/campaign-$2.log" | tail -n 1 | awk '{print $2}'; }
failed=0
printf '\n| %s | %s | %s | %s | %s | %s |\n|---|---:|---:|---:|---:|---|\n' \
    target executions exec/s corpus 'cov (edges)' crashes
for target in "${targets[@]}"; do
    log="logs/campaign-$target.log"
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | awk '{print $2}')
    size=$(find "corpus/$target" -type f | wc -l)
    bytes=$(find "corpus/$target" -type f -exec cat {} + | wc -c)
    crashes=0
    if [ "$(cat "logs/campaign-$target.status")" != 0 ]; then
        crashes="1 (see $log, fuzz/artifacts/$target/)"
        failed=1
    fi
    printf '| `%s` | %s | %s | %s (%s B) | %s | %s |\n' "$target" \
        "$(stat number_of_executed_units "$target")" "$(stat average_exec_per_sec "$target")" \
        "$size" "$bytes" "${cov:--}" "$crashes"
done
echo
echo "corpora: $(find corpus -type f -exec cat {} + | wc -c) bytes in all (keep <= 5 MB)"
exit "$failed"
