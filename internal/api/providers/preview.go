package providers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/events"
	"github.com/akgo/akgo/internal/expression"
	"github.com/akgo/akgo/internal/policies"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// acrDefault is the acr claim authentik puts in its ID tokens.
const acrDefault = "goauthentik.io/providers/oauth2/default"

// mappingRow is a property mapping bound to a provider.
type mappingRow struct {
	policies.Mapping
	row store.Row
}

// providerMappings loads the mappings of mappingModel bound to a provider
// of model (through its property_mappings set, stored per concrete
// model), ordered by orderField.
func (h *handlers) providerMappings(ctx context.Context, tx store.Tx, providers *registry.Model, providerPK any, mappingModel, orderField string) ([]mappingRow, error) {
	mm := h.model(mappingModel)
	f, _ := providers.Field("property_mappings")
	j, ok := h.s.Engine.Join(providers, f)
	if !ok {
		return nil, errors.New("provider property_mappings is not a many-to-many set")
	}
	rows, err := tx.Select(ctx, store.Query{Table: mm.Table, OrderBy: []store.Order{{Column: col(mm, orderField)}, {Column: mm.PKColumn}},
		Where: store.InQueryCond{Column: mm.PKColumn, Query: store.Query{Table: j.Table, Columns: []string{j.Other}, Where: store.Eq(j.Self, providerPK)}}})
	if err != nil {
		return nil, fmt.Errorf("load %s of provider %v: %w", mappingModel, providerPK, err)
	}
	out := make([]mappingRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, mappingRow{policies.Mapping{PK: engine.PKText(r[mm.PKColumn]), Name: str(r[col(mm, "name")]),
			Expression: str(r[col(mm, "expression")])}, r})
	}
	return out, nil
}

// previewUser is the user a preview is for: the caller, or ?for_user
// when the caller may preview that user (authentik_core.preview_user).
func (h *handlers) previewUser(r *http.Request) (*expression.User, error) {
	ctx := r.Context()
	p, ok := api.PrincipalFrom(ctx)
	if !ok {
		return nil, api.Errorf(http.StatusForbidden, "Authentication credentials were not provided.")
	}
	pk := p.UserPK
	if vals, given := r.URL.Query()["for_user"]; given {
		n, err := strconv.ParseInt(vals[0], 10, 64)
		if err != nil {
			return nil, engine.Invalid("for_user", "input must be numerical")
		}
		if api.Require(ctx, "authentik_core.preview_user", strconv.FormatInt(n, 10)) != nil {
			return nil, engine.Invalid("for_user", "User not found")
		}
		pk = n
	}
	u, err := policies.For(h.s.Engine).Directory.User(ctx, pk)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, engine.Invalid("for_user", "User not found")
	}
	return u, nil
}

// httpRequest is the API request as expressions see it.
func httpRequest(r *http.Request, user *expression.User) *expression.HTTPRequest {
	scheme := "http"
	if strings.HasPrefix(engine.BaseURLFrom(r.Context()), "https://") {
		scheme = "https"
	}
	return &expression.HTTPRequest{Method: r.Method, Path: r.URL.Path, Scheme: scheme, Host: r.Host,
		Query: r.URL.Query(), Headers: r.Header.Clone(), ClientIP: api.ClientIP(r), User: user}
}

// object exposes model fields to expressions with attribute access
// (provider.name), as Django model instances are.
func object(name string, fields map[string]any) starlark.Value {
	d := starlark.StringDict{}
	for k, v := range fields {
		switch x := v.(type) {
		case nil:
			d[k] = starlark.None
		case string:
			d[k] = starlark.String(x)
		case bool:
			d[k] = starlark.Bool(x)
		case int64:
			d[k] = starlark.MakeInt64(x)
		case []string:
			l := make([]starlark.Value, len(x))
			for i, s := range x {
				l[i] = starlark.String(s)
			}
			d[k] = starlark.NewList(l)
		default:
			d[k] = starlark.String(fmt.Sprint(x))
		}
	}
	return starlarkstruct.FromStringDict(starlark.String(name), d)
}

// userUID is authentik's User.uid: sha256("<pk>-<SECRET_KEY>").
func (h *handlers) userUID(u *expression.User) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%d-%s", u.PK, h.s.Config.SecretKey)))
	return hex.EncodeToString(sum[:])
}

