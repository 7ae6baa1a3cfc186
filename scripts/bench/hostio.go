package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/frescolabs/fresco/emulator/build"
	"github.com/frescolabs/fresco/emulator/sam"
	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/internal/redistest"
	"github.com/frescolabs/fresco/wasmhost"
)

// The host-interface rows, in one run, on wasmhost/testdata/hostio (a Go
// guest): a cache get (a 100-byte value read into guest memory) from the
// embedded cache and from a real redis-server on loopback (started here,
// its row left out with a note where redis-server is not installed), and
// a 5 MB event posted back through its host-side buffer against the same
// body read into guest memory and posted from there.
var hostioRowNames = []string{"cache/embedded", "cache/redis", "pass/buffer", "pass/copy"}

// passBody is the pass-through rows' body.
const passBody = 5 << 20

func hostioRows(ctx context.Context, cfg *config, progress func(string, ...any)) ([]*row, error) {
	wanted := false
	for _, n := range hostioRowNames {
		wanted = wanted || cfg.only.MatchString(n)
	}
	if !wanted {
		return nil, nil
	}
	wasm, err := buildGuest(ctx, cfg, progress, "wasmhost/testdata/hostio")
	if err != nil {
		return nil, err
	}
	var rows []*row
	for _, store := range []string{"embedded", "redis"} {
		name := "cache/" + store
		if !cfg.only.MatchString(name) {
			continue
		}
		spec := ""
		if store == "redis" {
			url, stop, err := redistest.Run(ctx)
			if err != nil {
				addNote("%s: left out: %v", name, err)
				continue
			}
			defer stop()
			spec = url
		}
		r, err := cacheRow(ctx, cfg, name, spec, wasm)
		if err != nil {
			return nil, err
		}
		progress("%s", r)
		rows = append(rows, r)
	}
	if cfg.only.MatchString("pass/buffer") || cfg.only.MatchString("pass/copy") {
		r, err := passRows(ctx, cfg, wasm, progress)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r...)
	}
	return rows, nil
}

// loadHostio loads the guest on a host whose cache is spec.
func loadHostio(ctx context.Context, cfg *config, spec string, wasm []byte) (*wasmhost.Host, *wasmhost.Module, error) {
	h, err := wasmhost.New(wasmhost.Config{CacheDir: filepath.Join(cfg.cacheDir, "wazero"), FullResets: cfg.fullResets, Cache: spec})
	if err != nil {
		return nil, nil, err
	}
	f, err := h.Load(ctx, wasmhost.FunctionConfig{Name: "Hostio", Timeout: 30 * time.Second}, wasm)
	if err != nil {
		h.Close(context.Background())
		return nil, nil, err
	}
	return h, f, nil
}

func hostioRequest(ev []byte) *invoke.Request {
	return &invoke.Request{RequestID: invoke.NewRequestID(), Payload: ev,
		InvokedFunctionARN: invoke.FunctionARN(invoke.DefaultRegion, "Hostio"), TraceID: invoke.NewTraceID()}
}

func cacheRow(ctx context.Context, cfg *config, name, spec string, wasm []byte) (*row, error) {
	h, f, err := loadHostio(ctx, cfg, spec, wasm)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer h.Close(context.Background())
	defer f.Close(context.Background())
	value := strings.Repeat("v", 100)
	if res := f.Invoke(ctx, hostioRequest([]byte("set bench 3600000\n"+value))); res.Kind != invoke.Success {
		return nil, fmt.Errorf("%s: set: %v %s", name, res.Kind, res.Payload)
	}
	get := []byte("get bench")
	want := []byte(value)
	return measure(ctx, cfg, name, func() error {
		res := f.Invoke(ctx, hostioRequest(get))
		if res.Kind != invoke.Success {
			return fmt.Errorf("%v: %s", res.Kind, res.Payload)
		}
		return check(res.Payload, want)
	}), nil
}

// passRows runs the 5 MB pass-through both ways, and notes how much each
// grew the guest's memory (Max Memory Used against a tiny event's).
func passRows(ctx context.Context, cfg *config, wasm []byte, progress func(string, ...any)) ([]*row, error) {
	h, f, err := loadHostio(ctx, cfg, "", wasm)
	if err != nil {
		return nil, fmt.Errorf("pass: %w", err)
	}
	defer h.Close(context.Background())
	defer f.Close(context.Background())
	small := f.Invoke(ctx, hostioRequest([]byte("proxy\n")))
	var rows []*row
	for _, mode := range []string{"buffer", "copy"} {
		name := "pass/" + mode
		if !cfg.only.MatchString(name) {
			continue
		}
		cmd := map[string]string{"buffer": "proxy", "copy": "copy"}[mode]
		ev := append([]byte(cmd+"\n"), bytes.Repeat([]byte("x"), passBody)...)
		var grew int64
		r := measure(ctx, cfg, name, func() error {
			res := f.Invoke(ctx, hostioRequest(ev))
			if res.Kind != invoke.Success {
				return fmt.Errorf("%v: %.200s", res.Kind, res.Payload)
			}
			grew = max(grew, int64(res.MaxMemoryBytes)-int64(small.MaxMemoryBytes))
			if !bytes.Equal(res.Payload, ev) {
				return fmt.Errorf("answer of %d bytes, want the event's %d", len(res.Payload), len(ev))
			}
			return nil
		})
		addNote("%s: a 5 MB body grew the guest's memory by %.2f MB at most", name, float64(grew)/(1<<20))
		addExtra(strings.ReplaceAll(name, "/", "_")+"_grew_mb", "%.2f", float64(grew)/(1<<20))
		progress("%s", r)
		rows = append(rows, r)
	}
	return rows, nil
}

// buildGuest builds the Go package at rel (from the repository root) as
// fresco does.
func buildGuest(ctx context.Context, cfg *config, progress func(string, ...any), rel string) ([]byte, error) {
	start := time.Now()
	b := &build.Builder{CacheDir: filepath.Join(cfg.cacheDir, "build")}
	out, err := b.Build(ctx, []*sam.FunctionSpec{{LogicalID: "Guest", Name: "Guest", CodeURI: filepath.Join(cfg.root, filepath.FromSlash(rel))}})
	if err != nil {
		return nil, err
	}
	progress("built %s in %s", rel, time.Since(start).Round(time.Millisecond))
	return os.ReadFile(out["Guest"])
}
