package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/frescolabs/fresco/emulator/build"
	"github.com/frescolabs/fresco/emulator/sam"
	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/scripts/bench/naive"
	"github.com/frescolabs/fresco/wasmhost"
)

// module is one of the modules the in-process rows run.
type module struct {
	key  string // row names start with key+"/"
	name string // the function's name
	want string // the expected response, spaces trimmed
	// wantRequestID: the response ends with the request id, as
	// samples/plain's does: want is its prefix.
	wantRequestID bool
	wasm          func(ctx context.Context, cfg *config, progress func(string, ...any)) ([]byte, error)
}

var modules = []module{
	{key: "tiny", name: "Minimal", want: `{}`, wasm: readWasm("wasmhost/testdata/minimal.wasm")},
	{key: "go", name: "Hello", want: helloResponse, wasm: buildHello},
	// samples/plain: the same handler as an unchanged aws-lambda-go one,
	// built against the patched aws-lambda-go (its glue's path).
	{key: "plain", name: "Plain", want: `{"message":"Hello, Ada!","request_id":"`, wantRequestID: true, wasm: func(ctx context.Context, cfg *config, progress func(string, ...any)) ([]byte, error) {
		return buildSample(ctx, cfg, progress, "plain")
	}},
	{key: "c", name: "CHello", want: helloResponse, wasm: readWasm("samples/chello/chello.wasm")},
}

func readWasm(rel string) func(context.Context, *config, func(string, ...any)) ([]byte, error) {
	return func(_ context.Context, cfg *config, _ func(string, ...any)) ([]byte, error) {
		return os.ReadFile(filepath.Join(cfg.root, filepath.FromSlash(rel)))
	}
}

// buildHello builds samples/hello as fresco does (the same Builder and
// cache directory as the server's, so a second run, and the HTTP rows,
// reuse the artifact).
func buildHello(ctx context.Context, cfg *config, progress func(string, ...any)) ([]byte, error) {
	return buildSample(ctx, cfg, progress, "hello")
}

// buildSample builds samples/<dir>, a Go function, as fresco does.
func buildSample(ctx context.Context, cfg *config, progress func(string, ...any), dir string) ([]byte, error) {
	start := time.Now()
	b := &build.Builder{CacheDir: filepath.Join(cfg.cacheDir, "build")}
	out, err := b.Build(ctx, []*sam.FunctionSpec{{
		LogicalID: "Sample",
		Name:      "Sample",
		CodeURI:   filepath.Join(cfg.root, "samples", dir),
	}})
	if err != nil {
		return nil, err
	}
	progress("built samples/%s in %s", dir, time.Since(start).Round(time.Millisecond))
	return os.ReadFile(out["Sample"])
}

// Hello's handler, copied from samples/hello/main.go, for the native row:
// keep the two the same.
type helloRequest struct {
	Name string `json:"name"`
}

type helloReply struct {
	Message string `json:"message"`
}

func hello(ctx context.Context, req helloRequest) (helloReply, error) {
	name := req.Name
	if name == "" {
		name = "world"
	}
	return helloReply{Message: "Hello, " + name + "!"}, nil
}