// oauth2PreviewUser serves GET /providers/oauth2/{id}/preview_user/: the
// ID token authentik would issue to the user (?for_user, else the
// caller), with the claims of the provider's scope mappings when the
// provider includes claims in ID tokens.
func (h *handlers) oauth2PreviewUser(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	m := h.model("authentik_providers_oauth2.oauth2provider")
	apps := h.model("authentik_core.application")
	var provider, app store.Row
	var mappings []mappingRow
	err := h.s.Engine.Store.View(ctx, func(tx store.Tx) error {
		var err error
		if provider, err = findRow(ctx, tx, m, "pk", chi.URLParam(r, "id")); err != nil {
			return err
		}
		if err := checkView(r, m, provider[m.PKColumn]); err != nil {
			return err
		}
		if app, err = h.applicationOf(ctx, tx, provider[m.PKColumn]); err != nil {
			return err
		}
		mappings, err = h.providerMappings(ctx, tx, m, provider[m.PKColumn], "authentik_providers_oauth2.scopemapping", "scope_name")
		return err
	})
	if err != nil {
		return err
	}
	user, err := h.previewUser(r)
	if err != nil {
		return err
	}
	sm := h.model("authentik_providers_oauth2.scopemapping")
	scopes := []string{}
	for _, mp := range mappings {
		scopes = append(scopes, str(mp.row[col(sm, "scope_name")]))
	}
	now := h.s.Engine.Now()
	base := engine.BaseURLFrom(ctx)
	var issuer any
	switch {
	case str(provider[col(m, "issuer_mode")]) == "global":
		issuer = base + "/"
	case app != nil:
		issuer = base + "/application/o/" + str(app[col(apps, "slug")]) + "/"
	}
	token := map[string]any{
		"iss": issuer, "sub": h.subject(str(provider[col(m, "sub_mode")]), user), "aud": str(provider[col(m, "client_id")]),
		"exp":       now.Add(events.ParseRetention(str(provider[col(m, "access_token_validity")]))).Unix(),
		"iat":       now.Unix(),
		"auth_time": now.Unix(),
		"acr":       acrDefault,
		"amr":       nil,
	}
	if boolean(provider[col(m, "include_claims_in_id_token")]) {
		pv := object("OAuth2Provider", map[string]any{"pk": provider[m.PKColumn], "name": str(provider[col(m, "name")]),
			"client_id": str(provider[col(m, "client_id")]), "issuer_mode": str(provider[col(m, "issuer_mode")]),
			"sub_mode": str(provider[col(m, "sub_mode")])})
		tv := object("AccessToken", map[string]any{"scope": scopes, "user_id": user.PK, "provider_id": provider[m.PKColumn]})
		claims := map[string]any{}
		for _, mp := range mappings {
			value, err := h.evaluate(r, mp.Mapping, user, map[string]any{"provider": pv, "token": tv})
			if err != nil {
				return err
			}
			if v, ok := value.(map[string]any); ok {
				deepMerge(claims, v)
			}
		}
		for k, v := range claims {
			token[k] = v
		}
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"preview": token})
	return nil
}

// subject is the ID token's sub for the provider's sub_mode.
func (h *handlers) subject(mode string, u *expression.User) string {
	switch mode {
	case "user_id":
		return strconv.FormatInt(u.PK, 10)
	case "user_uuid":
		return u.UUID
	case "user_username":
		return u.Username
	case "user_email":
		return u.Email
	case "user_upn":
		if upn, ok := u.Attributes["upn"].(string); ok {
			return upn
		}
	}
	return h.userUID(u)
}

