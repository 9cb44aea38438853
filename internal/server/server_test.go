package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// start runs Run in the background and returns the base URL and a channel
// carrying Run's result.
func start(t *testing.T, ctx context.Context, opts Options) (string, <-chan error) {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	addrc := make(chan net.Addr, 1)
	opts.OnListen = func(a net.Addr) { addrc <- a }
	done := make(chan error, 1)
	go func() { done <- Run(ctx, opts) }()
	select {
	case a := <-addrc:
		return "http://" + a.String(), done
	case err := <-done:
		t.Fatalf("Run returned before listening: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("server did not start")
	}
	return "", nil
}

func get(t *testing.T, method, url string) (int, string) {
	t.Helper()
	status, body, err := do(method, url)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return status, body
}

// do is get without t, for use off the test goroutine.
func do(method, url string) (int, string, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

func waitRun(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

func TestHealthAndRouting(t *testing.T) {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "app:"+r.Method+" "+r.URL.Path)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, done := start(t, ctx, Options{Handler: app})

	tests := []struct {
		name, method, path string
		wantStatus         int
		wantBody           string
	}{
		{"live", "GET", LivePath, http.StatusNoContent, ""},
		{"live head", "HEAD", LivePath, http.StatusNoContent, ""},
		{"ready without callback", "GET", ReadyPath, http.StatusNoContent, ""},
		{"other path goes to handler", "GET", "/api/v3/root/config/", http.StatusTeapot, "app:GET /api/v3/root/config/"},
		{"probe path with other method goes to handler", "POST", LivePath, http.StatusTeapot, "app:POST " + LivePath},
		{"uncleaned path reaches handler unchanged", "GET", "/a//b", http.StatusTeapot, "app:GET /a//b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := get(t, tc.method, base+tc.path)
			if status != tc.wantStatus || body != tc.wantBody {
				t.Fatalf("%s %s = %d %q, want %d %q", tc.method, tc.path, status, body, tc.wantStatus, tc.wantBody)
			}
		})
	}

	cancel()
	if err := waitRun(t, done); err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
}

func TestNilHandlerIs404(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, done := start(t, ctx, Options{})
	if status, _ := get(t, "GET", base+"/anything"); status != http.StatusNotFound {
		t.Fatalf("status = %d, want 404", status)
	}
	cancel()
	if err := waitRun(t, done); err != nil {
		t.Fatal(err)
	}
}

func TestReadyFollowsCallback(t *testing.T) {
	var ready atomic.Bool
	var sawDeadline atomic.Bool
	check := func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); ok {
			sawDeadline.Store(true)
		}
		if !ready.Load() {
			return errors.New("database not reachable")
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, done := start(t, ctx, Options{Ready: check})

	if status, _ := get(t, "GET", base+ReadyPath); status != http.StatusServiceUnavailable {
		t.Fatalf("not ready: status = %d, want 503", status)
	}
	if status, _ := get(t, "GET", base+LivePath); status != http.StatusNoContent {
		t.Fatalf("live while not ready: status = %d, want 204", status)
	}
	ready.Store(true)
	if status, _ := get(t, "GET", base+ReadyPath); status != http.StatusNoContent {
		t.Fatalf("ready: status = %d, want 204", status)
	}
	if !sawDeadline.Load() {
		t.Error("Ready was called without a deadline")
	}

	cancel()
	if err := waitRun(t, done); err != nil {
		t.Fatal(err)
	}
}

func TestGracefulDrain(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	var reqCtxErr atomic.Value
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		if err := r.Context().Err(); err != nil {
			reqCtxErr.Store(err)
		}
		io.WriteString(w, "finished")
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, done := start(t, ctx, Options{Handler: slow, ShutdownTimeout: 10 * time.Second})

	type result struct {
		status int
		body   string
		err    error
	}
	resc := make(chan result, 1)
	go func() {
		status, body, err := do("GET", base+"/slow")
		resc <- result{status, body, err}
	}()
	<-started

	cancel()
	// Run must wait for the in-flight request rather than return.
	select {
	case err := <-done:
		t.Fatalf("Run returned %v while a request was in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	// New connections are refused once draining has begun.
	if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), time.Second); err == nil {
		conn.Close()
		t.Error("listener still accepts connections after cancel")
	}

	close(release)
	r := <-resc
	if r.err != nil {
		t.Fatalf("in-flight request failed: %v", r.err)
	}
	if r.status != http.StatusOK || r.body != "finished" {
		t.Fatalf("in-flight request = %d %q, want 200 \"finished\"", r.status, r.body)
	}
	if err := reqCtxErr.Load(); err != nil {
		t.Errorf("in-flight request context was cancelled: %v", err)
	}
	if err := waitRun(t, done); err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
}

func TestShutdownTimeoutExceeded(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	stuck := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, done := start(t, ctx, Options{Handler: stuck, ShutdownTimeout: 50 * time.Millisecond})

	go func() {
		resp, err := http.Get(base + "/stuck")
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	cancel()
	if err := waitRun(t, done); err == nil || !strings.Contains(err.Error(), "did not finish") {
		t.Fatalf("Run() = %v, want a shutdown-timeout error", err)
	}
}

func TestListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = Run(context.Background(), Options{Addr: ln.Addr().String()})
	if err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("Run on a busy port = %v, want a listen error", err)
	}
}

func TestLogRequests(t *testing.T) {
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		level      slog.Level
		wantStatus string // empty: nothing logged
	}{
		{"explicit status", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) }, slog.LevelDebug, "status=201"},
		{"implicit 200 on write", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "x") }, slog.LevelDebug, "status=200"},
		{"nothing written", func(w http.ResponseWriter, r *http.Request) {}, slog.LevelDebug, "status=200"},
		{"informational then final", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusAccepted)
		}, slog.LevelDebug, "status=202"},
		{"not logged above debug", func(w http.ResponseWriter, r *http.Request) {}, slog.LevelInfo, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: tc.level}))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			base, done := start(t, ctx, Options{Handler: tc.handler, Logger: logger})
			get(t, "GET", base+"/x/y")
			cancel()
			if err := waitRun(t, done); err != nil {
				t.Fatal(err)
			}
			var line string
			for _, l := range strings.Split(buf.String(), "\n") {
				if strings.Contains(l, `msg="http request"`) {
					line = l
				}
			}
			if tc.wantStatus == "" {
				if line != "" {
					t.Fatalf("logged at %v: %s", tc.level, line)
				}
				return
			}
			for _, want := range []string{"level=DEBUG", "method=GET", "path=/x/y", tc.wantStatus, "duration="} {
				if !strings.Contains(line, want) {
					t.Errorf("log line %q lacks %q", line, want)
				}
			}
		})
	}
}
