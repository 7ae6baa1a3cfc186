// Package wasmbin reads WebAssembly binaries that come from users, before
// wazero sees them: one walk of a module's sections (Parse) that
//
//   - checks every count and length wazero's decoder would allocate by, so
//     that hostile input costs at most time and memory linear in its size
//     (the preflight, preflight.go: a 15-byte module once made wazero ask
//     for 481 GB);
//   - learns what fresco's snapshot path needs (SnapshotModule,
//     snapshot.go): the mutable globals, which it exports in a copy of the
//     binary, the imports of shared state, and, from an instruction scan of
//     every function body (scan.go), whether code can change a table or a
//     data segment;
//   - bounds the tables of a module whose code can grow them (LimitTables,
//     rewrite.go): every table gets a maximum, their sum a bound the
//     caller derives from its memory budget, and the module an export that
//     counts their entries.
//
// Every count and length is checked against the bytes that remain, and
// errors are values: malformed input is an error naming what and the byte
// offset; valid input this package does not handle wraps ErrUnsupported.
// Nothing panics on any input (the tests fuzz it).
//
// It is pure parsing: it imports only the standard library, nothing of
// wazero (its tests use wazero as the oracle) and nothing of fresco, so
// that any package (wasmhost, and emulator/build to check the .wasm files
// it writes) can use it.
package wasmbin
