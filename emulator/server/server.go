package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/frescolabs/fresco/emulator"
	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/apigw"
	"github.com/frescolabs/fresco/lambdaapi/edge"
	"github.com/frescolabs/fresco/lambdaapi/invokeapi"
)

// Default ports, as SAM's: sam local start-lambda serves the Invoke API on
// 3001, sam local start-api API Gateway on 3000.
const (
	DefaultPort    = 3001
	DefaultAPIPort = 3000
)

// Serve builds and loads the template's functions, listens on addr and
// serves the Invoke API until ctx is done, then shuts down gracefully:
// in-flight invocations (synchronous and Event) finish first. If ready is
// non-nil, it receives the bound address once the server accepts
// connections. It serves no API Gateway; ServeWith does both.
func Serve(ctx context.Context, opts emulator.Options, addr string, shutdownTimeout time.Duration, ready chan<- string) error {
	return ServeWith(ctx, opts, Config{
		Addr:            addr,
		ShutdownTimeout: shutdownTimeout,
		Ready: func(a Addrs) {
			if ready != nil {
				ready <- a.Invoke
			}
		},
	})
}

// Config says where ServeWith listens.
type Config struct {
	// Addr is the Lambda Invoke API's host:port.
	Addr string
	// APIAddr is API Gateway's host:port; empty serves no API Gateway. It is
	// served only when the template has Api or HttpApi events.
	APIAddr string
	// ShutdownTimeout bounds how long shutdown waits for in-flight
	// invocations.
	ShutdownTimeout time.Duration
	// Ready, if not nil, is called with the bound addresses once the
	// servers accept connections.
	Ready func(Addrs)
	// AllowedHosts are the names (and addresses) accepted in a request's
	// Host on both ports, besides localhost, the loopback addresses and the
	// address a server listens on; "*" accepts any. A server listening on
	// all interfaces (0.0.0.0, ::, or no host) accepts any Host.
	AllowedHosts []string
}

// Addrs are the addresses ServeWith listens on.
type Addrs struct {
	// Invoke is the Lambda Invoke API's address.
	Invoke string
	// API is API Gateway's address; empty when it is not served.
	API string
}

// ServeWith builds and loads the template's functions and serves the
// Lambda Invoke API and, when cfg.APIAddr is set and the template has Api or
// HttpApi events, API Gateway, until ctx is done; then it shuts both down
// gracefully: in-flight requests and invocations (synchronous and Event)
// finish first. Both addresses are bound before anything is built, so a
// port in use is reported at once.
func ServeWith(ctx context.Context, opts emulator.Options, cfg Config) error {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	logger := opts.Logger
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	if opts.LambdaEndpoint == "" {
		opts.LambdaEndpoint = localEndpoint(ln.Addr())
	}
	// The template is read once, before anything is built, to know whether
	// API Gateway has routes to serve.
	plan, err := emulator.Prepare(opts)
	if err != nil {
		return err
	}
	var apiLn net.Listener
	if cfg.APIAddr != "" && plan.HasAPIEvents() {
		if apiLn, err = net.Listen("tcp", cfg.APIAddr); err != nil {
			return fmt.Errorf("listen on %s (API Gateway): %w", cfg.APIAddr, err)
		}
		defer apiLn.Close()
	}
	e, err := plan.Start(ctx)
	if err != nil {
		return err
	}
	servers, err := newServers(e, opts, cfg, ln, apiLn)
	if err != nil {
		e.Close(context.Background())
		return err
	}
	errc := make(chan error, len(servers))
	for _, s := range servers {
		go func() { errc <- s.srv.Serve(s.ln) }()
	}
	if opts.Watch {
		go e.Watch(ctx, opts.WatchInterval)
	}
	addrs := Addrs{Invoke: ln.Addr().String()}
	logger.Info("fresco is serving the Lambda Invoke API",
		"addr", "http://"+addrs.Invoke, "functions", len(e.Functions()))
	if len(servers) > 1 {
		addrs.API = apiLn.Addr().String()
		routes := 0
		for _, a := range e.APIGatewayAPIs() {
			routes += len(a.Routes)
		}
		logger.Info("fresco is serving API Gateway", "api_addr", "http://"+addrs.API, "routes", routes)
	}
	if cfg.Ready != nil {
		cfg.Ready(addrs)
	}
	var serveErr error
	select {
	case serveErr = <-errc:
		serveErr = fmt.Errorf("serve: %w", serveErr)
	case <-ctx.Done():
		logger.Info("shutting down; waiting for in-flight invocations")
	}
	return shutdown(e, servers, cfg.ShutdownTimeout, serveErr)
}

