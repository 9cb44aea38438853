package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestIdleMemory(t *testing.T) {
	// Each step is what happens before one tick: how many requests arrive,
	// and whether memory must have been released at that tick.
	type step struct {
		requests int
		release  bool
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"idle from the start releases nothing", []step{{0, false}, {0, false}}},
		{"busy tick waits", []step{{3, false}}},
		{"quiet tick after requests releases", []step{{3, false}, {0, true}}},
		{"one release per quiet period", []step{{1, false}, {0, true}, {0, false}, {0, false}}},
		{"requests keep it from releasing", []step{{1, false}, {1, false}, {2, false}, {0, true}}},
		{"a new burst releases again", []step{{1, false}, {0, true}, {5, false}, {0, true}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			released := make(chan struct{}, 10)
			m := &idleMemory{release: func() { released <- struct{}{} }}
			h := m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
			tick := make(chan time.Time)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { m.Run(ctx, tick); close(done) }()
			for i, s := range tc.steps {
				for range s.requests {
					h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
				}
				tick <- time.Now()
				// A second tick cannot be taken before the first one is
				// handled, so after it the release (if any) has happened;
				// that tick is part of the next step when there is one.
				got := false
				select {
				case <-released:
					got = true
				case <-time.After(50 * time.Millisecond):
				}
				if got != s.release {
					t.Fatalf("step %d: released %v, want %v", i, got, s.release)
				}
			}
			cancel()
			<-done
		})
	}
}
