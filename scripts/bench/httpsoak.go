package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"time"
)

// soakClients are the keep-alive clients of the HTTP soak (-soak).
const soakClients = 64

// soakResult is one function's HTTP soak.
type soakResult struct {
	function                          string
	n, errors                         int
	firstErr                          string
	p50, p99                          time.Duration
	rate                              float64
	rssBefore, rssAfter               int64
	goroutinesBefore, goroutinesAfter int
}

// httpSoak drives the Go and the C Hello over HTTP with soakClients
// keep-alive clients for d each, and reports errors, latencies, resident
// memory and goroutines before and after (after the clients have gone and
// the server has had a moment: what a leak would leave).
func httpSoak(ctx context.Context, cfg *config, d time.Duration, w io.Writer, progress func(string, ...any)) error {
	fns := []target{targets[0], targets[1]} // go, c
	url, stop, err := startFresco(ctx, cfg, fns, progress)
	if err != nil {
		return err
	}
	defer stop()
	var results []soakResult
	for _, t := range fns {
		tr := &http.Transport{MaxIdleConns: 2 * soakClients, MaxIdleConnsPerHost: 2 * soakClients, IdleConnTimeout: time.Minute, DisableCompression: true}
		client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
		fnURL := url + "/2015-03-31/functions/" + t.function + "/invocations"
		settle()
		res := soakResult{function: t.function, rssBefore: residentBytes(), goroutinesBefore: runtime.NumGoroutine()}
		r := newRow("soak/" + t.key)
		lat, elapsed := drive(ctx, client, fnURL, []byte(t.want), soakClients, d, r)
		tr.CloseIdleConnections()
		settle()
		res.rssAfter, res.goroutinesAfter = residentBytes(), runtime.NumGoroutine()
		slices.Sort(lat)
		res.n, res.errors, res.firstErr = len(lat), r.errors, r.firstErr
		res.p50, res.p99 = percentile(lat, 0.50), percentile(lat, 0.99)
		res.rate = float64(len(lat)) / elapsed.Seconds()
		progress("soak %s: %d ok, %d errors", t.function, res.n, res.errors)
		results = append(results, res)
	}
	m := machine()
	fmt.Fprintf(w, "fresco HTTP soak: %d keep-alive clients, %s per function\n", soakClients, d)
	fmt.Fprintf(w, "machine:  %s, %d CPUs, %s, %s; load %s\n\n", m.platform, m.cpus, m.cpu, m.goVersion, loadAverage())
	fmt.Fprintf(w, "  %-8s %9s %7s %9s %9s %9s  %-17s  %s\n", "function", "ok", "errors", "p50", "p99", "inv/s", "RSS MB (→ after)", "goroutines (→ after)")
	errs := 0
	for _, r := range results {
		fmt.Fprintf(w, "  %-8s %9d %7d %9s %9s %9.0f  %7.1f → %-7.1f  %d → %d\n", r.function, r.n, r.errors,
			fmtDur(r.p50), fmtDur(r.p99), r.rate, float64(r.rssBefore)/(1<<20), float64(r.rssAfter)/(1<<20), r.goroutinesBefore, r.goroutinesAfter)
		if r.firstErr != "" {
			fmt.Fprintf(w, "           first error: %s\n", r.firstErr)
		}
		errs += r.errors
	}
	if errs > 0 {
		return fmt.Errorf("%d invocations failed or answered wrongly", errs)
	}
	return nil
}

// settle lets finished requests' goroutines end and the heap be collected.
func settle() {
	time.Sleep(2 * time.Second)
	runtime.GC()
}
