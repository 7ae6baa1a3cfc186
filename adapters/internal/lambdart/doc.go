// Package lambdart is what aws-lambda-go's runtime loop does for each
// invocation, made cheap for a fresco guest: the deadline's context without
// a runtime timer (WithDeadline), and _X_AMZN_TRACE_ID without os.Setenv
// (SetTraceEnv). Both guest paths use it: adapters/lambda imports it, and
// fresco's builder copies its source, unchanged, into the patched
// aws-lambda-go of an unchanged handler (see adapters/source.go), whose glue
// imports that copy. So it imports nothing but the standard library.
package lambdart

// TraceEnvName is the environment variable aws-lambda-go sets to the
// invocation's trace id.
const TraceEnvName = "_X_AMZN_TRACE_ID"
