#!/usr/bin/env bash
# Regenerates the fixtures of wasmbin_test.go: NAME.wasm from each NAME.wat.
# Needs wat2wasm (Debian: apt-get install wabt).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
for wat in *.wat; do
	wat2wasm --enable-all --debug-names -o "${wat%.wat}.wasm" "$wat"
done
