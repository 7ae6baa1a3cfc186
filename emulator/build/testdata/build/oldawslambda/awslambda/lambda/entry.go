// Package lambda stands in for an old aws-lambda-go: it has the start
// function list but none of the invocation internals.
package lambda

import "os"

type Handler interface{}

type startFunction struct {
	env string
	f   func(envValue string, handler Handler) error
}

var startFunctions []*startFunction

func Start(handler interface{}) {
	for _, s := range startFunctions {
		if v := os.Getenv(s.env); v != "" {
			s.f(v, handler)
		}
	}
}
