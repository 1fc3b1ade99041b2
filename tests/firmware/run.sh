#!/usr/bin/env bash
# The codec and the server session on an emulated Cortex-M4 (QEMU mps2-an386).
#
# Installs what is missing (qemu-system-arm, binutils-arm-none-eabi, defmt-print, the
# rustup target), then:
#   1. builds every binary of this package and runs the checks firmware (`firmware`):
#      vectors, malformed cases, MAX_DEPTH nesting, the server-session script, stack
#      high-water marks, instructions per decode/encode;
#   2. builds the same firmware with the crate's `defmt` feature and defmt-semihosting,
#      runs it, decodes its output with defmt-print and checks it; the same for
#      size-server, which then logs its errors through defmt (`size-server+defmt`);
#   3. runs the size binaries and prints .text/.data/.bss: runtime alone, codec alone,
#      codec + server session (without and with defmt), codec + client session.
# Exits non-zero when a build, a run, or a check fails.
#
#   bash tests/firmware/run.sh
#   TIMEOUT=600 bash tests/firmware/run.sh   # seconds per QEMU run (default 300)
set -euo pipefail
cd "$(dirname "$0")"

TIMEOUT=${TIMEOUT:-300}
TARGET=thumbv7em-none-eabihf
OUT=target/$TARGET/release
QEMU=(qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic
      -semihosting-config enable=on,target=native -icount shift=0 -kernel)

step() { printf '\n== firmware: %s (%ss)\n' "$*" "$SECONDS"; }

step "tools"
missing=()
command -v qemu-system-arm >/dev/null || missing+=(qemu-system-arm)
command -v arm-none-eabi-size >/dev/null || missing+=(binutils-arm-none-eabi)
if ((${#missing[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        >/dev/null
fi
command -v defmt-print >/dev/null || cargo install defmt-print --locked --quiet
rustup target add "$TARGET" >/dev/null 2>&1 || rustup target add "$TARGET"
first_line() { local text; text=$("$@"); echo "${text%%$'\n'*}"; }
first_line qemu-system-arm --version
first_line defmt-print --version
# This package's own target dir, whatever the caller's environment says.
export CARGO_TARGET_DIR="$PWD/target"

# Runs an ELF under QEMU, output to stdout; fails on a non-zero exit or the timeout.
run() {
    timeout "$TIMEOUT" "${QEMU[@]}" "$1" </dev/null
}

step "build (checks firmware and size binaries)"
# Not --locked: Cargo.lock pins what it has and gains whatever the crate adds.
cargo build --release --bins
mkdir -p target/elf
for bin in firmware size-baseline size-codec size-server size-client; do
    cp "$OUT/$bin" "target/elf/$bin"
done

step "run the checks"
run target/elf/firmware

step "run the size binaries"
for bin in size-baseline size-codec size-server size-client; do
    run "target/elf/$bin"
    echo "$bin: ran and exited with success"
done

step "build and run with defmt"
cargo build --release --bin firmware --features defmt
cp "$OUT/firmware" target/elf/firmware-defmt
set +e
run target/elf/firmware-defmt >target/elf/defmt.frames
status=$?
set -e
defmt-print -e target/elf/firmware-defmt <target/elf/defmt.frames >target/elf/defmt.log 2>&1 || true
cat target/elf/defmt.log
if [[ $status -ne 0 ]]; then
    echo "the defmt firmware exited with status $status" >&2
    exit 1
fi
# What defmt::Format printed on the target, decoded on the host.
expect=(
    'defmt request: Request(Request { id: 65, command: CloseSubSession(CloseSubSession { session_id: e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8 }) })'
    'defmt error: DecodeError { kind: UnknownOpcode(15), offset: 5, field: "", id: Some(65) }'
)
for line in "${expect[@]}"; do
    if ! grep -qF -- "$line" target/elf/defmt.log; then
        echo "defmt output lacks: $line" >&2
        exit 1
    fi
done
if ! grep -qE '^[0-9]+ passed, 0 failed$' target/elf/defmt.log; then
    echo "defmt output lacks the line 'N passed, 0 failed'" >&2
    exit 1
fi
echo "defmt output decoded by defmt-print and checked"

# The server as a firmware server logs: its errors through the crate's defmt::Format impls.
cargo build --release --bin size-server --features defmt
cp "$OUT/size-server" target/elf/size-server+defmt
run target/elf/size-server+defmt >target/elf/size-server-defmt.frames
defmt-print -e target/elf/size-server+defmt <target/elf/size-server-defmt.frames \
    >target/elf/size-server-defmt.log 2>&1 || true
cat target/elf/size-server-defmt.log
expect=(
    'changed: UnknownSubscription(00000000-0000-0000-0000-000000000003)'
    'decode: DecodeError { kind: Truncated, offset: 9, field: "client_hello.max_version", id: Some(1) }'
)
for line in "${expect[@]}"; do
    if ! grep -qF -- "$line" target/elf/size-server-defmt.log; then
        echo "size-server+defmt output lacks: $line" >&2
        exit 1
    fi
done
echo "size-server+defmt: ran, its defmt output decoded and checked"

step "sizes"
# Berkeley `text` is .vector_table + .text + .rodata (what goes to flash).
sizes() { arm-none-eabi-size "target/elf/$1" | awk 'NR == 2 { print $1, $2, $3 }'; }
read -r base_text _ _ < <(sizes size-baseline)
printf '%-17s %8s %6s %7s %22s\n' binary text data bss 'text over the runtime'
for bin in size-baseline size-codec size-server size-server+defmt size-client firmware; do
    read -r text data bss < <(sizes "$bin")
    delta=$((text - base_text))
    kib=$(awk -v d="$delta" 'BEGIN { printf "%.1f", d / 1024 }')
    printf '%-17s %8d %6d %7d %13d (%s KiB)\n' "$bin" "$text" "$data" "$bss" "$delta" "$kib"
done
echo "size-codec: the codec alone (target: text over the runtime <= 24 KiB, then <= 16 KiB)"
echo "size-server: codec + ServerSession with default capacities and timers (bss: the session and its default ServerBuffers); decodes requests, encodes responses, errors and events"
echo "size-server+defmt: the same, logging a ServerError and a DecodeError through defmt (the flash the crate's defmt::Format impls and defmt-semihosting cost)"
echo "size-client: codec + ClientSession (bss: the session); encodes requests, decodes responses and events"
echo "firmware: the checks themselves (vectors, Debug and float formatting)"

step "done"
