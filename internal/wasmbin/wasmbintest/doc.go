// Package wasmbintest holds test input for internal/wasmbin and its users:
// hostile modules and a builder of small modules. It imports only the
// standard library (not wasmbin, whose own tests use it).
//
// It is for tests only; it imports nothing of the project.
package wasmbintest
