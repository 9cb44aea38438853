// Command bpload measures a server-side blueprint apply of a generated
// company directory (blueprinttest.Directory: 25,000 users in 2,500
// nested groups by default, no passwords) in a process of its own, so the
// peak resident set size is the apply's and not a test binary's:
//
//	bpload -db sqlite|postgres [-pg URL] [-users N] [-groups N]
//	       [-passes first,again] [-cpuprofile F] [-memprofile F] [-heapprofile F]
//
// It opens akserver's app on an empty database (a new SQLite file in a
// temporary directory, or a new schema on the PostgreSQL server at -pg,
// default $AKGO_TEST_POSTGRES_URL, dropped at the end) with akserver's
// memory limit and collector target (AKGO_MEMORY_LIMIT or GOMEMLIMIT,
// AKGO_GC_PERCENT or GOGC, as akserver), stores the
// blueprint in a BlueprintInstance and applies it once per pass through
// the instance manager, as POST /managed/blueprints/{uuid}/apply/ does.
// It prints one line before the passes and one per pass:
//
//	db=sqlite baseline rss_mb=61.2 users=25000 groups=2500 blueprint_mb=9.0 memory_limit_mib=400 gc_percent=400
//	db=sqlite pass=first seconds=12.24 cpu_s=15.10 created=27500 updated=0 owned=27500 peak_rss_mb=388.5 peak_heap_mb=306.0 peak_live_mb=135.6 alloc_mb=1145 gcs=14 load=2.28 notify_s=1.43
//
// and, on stderr, the instance manager's log line of each apply with the
// time of its parse, plan and writes.
//
// cpu_s is the process's CPU time during the pass (without PostgreSQL's
// share), which depends much less on the machine's load than the wall
// time; peak_rss_mb is VmHWM, reset before each pass when the kernel
// allows it (/proc/self/clear_refs), else the process's peak so far;
// peak_heap_mb the highest heap in use (live objects and garbage not yet
// swept), peak_live_mb the highest live heap the collector measured;
// alloc_mb what the pass allocated; load the 1-minute load average at its
// end; notify_s how long the notification dispatcher then took to match
// the pass's events against the rules (it runs after the commit, outside
// the apply, and the next pass waits for it).
// AKGO_MEMORY_LIMIT=off measures without a memory limit, GOGC=100 at Go's
// default collector target.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/akgo/akgo/internal/api/eventsapi"
	"github.com/akgo/akgo/internal/app"
	"github.com/akgo/akgo/internal/blueprint/blueprinttest"
	"github.com/akgo/akgo/internal/blueprint/instances"
	"github.com/akgo/akgo/internal/config"
	"github.com/akgo/akgo/internal/store"
)

func main() {
	db := flag.String("db", "sqlite", "sqlite or postgres")
	pg := flag.String("pg", os.Getenv("AKGO_TEST_POSTGRES_URL"), "PostgreSQL server URL (-db postgres)")
	users := flag.Int("users", 25000, "users in the blueprint")
	groups := flag.Int("groups", 2500, "groups in the blueprint")
	passes := flag.String("passes", "first,again", "comma-separated pass names; each applies the blueprint once")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the passes here")
	memProfile := flag.String("memprofile", "", "write an allocation profile of the passes here")
	heapProf := flag.String("heapprofile", "", "write a heap profile F.<gc cycle>-<live MB> after every collection during the passes")
	flag.Parse()
	heapProfile = *heapProf
	if err := run(*db, *pg, *users, *groups, strings.Split(*passes, ","), *cpuProfile, *memProfile); err != nil {
		fmt.Fprintln(os.Stderr, "bpload:", err)
		os.Exit(1)
	}
}

