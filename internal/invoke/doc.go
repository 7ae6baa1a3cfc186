// Package invoke holds the types shared by the sandbox (wasmhost), the HTTP
// front doors (lambdaapi), the core (emulator/functions) and the wiring: one
// invocation's request, its result, the Lambda error vocabulary and limits,
// the wire names the sandbox and the Runtime API share, and Backend and
// Handle, the front doors' contract with the core. It imports nothing of
// the project, so every other package can depend on it without cycles.
package invoke
