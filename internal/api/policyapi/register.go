package policyapi

import (
	"net/http"
	"strings"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/expression"
	"github.com/akgo/akgo/internal/policies"
)

type handler struct {
	s  *api.Server
	pe *policies.Engine
}

// Register installs the policy, property-mapping, flow-cache and prompt
// preview actions, and the save-time check of every expression field.
// Each action checks authentik's permission for it itself.
func Register(s *api.Server) {
	pe := policies.For(s.Engine)
	if pe.Events == nil {
		pe.Events = s.Events
	}
	pe.Log = s.Log
	// The HIBP endpoint comes from the configuration (AKGO_HIBP_URL),
	// applied by internal/app.
	pe.Config = defaultConfig
	h := &handler{s: s, pe: pe}
	s.RegisterOpen("policies_all_test_create", h.testPolicy)
	s.RegisterOpen("policies_all_cache_info_retrieve", h.policyCacheInfo)
	s.RegisterOpen("policies_all_cache_clear_create", h.policyCacheClear)
	s.RegisterOpen("flows_instances_cache_info_retrieve", h.flowCacheInfo)
	s.RegisterOpen("flows_instances_cache_clear_create", h.flowCacheClear)
	s.RegisterOpen("propertymappings_all_test_create", h.testMapping)
	s.RegisterOpen("stages_prompt_prompts_preview_create", h.previewPrompt)
	installValidation(s.Engine)
}

// defaultConfig answers CONFIG.get for the keys authentik's default
// blueprints read, with authentik 2023.10's defaults.
func defaultConfig(key string) (any, bool) {
	v, ok := map[string]any{
		"default_user_change_name":     true,
		"default_user_change_email":    false,
		"default_user_change_username": false,
		"reputation.expiry":            86400,
		"cache.timeout_policies":       300,
		"cache.timeout_flows":          300,
	}[key]
	return v, ok
}

// httpRequest is the API request as expressions see it
// (request.http_request, ak_client_ip).
func httpRequest(r *http.Request, user *expression.User) *expression.HTTPRequest {
	scheme := "http"
	if strings.HasPrefix(engine.BaseURLFrom(r.Context()), "https://") {
		scheme = "https"
	}
	return &expression.HTTPRequest{Method: r.Method, Path: r.URL.Path, Scheme: scheme, Host: r.Host,
		Query: r.URL.Query(), Headers: r.Header.Clone(), ClientIP: api.ClientIP(r), User: user}
}