func run(db, pg string, users, groups int, passes []string, cpuProfile, memProfile string) error {
	ctx := context.Background()
	// The memory limit and collector target akserver sets, read as it
	// reads them (AKGO_MEMORY_LIMIT unless GOMEMLIMIT, AKGO_GC_PERCENT
	// unless GOGC).
	settings, err := config.Load(nil, os.LookupEnv)
	if err != nil {
		return err
	}
	limit := app.SetMemoryLimit(settings.MemoryLimit, os.LookupEnv)
	gcPercent := app.SetGCPercent(settings.GCPercent, os.LookupEnv)
	dbURL, cleanup, err := database(ctx, db, pg)
	if err != nil {
		return err
	}
	defer cleanup()
	cfg := config.Config{Listen: "127.0.0.1:0", Database: dbURL, LogLevel: "info", SkipBlueprints: true}
	// The instance manager logs how long parse, plan and writes took.
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if err != nil {
		return fmt.Errorf("open akserver: %w", err)
	}
	defer a.Close()
	a.WaitStartup()

	content := blueprinttest.Directory(users, groups)
	pk, err := storeInstance(ctx, a, content)
	if err != nil {
		return err
	}
	settle()
	limitMB := "none"
	if limit != math.MaxInt64 {
		limitMB = strconv.FormatInt(limit>>20, 10)
	}
	fmt.Printf("db=%s baseline rss_mb=%.1f users=%d groups=%d blueprint_mb=%.1f memory_limit_mib=%s gc_percent=%d\n", db, procMB("VmRSS"), users, groups, float64(len(content))/1e6, limitMB, gcPercent)
	content = ""

	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if memProfile != "" || heapProfile != "" {
		runtime.MemProfileRate = 64 << 10
	}
	for _, pass := range passes {
		settle()
		resetPeakRSS()
		before := readMetrics()
		cpuBefore := cpuTime()
		w := watch()
		start := time.Now()
		out, err := a.Blueprints.Apply(ctx, pk, instances.ApplyOptions{})
		took := time.Since(start)
		cpu := cpuTime() - cpuBefore
		peakHeap, peakLive := w.stop()
		after := readMetrics()
		if err != nil {
			return fmt.Errorf("%s apply: %w", pass, err)
		}
		if out.Failed() {
			return fmt.Errorf("%s apply failed: %s", pass, strings.Join(out.Messages, "\n"))
		}
		hwm := procMB("VmHWM")
		// The notification dispatcher matches every event of the pass
		// against the rules once the transaction has committed; let it
		// finish so that it does not run into the next pass.
		idleStart := time.Now()
		if d := eventsapi.DispatcherOf(a.API); d != nil {
			if err := d.Idle(ctx); err != nil {
				return err
			}
		}
		fmt.Printf("db=%s pass=%s seconds=%.2f cpu_s=%.2f created=%d updated=%d owned=%d peak_rss_mb=%.1f peak_heap_mb=%.1f peak_live_mb=%.1f alloc_mb=%.0f gcs=%d load=%s notify_s=%.2f\n",
			db, pass, took.Seconds(), cpu.Seconds(), out.Created, out.Updated, len(out.Managed), hwm,
			float64(peakHeap)/(1<<20), float64(peakLive)/(1<<20), float64(after.allocs-before.allocs)/(1<<20), after.gcs-before.gcs, loadAvg(),
			time.Since(idleStart).Seconds())
	}
	if memProfile != "" {
		f, err := os.Create(memProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			return err
		}
	}
	return nil
}

