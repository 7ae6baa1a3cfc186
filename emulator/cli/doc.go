// Package cli is the fresco command: [Main] parses the arguments and runs
// one verb, each in its own file: start (start.go), invoke (invoke.go),
// build (build.go), generate-event (generate.go) and version (version.go); flags.go has the
// flags they share. Nothing but the fresco command (main.go) imports it.
package cli
