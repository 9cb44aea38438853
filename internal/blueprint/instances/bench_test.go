package instances_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/blueprint/blueprinttest"
	"github.com/akgo/akgo/internal/blueprint/instances"
	"github.com/akgo/akgo/internal/store"
)

// BenchmarkLargeBlueprint applies 25,000 users in 2,500 groups server-side
// in one transaction (AKGO_BENCH_USERS / AKGO_BENCH_GROUPS change the
// size), then applies it again (everything unchanged). It reports the time
// and the peak heap. Run with -benchtime=1x. The peak RSS it logs is the
// test binary's; internal/bench/bpload measures the same apply in a
// process of its own.
func BenchmarkLargeBlueprint(b *testing.B) {
	users, groups := envInt("AKGO_BENCH_USERS", 25000), envInt("AKGO_BENCH_GROUPS", 2500)
	content := blueprinttest.Directory(users, groups)
	for _, backend := range apitest.Backends() {
		b.Run(backend, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				h := apitest.Start(b, backend)
				m, err := instances.New(instances.Config{Engine: h.App.Engine, Files: &instances.Files{}, Events: h.App.API.Events})
				if err != nil {
					b.Fatal(err)
				}
				in := h.Do("POST", "/managed/blueprints/", map[string]any{"name": "directory", "content": "version: 1\nentries: []\n"}).Expect(b, 201).Object()
				pk := in["pk"].(string)
				if err := setContent(h, pk, content); err != nil {
					b.Fatal(err)
				}
				for _, pass := range []string{"first", "again"} {
					peak, stop := watchHeap()
					start := time.Now()
					out, err := m.Apply(context.Background(), pk, instances.ApplyOptions{})
					took := time.Since(start)
					stop()
					if err != nil || out.Failed() {
						b.Fatalf("%s apply: %v %v", pass, err, out.Messages)
					}
					b.ReportMetric(took.Seconds(), pass+"-s")
					b.ReportMetric(float64(peak.Load())/(1<<20), pass+"-peak-heap-MiB")
					b.Logf("%s: %d users, %d groups: %v, peak heap in use %d MiB (process peak RSS so far %s), %d owned, %d created, %d updated",
						pass, users, groups, took.Round(time.Millisecond), peak.Load()>>20, peakRSS(), len(out.Managed), out.Created, out.Updated)
					if want := users + groups; len(out.Managed) != want || pass == "first" && out.Created != want || pass == "again" && out.Created+out.Updated+out.Deleted != 0 {
						b.Errorf("%s apply: %d owned, %d created, %d updated, %d deleted", pass, len(out.Managed), out.Created, out.Updated, out.Deleted)
					}
				}
			}
		})
	}
}

// setContent stores content without the API's dry run (which would apply
// the whole directory once more).
func setContent(h *apitest.Harness, pk, content string) error {
	return h.App.Store.Update(context.Background(), func(tx store.Tx) error {
		m := h.App.Registry.MustModel(instances.Model)
		_, err := tx.UpdateWhere(context.Background(), m.Table, store.Eq(m.PKColumn, pk), store.Row{m.MustColumn("content"): content})
		return err
	})
}

// watchHeap samples the heap until stopped and keeps the peak.
func watchHeap() (*atomic.Uint64, func()) {
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return &peak, func() { close(done); <-stopped }
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// peakRSS is the process's peak resident set size (Linux), for the
// memory target: the heap in use counts garbage the collector has not
// reclaimed yet, the RSS is what the machine gives.
func peakRSS() string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
