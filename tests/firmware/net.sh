#!/usr/bin/env bash
# The server on an emulated Cortex-M4 behind a TCP/IP stack (tests/firmware/net), checked
# from the host through QEMU's user network.
#
# Builds the firmware and the host tools (release), boots QEMU mps2-an386 with the guest's
# port 80 forwarded to a free port of 127.0.0.1, waits for it to answer, then runs:
#   1. the conformance check (`xentara-ws check`): every case must pass;
#   2. the example client's walk;
#   3. the load generator at 4 connections for 3 seconds, and round trips (get_stage one
#      after the other, net/client.py) at 1 and 4 connections: the JSON lines are the
#      figures;
#   4. bad input: a text frame (close 1003), an oversized frame (close 1009), garbage
#      instead of an upgrade (400), a disconnect mid-message (net/client.py), then the load
#      generator's hostile clients (garbage, churn, oversize, slowloris) beside 2 normal
#      ones; then a fresh walk must still complete;
# and stops QEMU by its PID. All of it runs under `timeout` (TIMEOUT seconds, default 900),
# so a hang fails the run.
#
#   bash tests/firmware/net.sh
#   bash tests/firmware/net.sh --serve 8080   # build, boot, serve at ws://127.0.0.1:8080/api/ws
set -euo pipefail
cd "$(dirname "$0")"
HERE=$PWD
ROOT=$(cd ../.. && pwd)

SERVE=
if [[ ${1:-} == --serve ]]; then
    SERVE=${2:?usage: net.sh --serve PORT}
elif [[ -z ${NET_SH_BOUNDED:-} ]]; then
    NET_SH_BOUNDED=1 exec timeout --kill-after=10 "${TIMEOUT:-900}" bash "$HERE/net.sh" "$@"
fi

step() { printf '\n== firmware net: %s (%ss)\n' "$*" "$SECONDS"; }

step "tools"
missing=()
command -v qemu-system-arm >/dev/null || missing+=(qemu-system-arm)
command -v arm-none-eabi-size >/dev/null || missing+=(binutils-arm-none-eabi)
command -v python3 >/dev/null || missing+=(python3)
if ((${#missing[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        >/dev/null
fi
rustup target add thumbv7em-none-eabihf >/dev/null 2>&1 || rustup target add thumbv7em-none-eabihf

step "build the firmware"
(cd net && CARGO_TARGET_DIR="$HERE/net/target" cargo build --release)
ELF=$HERE/net/target/thumbv7em-none-eabihf/release/net
arm-none-eabi-size "$ELF"

step "flash and RAM by part"
# Symbols (after inlining: the main loop holds smoltcp's poll) by what they belong to.
arm-none-eabi-nm -S -C "$ELF" | python3 -c '
import re, sys
parts = ["network", "websocket", "codec+session", "model", "core::fmt", "runtime+other"]
def part(name):
    if re.search(r"smoltcp|lan9118|managed::|TCP_(RX|TX)_BUFFERS|net::SOCKETS|__cortex_m_rt_main|net::run$", name):
        return "network"
    if re.search(r"net::ws::|sha1_smol|base64|net::INPUTS|net::(serve|http|frames)$", name):
        return "websocket"
    if re.search(r"^(<)?xentara_ws::|net::BUFFERS|net::OUT_BUFFER|net::(handle|events|transmit|send)$", name):
        return "codec+session"
    if "net::model::" in name:
        return "model"
    if re.search(r"core::fmt|as core::fmt::", name):
        return "core::fmt"
    return "runtime+other"
total = {p: {"text": 0, "data": 0, "bss": 0} for p in parts}
for line in sys.stdin:
    f = line.split(maxsplit=3)
    if len(f) < 4:
        continue
    size, kind, name = int(f[1], 16), f[2].lower(), f[3].strip()
    section = {"t": "text", "w": "text", "r": "text", "d": "data", "b": "bss"}.get(kind)
    if section:
        total[part(name)][section] += size
print("%-14s %8s %8s %8s" % ("part", "flash", "data", "bss"))
for p in parts:
    t = total[p]
    print("%-14s %8d %8d %8d" % (p, t["text"], t["data"], t["bss"]))
print("flash: .text and .rodata by symbol (.data takes its size in flash too); network holds")
print("the main loop (smoltcp poll inlined), websocket the connection steps, core::fmt the")
print("log lines; runtime+other: cortex-m-rt, compiler builtins, anonymous constants")
'

# HOST_PROFILE=debug uses the debug builds of the host tools (CI has them from the tests).
HOST_PROFILE=${HOST_PROFILE:-release}
case $HOST_PROFILE in
    release) profile_flag=(--release) ;;
    debug) profile_flag=() ;;
    *) echo "net.sh: HOST_PROFILE is release or debug, not $HOST_PROFILE" >&2; exit 2 ;;
esac
if [[ -z $SERVE ]]; then
    step "build the host tools ($HOST_PROFILE)"
    (cd "$ROOT" && cargo build "${profile_flag[@]}" -p xentara-ws-cli \
        && cargo build "${profile_flag[@]}" --example client)
fi
HOST_TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
CLI=$HOST_TARGET/$HOST_PROFILE/xentara-ws
CLIENT=$HOST_TARGET/$HOST_PROFILE/examples/client

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=${SERVE:-$(free_port)}
URL=ws://127.0.0.1:$PORT/api/ws
LOG=$HERE/net/target/qemu.log

step "boot QEMU (guest port 80 at 127.0.0.1:$PORT)"
qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic \
    -semihosting-config enable=on,target=native \
    -nic "user,model=lan9118,restrict=on,hostfwd=tcp:127.0.0.1:$PORT-:80" \
    -kernel "$ELF" </dev/null >"$LOG" 2>&1 &
QEMU_PID=$!
stop() {
    if kill -0 "$QEMU_PID" 2>/dev/null; then
        kill "$QEMU_PID"
        wait "$QEMU_PID" 2>/dev/null || true
    fi
}
trap stop EXIT

# QEMU accepts on the host side at once; the firmware is up when an HTTP request gets
# its answer (400: not an upgrade).
python3 - "$PORT" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
deadline = time.time() + 60
while True:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"GET /api/ws HTTP/1.1\r\n\r\n")
            if s.recv(64).startswith(b"HTTP/1.1 400"):
                break
    except OSError:
        pass
    if time.time() > deadline:
        sys.exit("the firmware did not answer within 60 s")
    time.sleep(0.2)
EOF
cat "$LOG"

if [[ -n $SERVE ]]; then
    echo "serving $URL (QEMU pid $QEMU_PID); stop with Ctrl-C"
    wait "$QEMU_PID"
    exit
fi

step "conformance"
# Sub-sessions log in as admin; the stage commands go with wrong-typed parameters only.
"$CLI" check "$URL" --user admin --password admin --stage-commands

step "the example client's walk"
"$CLIENT" "$URL"

step "load: 4 connections, 3 seconds"
"$CLI" load "$URL" --connections 4 --seconds 3 --ramp 4

step "round trips: get_stage, one after the other, 1 and 4 connections, 3 seconds"
python3 net/client.py round-trips "$PORT" 1 3
python3 net/client.py round-trips "$PORT" 4 3

step "bad input"
python3 net/client.py bad-input "$PORT"
for kind in garbage churn oversize slowloris; do
    echo "load generator, 2 connections beside 2 $kind clients:"
    "$CLI" load "$URL" --connections 2 --seconds 3 --ramp 2 --hostile "$kind" \
        --hostile-connections 2 --hostile-pause 100 --oversize 100000
done

step "a fresh walk after the bad input"
"$CLIENT" "$URL"

step "done"
