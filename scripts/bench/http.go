package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/frescolabs/fresco/emulator"
	"github.com/frescolabs/fresco/emulator/server"
)

// target is what an HTTP row calls: a function of the fresco server, or the
// echo server (the transport floor).
type target struct {
	key      string // row names are "http/"+key+"/c1" and "/c32"
	function string // template logical id; "" for the echo server
	codeURI  string // relative to the repository root
	// native builds the function for this machine and runs it as warm
	// Runtime API processes (FrescoMode native), not as wasm.
	native bool
	want   string
}

var targets = []target{
	{key: "go", function: "Hello", codeURI: "samples/hello", want: helloResponse},
	{key: "c", function: "CHello", codeURI: "samples/chello/chello.wasm", want: helloResponse},
	// The same Hello handler, built natively: aws-lambda-go's own runtime
	// client in warm processes behind the same Invoke API, the way AWS's
	// emulator runs it; wasm-fresh against native-warm in one run.
	{key: "native", function: "NativeHello", codeURI: "samples/hello", native: true, want: helloResponse},
	{key: "floor", want: payload},
}

func (t target) rowName(conc int) string { return fmt.Sprintf("http/%s/c%d", t.key, conc) }

// httpRows starts the servers the selected rows need, in this process, and
// drives them.
func httpRows(ctx context.Context, cfg *config, progress func(string, ...any)) ([]*row, error) {
	var selected []target
	var functions []target
	for _, t := range targets {
		if cfg.only.MatchString(t.rowName(1)) || cfg.only.MatchString(t.rowName(concurrency)) {
			selected = append(selected, t)
			if t.function != "" {
				functions = append(functions, t)
			}
		}
	}
	if len(selected) == 0 {
		return nil, nil
	}

	var frescoURL, echoURL string
	if len(functions) > 0 {
		url, stop, err := startFresco(ctx, cfg, functions, progress)
		if err != nil {
			return nil, err
		}
		defer stop()
		frescoURL = url
	}
	if len(functions) < len(selected) {
		url, stop, err := startEcho()
		if err != nil {
			return nil, err
		}
		defer stop()
		echoURL = url
	}

	// One keep-alive transport for every row, with an idle connection for
	// each client of the loaded rows.
	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        2 * concurrency,
		MaxIdleConnsPerHost: 2 * concurrency,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	var rows []*row
	for _, t := range selected {
		url := echoURL + "/echo"
		if t.function != "" {
			url = frescoURL + "/2015-03-31/functions/" + t.function + "/invocations"
		}
		for _, conc := range []int{1, concurrency} {
			name := t.rowName(conc)
			if !cfg.only.MatchString(name) {
				continue
			}
			r := load(ctx, cfg, client, name, url, []byte(t.want), conc)
			progress("%s", r)
			rows = append(rows, r)
		}
	}
	compareNative(rows)
	return rows, nil
}

// startFresco serves a template of the given functions with emulator.Serve
// on a loopback port, and returns its base URL and a function that stops
// it.
func startFresco(ctx context.Context, cfg *config, functions []target, progress func(string, ...any)) (string, func(), error) {
	dir, err := os.MkdirTemp("", "fresco-bench-")
	if err != nil {
		return "", nil, err
	}
	var tmpl strings.Builder
	tmpl.WriteString(`AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Description: fresco bench (scripts/bench)
Globals:
  Function:
    Runtime: provided.al2023
    Handler: bootstrap
    MemorySize: 128
    Timeout: 3
Resources:
`)
	for _, t := range functions {
		// A JSON string is a valid YAML double-quoted scalar.
		uri, _ := json.Marshal(filepath.Join(cfg.root, filepath.FromSlash(t.codeURI)))
		fmt.Fprintf(&tmpl, "  %s:\n    Type: AWS::Serverless::Function\n", t.function)
		if t.native {
			tmpl.WriteString("    Metadata:\n      FrescoMode: native\n")
		}
		fmt.Fprintf(&tmpl, "    Properties:\n      CodeUri: %s\n", uri)
	}
	path := filepath.Join(dir, "template.yaml")
	if err := os.WriteFile(path, []byte(tmpl.String()), 0o644); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}

	opts := emulator.Options{
		Template:    path,
		CacheDir:    cfg.cacheDir,
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		FunctionLog: io.Discard,
		BuildOutput: io.Discard,
		FullResets:  cfg.fullResets,
	}
	sctx, cancel := context.WithCancel(ctx)
	ready := make(chan string, 1)
	served := make(chan error, 1)
	start := time.Now()
	go func() { served <- server.Serve(sctx, opts, "127.0.0.1:0", 10*time.Second, ready) }()
	stop := func() {
		cancel()
		if err := <-served; err != nil && !errors.Is(err, context.Canceled) {
			progress("fresco server: %v", err)
		}
		os.RemoveAll(dir)
	}
	select {
	case addr := <-ready:
		progress("fresco serving %s on %s, ready in %s", functionNames(functions), addr, time.Since(start).Round(time.Millisecond))
		return "http://" + addr, stop, nil
	case err := <-served:
		cancel()
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("start fresco: %w", err)
	case <-ctx.Done():
		stop()
		return "", nil, ctx.Err()
	}
}

