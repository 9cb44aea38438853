package instances_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/akgo/akgo/blueprints"
	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/blueprint/instances"
	"github.com/akgo/akgo/internal/tasks"
)

// BenchmarkDiscoverDefaults is the blueprint part of a first start: the
// shipped blueprints become instances and are applied, through the task
// scheduler, on a database that has only what start-up creates. Besides
// the wall time it reports the process CPU (cpu-ms/op) and, on
// PostgreSQL, the CPU of the server's backends (pg-cpu-ms/op, in 10 ms
// ticks), which are what a busy machine makes the wall time of.
func BenchmarkDiscoverDefaults(b *testing.B) {
	for _, backend := range apitest.Backends() {
		b.Run(backend, func(b *testing.B) {
			var pg *pgWatch
			if backend == "postgres" {
				pg = watchPG(b)
			}
			var cpu, pgCPU time.Duration
			b.StopTimer()
			for i := 0; i < b.N; i++ {
				h := apitest.Start(b, backend)
				m, err := instances.New(instances.Config{Engine: h.App.Engine, Files: &instances.Files{Embedded: blueprints.FS},
					Tasks: h.App.Tasks, Events: h.App.API.Events})
				if err != nil {
					b.Fatal(err)
				}
				if err := h.App.Tasks.Register(m.Task()); err != nil {
					b.Fatal(err)
				}
				c0, p0 := processCPU(b), pg.cpu(b)
				b.StartTimer()
				res, err := h.App.Tasks.Run(context.Background(), instances.DiscoveryTask)
				b.StopTimer()
				cpu += processCPU(b) - c0
				pgCPU += pg.cpu(b) - p0
				if err != nil || res.Status != tasks.StatusSuccessful {
					b.Fatalf("discovery: %v %v %v", err, res.Status, res.Messages)
				}
			}
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
			if pg != nil {
				b.ReportMetric(float64(pgCPU.Microseconds())/1000/float64(b.N), "pg-cpu-ms/op")
			}
		})
	}
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pgWatch finds the benchmark's PostgreSQL backends by an
// application_name of their own.
type pgWatch struct {
	conn *pgx.Conn
	app  string
}

func watchPG(b *testing.B) *pgWatch {
	raw := os.Getenv(apitest.PostgresEnv)
	u, err := url.Parse(raw)
	if err != nil {
		b.Fatal(err)
	}
	app := fmt.Sprintf("akbench-discover-%d", os.Getpid())
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	b.Setenv(apitest.PostgresEnv, u.String())
	conn, err := pgx.Connect(context.Background(), raw)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(context.Background()) })
	return &pgWatch{conn: conn, app: app}
}

// cpu is the CPU time the backends serving the benchmark used so far; a
// harness's backends end with it, so it is read around each discovery.
func (p *pgWatch) cpu(b *testing.B) time.Duration {
	if p == nil {
		return 0
	}
	rows, err := p.conn.Query(context.Background(), "SELECT pid FROM pg_stat_activity WHERE application_name = $1", p.app)
	if err != nil {
		b.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	for _, pid := range pids {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// utime and stime are the 12th and 13th fields after the
		// parenthesised command, in clock ticks (100 per second).
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(ut+st) * 10 * time.Millisecond
	}
	return total
}