// inProcessRows runs the selected naive, fresco and native rows.
func inProcessRows(ctx context.Context, cfg *config, progress func(string, ...any)) ([]*row, error) {
	var (
		rows []*row
		host *wasmhost.Host
	)
	defer func() {
		if host != nil {
			host.Close(context.Background())
		}
	}()
	for _, m := range modules {
		naiveName, frescoName, nativeName := m.key+"/naive", m.key+"/fresco", m.key+"/native"
		wantNative := m.key == "go" && cfg.only.MatchString(nativeName)
		if !cfg.only.MatchString(naiveName) && !cfg.only.MatchString(frescoName) && !wantNative {
			continue
		}
		req := &invoke.Request{
			RequestID:          invoke.NewRequestID(),
			Payload:            []byte(payload),
			InvokedFunctionARN: invoke.FunctionARN(invoke.DefaultRegion, m.name),
			TraceID:            invoke.NewTraceID(),
		}
		want := []byte(m.want)
		if m.wantRequestID {
			want = []byte(m.want + req.RequestID + `"}`)
		}
		var wasm []byte
		if cfg.only.MatchString(naiveName) || cfg.only.MatchString(frescoName) {
			var err error
			if wasm, err = m.wasm(ctx, cfg, progress); err != nil {
				return nil, fmt.Errorf("module %s: %w", m.key, err)
			}
		}

		if cfg.only.MatchString(naiveName) {
			start := time.Now()
			base, err := naive.New(ctx, wasm)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", naiveName, err)
			}
			progress("%s: compiled %d bytes in %s (no cache)", naiveName, len(wasm), time.Since(start).Round(time.Millisecond))
			r := measure(ctx, cfg, naiveName, func() error {
				out, err := base.Invoke(ctx, req)
				if err != nil {
					return err
				}
				return check(out, want)
			})
			base.Close(ctx)
			progress("%s", r)
			rows = append(rows, r)
		}

		if cfg.only.MatchString(frescoName) {
			if host == nil {
				h, err := wasmhost.New(wasmhost.Config{CacheDir: filepath.Join(cfg.cacheDir, "wazero"), FullResets: cfg.fullResets})
				if err != nil {
					return nil, err
				}
				host = h
				addNote("resets: %s", h.ResetMechanism())
			}
			debug.FreeOSMemory()
			rssBefore := residentBytes()
			start := time.Now()
			f, err := host.Load(ctx, wasmhost.FunctionConfig{Name: m.name}, wasm)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", frescoName, err)
			}
			took := time.Since(start)
			debug.FreeOSMemory()
			// What a loaded, idle function holds: its compiled code (mapped
			// from the cache), its image and the instance it was taken from.
			loadRSS := residentBytes() - rssBefore
			addNote("%s: resident cost of the loaded, idle function: %.1f MB", m.key, float64(loadRSS)/(1<<20))
			addExtra(m.key+"_idle_rss_mb", "%.1f", float64(loadRSS)/(1<<20))
			if huge := smapsRollup("AnonHugePages:"); huge > 0 {
				addNote("%s: the process's anonymous memory in huge pages after the load (compiled code): %.0f MB", m.key, float64(huge)/(1<<20))
			}
			snap, why := f.Snapshot()
			if snap {
				_, initTook := f.SnapshotInit()
				why = fmt.Sprintf("snapshot taken, its init %s", initTook.Round(time.Microsecond))
			} else {
				why = "no snapshot: " + why
			}
			progress("%s: loaded %d bytes in %s (compile cache %s; %s)", frescoName, len(wasm), took.Round(time.Millisecond), filepath.Join(cfg.cacheDir, "wazero"), why)
			addNote("%s: load (compile from cache, snapshot) %s; %s", m.key, took.Round(time.Millisecond), why)
			addExtra(m.key+"_load_ms", "%.1f", float64(took)/float64(time.Millisecond))
			addExtra(m.key+"_snapshot", "%d", map[bool]int{false: 0, true: 1}[snap])
			r := measure(ctx, cfg, frescoName, func() error {
				res := f.Invoke(ctx, req)
				if res.Kind != invoke.Success {
					return fmt.Errorf("%v: %s", res.Kind, res.Payload)
				}
				return check(res.Payload, want)
			})
			progress("%s", r)
			rows = append(rows, r)
			if snap {
				// What each more ready instance holds.
				debug.FreeOSMemory()
				before, ready := residentBytes(), f.Ready()
				if got, err := f.Provision(ctx, ready+8); err == nil && got > ready {
					debug.FreeOSMemory()
					per := float64(residentBytes()-before) / float64(got-ready) / (1 << 20)
					addNote("%s: resident cost of each ready instance: %.1f MB (%d made)", m.key, per, got-ready)
					addExtra(m.key+"_instance_rss_mb", "%.1f", per)
				}
			}
			if st := f.ResetStats(); st.Dirty+st.Full > 0 {
				addNote("%s: resets: %d of written pages, %d full copies; reset p50 %s; hot set %d pages", m.key, st.Dirty, st.Full, st.P50.Round(10*time.Nanosecond), st.HotPages)
				addExtra(m.key+"_reset_p50_us", "%.2f", float64(st.P50)/float64(time.Microsecond))
			}
			if m.key != "c" {
				if err := soak(ctx, cfg, m.key, f, req, progress); err != nil {
					f.Close(context.Background())
					return nil, err
				}
			}
			f.Close(context.Background())
		}

		if wantNative {
			// As aws-lambda-go's runtime loop does: one handler, a
			// lambdacontext in each invocation's context.
			h := lambda.NewHandler(hello)
			lctx := lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
				AwsRequestID:       req.RequestID,
				InvokedFunctionArn: req.InvokedFunctionARN,
			})
			r := measure(ctx, cfg, nativeName, func() error {
				out, err := h.Invoke(lctx, req.Payload)
				if err != nil {
					return err
				}
				return check(out, want)
			})
			progress("%s", r)
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// check compares a response with the expected one, spaces trimmed.
func check(got, want []byte) error {
	if !bytes.Equal(bytes.TrimSpace(got), want) {
		return fmt.Errorf("response %q, want %q", got, want)
	}
	return nil
}

