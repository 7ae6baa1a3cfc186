// Package emulator wires fresco together, in the order a start-up runs:
//
//	sam (the template) -> build (Go packages to wasm or native) ->
//	functions (the registry, seeded with a Runner per function: a wasmhost
//	module or a procpool of Runtime API processes) -> server (the Invoke
//	API and API Gateway of lambdaapi, over the functions' Invoker)
//
// [Prepare] reads the template, [Plan.Start] builds and loads what it
// names, and the [Emulator] it returns serves lookups and invocations
// through the core (emulator/functions) until [Emulator.Close]; with
// --watch it rebuilds and swaps code in ([Emulator.Watch]); with
// --schedules it fires the template's Schedule and ScheduleV2 events as
// Event invocations ([Emulator.RunSchedules], on emulator/schedule), and
// [Plan.EventSource] builds the event a template event delivers (fresco
// invoke --event-source). The CLI verbs
// are in emulator/cli, the listeners and their lifecycle in
// emulator/server.
//
// It may import every concept package below it (sam, build, functions,
// procpool, wasmhost, lambdaapi's vocabulary), and nothing imports it but
// server, cli and tests.
package emulator
