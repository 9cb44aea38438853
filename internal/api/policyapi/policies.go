package policyapi

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/expression"
	"github.com/akgo/akgo/internal/policies"
	"github.com/akgo/akgo/internal/store"
)

// Permissions of the actions, as authentik's view sets require them.
const (
	permViewPolicy        = "authentik_policies.view_policy"
	permViewPolicyCache   = "authentik_policies.view_policy_cache"
	permClearPolicyCache  = "authentik_policies.clear_policy_cache"
	permViewFlowCache     = "authentik_flows.view_flow_cache"
	permClearFlowCache    = "authentik_flows.clear_flow_cache"
	permViewUser          = "authentik_core.view_user"
	permViewPropertyMap   = "authentik_core.view_propertymapping"
	permAddPrompt         = "authentik_stages_prompt.add_prompt"
	detailNotFound        = "Not found."
	msgRequired           = "This field is required."
	msgNull               = "This field may not be null."
	msgInvalidPK          = "Invalid pk \"%s\" - object does not exist."
	msgIncorrectPKType    = "Incorrect type. Expected pk value, received %s."
	msgExpectedDictionary = "Expected a dictionary of items but got type \"%s\"."
)

// pythonType names a JSON value's type as DRF's messages do.
func pythonType(v any) string {
	switch v.(type) {
	case string:
		return "str"
	case bool:
		return "bool"
	case float64:
		return "float"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	}
	return "NoneType"
}

// testParams is a PolicyTestRequest: the user (a pk) and the context.
type testParams struct {
	user    *expression.User
	context map[string]any
}

// parseTestParams validates a PolicyTestRequest as DRF's serializer does:
// field errors for a missing, mistyped or unknown user and a context that
// is not an object.
func (h *handler) parseTestParams(r *http.Request) (*testParams, error) {
	body, err := api.DecodeBody(r)
	if err != nil {
		return nil, err
	}
	verr := &engine.ValidationError{}
	out := &testParams{context: map[string]any{}}
	raw, present := body["user"]
	var pk int64
	switch v := raw.(type) {
	case nil:
		if present {
			verr.Add("user", msgNull)
		} else {
			verr.Add("user", msgRequired)
		}
	case float64:
		if v != math.Trunc(v) {
			verr.Add("user", fmt.Sprintf(msgIncorrectPKType, "float"))
		}
		pk = int64(v)
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			verr.Add("user", fmt.Sprintf(msgIncorrectPKType, "str"))
		}
		pk = n
	default:
		verr.Add("user", fmt.Sprintf(msgIncorrectPKType, pythonType(raw)))
	}
	if verr.Empty() {
		u, err := h.pe.Directory.User(r.Context(), pk)
		if err != nil {
			return nil, fmt.Errorf("load test user: %w", err)
		}
		if u == nil {
			verr.Add("user", fmt.Sprintf(msgInvalidPK, strconv.FormatInt(pk, 10)))
		}
		out.user = u
	}
	if c, present := body["context"]; present {
		switch v := c.(type) {
		case map[string]any:
			out.context = v
		case nil:
			verr.Add("context", msgNull)
		default:
			verr.Add("context", fmt.Sprintf(msgExpectedDictionary, pythonType(v)))
		}
	}
	if !verr.Empty() {
		return nil, verr
	}
	return out, nil
}

// caller loads the API caller as an expression user (http_request.user).
func (h *handler) caller(r *http.Request) (*expression.User, error) {
	p, ok := api.PrincipalFrom(r.Context())
	if !ok {
		return nil, nil
	}
	u, err := h.pe.Directory.User(r.Context(), p.UserPK)
	if err != nil {
		return nil, fmt.Errorf("load caller: %w", err)
	}
	return u, nil
}

// familyObject checks that the {param} uuid names an object of the family
// base model that the caller may view (perm); otherwise 404.
func (h *handler) familyObject(r *http.Request, model, param, perm string) (string, error) {
	raw := chi.URLParam(r, param)
	id, err := uuid.Parse(raw)
	if err != nil {
		return "", &engine.NotFoundError{Detail: detailNotFound}
	}
	pk := id.String()
	m, ok := h.s.Engine.Registry.Model(model)
	if !ok {
		return "", fmt.Errorf("model %s is not registered", model)
	}
	ctx := r.Context()
	var n int64
	err = h.s.Engine.Store.View(ctx, func(tx store.Tx) (err error) {
		n, err = tx.Count(ctx, store.Query{Table: m.Table, Where: store.Eq(m.PKColumn, pk)})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("look up %s %s: %w", model, pk, err)
	}
	if n == 0 {
		return "", &engine.NotFoundError{Detail: detailNotFound}
	}
	// authentik looks the object up among those the caller may view, so
	// one they may not view is missing.
	if err := api.Require(ctx, perm, pk); err != nil {
		return "", &engine.NotFoundError{Detail: detailNotFound}
	}
	return pk, nil
}

// testPolicy serves POST /policies/all/{policy_uuid}/test/: the policy run
// for a user through a fresh binding, with its messages and logs.
func (h *handler) testPolicy(w http.ResponseWriter, r *http.Request) error {
	pk, err := h.familyObject(r, "authentik_policies.policy", "policy_uuid", permViewPolicy)
	if err != nil {
		return err
	}
	params, err := h.parseTestParams(r)
	if err != nil {
		return err
	}
	// authentik answers an empty 400 when the caller may not view the user.
	if err := api.Require(r.Context(), permViewUser, strconv.FormatInt(params.user.PK, 10)); err != nil {
		return api.Errorf(http.StatusBadRequest, "Invalid parameters")
	}
	caller, err := h.caller(r)
	if err != nil {
		return err
	}
	res, err := h.pe.Test(r.Context(), pk, &policies.Request{User: params.user, HTTP: httpRequest(r, caller), Context: params.context})
	if err != nil {
		return err
	}
	logs := res.LogMessages
	if logs == nil {
		logs = []map[string]any{}
	}
	messages := res.Messages
	if messages == nil {
		messages = []string{}
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"passing": res.Passing, "messages": messages, "log_messages": logs})
	return nil
}

// policyCacheInfo serves GET /policies/all/cache_info/: the number of
// cached binding results.
func (h *handler) policyCacheInfo(w http.ResponseWriter, r *http.Request) error {
	if err := api.Require(r.Context(), permViewPolicyCache, ""); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"count": h.pe.Cache.Len()})
	return nil
}

// policyCacheClear serves POST /policies/all/cache_clear/.
func (h *handler) policyCacheClear(w http.ResponseWriter, r *http.Request) error {
	if err := api.Require(r.Context(), permClearPolicyCache, ""); err != nil {
		return err
	}
	h.pe.Cache.Clear()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// flowCacheInfo serves GET /flows/instances/cache_info/. authentik counts
// its cached flow plans there (not policy results); akserver plans every
// flow execution afresh and keeps no plans, so the count is 0.
func (h *handler) flowCacheInfo(w http.ResponseWriter, r *http.Request) error {
	if err := api.Require(r.Context(), permViewFlowCache, ""); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"count": 0})
	return nil
}

// flowCacheClear serves POST /flows/instances/cache_clear/: with no
// cached plans there is nothing to drop.
func (h *handler) flowCacheClear(w http.ResponseWriter, r *http.Request) error {
	if err := api.Require(r.Context(), permClearFlowCache, ""); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