// database is an empty database of the kind asked for, and what removes it.
func database(ctx context.Context, db, pg string) (config.DatabaseURL, func(), error) {
	switch db {
	case "sqlite":
		dir, err := os.MkdirTemp("", "bpload-")
		if err != nil {
			return config.DatabaseURL{}, nil, err
		}
		return config.DatabaseURL{Driver: config.DriverSQLite, DSN: filepath.Join(dir, "akserver.db")}, func() { os.RemoveAll(dir) }, nil
	case "postgres":
		if pg == "" {
			return config.DatabaseURL{}, nil, errors.New("-db postgres needs -pg or AKGO_TEST_POSTGRES_URL")
		}
		conn, err := pgx.Connect(ctx, pg)
		if err != nil {
			return config.DatabaseURL{}, nil, fmt.Errorf("connect to PostgreSQL: %w", err)
		}
		defer conn.Close(ctx)
		schema := fmt.Sprintf("akgo_bpload_%d", time.Now().UnixNano())
		if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
			return config.DatabaseURL{}, nil, fmt.Errorf("create schema: %w", err)
		}
		u, err := url.Parse(pg)
		if err != nil {
			return config.DatabaseURL{}, nil, fmt.Errorf("parse %s: %w", pg, err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		drop := func() {
			c, err := pgx.Connect(context.Background(), pg)
			if err != nil {
				return
			}
			defer c.Close(context.Background())
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		}
		return config.DatabaseURL{Driver: config.DriverPostgres, DSN: u.String()}, drop, nil
	}
	return config.DatabaseURL{}, nil, fmt.Errorf("unknown -db %q (sqlite or postgres)", db)
}

// storeInstance writes the blueprint instance without the API's dry run,
// which would apply the whole directory once more.
func storeInstance(ctx context.Context, a *app.App, content string) (string, error) {
	m := a.Registry.MustModel(instances.Model)
	var pk string
	err := a.Store.Update(ctx, func(tx store.Tx) error {
		row, err := a.Engine.InsertTx(instances.WithoutChecks(ctx), tx, m, map[string]any{"name": "directory", "content": content, "enabled": true, "context": map[string]any{}})
		if err != nil {
			return err
		}
		pk = fmt.Sprint(row[m.PKColumn])
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("store the blueprint instance: %w", err)
	}
	return pk, nil
}

// settle collects everything collectable and returns it to the system, so
// a pass starts from the live heap only.
func settle() {
	runtime.GC()
	debug.FreeOSMemory()
}

// resetPeakRSS resets VmHWM to the current RSS (Linux 4.0+; silently
// ignored where not allowed).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// procMB reads a kB field of /proc/self/status in MB (-1 when unknown).
func procMB(field string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				return -1
			}
			return kb / 1000
		}
	}
	return -1
}

// cpuTime is the CPU time the process has used (user and system), which
// unlike the wall time hardly depends on what else the machine runs. On
// PostgreSQL it leaves out the server's share.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(data))[0]
}

type counters struct{ allocs, gcs uint64 }

func readMetrics() counters {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return counters{allocs: s[0].Value.Uint64(), gcs: s[1].Value.Uint64()}
}

// watcher samples the heap every 10 ms (runtime/metrics does not stop
// the world) and keeps the peaks.
type watcher struct {
	done         chan struct{}
	wg           sync.WaitGroup
	peakHeap     uint64
	peakLiveHeap uint64
}

func watch() *watcher {
	w := &watcher{done: make(chan struct{})}
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}, {Name: "/gc/heap/live:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
	var lastCycles uint64
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			w.peakHeap = max(w.peakHeap, s[0].Value.Uint64()+s[1].Value.Uint64())
			w.peakLiveHeap = max(w.peakLiveHeap, s[2].Value.Uint64())
			if cycles := s[3].Value.Uint64(); cycles != lastCycles {
				lastCycles = cycles
				writeHeapProfile(cycles, s[2].Value.Uint64())
			}
			select {
			case <-w.done:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

// heapProfile is -heapprofile.
var heapProfile string

// writeHeapProfile writes the heap profile after a collection to
// F.<cycle>-<live MB>; the profile lags up to two cycles behind, so the
// files after the peak show what made it.
func writeHeapProfile(cycle, live uint64) {
	if heapProfile == "" {
		return
	}
	f, err := os.Create(fmt.Sprintf("%s.%d-%d", heapProfile, cycle, live>>20))
	if err != nil {
		return
	}
	defer f.Close()
	_ = pprof.Lookup("heap").WriteTo(f, 0)
}

func (w *watcher) stop() (heap, live uint64) {
	close(w.done)
	w.wg.Wait()
	return w.peakHeap, w.peakLiveHeap
}
