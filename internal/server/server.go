package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Health probe paths, as served by authentik.
const (
	LivePath  = "/-/health/live/"
	ReadyPath = "/-/health/ready/"
)

// DefaultShutdownTimeout applies when Options.ShutdownTimeout is zero.
const DefaultShutdownTimeout = 30 * time.Second

// readyTimeout bounds one readiness check, so a hung database makes the probe
// report 503 instead of piling up probe requests.
const readyTimeout = 5 * time.Second

// Options configures Run. Only Addr is required.
type Options struct {
	Addr    string       // listen address; port 0 picks a free port
	Handler http.Handler // everything except the health probes; nil answers 404

	// Ready reports whether the process can serve traffic (for example,
	// the database answers). nil means always ready.
	Ready func(ctx context.Context) error

	Logger          *slog.Logger  // nil discards logs
	ShutdownTimeout time.Duration // drain limit after cancellation; 0 means DefaultShutdownTimeout

	// OnListen, if set, is called with the bound address before serving
	// starts. With port 0 this is the only way to learn the real port.
	OnListen func(addr net.Addr)
}

// Run listens on opts.Addr and serves until ctx is cancelled. It then stops
// accepting connections, waits for in-flight requests to finish and returns
// nil. If they do not finish within the shutdown timeout, remaining
// connections are closed and an error is returned, because requests were cut
// off. Listen and serve failures are returned as errors.
func Run(ctx context.Context, opts Options) error {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	timeout := opts.ShutdownTimeout
	if timeout <= 0 {
		timeout = DefaultShutdownTimeout
	}

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("server: listen %s: %w", opts.Addr, err)
	}

	srv := &http.Server{
		Handler: LogRequests(logger, Routes(opts.Handler, opts.Ready)),
		// Without a header deadline a client can hold a connection open
		// forever by trickling headers (slowloris).
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		// Requests inherit ctx's values but not its cancellation: ctx is
		// cancelled exactly when draining starts, and in-flight requests
		// must be allowed to finish rather than see their context die.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}

	if opts.OnListen != nil {
		opts.OnListen(ln.Addr())
	}
	logger.Info("server listening", "addr", ln.Addr().String())

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case err := <-serveErr:
		// Serve only returns on its own when something broke.
		return fmt.Errorf("server: serve: %w", err)
	case <-ctx.Done():
	}

	logger.Info("server shutting down", "timeout", timeout)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
		<-serveErr
		return fmt.Errorf("server: graceful shutdown did not finish within %s: %w", timeout, err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("server: serve: %w", err)
	}
	logger.Info("server stopped")
	return nil
}

// Routes answers the health probes and passes every other request to next
// unchanged. It deliberately avoids http.ServeMux, whose path cleaning and
// redirects would alter requests meant for the application router.
func Routes(next http.Handler, ready func(context.Context) error) http.Handler {
	if next == nil {
		next = http.NotFoundHandler()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		probe := r.Method == http.MethodGet || r.Method == http.MethodHead
		switch {
		case probe && r.URL.Path == LivePath:
			w.WriteHeader(http.StatusNoContent)
		case probe && r.URL.Path == ReadyPath:
			if ready != nil {
				ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
				defer cancel()
				if err := ready(ctx); err != nil {
					// The reason goes to the log (by the caller's Ready),
					// not to the unauthenticated prober.
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
			}
			w.WriteHeader(http.StatusNoContent)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// LogRequests logs each request's method, path, status and duration at
// debug level. Debug, because at info a busy server or a chatty health
// prober would drown the log.
func LogRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !logger.Enabled(r.Context(), slog.LevelDebug) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			logger.LogAttrs(r.Context(), slog.LevelDebug, "http request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", rec.statusCode()),
				slog.Duration("duration", time.Since(start)),
			)
		}()
		next.ServeHTTP(rec, r)
	})
}

// statusRecorder remembers the response status. It implements Unwrap so
// http.ResponseController still reaches Flush, Hijack and deadlines of the
// underlying writer.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	// 1xx responses (103 Early Hints) are not the final status.
	if s.status == 0 && code >= 200 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush is forwarded directly because streaming handlers commonly probe for
// http.Flusher by type assertion rather than via ResponseController.
func (s *statusRecorder) Flush() {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) statusCode() int {
	if s.status == 0 {
		// Nothing written: net/http sends 200 with an empty body.
		return http.StatusOK
	}
	return s.status
}
