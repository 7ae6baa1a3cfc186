// abuse is a hostile Go guest for the sandbox's tests. The event's "mode"
// picks the misbehaviour.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/frescolabs/fresco/adapters/lambda"
)

type Request struct {
	Mode string `json:"mode"`
	MB   int    `json:"mb"`
}

var hoard [][]byte

func handle(ctx context.Context, req Request) (string, error) {
	switch req.Mode {
	case "bomb": // allocate and keep 1 MB blocks until the memory cap stops it
		for {
			b := make([]byte, 1<<20)
			for i := range b {
				b[i] = byte(i)
			}
			hoard = append(hoard, b)
		}
	case "chatty": // far more log output than any log should keep
		line := strings.Repeat("x", 1023) + "\n"
		for i := 0; i < req.MB*1024; i++ {
			os.Stdout.WriteString(line)
		}
		fmt.Fprintln(os.Stderr, "chatty: done")
		return "ok", nil
	case "big": // a response larger than Lambda allows
		return strings.Repeat("y", req.MB<<20), nil
	case "exit":
		os.Exit(7)
	}
	return "", fmt.Errorf("unknown mode %q", req.Mode)
}

func main() {
	lambda.Start(handle)
}
