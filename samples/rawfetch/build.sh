#!/usr/bin/env bash
# Builds fetch.wasm from fetch.wat (Debian: apt-get install wabt).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
wat2wasm --debug-names -o fetch.wasm fetch.wat
