// Package emulator wires fresco together: it reads a SAM template
// (template.go), builds its functions (build.go: Go packages to wasm, or
// natively for FrescoMode native), loads them (emulator.go) and runs their
// invocations (invoke.go), either as a fresh wasm instance each (wasmhost)
// or on a pool of Runtime API processes (process*.go), behind the Invoke
// API and API Gateway of lambdaapi/invokeapi and lambdaapi/apigw; cli.go
// holds the fresco commands (generate-event's samples are emulator/genevent's).
package emulator
