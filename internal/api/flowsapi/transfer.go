package flowsapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/internal/blueprint/export"
	"github.com/akgo/akgo/internal/blueprint/storetarget"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/store"
)

// permExportFlow is authentik's custom permission for flow exports.
const permExportFlow = "authentik_flows.export_flow"

// importPerms are what authentik requires to import a flow: add and change
// on every kind of object a flow export contains.
var importPerms = []string{
	"authentik_flows.add_flow", "authentik_flows.change_flow",
	"authentik_flows.add_flowstagebinding", "authentik_flows.change_flowstagebinding",
	"authentik_flows.add_stage", "authentik_flows.change_stage",
	"authentik_policies.add_policy", "authentik_policies.change_policy",
	"authentik_policies.add_policybinding", "authentik_policies.change_policybinding",
	"authentik_stages_prompt.add_prompt", "authentik_stages_prompt.change_prompt",
}

// maxImportSize bounds an uploaded flow blueprint.
const maxImportSize = 16 << 20

// exportFlow serves GET /flows/instances/{slug}/export/: the flow and what
// it is made of as a portable blueprint (references by !Find and !KeyOf,
// never raw pks; secrets left out), as an attachment named <slug>.yaml.
func (h *handler) exportFlow(w http.ResponseWriter, r *http.Request) error {
	p, err := api.Caller(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	slug := chi.URLParam(r, "slug")
	var res *export.Result
	err = h.e.Store.View(ctx, func(tx store.Tx) error {
		flow, err := h.flowBySlug(ctx, tx, p, slug)
		if err != nil {
			return err
		}
		fm := h.e.Registry.MustModel("authentik_flows.flow")
		if err := api.Require(ctx, permExportFlow, engine.PKText(flow[fm.PKColumn])); err != nil {
			return err
		}
		x := export.New(storetarget.New(h.e, tx), h.e.Registry, h.e.Spec, export.Options{Now: h.e.Now})
		res, err = x.Flow(ctx, slug)
		return err
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/yaml; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.yaml"`, slug))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(res.YAML)
	return err
}

// importFlow serves POST /flows/instances/import/: a multipart upload of
// a blueprint ("file"), planned and applied in one transaction. As
// authentik 2023.10 it answers 200 {success, logs} whether or not the
// import worked (the schema's 204 cannot carry the body), and 400 with
// the same shape when no file was sent.
func (h *handler) importFlow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	for _, perm := range importPerms {
		if err := api.Require(ctx, perm, ""); err != nil {
			return err
		}
	}
	data, err := uploaded(w, r)
	if err != nil {
		return err
	}
	if data == nil {
		api.WriteJSON(w, http.StatusBadRequest, map[string]any{"success": false, "logs": []any{}})
		return nil
	}
	ok, logs, err := h.importBlueprint(r, data)
	if err != nil {
		return err
	}
	if logs == nil {
		logs = []map[string]any{}
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"success": ok, "logs": logs})
	return nil
}

// importBlueprint applies data and returns whether it worked and the log
// lines: one per object written on success, the problems on failure (then
// nothing was written). An error is an infrastructure failure.
func (h *handler) importBlueprint(r *http.Request, data []byte) (bool, []map[string]any, error) {
	ctx := r.Context()
	bp, err := blueprint.Parse("import.yaml", data)
	if err != nil {
		return false, problemLogs(err), nil
	}
	var res *blueprint.Result
	err = storetarget.Run(ctx, h.e, func(ctx context.Context, t *storetarget.Target) error {
		if h.s.Events != nil {
			t.Events = h.s.Events
		}
		plan, err := blueprint.Plan(ctx, t, []*blueprint.Blueprint{bp}, blueprint.Options{})
		if err != nil {
			return err
		}
		res, err = blueprint.Apply(ctx, t, plan)
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return false, nil, ctx.Err()
		}
		return false, problemLogs(err), nil
	}
	if h.s.Auth != nil {
		h.s.Auth.Forget() // an import may change groups or users
	}
	return true, writeLogs(res), nil
}

// writeLogs describes what a successful import wrote, one entry per
// created, updated or deleted object.
func writeLogs(res *blueprint.Result) []map[string]any {
	var out []map[string]any
	for _, er := range res.Entries {
		switch er.Status {
		case blueprint.StatusCreated, blueprint.StatusUpdated, blueprint.StatusDeleted:
		default:
			continue
		}
		entry := map[string]any{"event": string(er.Status), "log_level": "info", "logger": "authentik.blueprints.v1.importer", "pk": fmt.Sprint(er.PK)}
		if c := er.Change; c != nil {
			entry["model"], entry["name"] = c.Model, c.Name
			if c.Entry != nil {
				entry["entry"] = c.Entry.Index
			}
		} else if p := er.Prune; p != nil {
			entry["model"] = p.Model
		}
		out = append(out, entry)
	}
	return out
}

// problemLogs renders blueprint problems as authentik's structured log
// entries: the message as event, with where it happened.
func problemLogs(err error) []map[string]any {
	var out []map[string]any
	for _, e := range blueprint.AsErrors(err) {
		entry := map[string]any{"event": e.Error(), "log_level": "error", "logger": "authentik.blueprints.v1.importer"}
		if e.Entry >= 0 {
			entry["entry"] = e.Entry
		}
		if e.Model != "" {
			entry["model"] = e.Model
		}
		if e.Field != "" {
			entry["field"] = e.Field
		}
		out = append(out, entry)
	}
	return out
}

// uploaded reads the "file" part of a multipart upload; nil means none
// was sent.
func uploaded(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return nil, nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxImportSize+1<<20)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, engine.Invalid("file", fmt.Sprintf("The upload is larger than %d MiB.", maxImportSize>>20))
		}
		return nil, engine.Invalid("", "Multipart form parse error - "+err.Error())
	}
	files := r.MultipartForm.File["file"]
	if len(files) == 0 {
		return nil, nil
	}
	f, err := files[0].Open()
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxImportSize+1))
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	if len(data) > maxImportSize {
		return nil, engine.Invalid("file", fmt.Sprintf("The upload is larger than %d MiB.", maxImportSize>>20))
	}
	if len(data) == 0 {
		return nil, nil
	}
	return data, nil
}
