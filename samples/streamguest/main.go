// Streamguest streams through fresco's own guest adapter
// (adapters/guest.StreamStart and StreamWrite) instead of aws-lambda-go:
// {"n":3} sends "chunk 0\n" to "chunk 2\n" as separate writes, then "done\n"
// as the response that ends the stream. Invoked without a stream, the
// caller gets it all as one payload.
package main

import (
	"encoding/json"
	"fmt"

	"github.com/frescolabs/fresco/adapters/guest"
)

func handle(inv *guest.Invocation) ([]byte, string, []byte) {
	var ev struct {
		N int `json:"n"`
	}
	if err := json.Unmarshal(inv.Payload, &ev); err != nil {
		return nil, "InvalidEvent", []byte(`{"errorMessage":"want {\"n\": 3}","errorType":"InvalidEvent"}`)
	}
	if err := guest.StreamStart("text/plain"); err != nil {
		return nil, "StreamError", []byte(fmt.Sprintf(`{"errorMessage":%q}`, err.Error()))
	}
	for i := range ev.N {
		if err := guest.StreamWrite(fmt.Appendf(nil, "chunk %d\n", i)); err != nil {
			return nil, "", nil // the caller has gone, or the stream is too large: the host knows
		}
	}
	return []byte("done\n"), "", nil
}

func main() { guest.Serve(handle) }
