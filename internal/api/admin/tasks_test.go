package admin_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/api/admin"
	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
	"github.com/akgo/akgo/internal/tasks"
	"github.com/akgo/akgo/internal/tasks/cleanup"
)

// steppingClock is a clock each run moves forward, so durations are known.
type steppingClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *steppingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}
func (c *steppingClock) After(d time.Duration) <-chan time.Time { return make(chan time.Time) }
func (c *steppingClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// withScheduler starts a scheduler for the harness's server with the
// clean-up task and two test tasks.
func withScheduler(t *testing.T, h *apitest.Harness) (*tasks.Scheduler, *steppingClock, func() int) {
	t.Helper()
	clock := &steppingClock{now: time.Date(2023, 10, 4, 12, 0, 0, 0, time.UTC)}
	sched, err := tasks.New(tasks.Config{Store: h.App.Store, Registry: h.App.Registry, Events: h.App.API.Events, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	runs := 0
	for _, task := range []tasks.Task{
		cleanup.New(h.App.Engine, h.App.API.Events).Task(),
		{Name: "count_things", Description: "Count things", Run: func(context.Context) (tasks.Result, error) {
			mu.Lock()
			runs++
			mu.Unlock()
			clock.advance(5 * time.Second)
			return tasks.Result{Messages: []string{"Counted things."}}, nil
		}},
		{Name: "always_fails", Description: "Always fails", Run: func(context.Context) (tasks.Result, error) {
			return tasks.Result{}, errors.New("no database for you")
		}},
	} {
		if err := sched.Register(task); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		<-sched.Done()
	})
	admin.SetScheduler(h.App.API, sched)
	if err := sched.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return sched, clock, func() int { mu.Lock(); defer mu.Unlock(); return runs }
}

func TestWorkers(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			count := func() float64 {
				return h.Do(http.MethodGet, "/admin/workers/", nil).Expect(t, http.StatusOK).Object()["count"].(float64)
			}
			if n := count(); n != 0 {
				t.Fatalf("workers without a scheduler = %v", n)
			}
			withScheduler(t, h)
			if n := count(); n != 1 {
				t.Fatalf("workers with a running scheduler = %v", n)
			}
			h.DoAs("not-a-token", http.MethodGet, "/admin/workers/", nil).Expect(t, http.StatusForbidden)
		})
	}
}

func TestSystemTasks(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			// Without a scheduler nothing can be retried.
			h.Do(http.MethodPost, "/admin/system_tasks/count_things/retry/", nil).Expect(t, http.StatusNotFound)

			_, _, runs := withScheduler(t, h)
			list := h.Do(http.MethodGet, "/admin/system_tasks/", nil).Expect(t, http.StatusOK).JSON.([]any)
			var names []string
			for _, item := range list {
				names = append(names, item.(map[string]any)["task_name"].(string))
			}
			if !slices.Equal(names, []string{"always_fails", "clean_expired_models", "count_things"}) {
				t.Fatalf("listed tasks %v", names)
			}
			fresh := h.Do(http.MethodGet, "/admin/system_tasks/count_things/", nil).Expect(t, http.StatusOK).Object()
			if fresh["status"] != "UNKNOWN" || fresh["task_duration"] != 0.0 || fresh["messages"].([]any)[0] != "Task has not been run yet." {
				t.Fatalf("prefilled task = %v", fresh)
			}

			cases := []struct {
				name       string
				id         string
				wantStatus int
				check      func(t *testing.T)
			}{
				{"retry runs the task and records it", "count_things", http.StatusNoContent, func(t *testing.T) {
					task := h.Do(http.MethodGet, "/admin/system_tasks/count_things/", nil).Expect(t, http.StatusOK).Object()
					if runs() != 1 || task["status"] != "SUCCESSFUL" || task["task_duration"] != 5.0 ||
						task["task_finish_timestamp"] != "2023-10-04T12:00:05.000000Z" || task["messages"].([]any)[0] != "Counted things." {
						t.Fatalf("runs %d, task %v", runs(), task)
					}
				}},
				{"a failing task is retried and recorded as ERROR", "always_fails", http.StatusNoContent, func(t *testing.T) {
					task := h.Do(http.MethodGet, "/admin/system_tasks/always_fails/", nil).Expect(t, http.StatusOK).Object()
					if task["status"] != "ERROR" || task["messages"].([]any)[0] != "no database for you" {
						t.Fatalf("task = %v", task)
					}
					evs := h.Do(http.MethodGet, "/events/events/?action=system_task_exception", nil).Expect(t, http.StatusOK).Object()["results"].([]any)
					if len(evs) != 1 || evs[0].(map[string]any)["context"].(map[string]any)["message"] != "Task always_fails encountered an error: no database for you" {
						t.Fatalf("events = %v", evs)
					}
				}},
				{"unknown task", "no_such_task", http.StatusNotFound, nil},
				{"stored task nobody registered", "orphaned_task", http.StatusInternalServerError, nil},
			}
			tm, _ := registry.Default().Model(tasks.Model)
			err := h.App.Store.Update(context.Background(), func(tx store.Tx) error {
				now := store.NowUTC(time.Now())
				_, err := tx.Insert(context.Background(), tm.Table, store.Row{tm.PKColumn: "orphaned_task", "task_name": "orphaned_task",
					"task_description": "", "task_finish_timestamp": now, "task_start_timestamp": now, "status": "SUCCESSFUL", "messages": []string{}})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					resp := h.Do(http.MethodPost, "/admin/system_tasks/"+tc.id+"/retry/", nil).Expect(t, tc.wantStatus)
					if tc.wantStatus >= 400 {
						if d, _ := resp.Object()["detail"].(string); d == "" {
							t.Fatalf("error body %s", resp.Body)
						}
					}
					if tc.check != nil {
						tc.check(t)
					}
				})
			}
			if task := h.Do(http.MethodGet, "/admin/system_tasks/orphaned_task/", nil).Expect(t, http.StatusOK).Object(); task["task_name"] != "orphaned_task" {
				t.Fatalf("the orphaned record was not kept: %v", task)
			}
			h.Do(http.MethodGet, "/admin/system_tasks/no_such_task/", nil).Expect(t, http.StatusNotFound)
		})
	}
}
