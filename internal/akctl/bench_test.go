package akctl_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/akctl"
	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/config"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/events"
	"github.com/akgo/akgo/internal/store"
)

// seedUsers creates n users in one transaction through the engine (the
// API path would dominate a benchmark's set-up time). The events of the
// seed are recorded but held back from their observers (notification
// rules), which would otherwise keep the server busy while benchmarks run.
func seedUsers(tb testing.TB, h *apitest.Harness, n int, prefix string) {
	tb.Helper()
	ep, ok := h.App.Registry.Endpoint("/core/users/")
	if !ok {
		tb.Fatal("no /core/users/ endpoint")
	}
	ctx, _ := events.Defer(context.Background())
	err := h.App.Store.Update(ctx, func(tx store.Tx) error {
		for i := range n {
			body := map[string]any{"username": fmt.Sprintf("%s-%05d", prefix, i), "name": fmt.Sprintf("Seeded user %d", i),
				"email": fmt.Sprintf("%s-%05d@example.com", prefix, i), "attributes": map[string]any{"seq": i}}
			if _, err := h.App.Engine.CreateRowTx(ctx, tx, ep, body); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("seed %d users: %v", n, err)
	}
}

var binary struct {
	once sync.Once
	path string
	out  []byte
	err  error
}

// akctlBinary builds cmd/akctl once per test binary.
func akctlBinary(tb testing.TB) string {
	tb.Helper()
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "akctl-bin-")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(dir, "akctl")
		cmd := exec.Command("go", "build", "-o", binary.path, "github.com/akgo/akgo/cmd/akctl")
		binary.out, binary.err = cmd.CombinedOutput()
	})
	if binary.err != nil {
		tb.Fatalf("go build ./cmd/akctl: %v\n%s", binary.err, binary.out)
	}
	return binary.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.path != "" {
		os.RemoveAll(filepath.Dir(binary.path))
	}
	os.Exit(code)
}

// runBinary runs the built akctl with only the given environment.
func runBinary(tb testing.TB, bin string, env []string, args ...string) (int, string, string) {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		tb.Fatalf("run akctl: %v", err)
	}
	return code, out.String(), errOut.String()
}

func binaryEnv(h *apitest.Harness, dir string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, config.EnvConfig + "=" + filepath.Join(dir, "config.yaml"),
		config.EnvURL + "=" + h.URL, config.EnvToken + "=" + apitest.Token}
}

// TestBinary runs the real akctl binary against a server.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds akctl and starts akserver; skipped with -short")
	}
	bin := akctlBinary(t)
	h := apitest.Start(t, "sqlite")
	env := binaryEnv(h, t.TempDir())
	code, out, errOut := runBinary(t, bin, env, "create", "flows", "--set", "slug=bin-flow", "--set", "name=Bin", "--set", "title=Bin", "--set", "designation=authentication", "-o", "json")
	if code != 0 {
		t.Fatalf("create: %d %s", code, errOut)
	}
	var flow map[string]any
	if err := json.Unmarshal([]byte(out), &flow); err != nil || flow["slug"] != "bin-flow" {
		t.Fatalf("create -o json: %v %s", err, out)
	}
	code, out, _ = runBinary(t, bin, env, "get", "flows")
	if code != 0 || !strings.HasPrefix(out, "bin-flow\tBin\tauthentication\t") {
		t.Errorf("get flows (piped): %d %q", code, out)
	}
	code, _, errOut = runBinary(t, bin, env, "get", "flow", "nope")
	if code != int(cmdutil.ExitNotFound) || !strings.HasPrefix(errOut, "error: flows \"nope\" not found\nhint: `akctl get flows` lists them") {
		t.Errorf("not found: %d %q", code, errOut)
	}
	code, _, errOut = runBinary(t, bin, append(env, "NO_COLOR=1"), "get", "--bogus")
	if code != int(cmdutil.ExitUsage) || !strings.Contains(errOut, "unknown flag: --bogus") {
		t.Errorf("usage: %d %q", code, errOut)
	}
	code, out, _ = runBinary(t, bin, env, "version")
	if code != 0 || !strings.Contains(out, "Server: authentik 2023.10.4") {
		t.Errorf("version: %d %q", code, out)
	}
	code, out, _ = runBinary(t, bin, env, "completion", "bash")
	if code != 0 || !strings.Contains(out, "__start_akctl") {
		t.Errorf("completion bash: %d", code)
	}
	// Dynamic completion asks the server for object names.
	code, out, _ = runBinary(t, bin, env, "__complete", "describe", "flow", "bin-")
	if code != 0 || !strings.HasPrefix(out, "bin-flow\n") {
		t.Errorf("__complete: %d %q", code, out)
	}
}

// recorder is a stdout that notes how much had been written when each
// request was sent.
type recorder struct {
	mu       sync.Mutex
	written  int
	atPages  []int
	requests atomic.Int32
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.written += len(p)
	return len(p), nil
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.atPages = append(r.atPages, r.written)
	r.mu.Unlock()
	r.requests.Add(1)
	return http.DefaultTransport.RoundTrip(req)
}

