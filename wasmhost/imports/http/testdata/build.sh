#!/usr/bin/env bash
# Regenerates NAME.wasm from each NAME.wat of this directory.
# Needs wat2wasm (Debian: apt-get install wabt).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
for wat in *.wat; do
	wat2wasm --debug-names -o "${wat%.wat}.wasm" "$wat"
done
