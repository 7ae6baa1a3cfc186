#!/usr/bin/env bash
# Regenerates the wasm fixtures of this directory: NAME.wasm from each
# NAME.wat, plus notwasm.wasm (which is deliberately not wasm).
# Needs wat2wasm (Debian: apt-get install wabt).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
for wat in *.wat; do
	wat2wasm --debug-names -o "${wat%.wat}.wasm" "$wat"
done
printf 'this is not wasm\n' >notwasm.wasm