// TestAllPagesStreams checks that --all-pages -o json writes each page's
// objects before fetching the next page.
func TestAllPagesStreams(t *testing.T) {
	e := newEnv(t)
	seedUsers(t, e.h, 30, "stream")
	ios, _, _, _ := iostreams.Test()
	rec := &recorder{}
	ios.Out = rec
	f := cmdutil.New(ios, "test", e.lookup)
	f.HTTPTransport = rec
	if code := akctl.Run(context.Background(), f, []string{"get", "users", "-A", "--page-size", "10", "--search", "stream-", "-o", "json"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if len(rec.atPages) != 3 {
		t.Fatalf("%d requests, want 3 pages", len(rec.atPages))
	}
	if rec.atPages[0] != 0 || rec.atPages[1] == 0 || rec.atPages[2] <= rec.atPages[1] {
		t.Errorf("output written before each page request: %v; want 0 then growing", rec.atPages)
	}
}

// benchServer is one server with 10,000 users shared by the benchmarks.
var benchServer struct {
	once sync.Once
	h    *apitest.Harness
}

const benchUsers = 10000

func benchEnv(b *testing.B) *env {
	b.Helper()
	benchServer.once.Do(func() {
		// The server outlives this benchmark (it is shared); its
		// clean-up is registered on a throwaway testing.T that never ends.
		h := apitest.Start(&keepAlive{TB: b}, "sqlite")
		start := time.Now()
		seedUsers(b, h, benchUsers, "bench")
		b.Logf("seeded %d users in %s", benchUsers, time.Since(start).Round(time.Millisecond))
		benchServer.h = h
	})
	dir := b.TempDir()
	return &env{h: benchServer.h, vars: map[string]string{config.EnvURL: benchServer.h.URL, config.EnvToken: apitest.Token,
		config.EnvConfig: filepath.Join(dir, "config.yaml")}}
}

// keepAlive is a testing.TB whose clean-ups never run, for a server
// shared by several benchmarks (the process exit ends it).
type keepAlive struct{ testing.TB }

func (k *keepAlive) Cleanup(func())     {}
func (k *keepAlive) TempDir() string    { d, _ := os.MkdirTemp("", "akctl-bench-"); return d }
func (k *keepAlive) Helper()            {}
func (k *keepAlive) Setenv(_, _ string) {}

func runInProcess(b *testing.B, e *env, out io.Writer, args ...string) {
	ios, _, _, errOut := iostreams.Test()
	ios.Out = out
	f := cmdutil.New(ios, "bench", e.lookup)
	if code := akctl.Run(context.Background(), f, args); code != 0 {
		b.Fatalf("akctl %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
}

// BenchmarkGetUsersPage is `akctl get users` (one page, piped table) run
// in-process against a local server holding 10,000 users.
func BenchmarkGetUsersPage(b *testing.B) {
	e := benchEnv(b)
	b.ResetTimer()
	for b.Loop() {
		runInProcess(b, e, io.Discard, "get", "users")
	}
}

// BenchmarkGetUsersPageBinary is the same through the real binary: wall
// clock including process start-up, what a user waits for.
func BenchmarkGetUsersPageBinary(b *testing.B) {
	e := benchEnv(b)
	bin := akctlBinary(b)
	env := binaryEnv(e.h, b.TempDir())
	b.ResetTimer()
	for b.Loop() {
		if code, _, errOut := runBinary(b, bin, env, "get", "users"); code != 0 {
			b.Fatalf("exit %d: %s", code, errOut)
		}
	}
}

// countingWriter counts the bytes written.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// BenchmarkGetUsersAllPagesJSON is `akctl get users --all-pages -o json`
// over 10,000 users, in-process (the server shares the process, so its
// memory is not akctl's; the binary benchmark measures that).
func BenchmarkGetUsersAllPagesJSON(b *testing.B) {
	e := benchEnv(b)
	b.ResetTimer()
	for b.Loop() {
		var w countingWriter
		runInProcess(b, e, &w, "get", "users", "--all-pages", "-o", "json")
		b.ReportMetric(float64(w.n)/1e6, "MB-out")
	}
}

// BenchmarkGetUsersAllPagesJSONBinary is the same through the binary. It
// reports the process's peak resident memory when /usr/bin/time is
// there to measure it: the rusage of a child started straight from this
// (large) test process would include the parent's pages, since Go starts
// children with vfork, while time's own child is a clean fork.
func BenchmarkGetUsersAllPagesJSONBinary(b *testing.B) {
	e := benchEnv(b)
	bin := akctlBinary(b)
	env := binaryEnv(e.h, b.TempDir())
	timeBin, err := exec.LookPath("/usr/bin/time")
	rssFile := filepath.Join(b.TempDir(), "rss")
	var maxRSS int
	b.ResetTimer()
	for b.Loop() {
		args := []string{"get", "users", "--all-pages", "-o", "json"}
		cmd := exec.Command(bin, args...)
		if err == nil {
			cmd = exec.Command(timeBin, append([]string{"-f", "%M", "-o", rssFile, bin}, args...)...)
		}
		cmd.Env = env
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			b.Fatalf("%v: %s", err, errOut.String())
		}
		if n := strings.Count(out.String(), "\n  {\n"); n < benchUsers {
			b.Fatalf("%d users in the output, want at least %d", n, benchUsers)
		}
		if data, rerr := os.ReadFile(rssFile); rerr == nil {
			if kb, perr := strconv.Atoi(strings.TrimSpace(string(data))); perr == nil && kb > maxRSS {
				maxRSS = kb
			}
		}
	}
	if maxRSS > 0 {
		b.ReportMetric(float64(maxRSS)/1024, "MB-maxrss")
	}
}
