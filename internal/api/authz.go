package api

import (
	"context"
	"net/http"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/rbac"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// DetailNoPermission is DRF's PermissionDenied message.
const DetailNoPermission = "You do not have permission to perform this action."

// ownership marks endpoints whose objects belong to a user: their owner
// may see and manage them without model permissions. always=true endpoints
// (the user-facing authenticator lists) show only the caller's objects,
// even to superusers; the admin endpoints show everything.
type ownership struct {
	field  string
	always bool
}

var owned = map[string]ownership{
	"/core/tokens/":                    {"user", false},
	"/core/user_consent/":              {"user", false},
	"/core/authenticated_sessions/":    {"user", false},
	"/sources/user_connections/all/":   {"user", false},
	"/sources/user_connections/oauth/": {"user", false},
	"/sources/user_connections/saml/":  {"user", false},
	"/sources/user_connections/plex/":  {"user", false},
	"/authenticators/duo/":             {"user", true},
	"/authenticators/mobile/":          {"user", true},
	"/authenticators/sms/":             {"user", true},
	"/authenticators/static/":          {"user", true},
	"/authenticators/totp/":            {"user", true},
	"/authenticators/webauthn/":        {"user", true},
}

var opAction = map[registry.Op]string{
	registry.OpList: "view", registry.OpRetrieve: "view", registry.OpUsedBy: "view",
	registry.OpCreate: "add", registry.OpUpdate: "change", registry.OpPartialUpdate: "change", registry.OpDestroy: "delete",
}

// authorize checks a uniform operation for the caller and returns the
// request with the caller's visibility scope attached (a list only shows,
// and a detail lookup only finds, objects the caller may view).
func (s *Server) authorize(r *http.Request, ep *registry.Endpoint, op registry.Op, lookup string) (*http.Request, error) {
	p, ok := PrincipalFrom(r.Context())
	if !ok {
		return nil, Errorf(http.StatusForbidden, detailNoCredentials)
	}
	sub := p.Subject
	m, ok := s.Engine.Registry.Model(ep.Model)
	if !ok {
		return nil, Errorf(http.StatusInternalServerError, "unknown model")
	}
	viewPerm := rbac.ModelPerm(m, "view")
	own, isOwned := owned[ep.Path]
	ctx := r.Context()
	var scope store.Cond
	switch {
	case isOwned && (own.always || !sub.Has(viewPerm)):
		f, _ := m.Field(own.field)
		scope = store.Or(store.Eq(f.Column, p.UserPK), pkIn(m, sub.ObjectPKs(viewPerm)))
		if own.always {
			scope = store.Eq(f.Column, p.UserPK)
		}
	case !sub.Has(viewPerm):
		scope = pkIn(m, sub.ObjectPKs(viewPerm))
	}
	if scope != nil {
		ctx = engine.WithScope(ctx, m.Name, scope)
	}
	r = r.WithContext(ctx)
	action := opAction[op]
	perm := rbac.ModelPerm(m, action)
	switch op {
	case registry.OpList, registry.OpRetrieve, registry.OpUsedBy:
		return r, nil
	case registry.OpCreate:
		if sub.Has(perm) || isOwned {
			return r, nil
		}
		return nil, Errorf(http.StatusForbidden, DetailNoPermission)
	}
	// Writes to one object: it must be visible (else 404), and the caller
	// must own it or hold the permission on it.
	row, err := s.Engine.Lookup(r.Context(), ep, lookup)
	if err != nil {
		return nil, err
	}
	if isOwned {
		f, _ := m.Field(own.field)
		if v, _ := row[f.Column].(int64); v == p.UserPK {
			return r, nil
		}
	}
	if sub.HasOn(perm, engine.PKText(row[m.PKColumn])) {
		return r, nil
	}
	return nil, Errorf(http.StatusForbidden, DetailNoPermission)
}

// pkIn matches rows whose pk is one of the given texts.
func pkIn(m *registry.Model, pks []string) store.Cond {
	if len(pks) == 0 {
		return store.FalseCond{}
	}
	vals := make([]any, 0, len(pks))
	for _, pk := range pks {
		if v, ok := engine.ParsePK(m, pk); ok {
			vals = append(vals, v)
		}
	}
	return store.InCond{Column: m.PKColumn, Values: vals}
}

// Require checks a permission for a custom action: globally, or on the
// object with the given pk when objectPK is not "".
func Require(ctx context.Context, perm, objectPK string) error {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return Errorf(http.StatusForbidden, detailNoCredentials)
	}
	if objectPK == "" && p.Subject.Has(perm) || objectPK != "" && p.Subject.HasOn(perm, objectPK) {
		return nil
	}
	return Errorf(http.StatusForbidden, DetailNoPermission)
}

// ownCreate makes a user without the model's add permission create owned
// objects (tokens) for themselves, as authentik's view sets do.
func (s *Server) ownCreate(r *http.Request, ep *registry.Endpoint, body engine.Object) {
	own, ok := owned[ep.Path]
	p, authed := PrincipalFrom(r.Context())
	if !ok || !authed {
		return
	}
	m, _ := s.Engine.Registry.Model(ep.Model)
	if !p.Subject.Has(rbac.ModelPerm(m, "add")) {
		body[own.field] = p.UserPK
	}
}
