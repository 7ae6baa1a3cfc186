// Command gowork is BenchmarkStopChecks's Go guest: a WASI command that
// does the kind of work a handler does (JSON, maps, strings, small calls)
// a number of times given as its argument.
package main

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
)

type event struct {
	Name  string            `json:"name"`
	Tags  map[string]string `json:"tags"`
	Count int               `json:"count"`
}

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	var sink int
	for i := range n {
		b, _ := json.Marshal(event{Name: "Ada", Tags: map[string]string{"k": strconv.Itoa(i)}, Count: i})
		var e event
		_ = json.Unmarshal(b, &e)
		sink += len(strings.ToUpper(e.Name)) + e.Count
	}
	if sink < 0 {
		os.Exit(1)
	}
}
