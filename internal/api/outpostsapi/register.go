package outpostsapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/outposts"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

type handler struct {
	s *api.Server
	e *engine.Engine
}

// Register installs the outpost actions. They are open to any
// authenticated user; health and state show only objects the caller may
// view.
func Register(s *api.Server) {
	h := &handler{s: s, e: s.Engine}
	s.RegisterOpen("outposts_instances_default_settings_retrieve", h.defaultSettings)
	s.RegisterOpen("outposts_instances_health_list", h.health)
	s.RegisterOpen("outposts_service_connections_all_state_retrieve", h.state)
}

// visibleRow loads the object of a uuid path parameter from a model's
// table; an object the caller may not view is reported missing, as
// authentik's permission-filtered lookup does.
func (h *handler) visibleRow(ctx context.Context, p *api.Principal, m *registry.Model, id string) (store.Row, error) {
	notFound := &engine.NotFoundError{Detail: "Not found."}
	pk, ok := engine.ParsePK(m, id)
	if !ok {
		return nil, notFound
	}
	var row store.Row
	err := h.e.Store.View(ctx, func(tx store.Tx) error {
		rows, err := tx.Select(ctx, store.Query{Table: m.Table, Where: store.Eq(m.PKColumn, pk), Limit: 1})
		if err != nil {
			return fmt.Errorf("load %s %s: %w", m.Name, id, err)
		}
		if len(rows) > 0 {
			row = rows[0]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if row == nil || !p.Subject.HasOn(m.App()+".view_"+m.ModelName(), engine.PKText(row[m.PKColumn])) {
		return nil, notFound
	}
	return row, nil
}

// defaultSettings answers the configuration new outposts get, pointing at
// this server's URL (authentik's absolute URI of "/").
func (h *handler) defaultSettings(w http.ResponseWriter, r *http.Request) error {
	if _, err := api.Caller(r); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"config": outposts.DefaultConfig(engine.BaseURLFrom(r.Context()) + "/")})
	return nil
}

// health lists the outpost's running instances. The embedded outpost runs
// inside this process, so its one instance is this server. Other outposts
// report through their websocket connection, which akgo does not serve
// yet, so none of them has a connected instance.
func (h *handler) health(w http.ResponseWriter, r *http.Request) error {
	p, err := api.Caller(r)
	if err != nil {
		return err
	}
	om := h.e.Registry.MustModel("authentik_outposts.outpost")
	row, err := h.visibleRow(r.Context(), p, om, chi.URLParam(r, "uuid"))
	if err != nil {
		return err
	}
	states := []any{}
	if managed, _ := row[om.MustColumn("managed")].(string); managed == outposts.EmbeddedManaged {
		states = append(states, h.selfState())
	}
	api.WriteJSON(w, http.StatusOK, states)
	return nil
}

// selfState is the OutpostHealth of this process as the embedded outpost.
func (h *handler) selfState() map[string]any {
	version := h.e.Spec.Doc.Info.Version
	hash := buildHash()
	host, err := os.Hostname()
	if err != nil {
		host = ""
	}
	return map[string]any{
		"uid":               instanceUID(),
		"last_seen":         h.e.Now().UTC().Format(time.RFC3339Nano),
		"version":           version,
		"version_should":    version,
		"version_outdated":  false,
		"build_hash":        hash,
		"build_hash_should": hash,
		"hostname":          host,
	}
}

var (
	uidOnce sync.Once
	uid     string
)

// instanceUID identifies this process among the outpost's instances; like
// an outpost's instance id it changes on restart.
func instanceUID() string {
	uidOnce.Do(func() {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		uid = hex.EncodeToString(b)
	})
	return uid
}

// buildHash is GIT_BUILD_HASH when set (as authentik's images do), else the
// VCS revision Go stamped into the binary, else "".
func buildHash() string {
	if v, ok := os.LookupEnv("GIT_BUILD_HASH"); ok {
		return v
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, kv := range info.Settings {
			if kv.Key == "vcs.revision" {
				return kv.Value
			}
		}
	}
	return ""
}