// listening is one HTTP server and its listener.
type listening struct {
	srv *http.Server
	ln  net.Listener
}

// newServers makes the Invoke API's server and, when apiLn is not nil, API
// Gateway's, both over e, behind the edge's guards (guarded).
func newServers(e *emulator.Emulator, opts emulator.Options, cfg Config, ln, apiLn net.Listener) ([]listening, error) {
	logger := opts.Logger
	inv := invokeapi.NewHandler(backend{e.Invoker()}, logger)
	servers := []listening{guarded(inv, ln, hostsFor(cfg.Addr, cfg.AllowedHosts, logger), true, invokeapi.Refuse, logger)}
	if apiLn == nil {
		return servers, nil
	}
	h, err := apigw.NewAPIGatewayHandler(apigw.APIGatewayConfig{
		APIs:      e.APIGatewayAPIs(),
		Backend:   backend{e.Invoker()},
		Logger:    logger,
		AccountID: invoke.DefaultAccountID,
	})
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", opts.Template, err)
	}
	api := guarded(h, apiLn, hostsFor(cfg.APIAddr, cfg.AllowedHosts, logger), false, apigw.Refuse, logger)
	return append(servers, api), nil
}

// guarded serves h on ln behind the edge, every refusal rendered by
// refuse: the Host guard (and, with sameOrigin, the Origin guard: API
// Gateway keeps the template's CORS instead), the URL limit, and net/http's
// own answers to unreadable requests replaced.
func guarded(h http.Handler, ln net.Listener, hosts []string, sameOrigin bool, refuse edge.Refuse, logger *slog.Logger) listening {
	guard := edge.HostGuard{Hosts: hosts, SameOrigin: sameOrigin, Refuse: refuse, Logger: logger}
	h = guard.Middleware(edge.LimitURL(refuse)(h))
	return listening{newHTTPServer(h, logger), edge.Listener(ln, refuse)}
}

// hostsFor is what a server listening on addr accepts in Host besides the
// loopback names: the allowed hosts and the address it listens on, or any
// Host when it listens on all interfaces, which is logged as a warning.
func hostsFor(addr string, allowed []string, logger *slog.Logger) []string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		logger.Warn("listening on all interfaces: requests with any Host are accepted, from any machine that can reach this one",
			"addr", addr)
		return []string{edge.AnyHost}
	}
	return append(slices.Clone(allowed), host)
}

// shutdown stops the servers, waiting up to timeout for the requests in
// flight, then closes e, which waits for Event invocations. After a serve
// error, e is closed at once and the error returned.
func shutdown(e *emulator.Emulator, servers []listening, timeout time.Duration, serveErr error) error {
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() { errs[i] = s.srv.Shutdown(sctx) })
	}
	wg.Wait()
	if serveErr != nil {
		e.Close(context.Background())
		return serveErr
	}
	return errors.Join(errors.Join(errs...), e.Close(sctx))
}

// newHTTPServer is fresco's HTTP server for a handler: header and idle
// limits, and writes that wait for a function's longest Timeout.
func newHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		// Writes wait for the function: its Timeout is at most 900 s.
		WriteTimeout: 16 * time.Minute,
		IdleTimeout:  2 * time.Minute,
		// Above edge.MaxURL, so that a long URL gets the surface's answer.
		MaxHeaderBytes: edge.MaxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// localEndpoint is the URL at which this machine reaches the Invoke API
// listening on addr (127.0.0.1 or ::1 for an unspecified address): wasm
// guests find it in AWS_ENDPOINT_URL_LAMBDA.
func localEndpoint(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return ""
	}
	ip := tcp.IP
	if ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
		if tcp.IP.To4() == nil && len(tcp.IP) == net.IPv6len && !tcp.IP.Equal(net.IPv6zero) {
			ip = net.IPv6loopback
		}
	}
	return "http://" + net.JoinHostPort(ip.String(), strconv.Itoa(tcp.Port))
}
