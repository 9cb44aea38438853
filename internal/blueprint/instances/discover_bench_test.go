package instances_test

import (
	"context"
	"testing"
	"time"

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
			var pg *apitest.PostgresCPU
			if backend == "postgres" {
				pg = apitest.WatchPostgresCPU(b)
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
				c0, p0 := apitest.ProcessCPU(b), pg.Sample(b)
				b.StartTimer()
				res, err := h.App.Tasks.Run(context.Background(), instances.DiscoveryTask)
				b.StopTimer()
				cpu += apitest.ProcessCPU(b) - c0
				pgCPU += pg.Sample(b).Since(p0)
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
