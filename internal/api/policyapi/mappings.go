package policyapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/policies"
)

// testMapping serves POST /propertymappings/all/{pm_uuid}/test/: the
// mapping evaluated for a user (and the context's variables), its result
// rendered as json.dumps does (indented with ?format_result=true).
//
// As an akgo extension, a "group" in the context that is the pk of a
// group is passed as that Group, so group mappings (SCIM) can be tested.
func (h *handler) testMapping(w http.ResponseWriter, r *http.Request) error {
	pk, err := h.familyObject(r, "authentik_core.propertymapping", "pm_uuid", permViewPropertyMap)
	if err != nil {
		return err
	}
	params, err := h.parseTestParams(r)
	if err != nil {
		return err
	}
	if err := api.Require(r.Context(), permViewUser, strconv.FormatInt(params.user.PK, 10)); err != nil {
		return err
	}
	mapping, err := h.pe.LoadMapping(r.Context(), pk)
	if err != nil {
		return err
	}
	if mapping == nil {
		return &engine.NotFoundError{Detail: detailNotFound}
	}
	if g, ok := params.context["group"].(string); ok {
		group, err := h.pe.Directory.Group(r.Context(), strings.ToLower(g))
		if err == nil && group != nil {
			params.context["group"] = group
		}
	}
	caller, err := h.caller(r)
	if err != nil {
		return err
	}
	indent := 0
	if strings.EqualFold(r.URL.Query().Get("format_result"), "true") {
		indent = 4
	}
	result := map[string]any{"successful": true, "result": ""}
	out, err := h.pe.EvaluateMapping(r.Context(), mapping, policies.MappingRequest{User: params.user, HTTP: httpRequest(r, caller), Vars: params.context})
	if err == nil {
		var text string
		if text, err = out.JSON(indent); err == nil {
			result["result"] = text
		}
	}
	if err != nil {
		result["result"], result["successful"] = err.Error(), false
	}
	api.WriteJSON(w, http.StatusOK, result)
	return nil
}
