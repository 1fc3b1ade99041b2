#!/usr/bin/env bash
# Firmware size: builds benches/size (a no_std thumbv7em-none-eabihf binary that decodes and
# encodes every packet type through the public API; opt-level "z", LTO) and prints the size
# of its .text section. Target: 24 KiB.
#
#   bash benches/size.sh            # build and print
#   SYMBOLS=20 bash benches/size.sh # also the 20 largest functions
set -euo pipefail
cd "$(dirname "$0")/size"

rustup target add thumbv7em-none-eabihf >/dev/null 2>&1 || true
cargo build --quiet --release
elf="$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/thumbv7em-none-eabihf/release/xentara-ws-size"

# Any size tool that reads ARM ELF: Debian's binutils-arm-none-eabi, cargo-binutils, LLVM.
size_tool=""
for t in arm-none-eabi-size rust-size llvm-size $(compgen -c llvm-size- | sort -V | tail -1); do
    if command -v "$t" >/dev/null; then size_tool=$t; break; fi
done
if [[ -z "$size_tool" ]] && command -v apt-get >/dev/null; then
    (apt-get install -y -qq binutils-arm-none-eabi >/dev/null 2>&1 \
        || { apt-get update -qq && apt-get install -y -qq binutils-arm-none-eabi; }) >/dev/null 2>&1 || true
    command -v arm-none-eabi-size >/dev/null && size_tool=arm-none-eabi-size
fi
[[ -n "$size_tool" ]] || { echo "no size tool: apt-get install binutils-arm-none-eabi" >&2; exit 1; }

"$size_tool" -A "$elf" | grep -E '^(section|\.text|\.rodata|\.data|\.bss)'
text=$("$size_tool" -A "$elf" | awk '$1 == ".text" { print $2 }')
awk -v t="$text" 'BEGIN { printf ".text: %d bytes (%.1f KiB; target 24 KiB)\n", t, t / 1024 }'

if [[ -n "${SYMBOLS:-}" ]]; then
    nm_tool=${size_tool/size/nm}
    command -v "$nm_tool" >/dev/null || nm_tool=nm
    "$nm_tool" --size-sort -S -C -t d "$elf" | tail -"$SYMBOLS"
fi
