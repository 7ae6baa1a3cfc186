#!/usr/bin/env bash
# Rebuilds cfetch.wasm from main.c (and ../cjson/cjson.h).
# Needs (Debian): apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
clang --target=wasm32-wasi -mexec-model=reactor -O2 -Wall -Wextra -o cfetch.wasm main.c -Wl,--strip-debug
chmod 644 cfetch.wasm
