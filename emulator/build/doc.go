// Package build turns template functions into artifacts: a Go main
// package into a .wasm module (GOOS=wasip1, c-shared) or, for FrescoMode
// native, a native bootstrap; a ready .wasm or bootstrap is checked and used
// as it is. Artifacts are named by the content hash of their inputs, so an
// artifact that exists is up to date (see [Builder.Build]). An unchanged
// aws-lambda-go handler is built against a patched copy of aws-lambda-go
// (awslambda.go), aws-sdk-go-v2's default HTTP client against a copy that
// sends through the host (awssdk.go), and a function that imports fresco's
// adapters from a module that does not require fresco is supplied fresco's
// module, the adapters this binary carries (supply.go); all through go
// build -modfile (modcopy.go), so the user's go.mod and go.sum are never
// edited.
//
// It reads sam's FunctionSpec and imports nothing of how functions run.
package build
