// abuse is a hostile Go guest for the sandbox's tests. The event's "mode"
// picks the misbehaviour.
package main

import (
	"context"
	"fmt"
	mrand "math/rand"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/frescolabs/fresco/adapters/lambda"
)

type Request struct {
	Mode string `json:"mode"`
	MB   int    `json:"mb"`
	Text string `json:"text"`
}

var hoard [][]byte

// secret is written by "secret" and read by "peek": a later invocation must
// never see what an earlier one wrote.
var secret = "image"

// fromInit is set during init, so it is in the snapshot's image.
var fromInit = map[string]int{}

func init() {
	for i := range 64 {
		fromInit[fmt.Sprint(i)] = i
	}
}

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
	case "secret": // write everywhere a Go handler can: a package variable, the heap, the environment
		prev := secret
		secret = "SECRET-" + req.Text
		hoard = append(hoard, []byte(secret))
		os.Setenv("FRESCO_SECRET", secret)
		fromInit["secret"] = 1
		return prev, nil
	case "peek": // what an earlier invocation may have left behind
		return fmt.Sprintf("secret=%s hoard=%d env=%q map=%d", secret, len(hoard), os.Getenv("FRESCO_SECRET"), len(fromInit)), nil
	case "rand": // the runtime's random state, which a snapshot must not share
		var order []string
		for k := range fromInit {
			order = append(order, k)
			if len(order) == 8 {
				break
			}
		}
		return fmt.Sprintf("%d %d %s", rand.Uint64(), mrand.Int63(), strings.Join(order, ",")), nil
	case "closestdout": // WASI state that no reset restores
		fmt.Println("before close")
		return "", os.Stdout.Close()
	case "hello":
		fmt.Println("hello from abuse")
		return "hello", nil
	}
	return "", fmt.Errorf("unknown mode %q", req.Mode)
}

func main() {
	lambda.Start(handle)
}
