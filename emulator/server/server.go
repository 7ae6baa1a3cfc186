package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/frescolabs/fresco/emulator"
	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/apigw"
	"github.com/frescolabs/fresco/lambdaapi/apispec"
	"github.com/frescolabs/fresco/lambdaapi/edge"
	"github.com/frescolabs/fresco/lambdaapi/funcurl"
	"github.com/frescolabs/fresco/lambdaapi/invokeapi"
	"github.com/frescolabs/fresco/lambdaapi/manageapi"
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
	// AdminAddr is the admin listener's host:port (/metrics, /healthz,
	// /readyz); empty serves none.
	AdminAddr string
	// ShutdownTimeout bounds how long the drain waits for in-flight
	// invocations (fresco start --drain-timeout).
	ShutdownTimeout time.Duration
	// Ready, if not nil, is called with the bound addresses once the
	// servers accept connections.
	Ready func(Addrs)
	// AllowedHosts are the names (and addresses) accepted in a request's
	// Host on both ports, besides localhost, the loopback addresses and the
	// address a server listens on; "*" accepts any. A server listening on
	// all interfaces (0.0.0.0, ::, or no host) accepts any Host.
	AllowedHosts []string
	// Credentials, when not empty, make the Invoke API require requests
	// signed with SigV4 by one of these key pairs.
	Credentials edge.Credentials
	// InsecureNoAuth lets the Invoke API listen beyond loopback without
	// Credentials; without it, ServeWith refuses to.
	InsecureNoAuth bool
	// TLSCert and TLSKey, both set, are the PEM files with which the Invoke
	// API and API Gateway serve HTTPS.
	TLSCert, TLSKey string
}

// Addrs are the addresses ServeWith listens on.
type Addrs struct {
	// Invoke is the Lambda Invoke API's address.
	Invoke string
	// API is API Gateway's address; empty when it is not served.
	API string
	// Admin is the admin listener's address; empty when it is not served.
	Admin string
}

// ErrNoAuth is ServeWith's refusal to serve the Invoke API beyond loopback
// without credentials.
var ErrNoAuth = errors.New("refusing to serve the Invoke API beyond loopback without authentication: give --auth-credentials FILE (or --insecure-no-auth)")

