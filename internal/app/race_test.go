package app

import (
	"errors"
	"fmt"
	"testing"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/store"
)

func TestRaceAgain(t *testing.T) {
	unique := fmt.Errorf("create akadmin: %w", &store.UniqueError{Table: "authentik_core_user", Columns: []string{"username"}})
	taken := fmt.Errorf("create group: %w", engine.Invalid("name", "group with this name already exists."))
	other := errors.New("connection refused")
	for _, tc := range []struct {
		name     string
		errs     []error // what each run returns; nil after the last
		wantRuns int
		wantErr  error
	}{
		{name: "no race", errs: nil, wantRuns: 1},
		{name: "lost on a unique constraint", errs: []error{unique}, wantRuns: 2},
		{name: "lost on the engine's check", errs: []error{taken}, wantRuns: 2},
		{name: "other failures are not retried", errs: []error{other}, wantRuns: 1, wantErr: other},
		{name: "gives up", errs: []error{unique, unique, unique, unique}, wantRuns: startupAttempts, wantErr: unique},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runs := 0
			err := raceAgain(func() error {
				runs++
				if runs <= len(tc.errs) {
					return tc.errs[runs-1]
				}
				return nil
			})
			if runs != tc.wantRuns || !errors.Is(err, tc.wantErr) {
				t.Fatalf("%d runs, error %v; want %d runs, error %v", runs, err, tc.wantRuns, tc.wantErr)
			}
		})
	}
}
