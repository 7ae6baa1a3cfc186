package emulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/frescolabs/fresco/lambdaapi/apigw"
	"github.com/frescolabs/fresco/lambdaapi/apispec"
	"github.com/frescolabs/fresco/lambdaapi/invokeapi"
)

// DefaultAPIPort is the port of fresco start's API Gateway, as of sam local
// start-api; the Invoke API keeps 3001, as sam local start-lambda.
const DefaultAPIPort = 3000

// APIGatewayAPIs returns the APIs to serve: the template's APIs with the
// routes of the loaded functions' Api and HttpApi events. APIs without a
// route of a loaded function are left out.
func (e *Emulator) APIGatewayAPIs() []apispec.API {
	var out []apispec.API
	for _, a := range e.tmpl.APIs {
		api := apispec.API{
			Name:             a.LogicalID,
			Kind:             a.Type,
			Stage:            a.StageName,
			StageVariables:   a.StageVariables,
			BinaryMediaTypes: a.BinaryMediaTypes,
			CORS:             a.Cors,
		}
		for _, f := range e.tmpl.Functions {
			if _, loaded := e.byName[f.LogicalID]; !loaded {
				continue
			}
			for _, ev := range f.Events {
				if ev.API == a.LogicalID {
					api.Routes = append(api.Routes, apispec.Route{
						Key: ev.Route, Function: f.LogicalID, PayloadFormat: ev.PayloadFormat,
					})
				}
			}
		}
		if len(api.Routes) > 0 {
			out = append(out, api)
		}
	}
	return out
}

// ServeConfig says where ServeWith listens.
type ServeConfig struct {
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
func ServeWith(ctx context.Context, opts Options, cfg ServeConfig) error {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
		opts.Logger = logger
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	var apiLn net.Listener
	if cfg.APIAddr != "" && templateHasAPIEvents(opts) {
		if apiLn, err = net.Listen("tcp", cfg.APIAddr); err != nil {
			return fmt.Errorf("listen on %s (API Gateway): %w", cfg.APIAddr, err)
		}
		defer apiLn.Close()
	}
	e, err := New(ctx, opts)
	if err != nil {
		return err
	}

	servers := []*http.Server{newHTTPServer(invokeapi.NewHandler(e, logger), logger)}
	listeners := []net.Listener{ln}
	var apiSrv *http.Server
	if apiLn != nil {
		h, err := apigw.NewAPIGatewayHandler(apigw.APIGatewayConfig{
			APIs:      e.APIGatewayAPIs(),
			Backend:   e,
			Logger:    logger,
			AccountID: DefaultAccountID,
		})
		if err != nil {
			e.Close(context.Background())
			return fmt.Errorf("template %s: %w", opts.Template, err)
		}
		apiSrv = newHTTPServer(h, logger)
		servers = append(servers, apiSrv)
		listeners = append(listeners, apiLn)
	}
	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() { errc <- srv.Serve(listeners[i]) }()
	}
	if opts.Watch {
		go e.Watch(ctx, opts.WatchInterval)
	}
	addrs := Addrs{Invoke: ln.Addr().String()}
	logger.Info("fresco is serving the Lambda Invoke API",
		"addr", "http://"+addrs.Invoke, "functions", len(e.Functions()))
	if apiSrv != nil {
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
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, srv := range servers {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = srv.Shutdown(sctx) }()
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
		ErrorLog:     slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// templateHasAPIEvents reads the template (quickly, building nothing) to
// tell whether API Gateway has anything to serve. A template that does not
// load is New's to report.
func templateHasAPIEvents(opts Options) bool {
	path := opts.Template
	if path == "" {
		path = "template.yaml"
	}
	tmpl, err := LoadTemplate(path, TemplateOptions{Parameters: opts.Parameters})
	if err != nil {
		return false
	}
	for _, f := range tmpl.Functions {
		if len(f.Events) > 0 && (len(opts.Only) == 0 || slices.Contains(opts.Only, f.LogicalID) || slices.Contains(opts.Only, f.Name)) {
			return true
		}
	}
	return false
}