// ServeWith builds and loads the template's functions and serves the
// Lambda Invoke API and, when cfg.APIAddr is set and the template has Api or
// HttpApi events, API Gateway, until ctx is done; then it drains: /readyz
// answers 503, the listeners stop accepting, in-flight requests and
// invocations (synchronous and Event) finish within cfg.ShutdownTimeout,
// Event invocations not yet started stay in the durable queue for the next
// start, and it returns nil. Every address is bound before anything is
// built, so a port in use is reported at once; the admin listener answers
// /healthz from then on, and /readyz once the functions are loaded.
func ServeWith(ctx context.Context, opts emulator.Options, cfg Config) error {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	logger := opts.Logger
	if len(cfg.Credentials) == 0 && !isLoopback(cfg.Addr) {
		if !cfg.InsecureNoAuth {
			return fmt.Errorf("listen on %s: %w", cfg.Addr, ErrNoAuth)
		}
		logger.Warn("the Invoke API listens beyond loopback without authentication (--insecure-no-auth): anyone who reaches it runs the functions", "addr", cfg.Addr)
	}
	var tlsConfig *tls.Config
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("load TLS certificate: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	var m *metrics
	var admin *adminServer
	if cfg.AdminAddr != "" {
		m = newMetrics()
		var err error
		if admin, err = startAdmin(cfg.AdminAddr, m, logger); err != nil {
			return err
		}
		defer admin.close()
		opts.Observers = append(opts.Observers, m.observe)
		opts.RuntimeAPIMiddleware = m.requestMetrics(surfaceRuntime)
	}
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
	servers, err := newServers(e, opts, cfg, ln, apiLn, tlsConfig, m)
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
	if enabled, disabled := e.Schedules(); opts.Schedules {
		go e.RunSchedules(ctx)
	} else if n := len(enabled) + disabled; n > 0 {
		logger.Info("the template's Schedule and ScheduleV2 events are not firing: fresco start --schedules fires them", "count", n)
	}
	scheme := "http://"
	if tlsConfig != nil {
		scheme = "https://"
	}
	addrs := Addrs{Invoke: ln.Addr().String()}
	// Ready before the lines that say so.
	if admin != nil {
		addrs.Admin = admin.addr()
		m.emu.Store(e)
		admin.ready.Store(true)
	}
	logger.Info("fresco is serving the Lambda Invoke API",
		"addr", scheme+addrs.Invoke, "functions", len(e.Functions()), "auth", len(cfg.Credentials) > 0)
	if len(servers) > 1 {
		addrs.API = apiLn.Addr().String()
		e.SetAPIAddress(scheme + addrs.API)
		routes := 0
		for _, a := range e.APIGatewayAPIs() {
			routes += len(a.Routes)
		}
		logger.Info("fresco is serving API Gateway", "api_addr", scheme+addrs.API, "routes", routes)
		logRoutes(logger, scheme+addrs.API, e.APIGatewayAPIs())
		for _, u := range e.FunctionURLs() {
			host, path := u.Addresses(scheme+addrs.API, e.Region())
			logger.Info("function URL", "function", u.Function, "url", host, "path_url", path, "invoke_mode", u.InvokeMode, "auth_type", u.AuthType)
			if u.AuthType == funcurl.AuthIAM {
				logger.Warn("function URL AuthType AWS_IAM is accepted but not enforced", "function", u.Function)
			}
		}
	}
	if cfg.Ready != nil {
		cfg.Ready(addrs)
	}
	var serveErr error
	select {
	case serveErr = <-errc:
		serveErr = fmt.Errorf("serve: %w", serveErr)
	case <-ctx.Done():
		if admin != nil {
			admin.ready.Store(false)
		}
		// Events not yet started stay queued for the next start.
		e.Invoker().Drain()
		logger.Info("draining: not ready; listeners closed; waiting for in-flight invocations",
			"drain_timeout", cfg.ShutdownTimeout.String())
	}
	start := time.Now()
	err = shutdown(e, servers, cfg.ShutdownTimeout, serveErr)
	if serveErr == nil {
		if err != nil {
			logger.Error("drain did not finish", "error", err, "took", time.Since(start).String())
		} else {
			logger.Info("drained", "took", time.Since(start).String())
		}
	}
	return err
}

// isLoopback reports whether addr (host:port) listens on loopback only:
// localhost or a loopback address.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}

// listening is one HTTP server and its listener.
type listening struct {
	srv *http.Server
	ln  net.Listener
}

// newServers makes the Invoke API's server and, when apiLn is not nil, API
// Gateway's, both over e, behind the edge's guards (guarded).
func newServers(e *emulator.Emulator, opts emulator.Options, cfg Config, ln, apiLn net.Listener, tlsConfig *tls.Config, m *metrics) ([]listening, error) {
	logger := opts.Logger
	var auth func(http.Handler) http.Handler
	if len(cfg.Credentials) > 0 {
		auth = edge.SigV4{
			Credentials: cfg.Credentials,
			Service:     "lambda",
			MaxBody:     invoke.MaxSyncRequest,
			TLS:         tlsConfig != nil,
			Deny:        invokeapi.Deny,
			Refuse:      invokeapi.Refuse,
			Logger:      logger,
		}.Middleware
	}
	inv := invokeapi.NewAuthenticatedHandler(backend{e.Invoker()}, logger, auth)
	// The control plane shares the listener: what it has no route for goes
	// on to the Invoke API. Its bodies carry zipped code, hence its own
	// body limit under SigV4.
	var manageAuth func(http.Handler) http.Handler
	if len(cfg.Credentials) > 0 {
		manageAuth = edge.SigV4{
			Credentials: cfg.Credentials,
			Service:     "lambda",
			MaxBody:     manageapi.MaxRequest,
			TLS:         tlsConfig != nil,
			Deny:        invokeapi.Deny,
			Refuse:      manageapi.Refuse(invokeapi.Refuse),
			Logger:      logger,
		}.Middleware
	}
	inv = manageapi.NewHandler(manageapi.Config{Backend: e.Management(), Logger: logger, Auth: manageAuth, Fallback: inv})
	hosts := hostsFor(cfg.Addr, cfg.AllowedHosts, logger)
	if auth != nil {
		// A signed request names its Host in the signature: a page that
		// rebinds a name cannot sign, so any Host the client signed for is
		// accepted (a name of the machine, a load balancer's).
		hosts = []string{edge.AnyHost}
	}
	servers := []listening{guarded(inv, ln, hosts, true, invokeapi.Refuse, logger, tlsConfig, m.surface(surfaceInvoke))}
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
	// Function URLs share the API port (RATIONALE.md, "Function URLs").
	h = funcurl.Handler(funcurl.Config{URLs: e.FunctionURLs, Backend: backend{e.Invoker()}, Region: e.Region(), Logger: logger}, h)
	api := guarded(h, apiLn, hostsFor(cfg.APIAddr, cfg.AllowedHosts, logger), false, apigw.Refuse, logger, tlsConfig, m.surface(surfaceAPIGW))
	return append(servers, api), nil
}

// guarded serves h on ln behind the edge, every refusal rendered by
// refuse: the Host guard (and, with sameOrigin, the Origin guard: API
// Gateway keeps the template's CORS instead), the URL limit, and net/http's
// own answers to unreadable requests replaced; over TLS when tlsConfig is
// not nil; every request counted by count when it is not nil.
func guarded(h http.Handler, ln net.Listener, hosts []string, sameOrigin bool, refuse edge.Refuse, logger *slog.Logger, tlsConfig *tls.Config, count func(http.Handler) http.Handler) listening {
	guard := edge.HostGuard{Hosts: hosts, SameOrigin: sameOrigin, Refuse: refuse, Logger: logger, TLS: tlsConfig != nil}
	h = guard.Middleware(edge.LimitURL(refuse)(h))
	if count != nil {
		h = count(h)
	}
	if tlsConfig != nil {
		// TLS inside the edge's listener: the edge rewrites net/http's
		// plain-text answers before they are encrypted.
		ln = tls.NewListener(ln, tlsConfig)
	}
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

// logRoutes logs each route of apis, with its URL and function, as sam
// local prints its "Mounting ..." lines at start-up.
func logRoutes(logger *slog.Logger, base string, apis []apispec.API) {
	for _, a := range apis {
		for _, rt := range a.Routes {
			url := base
			if !rt.Key.IsDefault() {
				url += rt.Key.Path()
			}
			logger.Info("route", "method", rt.Key.Method(), "url", url, "function", rt.Function, "api", a.Name)
		}
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
