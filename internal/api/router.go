package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/akgo/akgo/internal/apispec"
	"github.com/akgo/akgo/internal/config"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/events"
	"github.com/akgo/akgo/internal/registry"
)

// Action is a custom operation's handler.
type Action func(w http.ResponseWriter, r *http.Request) error

// Server is the /api/v3 handler set. Custom actions reach everything they
// need through it: the engine (store, registry, schema), the configuration,
// the event recorder and the logger.
type Server struct {
	Engine  *engine.Engine
	Auth    *Authenticator
	Log     *slog.Logger
	Config  config.Config
	Events  *events.Recorder
	actions map[string]Action
	open    map[string]bool
}

// NewServer builds the API server around an engine.
func NewServer(e *engine.Engine, auth *Authenticator, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{Engine: e, Auth: auth, Log: log, actions: map[string]Action{}, open: map[string]bool{}}
	s.Register("schema_retrieve", s.schema)
	return s
}

// Register installs the handler of a custom operation. Only superusers may
// call it unless the schema lets anyone in or RegisterOpen was used.
func (s *Server) Register(operationID string, a Action) { s.actions[operationID] = a }

// RegisterOpen installs a custom operation that any authenticated user may
// call; the action checks permissions itself (api.Require).
func (s *Server) RegisterOpen(operationID string, a Action) {
	s.actions[operationID] = a
	s.open[operationID] = true
}

// gate applies the default rule for custom actions.
func (s *Server) gate(r *http.Request, op *apispec.Operation, anon bool) error {
	if anon {
		return nil
	}
	p, ok := PrincipalFrom(r.Context())
	if !ok {
		return Errorf(http.StatusForbidden, detailNoCredentials)
	}
	if s.open[op.ID] || p.Superuser {
		return nil
	}
	return Errorf(http.StatusForbidden, DetailNoPermission)
}

// Handled reports how an operation is served: "generic", "custom" or ""
// (501).
func (s *Server) Handled(operationID string) string {
	if _, ok := s.actions[operationID]; ok {
		return "custom"
	}
	if _, _, ok := s.Engine.Registry.Operation(operationID); ok {
		return "generic"
	}
	return ""
}

// Handler builds the router: one route per schema operation.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not found."})
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"detail": "Method \"" + r.Method + "\" not allowed."})
	})
	for _, op := range s.Engine.Spec.Operations {
		r.Method(op.Method, apispec.BasePath+op.Path, s.handle(op))
	}
	return r
}

// anonymous reports whether the router lets the operation run without a
// user's credentials: its security list contains an empty requirement, or
// none of its requirements uses the "authentik" scheme (the mobile device
// endpoints accept only a device token, which their actions check).
func anonymous(op *apispec.Operation) bool {
	if op.Op.Security == nil {
		return false
	}
	user := false
	for _, req := range *op.Op.Security {
		if len(req) == 0 {
			return true
		}
		if _, ok := req["authentik"]; ok {
			user = true
		}
	}
	return !user
}

func (s *Server) handle(op *apispec.Operation) http.Handler {
	anon := anonymous(op)
	action, custom := s.actions[op.ID]
	ep, kind, generic := s.Engine.Registry.Operation(op.ID)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := engine.WithBaseURL(r.Context(), baseURL(r))
		r = r.WithContext(ctx)
		actor := engine.Actor{ClientIP: ClientIP(r), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery}
		if p, err := s.Auth.Authenticate(r); err == nil {
			ctx = context.WithValue(ctx, principalKey{}, p)
			actor.UserPK, actor.Username, actor.Email = p.UserPK, p.Username, p.Email
			r = r.WithContext(engine.WithActor(ctx, actor))
		} else if !anon {
			WriteError(w, r, s.Log, err)
			return
		}
		if _, ok := PrincipalFrom(r.Context()); !ok {
			r = r.WithContext(engine.WithActor(r.Context(), actor))
		}
		var err error
		switch {
		case custom:
			if err := s.gate(r, op, anon); err != nil {
				WriteError(w, r, s.Log, err)
				return
			}
			err = action(w, r)
		case generic:
			err = s.uniform(w, r, ep, kind)
		default:
			err = Errorf(http.StatusNotImplemented, "not implemented")
		}
		if err != nil {
			WriteError(w, r, s.Log, err)
		}
	})
}

