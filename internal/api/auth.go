package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/akgo/akgo/internal/auth"
	"github.com/akgo/akgo/internal/rbac"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// Principal is the authenticated caller of a request.
type Principal struct {
	UserPK    int64
	Username  string
	Email     string
	Superuser bool
	TokenPK   string
	// Subject holds the caller's permissions.
	Subject *rbac.Subject
	// SessionKey is set for browser sessions; Original is the real user
	// while they impersonate this one.
	SessionKey string
	Original   *Principal
}

// Session data keys for impersonation.
const (
	ImpersonateUser     = "authentik/impersonate_user"
	ImpersonateOriginal = "authentik/impersonate_original_user"
)

type principalKey struct{}

// Caller returns the authenticated caller of a request, or the 403 that
// authentik answers without credentials.
func Caller(r *http.Request) (*Principal, error) {
	p, ok := PrincipalFrom(r.Context())
	if !ok {
		return nil, Errorf(http.StatusForbidden, detailNoCredentials)
	}
	return p, nil
}

// PrincipalFrom returns the request's principal.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok
}

// Authenticator resolves API tokens to users. Lookups are cached for a few
// seconds: every API request authenticates, and the cache keeps that off
// the database on the hot path while revocations still apply quickly.
type Authenticator struct {
	Store    store.Store
	Registry *registry.Registry
	Now      func() time.Time
	TTL      time.Duration

	mu    sync.Mutex
	cache map[string]cachedPrincipal
}

type cachedPrincipal struct {
	p       *Principal
	expires time.Time
}

const (
	detailNoCredentials = "Authentication credentials were not provided."
	detailBadToken      = "Token invalid/expired"
)

// Cookie and header names of session authentication, as authentik's.
const (
	SessionCookie = "authentik_session"
	CSRFCookie    = "authentik_csrf"
	CSRFHeader    = "X-authentik-CSRF"
)

// Authenticate checks the Authorization header, else the session cookie.
func (a *Authenticator) Authenticate(r *http.Request) (*Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			return a.session(r, c.Value)
		}
		return nil, Errorf(http.StatusForbidden, detailNoCredentials)
	}
	scheme, key, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(key) == "" {
		return nil, Errorf(http.StatusForbidden, detailBadToken)
	}
	key = strings.TrimSpace(key)
	now := a.Now()
	a.mu.Lock()
	if c, ok := a.cache[key]; ok && now.Before(c.expires) {
		a.mu.Unlock()
		return c.p, nil
	}
	a.mu.Unlock()
	p, err := a.lookup(r.Context(), key, now)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	if a.cache == nil || len(a.cache) > 10000 {
		a.cache = map[string]cachedPrincipal{}
	}
	a.cache[key] = cachedPrincipal{p: p, expires: now.Add(a.TTL)}
	a.mu.Unlock()
	return p, nil
}

// Forget drops cached tokens (after token or user changes).
func (a *Authenticator) Forget() {
	a.mu.Lock()
	a.cache = nil
	a.mu.Unlock()
}

// session authenticates a browser session. Unsafe methods must echo the
// CSRF cookie in the X-authentik-CSRF header (Django's double-submit check).
func (a *Authenticator) session(r *http.Request, key string) (*Principal, error) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
	default:
		c, err := r.Cookie(CSRFCookie)
		if err != nil || c.Value == "" || r.Header.Get(CSRFHeader) != c.Value {
			return nil, Errorf(http.StatusForbidden, "CSRF Failed: CSRF token missing or incorrect.")
		}
	}
	sm, _ := a.Registry.Model("authentik_core.authenticatedsession")
	um, _ := a.Registry.Model("authentik_core.user")
	now := a.Now()
	var p *Principal
	err := a.Store.View(r.Context(), func(tx store.Tx) error {
		rows, err := tx.Select(r.Context(), store.Query{Table: sm.Table, Where: store.Eq(col(sm, "session_key"), key), Limit: 1})
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return Errorf(http.StatusForbidden, detailNoCredentials)
		}
		s := rows[0]
		if exp, ok := s[col(sm, "expires")].(time.Time); ok && !exp.After(now) {
			if expiring, _ := s[col(sm, "expiring")].(bool); expiring {
				return Errorf(http.StatusForbidden, detailNoCredentials)
			}
		}
		load := func(pk any) (*Principal, error) {
			users, err := tx.Select(r.Context(), store.Query{Table: um.Table, Where: store.Eq(um.PKColumn, pk), Limit: 1})
			if err != nil {
				return nil, err
			}
			if len(users) == 0 {
				return nil, Errorf(http.StatusForbidden, detailNoCredentials)
			}
			return a.principal(r.Context(), tx, users[0], "")
		}
		p, err = load(s[col(sm, "user")])
		if err != nil {
			return err
		}
		p.SessionKey = key
		var data map[string]any
		if raw, ok := s[col(sm, "session_data")].(json.RawMessage); ok {
			_ = json.Unmarshal(raw, &data)
		}
		if target, ok := data[ImpersonateUser].(float64); ok {
			imp, err := load(int64(target))
			if err != nil {
				return err
			}
			imp.SessionKey, imp.Original = key, p
			p = imp
		}
		return nil
	})
	return p, err
}

// principal builds the caller from a user row.
func (a *Authenticator) principal(ctx context.Context, tx store.Tx, u store.Row, tokenPK string) (*Principal, error) {
	um, _ := a.Registry.Model("authentik_core.user")
	if active, _ := u[col(um, "is_active")].(bool); !active {
		return nil, Errorf(http.StatusForbidden, "User inactive or deleted.")
	}
	pk, _ := u[um.PKColumn].(int64)
	name, _ := u[col(um, "username")].(string)
	email, _ := u[col(um, "email")].(string)
	su, err := auth.IsSuperuser(ctx, tx, a.Registry, pk)
	if err != nil {
		return nil, err
	}
	sub, err := rbac.Load(ctx, tx, a.Registry, pk, su)
	if err != nil {
		return nil, err
	}
	return &Principal{UserPK: pk, Username: name, Email: email, Superuser: su, TokenPK: tokenPK, Subject: sub}, nil
}

func (a *Authenticator) lookup(ctx context.Context, key string, now time.Time) (*Principal, error) {
	tm, _ := a.Registry.Model("authentik_core.token")
	um, _ := a.Registry.Model("authentik_core.user")
	var p *Principal
	err := a.Store.View(ctx, func(tx store.Tx) error {
		rows, err := tx.Select(ctx, store.Query{Table: tm.Table, Where: store.Eq(col(tm, "key"), key), Limit: 1})
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return Errorf(http.StatusForbidden, detailBadToken)
		}
		t := rows[0]
		if t[col(tm, "intent")] != "api" {
			return Errorf(http.StatusForbidden, detailBadToken)
		}
		if exp, _ := t[col(tm, "expiring")].(bool); exp {
			if at, ok := t[col(tm, "expires")].(time.Time); ok && !at.After(now) {
				return Errorf(http.StatusForbidden, detailBadToken)
			}
		}
		users, err := tx.Select(ctx, store.Query{Table: um.Table, Where: store.Eq(um.PKColumn, t[col(tm, "user")]), Limit: 1})
		if err != nil {
			return err
		}
		if len(users) == 0 {
			return Errorf(http.StatusForbidden, detailBadToken)
		}
		tokenPK, _ := t[tm.PKColumn].(string)
		p, err = a.principal(ctx, tx, users[0], tokenPK)
		return err
	})
	return p, err
}

// col returns the column of a model field, panicking on a registry that
// lacks it (a programming error caught by tests).
func col(m *registry.Model, field string) string {
	return m.MustColumn(field)
}
