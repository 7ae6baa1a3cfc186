// Command fresco runs AWS Lambda functions as WebAssembly modules, every
// invocation in a fresh instance, behind the Lambda Invoke API.
//
//	go run .                 # fresco start on ./template.yaml, 127.0.0.1:3001
//	go run . invoke Hello -e event.json
//	go run . build
//	go run . --help
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/frescolabs/fresco/emulator/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
