package server

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/frescolabs/fresco/emulator"
	"github.com/frescolabs/fresco/emulator/functions"
	"github.com/frescolabs/fresco/emulator/procpool"
	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/edge"
	"github.com/frescolabs/fresco/wasmhost"
)

// The surfaces of fresco_http_requests_total.
const (
	surfaceInvoke  = "invoke"
	surfaceAPIGW   = "apigw"
	surfaceRuntime = "runtime"
)

// Label names.
const (
	labelFunction  = "function"
	labelType      = "type"
	labelErrorType = "error_type"
	labelSurface   = "surface"
	labelCode      = "code"
	labelMechanism = "mechanism"
	labelKind      = "kind"
	labelState     = "state"
)

// Buckets of the invocation histograms, in seconds: from a reset instance's
// tens of microseconds to a 15-minute timeout.
var durationBuckets = []float64{
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
	0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900,
}

// metrics are the server's Prometheus metrics. Invocations are counted at
// the Invoker's one observation point (observe), HTTP requests by the
// edge's RequestMetrics middleware, and what wasmhost and the process
// pools already count is read at scrape time (stateCollector), not counted
// twice.
type metrics struct {
	reg *prometheus.Registry

	invocations *prometheus.CounterVec
	errors      *prometheus.CounterVec
	throttles   *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	initDur     *prometheus.HistogramVec
	restoreDur  *prometheus.HistogramVec
	requests    *prometheus.CounterVec
	reqDuration *prometheus.HistogramVec
	inFlight    *prometheus.GaugeVec

	// emu is the emulator once its functions are loaded; nil before.
	emu atomic.Pointer[emulator.Emulator]
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		invocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fresco_invocations_total",
			Help: "Invocations that ran (throttled ones excluded), by function and invocation type.",
		}, []string{labelFunction, labelType}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fresco_invocation_errors_total",
			Help: "Invocations that failed, by function and Lambda error type (Unhandled for a function's own error, Sandbox.Timedout, Runtime.ExitError, ...).",
		}, []string{labelFunction, labelErrorType}),
		throttles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fresco_throttles_total",
			Help: "Invocations refused with TooManyRequestsException, by function.",
		}, []string{labelFunction}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "fresco_invocation_duration_seconds",
			Help:    "Time in the function's handler (REPORT's Duration), by function.",
			Buckets: durationBuckets,
		}, []string{labelFunction}),
		initDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "fresco_init_duration_seconds",
			Help:    "Init of an instance before its invocation (REPORT's Init Duration), by function.",
			Buckets: durationBuckets,
		}, []string{labelFunction}),
		restoreDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "fresco_restore_duration_seconds",
			Help:    "Making an invocation's instance from its function's snapshot (REPORT's Restore Duration), by function.",
			Buckets: durationBuckets,
		}, []string{labelFunction}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fresco_http_requests_total",
			Help: "HTTP requests answered, by surface (invoke, apigw, runtime) and status code.",
		}, []string{labelSurface, labelCode}),
		reqDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "fresco_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by surface.",
			Buckets: durationBuckets,
		}, []string{labelSurface}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "fresco_http_requests_in_flight",
			Help: "HTTP requests being served, by surface.",
		}, []string{labelSurface}),
	}
	m.reg.MustRegister(m.invocations, m.errors, m.throttles, m.duration, m.initDur, m.restoreDur,
		m.requests, m.reqDuration, m.inFlight, stateCollector{m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observe is the Invoker's Observer: one call per invocation ended or
// refused, on the invocation's goroutine.
func (m *metrics) observe(o functions.Observation) {
	if o.Throttled {
		m.throttles.WithLabelValues(o.Function).Inc()
		return
	}
	m.invocations.WithLabelValues(o.Function, o.Type.String()).Inc()
	res := o.Result
	if res == nil {
		return
	}
	m.duration.WithLabelValues(o.Function).Observe(res.Duration.Seconds())
	if res.InitDuration > 0 {
		m.initDur.WithLabelValues(o.Function).Observe(res.InitDuration.Seconds())
	}
	if res.RestoreDuration > 0 {
		m.restoreDur.WithLabelValues(o.Function).Observe(res.RestoreDuration.Seconds())
	}
	if res.Kind != invoke.Success {
		m.errors.WithLabelValues(o.Function, errorType(res)).Inc()
	}
}

// errorType is a failed invocation's label: the Lambda error type the
// sandbox or runtime gave (Sandbox.Timedout, Runtime.ExitError,
// Function.ResponseSizeTooLarge, ...), or Unhandled, X-Amz-Function-Error's
// value, for an error of the function's own, whose type (any string a
// guest chooses) would make the label unbounded.
func errorType(res *invoke.Result) string {
	if res.Kind == invoke.Timeout {
		return invoke.ErrTimeout
	}
	if res.Kind != invoke.FunctionError {
		for _, p := range []string{"Sandbox.", "Runtime.", "Function."} {
			if strings.HasPrefix(res.ErrorType, p) {
				return res.ErrorType
			}
		}
	}
	return "Unhandled"
}

// requestMetrics is the edge middleware that counts a surface's requests.
func (m *metrics) requestMetrics(surface string) func(http.Handler) http.Handler {
	inFlight := m.inFlight.WithLabelValues(surface)
	dur := m.reqDuration.WithLabelValues(surface)
	return edge.RequestMetrics{
		Begin: inFlight.Inc,
		Done: func(status int, d time.Duration) {
			inFlight.Dec()
			dur.Observe(d.Seconds())
			m.requests.WithLabelValues(surface, strconv.Itoa(status)).Inc()
		},
	}.Middleware
}

// handler serves the exposition.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: nil})
}

// stateCollector reads, at scrape time, what wasmhost and the process
// pools count: instances made, reused and discarded and resets by
// function, the reset mechanism, the ready-memory budget, the memory pool,
// the process pools.
type stateCollector struct{ m *metrics }

var (
	descMade = prometheus.NewDesc("fresco_instances_made_total",
		"Instances made from a function's snapshot.", []string{labelFunction}, nil)
	descReused = prometheus.NewDesc("fresco_instances_reused_total",
		"Invocations served by an instance reset to its snapshot.", []string{labelFunction}, nil)
	descDiscarded = prometheus.NewDesc("fresco_instances_discarded_total",
		"Instances discarded rather than reset (a failed invocation, over the ready-memory budget, a failed reset).", []string{labelFunction}, nil)
	descResets = prometheus.NewDesc("fresco_resets_total",
		"Instance resets, by function and kind: dirty (only the pages written) or full (the whole image).", []string{labelFunction, labelKind}, nil)
	descResetP50 = prometheus.NewDesc("fresco_reset_p50_seconds",
		"Median of a function's last 1,024 timed resets.", []string{labelFunction}, nil)
	descHotPages = prometheus.NewDesc("fresco_reset_hot_pages",
		"Pages in a function's learnt hot set (copied on every reset).", []string{labelFunction}, nil)
	descMechanism = prometheus.NewDesc("fresco_reset_mechanism_info",
		"How the host resets instances: dirty pages, or a full copy and why (value 1).", []string{labelMechanism}, nil)
	descReadyLimit = prometheus.NewDesc("fresco_ready_memory_limit_bytes",
		"Budget of the memory of ready instances, all functions together.", nil, nil)
	descReadyUsed = prometheus.NewDesc("fresco_ready_memory_used_bytes",
		"Memory the ready instances hold now.", nil, nil)
	descPoolFree = prometheus.NewDesc("fresco_memory_pool_free",
		"Linear memories kept free for the next instances.", nil, nil)
	descPoolBytes = prometheus.NewDesc("fresco_memory_pool_reserved_bytes",
		"Address space the free linear memories reserve.", nil, nil)
	descProcs = prometheus.NewDesc("fresco_process_pool_processes",
		"Runtime processes of a process function, by state: alive (running or starting) or idle.", []string{labelFunction, labelState}, nil)
	descProcsMax = prometheus.NewDesc("fresco_process_pool_max_processes",
		"The most runtime processes a process function runs.", []string{labelFunction}, nil)
	descProcsStarted = prometheus.NewDesc("fresco_process_pool_started_total",
		"Runtime processes a process function started.", []string{labelFunction}, nil)
	descFunctions = prometheus.NewDesc("fresco_functions_loaded",
		"Function code loaded ($LATEST and the versions aliases pin).", nil, nil)
	descQueueHeld = prometheus.NewDesc("fresco_event_queue_held",
		"Accepted or claimed Event invocations this host is to run: waiting, running or waiting for a retry.", nil, nil)
	descQueueClaimed = prometheus.NewDesc("fresco_event_queue_claimed_total",
		"Event invocations claimed from the shared queue (--queue) after their host's lease lapsed.", nil, nil)
	descQueueLost = prometheus.NewDesc("fresco_event_queue_lost_total",
		"Event invocations held here that another host claimed first (this host did not renew in time).", nil, nil)
)

func (stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMade, descReused, descDiscarded, descResets, descResetP50,
		descHotPages, descMechanism, descReadyLimit, descReadyUsed, descPoolFree, descPoolBytes,
		descProcs, descProcsMax, descProcsStarted, descFunctions, descQueueHeld, descQueueClaimed, descQueueLost} {
		ch <- d
	}
}

