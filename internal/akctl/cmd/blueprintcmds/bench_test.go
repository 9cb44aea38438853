package blueprintcmds_test

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
)

// The blueprints akserver ships, relative to this package: what a fresh
// authentik holds (default/ and system/; example/ is never instantiated).
const shippedDir = "../../../../blueprints"

var defaultBlueprints = []string{"-f", shippedDir + "/default", "-f", shippedDir + "/system", "--blueprints-dir", shippedDir}

// counter counts the requests akctl sends.
type counter struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(req)
}

// planModels lists the models a plan touches (from -o json).
func planModels(t testing.TB, out string) ([]string, int) {
	t.Helper()
	var p struct {
		Changes []struct{ Model string }
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("plan -o json: %v", err)
	}
	set := map[string]bool{}
	for _, c := range p.Changes {
		set[c.Model] = true
	}
	var out2 []string
	for m := range set {
		out2 = append(out2, m)
	}
	sort.Strings(out2)
	return out2, len(p.Changes)
}

// TestDefaultBlueprints applies the shipped blueprints to empty servers,
// client-side to one and server-side to another: both end in the same
// state, each is a no-op for the other mode, and a no-op re-plan sends a
// number of requests bounded by the models, not the entries.
func TestDefaultBlueprints(t *testing.T) {
	a, b := newEnv(t), newEnv(t)
	r := a.expect(1, append([]string{"plan", "-o", "json"}, defaultBlueprints...)...)
	models, entries := planModels(t, r.stdout)
	// The plans are equal but for the keys of objects both servers have
	// under different UUIDs (the admin group).
	uuid := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	if rb := b.expect(1, append([]string{"plan", "-o", "json"}, defaultBlueprints...)...); uuid.ReplaceAllString(rb.stdout, "<uuid>") != uuid.ReplaceAllString(r.stdout, "<uuid>") {
		la, lb := strings.Split(r.stdout, "\n"), strings.Split(rb.stdout, "\n")
		t.Errorf("the plans of two empty servers differ:\n  first only:  %q\n  second only: %q", difference(la, lb), difference(lb, la))
	}
	// On a terminal, a long client-side apply shows a progress bar.
	a.tty = true
	r = a.expect(cmdutil.ExitOK, append([]string{"apply", "--yes"}, defaultBlueprints...)...)
	a.tty = false
	if !strings.Contains(r.stderr, "Applying") {
		t.Errorf("no progress bar on a terminal: %s", r)
	}
	r = a.expect(cmdutil.ExitOK, "blueprint", "list")
	if n := strings.Count(r.stdout, "\tcontent ("); n != 21 {
		t.Errorf("%d instances hold content, want one per file (21):\n%s", n, r.stdout)
	}
	r = b.expect(cmdutil.ExitOK, append([]string{"apply", "--yes", "--server-side"}, defaultBlueprints...)...)
	if !strings.Contains(r.stdout, "21 blueprint(s) applied by the server") {
		t.Errorf("server-side apply: %s", r)
	}
	// Users and groups are referenced (the admin group of notification
	// rules) and created (akadmin exists already on both).
	compared := append(models, "authentik_core.group", "authentik_core.user")
	compareStates(t, state(t, a, compared), state(t, b, compared))

	cnt := &counter{next: http.DefaultTransport}
	a.transport = cnt
	start := time.Now()
	r = a.expect(cmdutil.ExitOK, append([]string{"plan", "-o", "json", "--show-unchanged"}, defaultBlueprints...)...)
	elapsed := time.Since(start)
	touched, nEntries := planModels(t, r.stdout)
	if !strings.Contains(r.stdout, `"create": 0,`) || !strings.Contains(r.stdout, `"update": 0,`) {
		t.Errorf("re-plan after the client-side apply: %s", r)
	}
	// One list per model the entries name (each fits in a page) plus one
	// listing of the instances; the number of entries does not count.
	if n := int(cnt.n.Load()); n > len(touched)+1 || n >= nEntries {
		t.Errorf("a no-op re-plan of %d entries over %d models sent %d requests", nEntries, len(touched), n)
	} else {
		t.Logf("no-op re-plan: %d entries (%d written at first), %d models, %d requests, %s", nEntries, entries, len(touched), n, elapsed)
	}
	a.transport = nil
	b.expect(cmdutil.ExitOK, append([]string{"diff"}, defaultBlueprints...)...)
	r = a.expect(cmdutil.ExitOK, "blueprint", "status", "Default - Tenant")
	if !strings.Contains(r.stdout, "Source:        content (") {
		t.Errorf("status: %s", r)
	}

	// Export round trip of everything: export all from the first server,
	// apply to a third, empty one; nothing is left to change, and the
	// objects are the same.
	c := newEnv(t)
	all := filepath.Join(c.dir, "all.yaml")
	a.expect(cmdutil.ExitOK, "export", "--all", "-o", all)
	a.expect(cmdutil.ExitOK, "diff", "-f", all)
	c.expect(cmdutil.ExitOK, "apply", "-f", all, "--yes")
	if r := c.expect(cmdutil.ExitOK, "diff", "-f", all); r.stdout != "" {
		t.Errorf("diff after applying the export: %s", r)
	}
	compareStates(t, state(t, a, compared), state(t, c, compared))
}

// BenchmarkApplyDefaultBlueprints applies the shipped blueprints to an
// empty server (a fresh one per iteration, started outside the timer).
func BenchmarkApplyDefaultBlueprints(b *testing.B) {
	for _, mode := range []string{"client-side", "server-side"} {
		b.Run(mode, func(b *testing.B) {
			args := append([]string{"apply", "--yes"}, defaultBlueprints...)
			if mode == "server-side" {
				args = append(args, "--server-side")
			}
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				e := newEnv(b)
				b.StartTimer()
				e.expect(cmdutil.ExitOK, args...)
			}
		})
	}
}

// BenchmarkReplanDefaultBlueprints re-plans the applied shipped
// blueprints (no changes) and reports the requests sent per plan.
func BenchmarkReplanDefaultBlueprints(b *testing.B) {
	e := newEnv(b)
	e.expect(cmdutil.ExitOK, append([]string{"apply", "--yes"}, defaultBlueprints...)...)
	cnt := &counter{next: http.DefaultTransport}
	e.transport = cnt
	args := append([]string{"plan"}, defaultBlueprints...)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.expect(cmdutil.ExitOK, args...)
	}
	b.ReportMetric(float64(cnt.n.Load())/float64(b.N), "requests/op")
}
