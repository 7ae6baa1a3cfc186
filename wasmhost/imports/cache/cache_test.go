package cache

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestEmbedded(t *testing.T) {
	c, err := Open("", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.Set(ctx, Key("f", "k"), []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := c.Get(ctx, Key("f", "k")); !ok || string(v) != "v" {
		t.Fatalf("get: %q %v", v, ok)
	}
	if _, ok, _ := c.Get(ctx, Key("g", "k")); ok {
		t.Fatal("another function's key")
	}
	c.Set(ctx, Key("f", "short"), []byte("v"), 20*time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	if _, ok, _ := c.Get(ctx, Key("f", "short")); ok {
		t.Error("an expired entry was returned")
	}
	c.Delete(ctx, Key("f", "k"))
	if _, ok, _ := c.Get(ctx, Key("f", "k")); ok {
		t.Error("a deleted entry was returned")
	}
}

// TestEmbeddedIsBoundedInBytes: 4 MB of values in a 1 MB cache leave at
// most 1 MB in it.
func TestEmbeddedIsBoundedInBytes(t *testing.T) {
	c, err := NewEmbedded(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	v := bytes.Repeat([]byte("x"), 16<<10)
	for i := range 256 {
		c.Set(ctx, fmt.Sprint(i), v, time.Hour)
	}
	held := 0
	for i := range 256 {
		if _, ok, _ := c.Get(ctx, fmt.Sprint(i)); ok {
			held++
		}
	}
	if held == 0 || held*len(v) > 1<<20 {
		t.Errorf("%d values of %d bytes held in a 1 MB cache", held, len(v))
	}
}

func TestOpen(t *testing.T) {
	for spec, want := range map[string]string{
		"":                         "embedded (64 MB)",
		"redis://127.0.0.1:6390/2": "redis 127.0.0.1:6390",
	} {
		c, err := Open(spec, 0)
		if err != nil {
			t.Fatalf("%q: %v", spec, err)
		}
		if c.String() != want {
			t.Errorf("%q: %s, want %s", spec, c, want)
		}
		c.Close()
	}
	for _, bad := range []string{"memcached://x", "redis://host:port:bad/0", "redis://127.0.0.1:6379/notadb"} {
		if _, err := Open(bad, 0); err == nil || !strings.Contains(err.Error(), bad[:5]) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
