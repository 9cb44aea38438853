package apitest

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
)

// ProcessCPU is the CPU time (user and system, GC included) this process
// has used so far. Benchmarks report it per operation: on a shared machine
// it moves much less than the wall time when other work competes for the
// cores.
func ProcessCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// PostgresCPU finds the PostgreSQL backends serving a benchmark, so it can
// report the database's CPU per operation next to the process's: on
// PostgreSQL much of a request's work happens there.
type PostgresCPU struct {
	conn *pgx.Conn
	app  string
}

// WatchPostgresCPU tags the connections of the harnesses started after it
// with an application_name of their own (through the URL Start opens) and
// connects to read which backends carry it.
func WatchPostgresCPU(tb testing.TB) *PostgresCPU {
	raw := os.Getenv(PostgresEnv)
	u, err := url.Parse(raw)
	if err != nil {
		tb.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	app := fmt.Sprintf("akbench-%d-%s", os.Getpid(), strings.NewReplacer("/", "-", " ", "-").Replace(tb.Name()))
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	tb.Setenv(PostgresEnv, u.String())
	conn, err := pgx.Connect(context.Background(), raw)
	if err != nil {
		tb.Fatalf("connect to PostgreSQL: %v", err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return &PostgresCPU{conn: conn, app: app}
}

// CPUSample is the CPU time each backend has used so far, by process id.
type CPUSample map[int]time.Duration

// Since sums what each backend used after start; a backend that started
// meanwhile counts in full, one that ended meanwhile is missed (pools keep
// theirs, so sample around work that does not close its harness).
func (c CPUSample) Since(start CPUSample) time.Duration {
	var d time.Duration
	for pid, t := range c {
		d += t - start[pid]
	}
	return d
}

// Sample reads the watched backends' CPU time from /proc (the database
// runs on this machine); a nil watcher samples nothing.
func (p *PostgresCPU) Sample(tb testing.TB) CPUSample {
	if p == nil {
		return nil
	}
	rows, err := p.conn.Query(context.Background(), "SELECT pid FROM pg_stat_activity WHERE application_name = $1", p.app)
	if err != nil {
		tb.Fatalf("list backends: %v", err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		tb.Fatalf("list backends: %v", err)
	}
	out := CPUSample{}
	for _, pid := range pids {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // ended meanwhile, or another machine
		}
		// Fields after the parenthesised command: utime and stime are the
		// 12th and 13th, in clock ticks (100 per second on Linux).
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		out[int(pid)] = time.Duration(ut+st) * 10 * time.Millisecond
	}
	return out
}
