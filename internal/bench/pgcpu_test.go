package bench_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/akgo/akgo/internal/apitest"
)

// pgBackends finds the PostgreSQL backends serving this benchmark, so
// pg-cpu-µs/op can report the server's CPU per request next to the Go
// process's: on PostgreSQL most of a request's work happens there.
type pgBackends struct {
	conn *pgx.Conn
	app  string
}

// watchPostgres tags the benchmark's connections with an application_name
// of their own (through the URL the harness opens) and connects to read
// which backends carry it.
func watchPostgres(b *testing.B) *pgBackends {
	raw := os.Getenv(apitest.PostgresEnv)
	u, err := url.Parse(raw)
	if err != nil {
		b.Fatalf("parse %s: %v", apitest.PostgresEnv, err)
	}
	app := fmt.Sprintf("akbench-%d", os.Getpid())
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	b.Setenv(apitest.PostgresEnv, u.String())
	conn, err := pgx.Connect(context.Background(), raw)
	if err != nil {
		b.Fatalf("connect to PostgreSQL: %v", err)
	}
	b.Cleanup(func() { conn.Close(context.Background()) })
	return &pgBackends{conn: conn, app: app}
}

// pgCPU is the CPU time used so far by each backend, by process id.
type pgCPU map[int]time.Duration

// since sums what each backend used after start; a backend that started
// meanwhile counts in full, one that ended is missed (the pool keeps them).
func (c pgCPU) since(start pgCPU) time.Duration {
	var d time.Duration
	for pid, t := range c {
		d += t - start[pid]
	}
	return d
}

func (p *pgBackends) cpu(b *testing.B) pgCPU {
	if p == nil {
		return nil
	}
	rows, err := p.conn.Query(context.Background(), "SELECT pid FROM pg_stat_activity WHERE application_name = $1", p.app)
	if err != nil {
		b.Fatalf("list backends: %v", err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		b.Fatalf("list backends: %v", err)
	}
	out := pgCPU{}
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
