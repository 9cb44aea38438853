package api_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/akgo/akgo/internal/apispec"
	"github.com/akgo/akgo/internal/app"
)

// TestEveryOperationIsRouted checks that each of the schema's operations
// has a route and a handler: the generic engine, a custom action, or the
// documented 501 until its issue lands.
func TestEveryOperationIsRouted(t *testing.T) {
	srv, err := app.NewAPIServerForInspection()
	if err != nil {
		t.Fatal(err)
	}
	router := srv.Handler().(chi.Routes)
	spec := apispec.MustLoad()
	if len(spec.Operations) != 692 {
		t.Fatalf("schema has %d operations, want 692", len(spec.Operations))
	}
	param := regexp.MustCompile(`\{[^}]+\}`)
	counts := map[string]int{}
	for _, op := range spec.Operations {
		path := apispec.BasePath + param.ReplaceAllString(op.Path, "x")
		if !router.Match(chi.NewRouteContext(), op.Method, path) {
			t.Errorf("%s %s (%s) has no route", op.Method, op.Path, op.ID)
		}
		how := srv.Handled(op.ID)
		if how == "" {
			how = "501"
		}
		counts[how]++
	}
	t.Logf("operations: %v", counts)
	if counts["generic"] < 500 {
		t.Errorf("only %d operations are served by the generic engine", counts["generic"])
	}
}

// TestUndeclaredMethodIs405 checks the router answers like DRF for a
// method the schema does not declare on a path.
func TestUndeclaredMethodIs405(t *testing.T) {
	srv, err := app.NewAPIServerForInspection()
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req, _ := http.NewRequest(http.MethodPut, "/api/v3/flows/instances/", nil)
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("PUT on a list path: status %d, want 405", rec.Code)
	}
}

// TestComputedFieldsAreReal fails when a response property has no column,
// relation, generic rule or hook, so it would only ever be a zero value.
// The allowed ones are listed in docs/api-coverage.md with their issue.
func TestComputedFieldsAreReal(t *testing.T) {
	srv, err := app.NewAPIServerForInspection()
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{}
	for _, f := range srv.Engine.ZeroFields() {
		if !allowed[f] {
			t.Errorf("%s is never computed", f)
		}
	}
}
