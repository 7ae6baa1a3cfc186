#!/usr/bin/env bash
# Rebuilds chello.wasm from main.c (and ../cjson/cjson.h).
# Needs (Debian): apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32
# Debian's clang finds the wasi-libc sysroot (/usr/include/wasm32-wasi,
# /usr/lib/wasm32-wasi) by itself; with wasi-sdk, add --sysroot=<its sysroot>.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
clang --target=wasm32-wasi -mexec-model=reactor -O2 -Wall -Wextra -o chello.wasm main.c -Wl,--strip-debug
chmod 644 chello.wasm
