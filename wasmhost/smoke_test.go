package wasmhost_test

import (
	"context"
	"testing"
)

func TestSmokeHello(t *testing.T) {
	f := load(t, "Hello", sample(t, "hello"), wasmFunctionConfig())
	res := f.Invoke(context.Background(), request(`{"name":"Ada"}`))
	t.Logf("%v %s %s init=%v dur=%v mem=%d log=%q", res.Kind, res.ErrorType, res.Payload, res.InitDuration, res.Duration, res.MaxMemoryBytes, res.Log)
}
