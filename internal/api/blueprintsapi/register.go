package blueprintsapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/blueprint/instances"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
)

const (
	endpointPath = "/managed/blueprints/"
	permView     = "authentik_blueprints.view_blueprintinstance"
)

type handler struct {
	s   *api.Server
	mgr *instances.Manager
	ep  *registry.Endpoint
}

// Register installs the available and apply actions and the instance
// write checks (instances.Manager.InstallHooks) on the uniform CRUD.
func Register(s *api.Server, mgr *instances.Manager) {
	ep, _ := s.Engine.Registry.Endpoint(endpointPath)
	h := &handler{s: s, mgr: mgr, ep: ep}
	mgr.InstallHooks(s.Engine)
	s.RegisterOpen("managed_blueprints_available_list", h.available)
	s.RegisterOpen("managed_blueprints_apply_create", h.apply)
}

// available lists the blueprint files: path, modification time, sha512
// and metadata. last_m is a date-time as the schema declares (authentik
// sends a Unix timestamp, which its own typed clients cannot read).
func (h *handler) available(w http.ResponseWriter, r *http.Request) error {
	if err := api.Require(r.Context(), permView, ""); err != nil {
		return err
	}
	files, _ := h.mgr.Files().Find()
	out := make([]map[string]any, 0, len(files))
	for _, f := range files {
		item := map[string]any{"path": f.Path, "hash": f.Hash, "last_m": f.LastModified.UTC().Format(time.RFC3339), "meta": nil}
		if f.Meta != nil {
			labels := map[string]any{}
			for k, v := range f.Meta.Labels {
				labels[k] = v
			}
			item["meta"] = map[string]any{"name": f.Meta.Name, "labels": labels}
		}
		out = append(out, item)
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

// apply applies the instance now and answers with the instance, 200 even
// when the apply failed (its status says so), as authentik 2023.10.
// ?prune=true also deletes objects the instance owned at its last apply
// and no longer declares (an akserver extension).
func (h *handler) apply(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	pk := chi.URLParam(r, "instance_uuid")
	if _, err := h.mgr.Get(ctx, pk); err != nil {
		return err
	}
	if err := api.Require(ctx, permView, pk); err != nil {
		return err
	}
	opts := instances.ApplyOptions{}
	if v := r.URL.Query().Get("prune"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return engine.Invalid("prune", "Must be a valid boolean.")
		}
		opts.Prune = b
	}
	if _, err := h.mgr.Apply(ctx, pk, opts); err != nil {
		return err
	}
	if h.s.Auth != nil {
		h.s.Auth.Forget() // the blueprint may have changed users, groups or tokens
	}
	obj, err := h.s.Engine.Retrieve(ctx, h.ep, pk)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, obj)
	return nil
}
