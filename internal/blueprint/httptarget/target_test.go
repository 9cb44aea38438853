package httptarget_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/internal/blueprint/httptarget"
	"github.com/akgo/akgo/pkg/client"
)

// recorder counts the requests a client sends.
type recorder struct {
	mu   sync.Mutex
	reqs []string
	next http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Method+" "+strings.TrimPrefix(req.URL.Path, "/api/v3"))
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reqs
	r.reqs = nil
	return out
}

const e2eBlueprint = `
version: 1
entries:
  - model: authentik_flows.flowstagebinding
    identifiers: {target: !KeyOf flow, stage: !KeyOf stage, order: 10}
  - model: authentik_policies.policybinding
    identifiers: {target: !KeyOf flow, policy: !KeyOf policy, order: 0}
  - model: authentik_flows.flow
    id: flow
    identifiers: {slug: e2e-blueprint-flow}
    attrs: {name: E2E, title: E2E flow, designation: authentication}
  - model: authentik_stages_password.passwordstage
    id: stage
    identifiers: {name: e2e-password}
    attrs: {backends: [authentik.core.auth.InbuiltBackend]}
  - model: authentik_policies_expression.expressionpolicy
    id: policy
    identifiers: {name: e2e-policy}
    attrs: {expression: return True}
  - model: authentik_core.group
    identifiers: {name: e2e-group}
    attrs: {users: [!KeyOf user], attributes: {team: blue}}
  - model: authentik_core.user
    id: user
    identifiers: {username: e2e-user}
    attrs: {name: E2E User, password: correct-horse}
  - model: authentik_core.token
    identifiers: {identifier: e2e-token}
    attrs: {user: !KeyOf user, key: e2e-token-key-value, intent: api, expiring: false}
  - model: authentik_core.application
    identifiers: {slug: e2e-app}
    attrs: {name: E2E App, provider: !KeyOf provider}
  - model: authentik_providers_oauth2.oauth2provider
    id: provider
    identifiers: {name: e2e-provider}
    attrs: {authorization_flow: !KeyOf flow, client_id: e2e-client}
`

// TestEndToEnd plans and applies a blueprint against a real akserver over
// HTTP, then checks a second plan is all no-ops and costs one list per
// model.
func TestEndToEnd(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	rec := &recorder{next: http.DefaultTransport}
	c, err := client.New(h.URL, apitest.Token, client.WithHTTPClient(&http.Client{Transport: rec}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	bp, err := blueprint.Parse("e2e.yaml", []byte(e2eBlueprint))
	if err != nil {
		t.Fatal(err)
	}
	target := httptarget.New(c)
	p, err := blueprint.Plan(ctx, target, []*blueprint.Blueprint{bp}, blueprint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Summary(); s.Create != 10 {
		t.Fatalf("plan %+v", s)
	}
	rec.take()
	res, err := blueprint.Apply(ctx, target, p)
	if err != nil {
		t.Fatal(err)
	}
	reqs := strings.Join(rec.take(), "\n")
	for _, want := range []string{"POST /stages/password/", "POST /policies/expression/", "POST /providers/oauth2/", "/set_password/", "POST /core/tokens/e2e-token/set_key/"} {
		if !strings.Contains(reqs, want) {
			t.Errorf("apply did not call %s:\n%s", want, reqs)
		}
	}
	if len(res.Managed) != 10 {
		t.Errorf("managed: %v", res.Managed)
	}

	// The binding targets the flow's policy binding model key.
	var flow, binding map[string]any
	if err := c.Do(ctx, "GET", "/flows/instances/e2e-blueprint-flow/", nil, nil, &flow); err != nil {
		t.Fatal(err)
	}
	var bindings struct{ Results []map[string]any }
	if err := c.Do(ctx, "GET", "/policies/bindings/", nil, nil, &bindings); err != nil {
		t.Fatal(err)
	}
	for _, b := range bindings.Results {
		if b["order"] == 0.0 {
			binding = b
		}
	}
	if binding == nil || binding["target"] != flow["policybindingmodel_ptr_id"] {
		t.Errorf("policy binding %v, flow %v", binding, flow)
	}
	var key struct{ Key string }
	if err := c.Do(ctx, "GET", "/core/tokens/e2e-token/view_key/", nil, nil, &key); err != nil || key.Key != "e2e-token-key-value" {
		t.Errorf("token key %q, %v", key.Key, err)
	}

	rec.take()
	again, err := blueprint.Plan(ctx, target, []*blueprint.Blueprint{bp}, blueprint.Options{Owned: res.Managed})
	if err != nil {
		t.Fatal(err)
	}
	if again.HasChanges() {
		b, _ := again.JSON(blueprint.RenderOptions{})
		t.Errorf("second plan has changes:\n%s", b)
	}
	gets := rec.take()
	if again.Lists != 10 || len(gets) != 10 {
		t.Errorf("second plan: %d lists, %d requests: %v", again.Lists, len(gets), gets)
	}
}

// TestServerErrorsAttached: a 400 comes back attached to the entry and
// field.
func TestServerErrorsAttached(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	c, err := client.New(h.URL, apitest.Token)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	bp, err := blueprint.Parse("bad.yaml", []byte(`
version: 1
entries:
  - model: authentik_flows.flow
    identifiers: {slug: "not a slug!"}
    attrs: {name: Bad, title: Bad, designation: authentication}
`))
	if err != nil {
		t.Fatal(err)
	}
	target := httptarget.New(c)
	p, err := blueprint.Plan(ctx, target, []*blueprint.Blueprint{bp}, blueprint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := blueprint.Apply(ctx, target, p)
	var es blueprint.Errors
	if !errors.As(err, &es) || es[0].Field != "slug" || es[0].Entry != 0 || es[0].Line != 5 || es[0].File != "bad.yaml" {
		t.Fatalf("want an error on field slug of entries[0], got %v", err)
	}
	var api *client.APIError
	if !errors.As(err, &api) || api.StatusCode != 400 {
		t.Errorf("the API error is not reachable: %v", err)
	}
	if res.Complete || len(res.Entries) != 1 {
		t.Errorf("result %+v", res)
	}
	if err := target.Delete(ctx, "authentik_flows.flow", "00000000-0000-4000-8000-000000000000"); !errors.Is(err, blueprint.ErrNotFound) {
		t.Errorf("delete of a missing object: %v", err)
	}
}