// snapshotModule and processPool are what the collector reads of a Runner.
type (
	snapshotModule interface {
		SnapshotStats() (made, reused, discarded int64)
		ResetStats() wasmhost.ResetStats
	}
	processPool interface {
		Stats() (alive, idle, max int, started int64)
	}
)

var (
	_ snapshotModule = (*wasmhost.Module)(nil)
	_ processPool    = (*procpool.Pool)(nil)
)

// perFunction sums what the Runners of one function count (several are
// loaded when an alias pins an older version).
type perFunction struct {
	made, reused, discarded, dirty, full int64
	p50                                  time.Duration
	hot                                  int
	wasm                                 bool
	alive, idle, max                     int
	started                              int64
	proc                                 bool
}

func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	e := c.m.emu.Load()
	if e == nil {
		return
	}
	host := e.Host()
	ch <- prometheus.MustNewConstMetric(descMechanism, prometheus.GaugeValue, 1, host.ResetMechanism())
	limit, used := host.ReadyMemory()
	ch <- prometheus.MustNewConstMetric(descReadyLimit, prometheus.GaugeValue, float64(limit))
	ch <- prometheus.MustNewConstMetric(descReadyUsed, prometheus.GaugeValue, float64(used))
	free, reserved := host.MemoryPool()
	ch <- prometheus.MustNewConstMetric(descPoolFree, prometheus.GaugeValue, float64(free))
	ch <- prometheus.MustNewConstMetric(descPoolBytes, prometheus.GaugeValue, float64(reserved))

	q := e.EventQueue()
	ch <- prometheus.MustNewConstMetric(descQueueHeld, prometheus.GaugeValue, float64(q.Held))
	ch <- prometheus.MustNewConstMetric(descQueueClaimed, prometheus.CounterValue, float64(q.Claimed))
	ch <- prometheus.MustNewConstMetric(descQueueLost, prometheus.CounterValue, float64(q.Lost))

	loaded := e.Loaded()
	ch <- prometheus.MustNewConstMetric(descFunctions, prometheus.GaugeValue, float64(len(loaded)))
	byFn := map[string]*perFunction{}
	var order []string
	for _, l := range loaded {
		p := byFn[l.Function]
		if p == nil {
			p = &perFunction{}
			byFn[l.Function] = p
			order = append(order, l.Function)
		}
		switch r := l.Runner.(type) {
		case snapshotModule:
			p.wasm = true
			made, reused, discarded := r.SnapshotStats()
			p.made, p.reused, p.discarded = p.made+made, p.reused+reused, p.discarded+discarded
			st := r.ResetStats()
			p.dirty, p.full = p.dirty+st.Dirty, p.full+st.Full
			p.p50, p.hot = max(p.p50, st.P50), max(p.hot, st.HotPages)
		case processPool:
			p.proc = true
			alive, idle, mx, started := r.Stats()
			p.alive, p.idle, p.max, p.started = p.alive+alive, p.idle+idle, p.max+mx, p.started+started
		}
	}
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, fn := range order {
		p := byFn[fn]
		if p.wasm {
			counter(descMade, p.made, fn)
			counter(descReused, p.reused, fn)
			counter(descDiscarded, p.discarded, fn)
			counter(descResets, p.dirty, fn, "dirty")
			counter(descResets, p.full, fn, "full")
			gauge(descResetP50, p.p50.Seconds(), fn)
			gauge(descHotPages, float64(p.hot), fn)
		}
		if p.proc {
			gauge(descProcs, float64(p.alive), fn, "alive")
			gauge(descProcs, float64(p.idle), fn, "idle")
			gauge(descProcsMax, float64(p.max), fn)
			counter(descProcsStarted, p.started, fn)
		}
	}
}

// surface is the request-counting middleware of a surface; nil without
// metrics.
func (m *metrics) surface(name string) func(http.Handler) http.Handler {
	if m == nil {
		return nil
	}
	return m.requestMetrics(name)
}
