// Package bench_test holds the in-process benchmarks of the API that
// docs/benchmarks.md profiles: the same requests as scripts/bench, sent
// straight to akserver's handler (no TCP, no wrk), so a CPU profile shows
// only the server's own work.
//
//	go test -run '^$' -bench . -benchtime 5s -cpuprofile cpu.out ./internal/bench/
//	go tool pprof -top -tagfocus bench=list-flows-100 bench.test cpu.out
//
// The profile also holds the seeding; every request runs under the pprof
// label bench=<sub-benchmark name> (seeding: bench=seed), so -tagfocus picks
// one benchmark out of the profile.
//
// Besides ns/op, each benchmark reports cpu-µs/op, the process CPU time
// (GC included) per request: on a shared machine it moves much less than
// the wall time when other work competes for the cores.
//
// The garbage collector runs at akserver's target (AKGO_GC_PERCENT's
// default) unless GOGC is set.
//
// AKBENCH_ROWS sets how many flows and users are seeded (default 10000).
// With AKGO_TEST_POSTGRES_URL set, every benchmark also runs on PostgreSQL.
package bench_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/app"
	"github.com/akgo/akgo/internal/config"
)

// rows is the number of flows and of users seeded before the benchmarks.
func rows(b *testing.B) int {
	if s := os.Getenv("AKBENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 100 {
			b.Fatalf("AKBENCH_ROWS=%q: want a number ≥ 100", s)
		}
		return n
	}
	return 10000
}

// call sends one request to h in-process and fails unless it answers want.
func call(b *testing.B, h http.Handler, method, path string, body []byte, want int) {
	var req *http.Request
	if body != nil {
		req = httptest.NewRequest(method, "/api/v3"+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	} else {
		req = httptest.NewRequest(method, "/api/v3"+path, nil)
	}
	req.Header.Set("Authorization", "Bearer "+apitest.Token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s %s: status %d, want %d: %.300s", method, path, rec.Code, want, rec.Body.String())
	}
}

// labelled runs f with the pprof label bench=name on this goroutine.
func labelled(name string, f func()) {
	pprof.Do(context.Background(), pprof.Labels("bench", name), func(context.Context) { f() })
}

// BenchmarkEngine seeds a fresh server per backend, then measures the
// requests of scripts/bench with 32 concurrent callers (wrk -c32).
func BenchmarkEngine(b *testing.B) {
	// The garbage collector's target akserver runs with (GOGC wins), so
	// cpu-µs/op counts the collections the server would do.
	app.SetGCPercent(config.DefaultGCPercent, os.LookupEnv)
	for _, backend := range apitest.Backends() {
		b.Run(backend, func(b *testing.B) {
			var pg *apitest.PostgresCPU
			if backend == "postgres" {
				pg = apitest.WatchPostgresCPU(b)
			}
			h := apitest.Start(b, backend)
			handler := h.App.Handler()
			n := rows(b)
			labelled("seed", func() {
				for i := 0; i < n; i++ {
					call(b, handler, http.MethodPost, "/flows/instances/", []byte(fmt.Sprintf(
						`{"name":"bench flow %05d","slug":"bench-flow-%05d","title":"Flow %05d","designation":"authentication"}`, i, i, i)), http.StatusCreated)
					call(b, handler, http.MethodPost, "/core/users/", []byte(fmt.Sprintf(
						`{"username":"bench-user-%05d","name":"User %05d"}`, i, i)), http.StatusCreated)
				}
			})

			// parallel runs do with 32 concurrent callers (2 cores × 16),
			// like wrk -c32, each under the label bench=name.
			// cpu-µs/op is the process CPU time (user + system, GC
			// included) per request: unlike ns/op it does not depend on
			// what else runs on the shared machine.
			parallel := func(name string, do func(b *testing.B)) {
				b.Run(name, func(b *testing.B) {
					b.ReportAllocs()
					b.SetParallelism(16)
					start := apitest.ProcessCPU(b)
					pgStart := pg.Sample(b)
					b.RunParallel(func(pb *testing.PB) {
						labelled(name, func() {
							for pb.Next() {
								do(b)
							}
						})
					})
					b.ReportMetric(float64((apitest.ProcessCPU(b)-start).Microseconds())/float64(b.N), "cpu-µs/op")
					if pg != nil {
						b.ReportMetric(float64(pg.Sample(b).Since(pgStart).Microseconds())/float64(b.N), "pg-cpu-µs/op")
					}
				})
			}
			get := func(path string) func(*testing.B) {
				return func(b *testing.B) { call(b, handler, http.MethodGet, path, nil, http.StatusOK) }
			}
			var seq atomic.Int64
			create := func(path, format string) func(*testing.B) {
				return func(b *testing.B) {
					id := fmt.Sprintf("bench-new-%d", seq.Add(1))
					call(b, handler, http.MethodPost, path, []byte(fmt.Sprintf(format, id)), http.StatusCreated)
				}
			}
			parallel("retrieve-flow", get("/flows/instances/bench-flow-00042/"))
			parallel("list-flows-100", get("/flows/instances/?page_size=100"))
			parallel("list-users-100", get("/core/users/?page_size=100"))
			parallel("create-flow", create("/flows/instances/",
				`{"name":"%[1]s","slug":"%[1]s","title":"t","designation":"authentication"}`))
			parallel("create-group", create("/core/groups/", `{"name":"%s"}`))
		})
	}
}
