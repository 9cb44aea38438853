package api

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/akgo/akgo/internal/auth"
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
}

type principalKey struct{}

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

// Authenticate checks the Authorization header.
func (a *Authenticator) Authenticate(r *http.Request) (*Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
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
		u := users[0]
		if active, _ := u[col(um, "is_active")].(bool); !active {
			return Errorf(http.StatusForbidden, "User inactive or deleted.")
		}
		pk, _ := u[um.PKColumn].(int64)
		name, _ := u[col(um, "username")].(string)
		email, _ := u[col(um, "email")].(string)
		su, err := auth.IsSuperuser(ctx, tx, a.Registry, pk)
		if err != nil {
			return err
		}
		tokenPK, _ := t[tm.PKColumn].(string)
		p = &Principal{UserPK: pk, Username: name, Email: email, Superuser: su, TokenPK: tokenPK}
		return nil
	})
	return p, err
}

// col returns the column of a model field, panicking on a registry that
// lacks it (a programming error caught by tests).
func col(m *registry.Model, field string) string {
	f, ok := m.Field(field)
	if !ok || !f.Stored() {
		panic("registry: " + m.Name + " has no stored field " + field)
	}
	return f.Column
}
