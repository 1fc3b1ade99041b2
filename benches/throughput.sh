#!/usr/bin/env bash
# Throughput on loopback (examples/throughput.rs, xentara_ws_support::throughput): starts the
# release example server and the tool's echo server, then
#   1. the server against the transport's ceiling: the same hand-driven load (8 connections,
#      each keeping 4 messages of 16 reads in flight, 5 s) on the server, then on the echo
#      server: reads/s, messages/s and their ratio;
#   2. the client: one xentara-ws-tokio Client with 64 tasks reading in a loop for 10 s,
#      then one hand-driven ClientSession with 64 reads in flight: requests/s, p50/p99
#      and their ratio;
# and stops both servers (by PID).
#
#   bash benches/throughput.sh                        # both measurements
#   SECONDS_SERVER=1 SECONDS_CLIENT=1 bash benches/throughput.sh   # a short smoke
#   ONLY=server bash benches/throughput.sh            # one of them (server, client)
#   URL=ws://host:port/api/ws bash benches/throughput.sh   # another server (not started)
#   NO_BUILD=1 bash benches/throughput.sh             # use the binaries as built
#
# CONNECTIONS, IN_FLIGHT, READS (measurement 1), TASKS, BATCH (measurement 2: the
# hand-driven session's most reads per message, default 32, the example server's limit),
# WORKERS (measurement 2: the runtime's worker threads, 0 the current-thread runtime;
# default one per core), ROUNDS (measurement 2: how many times the client and the
# hand-driven session alternate, reporting each ratio and the median; default 1)
# override the defaults; ADDR and ECHO_ADDR the loopback addresses
# (default 127.0.0.1:8080 and 127.0.0.1:8081); SERVER_ARGS are passed to the server.
#
# Output (stdout): per measurement a Markdown table and one JSON line; measurement 1 also
# has each server's CPU time per message (from /proc; not for URL=). The exit status is
# 1 when a measurement lost a read, had an error or a failed connection.
set -euo pipefail
cd "$(dirname "$0")/.."

addr=${ADDR:-127.0.0.1:8080}
echo_addr=${ECHO_ADDR:-127.0.0.1:8081}

if [[ -z "${NO_BUILD:-}" ]]; then
    cargo build --quiet --release --example server --example throughput
fi
target="$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
server_bin="$target/release/examples/server"
tool_bin="$target/release/examples/throughput"

work=$(mktemp -d)
pids=()
cleanup() {
    local rc=$?
    for pid in "${pids[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if [[ $rc -eq 0 && -z "${KEEP_LOG:-}" ]]; then
        rm -rf "$work"
    else
        echo "throughput.sh: logs kept in $work" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts "$@" (name $1 first), its stderr to $work/NAME.log, its PID kept for the cleanup.
start() {
    local name=$1
    shift
    "$@" >/dev/null 2>"$work/$name.log" &
    pids+=($!)
}

# Waits for NAME's "serving ws://…" line (PID $2); prints the URL.
url_of() {
    local log="$work/$1.log"
    for _ in $(seq 100); do
        if grep -q '^serving ws://' "$log"; then
            echo "throughput.sh: pid $2: $(head -1 "$log")" >&2
            grep -m1 -o 'ws://[^ ]*' "$log"
            return 0
        fi
        if ! kill -0 "$2" 2>/dev/null; then
            echo "throughput.sh: $1 did not start:" >&2
            cat "$log" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "throughput.sh: $1 is not listening after 10 s" >&2
    return 1
}

server_pid=
if [[ -n "${URL:-}" ]]; then
    url=$URL
else
    # shellcheck disable=SC2086 # SERVER_ARGS is a list of flags
    start server "$server_bin" --listen "$addr" ${SERVER_ARGS:-}
    server_pid=${pids[-1]}
    url=$(url_of server "$server_pid")
fi

status=0
if [[ "${ONLY:-server}" == server || -z "${ONLY:-}" ]]; then
    start echo "$tool_bin" echo --listen "$echo_addr"
    echo_pid=${pids[-1]}
    echo_url=$(url_of echo "$echo_pid")
    echo "## Server throughput against the echo server"
    "$tool_bin" server "$url" --echo "$echo_url" --connections "${CONNECTIONS:-8}" \
        --in-flight "${IN_FLIGHT:-4}" --reads "${READS:-16}" \
        --seconds "${SECONDS_SERVER:-5}" --echo-pid "$echo_pid" \
        ${server_pid:+--server-pid "$server_pid"} || status=1
fi
if [[ "${ONLY:-client}" == client || -z "${ONLY:-}" ]]; then
    echo "## Client throughput against a hand-driven session"
    "$tool_bin" client "$url" --tasks "${TASKS:-64}" --batch "${BATCH:-32}" \
        --seconds "${SECONDS_CLIENT:-10}" ${WORKERS:+--workers "$WORKERS"} \
        ${ROUNDS:+--rounds "$ROUNDS"} || status=1
fi
exit "$status"