// evaluate runs one mapping for the user; a failing expression is
// skipped (nil) and logged, as authentik does.
func (h *handlers) evaluate(r *http.Request, m policies.Mapping, user *expression.User, vars map[string]any) (any, error) {
	out, err := policies.For(h.s.Engine).EvaluateMapping(r.Context(), &m, policies.MappingRequest{
		User: user, HTTP: httpRequest(r, user), Vars: vars,
	})
	var me *policies.MappingError
	if errors.As(err, &me) {
		h.s.Log.Warn("property mapping failed", "mapping", m.Name, "err", err)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return out.Value(), nil
}

// deepMerge merges src into dst like deepmerge's always_merger: dicts
// recursively, lists appended, anything else replaced.
func deepMerge(dst, src map[string]any) {
	for k, v := range src {
		switch sv := v.(type) {
		case map[string]any:
			if dv, ok := dst[k].(map[string]any); ok {
				deepMerge(dv, sv)
				continue
			}
		case []any:
			if dv, ok := dst[k].([]any); ok {
				dst[k] = append(dv, sv...)
				continue
			}
		}
		dst[k] = v
	}
}

// samlPreviewUser serves GET /providers/saml/{id}/preview_user/: the
// attributes and NameID of the assertion authentik would issue to the
// user, from the provider's SAML property mappings (ordered by SAML
// name) and its NameID mapping.
func (h *handlers) samlPreviewUser(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	m := h.model("authentik_providers_saml.samlprovider")
	pm := h.model("authentik_providers_saml.samlpropertymapping")
	var provider store.Row
	var mappings []mappingRow
	err := h.s.Engine.Store.View(ctx, func(tx store.Tx) error {
		var err error
		if provider, err = findRow(ctx, tx, m, "pk", chi.URLParam(r, "id")); err != nil {
			return err
		}
		if err := checkView(r, m, provider[m.PKColumn]); err != nil {
			return err
		}
		mappings, err = h.providerMappings(ctx, tx, m, provider[m.PKColumn], pm.Name, "saml_name")
		return err
	})
	if err != nil {
		return err
	}
	user, err := h.previewUser(r)
	if err != nil {
		return err
	}
	pv := object("SAMLProvider", map[string]any{"pk": provider[m.PKColumn], "name": str(provider[col(m, "name")]),
		"issuer": str(provider[col(m, "issuer")]), "audience": str(provider[col(m, "audience")]), "acs_url": str(provider[col(m, "acs_url")])})
	vars := map[string]any{"provider": pv}
	attributes := []map[string]any{}
	for _, mp := range mappings {
		value, err := h.evaluate(r, mp.Mapping, user, vars)
		if err != nil {
			return err
		}
		if value == nil {
			continue
		}
		item := map[string]any{"Name": str(mp.row[col(pm, "saml_name")])}
		if fn := str(mp.row[col(pm, "friendly_name")]); fn != "" {
			item["FriendlyName"] = fn
		}
		list, isList := value.([]any)
		if !isList {
			list = []any{value}
		}
		texts := make([]any, 0, len(list))
		for _, v := range list {
			texts = append(texts, pythonStr(v))
		}
		item["Value"] = texts
		attributes = append(attributes, item)
	}
	nameID, err := h.samlNameID(r, provider, user, vars)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"preview": map[string]any{"attributes": attributes, "nameID": nameID}})
	return nil
}

// samlNameID is the NameID for a request without a NameID policy: the
// provider's NameID mapping when set, else the user's persistent uid.
func (h *handlers) samlNameID(r *http.Request, provider store.Row, user *expression.User, vars map[string]any) (string, error) {
	m := h.model("authentik_providers_saml.samlprovider")
	nameID := h.userUID(user)
	pk := provider[col(m, "name_id_mapping")]
	if pk == nil {
		return nameID, nil
	}
	mapping, err := policies.For(h.s.Engine).LoadMapping(r.Context(), engine.PKText(pk))
	if err != nil || mapping == nil {
		return nameID, err
	}
	value, err := h.evaluate(r, *mapping, user, vars)
	if err != nil || value == nil {
		return nameID, err
	}
	return pythonStr(value), nil
}

// pythonStr is Python's str() of a JSON-like value, as authentik writes
// attribute values.
func pythonStr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(x, 10)
	case *big.Int:
		return x.String()
	case *expression.User:
		return x.Username
	case *expression.Group:
		return "Group " + x.Name
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatFloat(x, 'f', 1, 64)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pythonRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = pythonRepr(k) + ": " + pythonRepr(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

func pythonRepr(v any) string {
	if s, ok := v.(string); ok {
		return expression.QuotePython(s)
	}
	return pythonStr(v)
}
