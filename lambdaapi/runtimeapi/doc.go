// Package runtimeapi serves the Lambda Runtime API (2018-06-01) to the
// runtime processes of one function ([NewHandler]): GET .../invocation/next,
// POST .../invocation/{id}/response and .../error, and
// .../runtime/init/error, as AWS documents them and as aws-lambda-go's
// runtime client speaks them. The invocations come from a [Runtime]; the
// in-memory one, which schedules invocations onto processes, is
// emulator/procpool's Queue.
//
// runtimeapi imports lambdaapi/edge and internal/invoke; no wazero,
// wasmhost or emulator (its tests use emulator/procpool's Queue).
package runtimeapi