// startEcho serves a trivial net/http echo of the request body on a
// loopback port: what any HTTP API pays before doing anything.
func startEcho() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(b)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(ln)
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// load drives url with conc keep-alive clients for cfg.duration, after a
// short warm-up that also opens the connections. Every response must be a
// 200 with the body want; anything else is an error, left out of the
// percentiles and the rate.
func load(ctx context.Context, cfg *config, client *http.Client, name, url string, want []byte, conc int) *row {
	r := newRow(name)
	warm := min(cfg.duration/5, 300*time.Millisecond)
	drive(ctx, client, url, want, conc, warm, r)
	runtime.GC()
	cpu0 := cpuTime()
	lat, elapsed := drive(ctx, client, url, want, conc, cfg.duration, r)
	cpu := cpuTime() - cpu0
	r.setLatencies(lat, elapsed)
	if len(lat) > 0 && cpu > 0 {
		// What a request costs the machine, the load generator's share
		// (the same for every row) included: the rate at 32 clients is
		// the cores divided by it.
		perReq := float64(cpu) / float64(len(lat)) / float64(time.Microsecond)
		r.cpuPerReq = perReq
		addNote("%s: %.0f µs of CPU per request (this process and its children, the clients' share included)", name, perReq)
		addExtra(r.key+"_cpu_us_per_req"+r.suffix, "%.1f", perReq)
	}
	return r
}

// drive runs conc clients for d and returns the latencies of the good
// answers and the time until the last client stopped; errors go to r.
func drive(ctx context.Context, client *http.Client, url string, want []byte, conc int, d time.Duration, r *row) ([]time.Duration, time.Duration) {
	var (
		mu  sync.Mutex
		all []time.Duration
		wg  sync.WaitGroup
	)
	begin := time.Now()
	deadline := begin.Add(d)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1024)
			var errs []error
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t0 := time.Now()
				err := post(ctx, client, url, want)
				if err != nil {
					errs = append(errs, err)
					// Do not spin on a server that is gone.
					time.Sleep(time.Millisecond)
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			for _, err := range errs {
				r.errors++
				if r.firstErr == "" {
					r.firstErr = err.Error()
				}
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all, time.Since(begin)
}

// post sends the bench payload and checks the answer.
func post(ctx context.Context, client *http.Client, url string, want []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %.200s", resp.StatusCode, body)
	}
	if fe := resp.Header.Get("X-Amz-Function-Error"); fe != "" {
		return fmt.Errorf("function error %s: %.200s", fe, body)
	}
	if !bytes.Equal(bytes.TrimSpace(body), want) {
		return fmt.Errorf("response %.200q, want %q", body, want)
	}
	return nil
}

func functionNames(ts []target) string {
	var names []string
	for _, t := range ts {
		names = append(names, t.function)
	}
	return strings.Join(names, ", ")
}

// compareNative notes, for each loaded wasm row, how it compares with the
// native row at the same concurrency: the rate, and the CPU a request
// costs, which moves less with other load on the machine.
func compareNative(rows []*row) {
	native := map[int]*row{}
	for _, r := range rows {
		if r.module == "native" {
			native[r.conc] = r
		}
	}
	for _, r := range rows {
		n := native[r.conc]
		if n == nil || r == n || r.module == "floor" || r.rate == 0 || n.rate == 0 {
			continue
		}
		line := fmt.Sprintf("%s: %.2fx the rate of %s", r.name, r.rate/n.rate, n.name)
		if r.cpuPerReq > 0 && n.cpuPerReq > 0 {
			line += fmt.Sprintf(", %.2fx less CPU per request", n.cpuPerReq/r.cpuPerReq)
		}
		addNote("%s", line)
		addExtra(r.key+"_x_native_rate"+r.suffix, "%.2f", r.rate/n.rate)
	}
}
