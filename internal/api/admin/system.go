package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// systemInfoBody is the SystemInfo schema.
type systemInfoBody struct {
	HTTPHeaders         map[string]string `json:"http_headers"`
	HTTPHost            string            `json:"http_host"`
	HTTPIsSecure        bool              `json:"http_is_secure"`
	Runtime             runtimeInfo       `json:"runtime"`
	Tenant              string            `json:"tenant"`
	ServerTime          string            `json:"server_time"`
	EmbeddedOutpostHost string            `json:"embedded_outpost_host"`
}

// runtimeInfo keeps authentik's field names, which describe a Python
// server: python_version holds the language runtime that runs akserver
// (Go) and gunicorn_version the HTTP server (Go's net/http).
type runtimeInfo struct {
	PythonVersion   string `json:"python_version"`
	GunicornVersion string `json:"gunicorn_version"`
	Environment     string `json:"environment"`
	Architecture    string `json:"architecture"`
	Platform        string `json:"platform"`
	Uname           string `json:"uname"`
}

// cleansed is Django's stand-in for secrets in debug output, which
// authentik puts in place of the session cookie.
const cleansed = "********************"

// sessionCookie is authentik's session cookie name.
const sessionCookie = "authentik_session"

// embeddedOutpost is the managed id of authentik's embedded outpost.
const embeddedOutpost = "goauthentik.io/outposts/embedded"

func systemInfo(s *api.Server, w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	tenant, err := tenantName(ctx, s, r.Host)
	if err != nil {
		return err
	}
	outpostHost, err := embeddedOutpostHost(ctx, s)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, systemInfoBody{
		HTTPHeaders:         requestMeta(r),
		HTTPHost:            r.Host,
		HTTPIsSecure:        isSecure(r),
		Runtime:             currentRuntime(os.LookupEnv, fileExists),
		Tenant:              tenant,
		ServerTime:          s.Engine.Now().UTC().Format(engine.TimeFormat),
		EmbeddedOutpostHost: outpostHost,
	})
	return nil
}

// isSecure is Django's is_secure with authentik's SECURE_PROXY_SSL_HEADER.
func isSecure(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

// requestMeta renders the request as Django's request.META: every header
// as HTTP_<NAME> (CONTENT_TYPE and CONTENT_LENGTH without the prefix) plus
// the WSGI variables of the request. Credentials are cleansed: authentik
// hides the session cookie, and akserver's credential is the bearer token.
func requestMeta(r *http.Request) map[string]string {
	meta := map[string]string{}
	for name, values := range r.Header {
		key := "HTTP_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		switch key {
		case "HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH":
			key = strings.TrimPrefix(key, "HTTP_")
		}
		meta[key] = strings.Join(values, ",")
	}
	meta["HTTP_HOST"] = r.Host
	if _, ok := meta["HTTP_AUTHORIZATION"]; ok {
		meta["HTTP_AUTHORIZATION"] = cleansed
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		meta["HTTP_COOKIE"] = strings.ReplaceAll(meta["HTTP_COOKIE"], c.Value, cleansed)
	}
	scheme := "http"
	if isSecure(r) {
		scheme = "https"
	}
	meta["REQUEST_METHOD"] = r.Method
	meta["PATH_INFO"] = r.URL.Path
	meta["QUERY_STRING"] = r.URL.RawQuery
	meta["RAW_URI"] = r.RequestURI
	meta["SCRIPT_NAME"] = ""
	meta["SERVER_PROTOCOL"] = r.Proto
	meta["SERVER_SOFTWARE"] = "akserver (" + runtime.Version() + ")"
	meta["wsgi.url_scheme"] = scheme
	if host, port, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		meta["REMOTE_ADDR"], meta["REMOTE_PORT"] = host, port
	}
	if addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if host, port, err := net.SplitHostPort(addr.String()); err == nil {
			meta["SERVER_NAME"], meta["SERVER_PORT"] = host, port
		}
	}
	return meta
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// currentRuntime describes the process and machine akserver runs on.
func currentRuntime(env func(string) (string, bool), exists func(string) bool) runtimeInfo {
	u := uname()
	return runtimeInfo{
		PythonVersion:   runtime.Version(),
		GunicornVersion: "net/http " + runtime.Version(),
		Environment:     environment(env, exists),
		Architecture:    u.machine,
		Platform:        fmt.Sprintf("%s-%s-%s", u.system, u.release, u.machine),
		Uname:           strings.Join([]string{u.system, u.node, u.release, u.version, u.machine}, " "),
	}
}