// uniform serves the generic view-set operations.
func (s *Server) uniform(w http.ResponseWriter, r *http.Request, ep *registry.Endpoint, op registry.Op) error {
	lookup := chi.URLParam(r, ep.Lookup)
	r, err := s.authorize(r, ep, op, lookup)
	if err != nil {
		return err
	}
	ctx := r.Context()
	switch op {
	case registry.OpList:
		if ep.Paginated == "" {
			objs, err := s.Engine.ListAll(ctx, ep, r.URL.Query())
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, nonNil(objs))
			return nil
		}
		page, err := s.Engine.List(ctx, ep, r.URL.Query())
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"pagination": page.Pagination(), "results": nonNil(page.Results)})
	case registry.OpRetrieve:
		obj, err := s.Engine.Retrieve(ctx, ep, lookup)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, obj)
	case registry.OpCreate:
		body, err := DecodeBody(r)
		if err != nil {
			return err
		}
		s.ownCreate(r, ep, body)
		// Decided before Create, which may fill the body in.
		forget := changesCallers(ep.Model, op, body)
		obj, err := s.Engine.Create(ctx, ep, body)
		if err != nil {
			return err
		}
		if forget {
			s.Auth.Forget()
		}
		writeJSON(w, http.StatusCreated, obj)
	case registry.OpUpdate, registry.OpPartialUpdate:
		body, err := DecodeBody(r)
		if err != nil {
			return err
		}
		obj, err := s.Engine.Update(ctx, ep, lookup, body, op == registry.OpPartialUpdate)
		if err != nil {
			return err
		}
		s.forget(ep, op, body)
		writeJSON(w, http.StatusOK, obj)
	case registry.OpDestroy:
		if err := s.Engine.Destroy(ctx, ep, lookup); err != nil {
			return err
		}
		s.forget(ep, op, nil)
		w.WriteHeader(http.StatusNoContent)
	case registry.OpUsedBy:
		list, err := s.Engine.UsedByOf(ctx, ep, lookup)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, list)
	default:
		return Errorf(http.StatusNotImplemented, "not implemented")
	}
	return nil
}

// changesCallers reports whether a uniform write of a model can change
// what an authenticated caller is or may do: the token, the user, the
// user's groups and their ancestors, their roles and the roles'
// permissions (see Authenticator.principal and rbac.Load). Only API
// tokens are cached; a browser session is read on every request.
//
// Every such write used to empty the token cache, so the next request of
// every client authenticated again; creating a group (ordinary admin
// work) did too, although a new group changes no one but the members it
// is created with.
func changesCallers(model string, op registry.Op, body engine.Object) bool {
	switch model {
	case "authentik_core.token", "authentik_core.user":
		// A new token or user is not yet anyone's cached caller: the cache
		// holds only tokens that authenticated, and a token's caller is its
		// own user.
		return op != registry.OpCreate
	case "authentik_core.group":
		// A new group has no subgroups yet: it changes only its members.
		if op == registry.OpCreate {
			users, _ := body["users"].([]any)
			return len(users) > 0
		}
		return true
	case "authentik_rbac.role":
		// A role reaches callers through the groups that have it, and its
		// one writable field is its name; deleting it takes its
		// permissions away from those groups.
		return op == registry.OpDestroy
	}
	return false
}

// forget drops cached callers after a write that can affect them.
func (s *Server) forget(ep *registry.Endpoint, op registry.Op, body engine.Object) {
	if changesCallers(ep.Model, op, body) {
		s.Auth.Forget()
	}
}

func nonNil(objs []engine.Object) []engine.Object {
	if objs == nil {
		return []engine.Object{}
	}
	return objs
}

// DecodeBody parses a JSON object request body (an empty body is {}).
func DecodeBody(r *http.Request) (engine.Object, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	if err != nil {
		return nil, Errorf(http.StatusBadRequest, "could not read request body: "+err.Error())
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return engine.Object{}, nil
	}
	var body engine.Object
	if err := json.Unmarshal(data, &body); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return nil, engine.Invalid("", "Invalid data. Expected a dictionary, but got "+ute.Value+".")
		}
		return nil, Errorf(http.StatusBadRequest, "JSON parse error - "+err.Error())
	}
	return body, nil
}

// schema serves GET /api/v3/schema/ (YAML, or JSON with ?format=json).
func (s *Server) schema(w http.ResponseWriter, r *http.Request) error {
	if f := r.URL.Query().Get("format"); f == "json" {
		w.Header().Set("Content-Type", "application/vnd.oai.openapi+json")
		_, err := w.Write(s.Engine.Spec.JSON())
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.oai.openapi")
	_, err := w.Write(apispec.YAML)
	return err
}

// baseURL is the external scheme://host of a request, honouring the
// X-Forwarded-Proto header a reverse proxy sets.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

// ClientIP is the request's client address: the first X-Forwarded-For
// entry when a proxy set one, else the peer address.
func ClientIP(r *http.Request) string {
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		first, _, _ := strings.Cut(xff, ",")
		return strings.TrimSpace(first)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
