package providers

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/store"
)

// scimSyncStatus serves GET /providers/scim/{id}/sync_status/: the system
// task of the provider's last sync, which authentik names
// "scim_sync:<slugified provider name>". A provider that never synced has
// no task: 404, as authentik answers.
func (h *handlers) scimSyncStatus(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	m := h.model("authentik_providers_scim.scimprovider")
	tasks := h.model("authentik_events.systemtask")
	var task engine.Object
	err := h.s.Engine.Store.View(ctx, func(tx store.Tx) error {
		provider, err := findRow(ctx, tx, m, "pk", chi.URLParam(r, "id"))
		if err != nil {
			return err
		}
		if err := checkView(r, m, provider[m.PKColumn]); err != nil {
			return err
		}
		name := "scim_sync:" + slugify(str(provider[col(m, "name")]))
		rows, err := tx.Select(ctx, store.Query{Table: tasks.Table, Where: store.Eq(col(tasks, "task_name"), name), Limit: 1})
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return &engine.NotFoundError{Detail: "Task not found."}
		}
		objs, err := h.taskRows(ctx, tx, rows)
		if err != nil {
			return err
		}
		task = objs[0]
		return nil
	})
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, task)
	return nil
}

// ldapSyncStatus serves GET /sources/ldap/{slug}/sync_status/: the system
// tasks of the source's sync runs, which authentik names
// "ldap_sync:<slug>:<users|groups|membership>:<page>". is_running reports
// authentik's sync lock; akserver runs no LDAP sync worker, so no sync can
// be in progress and it is false.
func (h *handlers) ldapSyncStatus(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	m := h.model("authentik_sources_ldap.ldapsource")
	tasks := h.model("authentik_events.systemtask")
	var out []engine.Object
	err := h.s.Engine.Store.View(ctx, func(tx store.Tx) error {
		source, err := findRow(ctx, tx, m, "slug", chi.URLParam(r, "slug"))
		if err != nil {
			return err
		}
		if err := checkView(r, m, source[m.PKColumn]); err != nil {
			return err
		}
		prefix := "ldap_sync:" + str(source[col(m, "slug")]) + ":"
		rows, err := tx.Select(ctx, store.Query{Table: tasks.Table,
			Where:   store.LikeCond{Column: col(tasks, "task_name"), Pattern: prefix, Mode: "prefix"},
			OrderBy: []store.Order{{Column: col(tasks, "task_name")}}})
		if err != nil {
			return err
		}
		out, err = h.taskRows(ctx, tx, rows)
		return err
	})
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"is_running": false, "tasks": out})
	return nil
}
