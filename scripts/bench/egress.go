package main

import (
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
//   - egress/native: net/http's client in this process, the floor.
var egressRowNames = []string{"egress/wat", "egress/go", "egress/native"}

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

	var rows []*row
	var host *wasmhost.Host
	defer func() {
		if host != nil {
			host.Close(context.Background())
		}
	}()
	for _, name := range egressRowNames {
		if !cfg.only.MatchString(name) {
			continue
		}
		var call func() error
		switch name {
		case "egress/native":
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
			call = func() error {
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
		default:
			if host == nil {
				if host, err = wasmhost.New(wasmhost.Config{CacheDir: filepath.Join(cfg.cacheDir, "wazero")}); err != nil {
					return nil, err
				}
			}
			var wasm []byte
			var event []byte
			var check func([]byte) error
			if name == "egress/wat" {
				wasm, err = readWasm("samples/rawfetch/fetch.wasm")(ctx, cfg, progress)
				event, _ = json.Marshal(url)
				check = func(b []byte) error {
					if want := "200\nContent-Length: 2\nContent-Type: text/plain; charset=utf-8\n"; len(b) < 3 || string(b[len(b)-2:]) != egressBody {
						return fmt.Errorf("answer %q, want a head like %q and body %q", b, want, egressBody)
					}
					return nil
				}
			} else {
				wasm, err = buildSample(ctx, cfg, progress, "fetch")
				event, _ = json.Marshal(map[string]string{"url": url})
				check = func(b []byte) error {
					var out struct {
						Status int    `json:"status"`
						Body   string `json:"body"`
					}
					if json.Unmarshal(b, &out) != nil || out.Status != 200 || out.Body != egressBody {
						return fmt.Errorf("answer %q", b)
					}
					return nil
				}
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			f, err := host.Load(ctx, wasmhost.FunctionConfig{Name: "Egress"}, wasm)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			defer f.Close(context.Background())
			if on, why := f.Snapshot(); !on {
				addNote("%s: no snapshot: %s", name, why)
			}
			defer func() {
				made, reused, discarded := f.SnapshotStats()
				addNote("%s: instances made %d, reused %d, discarded %d", name, made, reused, discarded)
				if st := f.ResetStats(); st.Dirty+st.Full > 0 {
					addNote("%s: resets: %d of written pages, %d full copies; reset p50 %s; hot set %d pages", name, st.Dirty, st.Full, st.P50.Round(10*time.Nanosecond), st.HotPages)
				}
			}()
			req := &invoke.Request{RequestID: invoke.NewRequestID(), Payload: event, TraceID: invoke.NewTraceID(),
				InvokedFunctionARN: invoke.FunctionARN(invoke.DefaultRegion, "Egress")}
			call = func() error {
				res := f.Invoke(ctx, req)
				if res.Kind != invoke.Success {
					return fmt.Errorf("%v: %s", res.Kind, res.Payload)
				}
				return check(res.Payload)
			}
		}
		r := measure(ctx, cfg, name, call)
		progress("%s", r)
		rows = append(rows, r)
	}
	var native time.Duration
	for _, r := range rows {
		if r.kind == "native" {
			native = r.p50
		}
	}
	for _, r := range rows {
		if native > 0 && r.kind != "native" && r.p50 > 0 {
			d := r.p50 - native
			addNote("%s: p50 %+.1fµs over the native client's (target: within 20 µs)", r.name, float64(d)/float64(time.Microsecond))
			addExtra(r.key+"_over_native_us", "%.1f", float64(d)/float64(time.Microsecond))
		}
	}
	return rows, nil
}
