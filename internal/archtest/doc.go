// Package archtest holds the test that enforces fresco's import rules: the
// layout shows the architecture only while the rules hold. It has no code.
//
//   - emulator/sam and emulator/functions import no HTTP package, and
//     nothing of the project that does;
//   - lambdaapi imports nothing of wazero, wasmhost or emulator;
//   - wasmhost imports no net/http (it serves no HTTP, and knows no API);
//   - adapters (guest code, also built for GOOS=wasip1) import nothing of
//     the project outside adapters;
//   - internal packages import nothing of emulator, lambdaapi or wasmhost;
//   - nothing but the fresco command imports the CLI (emulator/cli).
package archtest
