// Package functions is fresco's core: the functions it serves, their
// versions and aliases, and the one path every invocation takes.
//
//   - A [Registry] holds functions, their published versions and aliases
//     behind a [Store] (in memory today, [NewMemStore], seeded from the
//     template; persisted and shared stores implement the same interface),
//     and the loaded code of each version, a [Runner]. [Registry.Lookup]
//     resolves a name and a qualifier ($LATEST, a version, an alias, with
//     an alias's routing weights) to a [Target].
//   - A [Runner] runs invocations of one version's code: the wasm sandbox
//     (a wasmhost.Module) and a pool of Runtime API processes both
//     implement it, so nothing here knows how a function runs.
//   - An [Invoker] runs invocations of targets: it owns the overall and the
//     reserved concurrency, writes Lambda's START, END and REPORT lines, and
//     is the one place where an invocation is observed ([Observer]). Event
//     invocations go through a [Queue] (a 202 is answered once the event is
//     stored: durable with emulator/functions/boltqueue) and its dispatcher
//     runs them at each function's concurrency, retries them and sends
//     their destination records ([AsyncConfig]).
//
// The front doors (lambdaapi's Invoke API and API Gateway, the CLI's
// invoke) reach functions only through an Invoker. This package imports no
// HTTP package, nothing of wazero and nothing else of the project but
// internal/invoke.
package functions