// measure times cfg.n sequential calls of call, after cfg.warmup untimed
// ones; it stops early past cfg.rowLimit or when ctx is done. Latencies of
// failed calls are left out of the percentiles; failures are counted.
func measure(ctx context.Context, cfg *config, name string, call func() error) *row {
	return measureWith(ctx, cfg, name, nil, call)
}

// measureWith is measure with before, if not nil, run untimed before every
// call (its errors count as the row's).
func measureWith(ctx context.Context, cfg *config, name string, before, call func() error) *row {
	r := newRow(name)
	var firstErr error
	fail := func(err error) {
		r.errors++
		if firstErr == nil {
			firstErr = err
			r.firstErr = err.Error()
		}
	}
	run := call
	if before != nil {
		run = func() error {
			if err := before(); err != nil {
				return err
			}
			return call()
		}
	}
	for range cfg.warmup {
		if err := run(); err != nil {
			fail(err)
		}
	}
	// Start each row from a collected heap, so that one row's garbage is
	// not another's GC work.
	runtime.GC()
	lat := make([]time.Duration, 0, cfg.n)
	begin := time.Now()
	for i := 0; i < cfg.n && ctx.Err() == nil; i++ {
		if before != nil {
			if err := before(); err != nil {
				fail(err)
				continue
			}
		}
		t0 := time.Now()
		err := call()
		d := time.Since(t0)
		if err != nil {
			fail(err)
		} else {
			lat = append(lat, d)
		}
		if time.Since(begin) > cfg.rowLimit {
			r.truncated = true
			break
		}
	}
	elapsed := time.Since(begin)
	r.setLatencies(lat, elapsed)
	return r
}

// setLatencies fills n, p50, p99 and the rate of successful calls.
func (r *row) setLatencies(lat []time.Duration, elapsed time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r.n = len(lat)
	r.p50 = percentile(lat, 0.50)
	r.p99 = percentile(lat, 0.99)
	if elapsed > 0 {
		r.rate = float64(len(lat)) / elapsed.Seconds()
	}
}

// percentile is the nearest-rank percentile of sorted latencies; 0 for
// none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// ceil(p*n), minus a hair so that 0.99*100 is rank 99, not 100.
	rank := int(math.Ceil(p*float64(len(sorted)) - 1e-9))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}
