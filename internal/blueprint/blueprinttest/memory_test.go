package blueprinttest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/internal/blueprint/blueprinttest"
)

func TestMemory(t *testing.T) {
	ctx := context.Background()
	m := blueprinttest.New()
	flow, err := m.Create(ctx, "authentik_flows.flow", map[string]any{"slug": "f", "name": "F", "title": "F", "designation": "authentication"})
	if err != nil {
		t.Fatal(err)
	}
	if flow["layout"] != "stacked" || flow["policybindingmodel_ptr_id"] == nil || flow["pk"] == flow["policybindingmodel_ptr_id"] {
		t.Errorf("defaults and parent key not filled: %v", flow)
	}
	stage, err := m.Create(ctx, "authentik_stages_dummy.dummystage", map[string]any{"name": "s"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Create(ctx, "authentik_flows.flowstagebinding", map[string]any{"target": flow["pk"], "stage": stage["pk"], "order": 1}); err != nil {
		t.Fatal(err)
	}
	var ve *blueprinttest.ValidationError
	if _, err := m.Create(ctx, "authentik_flows.flow", map[string]any{"slug": "f", "name": "G", "title": "G", "designation": "authentication"}); !errors.As(err, &ve) || ve.FieldErrors()["slug"] == nil {
		t.Errorf("duplicate slug: %v", err)
	}
	stages, err := m.List(ctx, "authentik_flows.stage")
	if err != nil || len(stages) != 1 {
		t.Errorf("family list: %v, %v", stages, err)
	}
	user, err := m.Create(ctx, "authentik_core.user", map[string]any{"username": "u", "name": "U", "password": "pw"})
	if err != nil {
		t.Fatal(err)
	}
	if _, shown := user["password"]; shown {
		t.Error("password returned")
	}
	if pw, _ := m.Secret("authentik_core.user", user["pk"], "password"); pw != "pw" {
		t.Errorf("password stored as %v", pw)
	}
	if err := m.Delete(ctx, "authentik_flows.flow", flow["pk"]); err != nil {
		t.Fatal(err)
	}
	if n := len(m.Objects("authentik_flows.flowstagebinding")); n != 0 {
		t.Errorf("binding not cascaded: %d left", n)
	}
	if err := m.Delete(ctx, "authentik_flows.flow", flow["pk"]); !errors.Is(err, blueprint.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if m.Count("create", "") != 5 || m.Count("delete", "authentik_flows.flow") != 2 || m.Count("list", "") != 1 {
		t.Errorf("calls %+v", m.Calls())
	}
}
