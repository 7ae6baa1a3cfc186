// Package lambdaenv is the one table of Lambda's standard environment
// variables, for wasm guests and runtime processes alike, so that both
// kinds of function see the same names and values. It imports nothing of
// the project.
package lambdaenv
