#!/usr/bin/env bash
# CI piece for fuzzing and miri, called by .ci/run as `bash fuzz/ci.sh`.
#
# 1. Builds every fuzz target (cargo-fuzz, nightly), replays each over its committed corpus
#    (fuzz/corpus/<target>, every input once), then runs it for a bounded time from that
#    corpus and the seeds (fuzz/seeds) with the protocol dictionary (fuzz/cbor.dict); new
#    finds go to fuzz/target/new-corpus/<target>.
# 2. Runs the library's unit and integration tests under miri.
#
# Needs a nightly toolchain; on a machine without one it says so and exits 0. Installs
# cargo-fuzz and the miri component when missing.
#
# Environment (all optional):
#   FUZZ_SECONDS    seconds per target (default 60)
#   FUZZ_SANITIZER  address (default) or none
#   SKIP_FUZZ=1     skip the fuzz runs
#   SKIP_MIRI=1     skip miri
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=${FUZZ_SECONDS:-60}
sanitizer=${FUZZ_SANITIZER:-address}
step() { printf '\n== fuzz/ci.sh: %s (%ss)\n' "$*" "$SECONDS"; }

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz/ci.sh: no nightly toolchain here; skipping the fuzz runs and miri"
    exit 0
fi

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
    step "cargo-fuzz"
    if ! cargo fuzz --version >/dev/null 2>&1; then
        cargo install cargo-fuzz --locked
    fi
    cargo fuzz --version

    cd "$root/fuzz"
    # The fuzz crate builds into fuzz/target; a target dir meant for the library would mix
    # instrumented and plain builds.
    unset CARGO_TARGET_DIR

    step "build every fuzz target (sanitizer: $sanitizer)"
    cargo +nightly fuzz build --sanitizer "$sanitizer"

    mkdir -p logs
    for target in $(cargo +nightly fuzz list); do
        # The committed corpus first, every input once: a change that breaks an old find
        # fails here, whatever the timed run below happens to try.
        corpus="corpus/$target"
        mkdir -p "$corpus"
        step "replay $target over its corpus ($(find "$corpus" -type f | wc -l) inputs)"
        log="logs/$target.replay.log"
        if ! cargo +nightly fuzz run --sanitizer "$sanitizer" "$target" "$corpus" -- \
            -runs=0 >"$log" 2>&1; then
            tail -n 60 "$log"
            echo "fuzz/ci.sh: $target failed on its corpus; the input is in fuzz/artifacts/$target/"
            exit 1
        fi
        grep -E '^Done [0-9]+ runs' "$log" || tail -n 3 "$log"

        step "run $target for ${seconds}s"
        # New finds go to a scratch directory, not into the committed corpus.
        work="target/new-corpus/$target"
        mkdir -p "$work"
        log="logs/$target.log"
        if ! cargo +nightly fuzz run --sanitizer "$sanitizer" "$target" "$work" "$corpus" seeds -- \
            -dict=cbor.dict -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
            tail -n 60 "$log"
            echo "fuzz/ci.sh: $target failed; the input is in fuzz/artifacts/$target/"
            exit 1
        fi
        grep -E '^(#[0-9]+ +DONE|Done [0-9]+ runs|stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb))' "$log" || tail -n 5 "$log"
    done
    cd "$root"
fi

if [ "${SKIP_MIRI:-0}" != 1 ]; then
    step "miri"
    rustup +nightly component add miri
    # Tests that cannot run under miri (proptest-heavy ones) are marked
    # #[cfg_attr(miri, ignore = "…")]; everything else runs.
    # The tests read their vectors from tests/vectors (isolation off lets miri open files)
    # and leak a few test fixtures on purpose for 'static data (the library allocates
    # nothing: tests/no_alloc/ counts).
    MIRIFLAGS="${MIRIFLAGS:--Zmiri-disable-isolation -Zmiri-ignore-leaks}" \
        cargo +nightly miri test --all-features
fi

step "done"