// environment is authentik's get_env: how the server was deployed.
func environment(env func(string) (string, bool), exists func(string) bool) string {
	if _, ok := env("CI"); ok {
		return "ci"
	}
	if v, _ := env("AUTHENTIK_DEBUG"); strings.EqualFold(v, "true") {
		return "dev"
	}
	if _, ok := env("KUBERNETES_SERVICE_HOST"); ok {
		return "kubernetes"
	}
	if exists(filepath.Join(os.TempDir(), "authentik-mode")) {
		return "compose"
	}
	if v, ok := env("AK_APPLIANCE"); ok {
		return v
	}
	return "custom"
}

// unameInfo is the uname(2) answer.
type unameInfo struct{ system, node, release, version, machine string }

// goMachine maps Go's architecture names to uname's machine names.
var goMachine = map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686", "arm": "armv7l",
	"ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}

// tenantName is str(request.tenant): the first non-default tenant whose
// domain ends the request host (case-insensitively), else the default
// tenant, else authentik's unsaved fallback tenant. When several
// non-default tenants match, the longest (most specific) domain wins.
func tenantName(ctx context.Context, s *api.Server, host string) (string, error) {
	m, ok := s.Engine.Registry.Model("authentik_tenants.tenant")
	if !ok {
		return "Tenant fallback", nil
	}
	domainCol, defaultCol := column(m, "domain"), column(m, "default")
	var rows []store.Row
	err := s.Engine.Store.View(ctx, func(tx store.Tx) error {
		var err error
		rows, err = tx.Select(ctx, store.Query{Table: m.Table, Columns: []string{domainCol, defaultCol}})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("load tenants: %w", err)
	}
	host = strings.ToLower(host)
	best, hasDefault := "", false
	for _, row := range rows {
		domain, _ := row[domainCol].(string)
		if isDefault, _ := row[defaultCol].(bool); isDefault {
			hasDefault = true
			continue
		}
		if domain != "" && strings.HasSuffix(host, strings.ToLower(domain)) && len(domain) > len(best) {
			best = domain
		}
	}
	switch {
	case best != "":
		return "Tenant " + best, nil
	case hasDefault:
		return "Default tenant", nil
	}
	return "Tenant fallback", nil
}

// embeddedOutpostHost is the authentik_host configured on the embedded
// outpost ("" when there is none).
func embeddedOutpostHost(ctx context.Context, s *api.Server) (string, error) {
	m, ok := s.Engine.Registry.Model("authentik_outposts.outpost")
	if !ok {
		return "", nil
	}
	configCol := column(m, "config")
	var rows []store.Row
	err := s.Engine.Store.View(ctx, func(tx store.Tx) error {
		var err error
		rows, err = tx.Select(ctx, store.Query{Table: m.Table, Columns: []string{configCol},
			Where: store.Eq(column(m, "managed"), embeddedOutpost), Limit: 1})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("load the embedded outpost: %w", err)
	}
	if len(rows) == 0 {
		return "", nil
	}
	var raw []byte
	switch v := rows[0][configCol].(type) {
	case json.RawMessage:
		raw = v
	case []byte:
		raw = v
	case string:
		raw = []byte(v)
	}
	var cfg struct {
		AuthentikHost string `json:"authentik_host"`
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return "", fmt.Errorf("embedded outpost config: %w", err)
		}
	}
	return cfg.AuthentikHost, nil
}

// column is the column of a stored field, or the field name.
func column(m *registry.Model, field string) string {
	if f, ok := m.Field(field); ok && f.Stored() {
		return f.Column
	}
	return field
}

func machineOf(goarch string) string {
	if m, ok := goMachine[goarch]; ok {
		return m
	}
	return goarch
}
