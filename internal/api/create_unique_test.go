package api_test

import (
	"net/http"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
)

// TestCreateDuplicateErrors pins the exact body of a create that clashes
// with a unique set, whether the engine finds the clash with a query
// before inserting or leaves it to the database's constraint (models with
// one unique set and nothing else to check), and checks that the failed
// create leaves nothing behind and the next create still works.
func TestCreateDuplicateErrors(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			cases := []struct {
				name  string
				path  string
				first map[string]any
				again map[string]any
				next  map[string]any
				want  string
			}{
				{"flow slug", "/flows/instances/",
					map[string]any{"name": "a", "slug": "dup", "title": "a", "designation": "authentication"},
					map[string]any{"name": "b", "slug": "dup", "title": "b", "designation": "authorization"},
					map[string]any{"name": "c", "slug": "dup-2", "title": "c", "designation": "authentication"},
					`{"slug":["flow with this slug already exists."]}`},
				{"application slug", "/core/applications/",
					map[string]any{"name": "a", "slug": "dup"},
					map[string]any{"name": "b", "slug": "dup"},
					map[string]any{"name": "c", "slug": "dup-2"},
					`{"slug":["application with this slug already exists."]}`},
				{"username (two unique sets)", "/core/users/",
					map[string]any{"username": "dup", "name": "a"},
					map[string]any{"username": "dup", "name": "b"},
					map[string]any{"username": "dup-2", "name": "c"},
					`{"username":["user with this username already exists."]}`},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					h.Do(http.MethodPost, tc.path, tc.first).Expect(t, http.StatusCreated)
					before := count(t, h, tc.path)
					events := count(t, h, "/events/events/?action=model_created")
					r := h.Do(http.MethodPost, tc.path, tc.again).Expect(t, http.StatusBadRequest)
					if got := string(r.Body); got != tc.want+"\n" {
						t.Fatalf("body = %s, want %s", got, tc.want)
					}
					if n := count(t, h, tc.path); n != before {
						t.Fatalf("%d objects after the failed create, %d before", n, before)
					}
					if n := count(t, h, "/events/events/?action=model_created"); n != events {
						t.Fatalf("%d model_created events after the failed create, %d before", n, events)
					}
					h.Do(http.MethodPost, tc.path, tc.next).Expect(t, http.StatusCreated)
				})
			}
		})
	}
}
