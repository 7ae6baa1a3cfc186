package edge

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5/middleware"
)

// RequestMetrics is told of every request of one surface: when it begins,
// and when it is answered, with its status (200 for an empty answer, as
// net/http sends) and how long it took. edge imports no metrics library;
// the server turns these calls into its counters.
type RequestMetrics struct {
	// Begin is called as a request enters; nil for none.
	Begin func()
	// Done is called once the request is answered (or its handler
	// panicked: status 500).
	Done func(status int, d time.Duration)
}

// Middleware returns the counting middleware; mount it outermost, so that
// the edge's own refusals count too.
func (m RequestMetrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.Begin != nil {
			m.Begin()
		}
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		status := http.StatusInternalServerError
		defer func() {
			if s := ww.Status(); s != 0 {
				status = s
			}
			m.Done(status, time.Since(start))
		}()
		next.ServeHTTP(ww, r)
		status = http.StatusOK
	})
}
