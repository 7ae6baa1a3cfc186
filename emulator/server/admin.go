package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// adminServer is the admin listener: /metrics (Prometheus), /healthz (the
// process is up: 200 as long as it serves) and /readyz (200 once the
// functions are loaded and until the drain begins, 503 otherwise). It is
// the last to close, so that a drain shows on /readyz.
type adminServer struct {
	srv   *http.Server
	ln    net.Listener
	ready atomic.Bool
}

// startAdmin binds addr and serves the admin endpoints on it.
func startAdmin(addr string, m *metrics, logger *slog.Logger) (*adminServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (admin: /metrics, /healthz, /readyz; --admin-addr to move it, off for none): %w", addr, err)
	}
	a := &adminServer{ln: ln}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !a.ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready")
			return
		}
		fmt.Fprintln(w, "ready")
	})
	a.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go a.srv.Serve(ln)
	logger.Info("admin listener is up: /metrics, /healthz, /readyz", "admin_addr", "http://"+a.addr())
	return a, nil
}

func (a *adminServer) addr() string { return a.ln.Addr().String() }

// close stops the admin server, giving a scrape in progress a moment.
func (a *adminServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a.srv.Shutdown(ctx)
}
