package stagesapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/store"
)

// create posts a valid body for the endpoint with the given fields set.
func create(t *testing.T, h *apitest.Harness, path string, fields map[string]any) map[string]any {
	t.Helper()
	ep, ok := h.App.Registry.Endpoint(path)
	if !ok {
		t.Fatalf("no endpoint %s", path)
	}
	body := apitest.NewBuilder(h).Body(ep, false)
	for k, v := range fields {
		body[k] = v
	}
	return h.Do(http.MethodPost, path, body).Expect(t, http.StatusCreated).Object()
}

// insert stores an object the API cannot create (devices belong to users
// through hidden fields) and returns its pk.
func insert(t *testing.T, h *apitest.Harness, model string, fields map[string]any) any {
	t.Helper()
	m, ok := h.App.Registry.Model(model)
	if !ok {
		t.Fatalf("no model %s", model)
	}
	var pk any
	err := h.App.Store.Update(context.Background(), func(tx store.Tx) error {
		row, err := h.App.Engine.InsertTx(context.Background(), tx, m, engine.Object(fields))
		if err == nil {
			pk = row[m.PKColumn]
		}
		return err
	})
	if err != nil {
		t.Fatalf("insert %s: %v", model, err)
	}
	return pk
}

// setSession stores a value in a browser session's data.
func setSession(t *testing.T, h *apitest.Harness, session string, data map[string]any) {
	t.Helper()
	m, _ := h.App.Registry.Model("authentik_core.authenticatedsession")
	err := h.App.Store.Update(context.Background(), func(tx store.Tx) error {
		_, err := tx.UpdateWhere(context.Background(), m.Table, store.Eq("session_key", session), store.Row{"session_data": data})
		return err
	})
	if err != nil {
		t.Fatalf("set session data: %v", err)
	}
}
