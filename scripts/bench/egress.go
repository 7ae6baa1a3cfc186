package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/wasmhost"
)

// The egress rows: an HTTP GET from inside a guest to a loopback
// keep-alive server, through the host's pooled client (fresco_http), next
// to a native Go client doing the same GET, in the same run:
//
//   - egress/wat: the raw-ABI sample (samples/rawfetch, WAT), the host
//     calls alone;
//   - egress/go: samples/fetch, an unchanged aws-lambda-go handler calling
//     http.DefaultClient (hosthttp's transport), JSON in and out;
//   - egress/go/base: samples/plain, an unchanged aws-lambda-go handler
//     of the same shape (a JSON object in, one out) without the GET;
//   - egress/native: net/http's client in this process, back to back, the
//     floor;
//   - egress/native/after-go: the same native GET, each timed right after
//     an (untimed) egress/go/base invocation: the exchange in the state a
//     Go guest's invocation leaves the core's caches and the other core
//     in.
var egressRowNames = []string{"egress/wat", "egress/go", "egress/go/base", "egress/native", "egress/native/after-go"}

const egressBody = "ok"

// egressRows runs the selected egress rows.
func egressRows(ctx context.Context, cfg *config, progress func(string, ...any)) ([]*row, error) {
	selected := false
	for _, n := range egressRowNames {
		selected = selected || cfg.only.MatchString(n)
	}
	if !selected {
		return nil, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, egressBody)
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/"

	var host *wasmhost.Host
	loaded := map[string]*wasmhost.Module{}
	defer func() {
		for sample, f := range loaded {
			made, reused, discarded := f.SnapshotStats()
			addNote("samples/%s: instances made %d, reused %d, discarded %d", sample, made, reused, discarded)
			if st := f.ResetStats(); st.Dirty+st.Full > 0 {
				addNote("samples/%s: resets: %d of written pages, %d full copies; reset p50 %s; hot set %d pages", sample, st.Dirty, st.Full, st.P50.Round(10*time.Nanosecond), st.HotPages)
			}
			f.Close(context.Background())
		}
		if host != nil {
			host.Close(context.Background())
		}
	}()
	// load builds (or reads) and loads the sample of a wasm row, once.
	load := func(sample string) (*wasmhost.Module, error) {
		if f := loaded[sample]; f != nil {
			return f, nil
		}
		if host == nil {
			if host, err = wasmhost.New(wasmhost.Config{CacheDir: filepath.Join(cfg.cacheDir, "wazero")}); err != nil {
				return nil, err
			}
		}
		var wasm []byte
		if sample == "rawfetch" {
			wasm, err = readWasm("samples/rawfetch/fetch.wasm")(ctx, cfg, progress)
		} else {
			wasm, err = buildSample(ctx, cfg, progress, sample)
		}
		if err != nil {
			return nil, err
		}
		f, err := host.Load(ctx, wasmhost.FunctionConfig{Name: "Egress"}, wasm)
		if err != nil {
			return nil, err
		}
		loaded[sample] = f
		if on, why := f.Snapshot(); !on {
			addNote("samples/%s: no snapshot: %s", sample, why)
		}
		return f, nil
	}
	// invoke invokes f with event, and checks its answer.
	invoker := func(f *wasmhost.Module, event []byte, check func(*invoke.Result) error) func() error {
		req := &invoke.Request{RequestID: invoke.NewRequestID(), Payload: event, TraceID: invoke.NewTraceID(),
			InvokedFunctionARN: invoke.FunctionARN(invoke.DefaultRegion, "Egress")}
		return func() error { return check(f.Invoke(ctx, req)) }
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	nativeGet := func() error {
		resp, err := client.Get(url)
		if err != nil {
			return err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(b) != egressBody {
			return fmt.Errorf("body %q, %v", b, err)
		}
		return nil
	}
	fetchEvent, _ := json.Marshal(map[string]string{"url": url})
	checkFetch := func(res *invoke.Result) error {
		var out struct {
			Status int    `json:"status"`
			Body   string `json:"body"`
		}
		if res.Kind != invoke.Success || json.Unmarshal(res.Payload, &out) != nil || out.Status != 200 || out.Body != egressBody {
			return fmt.Errorf("%v: answer %q", res.Kind, res.Payload)
		}
		return nil
	}
	checkBase := func(res *invoke.Result) error {
		if res.Kind != invoke.Success || !bytes.HasPrefix(res.Payload, []byte(`{"message":"Hello, Ada!"`)) {
			return fmt.Errorf("%v: answer %q", res.Kind, res.Payload)
		}
		return nil
	}

	var rows []*row
	for _, name := range egressRowNames {
		if !cfg.only.MatchString(name) {
			continue
		}
		var call, before func() error
		var f *wasmhost.Module
		switch name {
		case "egress/native":
			call = nativeGet
		case "egress/wat":
			if f, err = load("rawfetch"); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			event, _ := json.Marshal(url)
			call = invoker(f, event, func(res *invoke.Result) error {
				b := res.Payload
				if want := "200\nContent-Length: 2\nContent-Type: text/plain; charset=utf-8\n"; res.Kind != invoke.Success || len(b) < 3 || string(b[len(b)-2:]) != egressBody {
					return fmt.Errorf("%v: answer %q, want a head like %q and body %q", res.Kind, b, want, egressBody)
				}
				return nil
			})
		case "egress/go":
			if f, err = load("fetch"); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			call = invoker(f, fetchEvent, checkFetch)
		default: // egress/go/base, egress/native/after-go
			if f, err = load("plain"); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			call = invoker(f, []byte(`{"name":"Ada"}`), checkBase)
			if name == "egress/native/after-go" {
				call, before = nativeGet, call
			}
		}
		r := measureWith(ctx, cfg, name, before, call)
		progress("%s", r)
		rows = append(rows, r)
	}
	p50 := map[string]time.Duration{}
	for _, r := range rows {
		p50[r.name] = r.p50
	}
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	native := p50["egress/native"]
	for _, r := range rows {
		if native > 0 && (r.name == "egress/wat" || r.name == "egress/go") && r.p50 > 0 {
			d := r.p50 - native
			addNote("%s: p50 %+.1fµs over the native client's (target: within 20 µs)", r.name, us(d))
			addExtra(r.key+"_over_native_us", "%.1f", us(d))
		}
	}
	// What the GET adds to a Go invocation, against a native GET back to
	// back and one made in the state a Go invocation leaves.
	if g, b := p50["egress/go"], p50["egress/go/base"]; g > 0 && b > 0 {
		get := g - b
		msg := fmt.Sprintf("egress/go: the GET adds %.1fµs to the invocation (egress/go - egress/go/base)", us(get))
		if native > 0 {
			msg += fmt.Sprintf(", %+.1fµs over egress/native", us(get-native))
		}
		if after := p50["egress/native/after-go"]; after > 0 {
			msg += fmt.Sprintf(", %+.1fµs over egress/native/after-go", us(get-after))
			addExtra("egress_go_get_over_native_after_us", "%.1f", us(get-after))
		}
		addNote("%s", msg)
		addExtra("egress_go_get_us", "%.1f", us(get))
	}
	return rows, nil
}
