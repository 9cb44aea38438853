package outpostsapi_test

import (
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/api/outpostsapi"
	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/outposts"
	"github.com/akgo/akgo/internal/registry"
)

func TestDefaultSettings(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	_, plain := h.UserWithToken("settings-user")
	cases := []struct {
		name   string
		token  string
		status int
	}{
		{"admin", apitest.Token, http.StatusOK},
		{"any authenticated user", plain, http.StatusOK},
		{"anonymous is refused", "", http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := h.DoAs(tc.token, http.MethodGet, "/outposts/instances/default_settings/", nil).Expect(t, tc.status)
			if tc.status != http.StatusOK {
				return
			}
			cfg, _ := res.Object()["config"].(map[string]any)
			if cfg["authentik_host"] != h.URL+"/" || cfg["log_level"] != "info" || cfg["kubernetes_namespace"] != "default" {
				t.Errorf("config %v", cfg)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			list := h.Do(http.MethodGet, "/outposts/instances/?managed__iexact="+outposts.EmbeddedManaged, nil).Expect(t, http.StatusOK).Object()["results"].([]any)
			if len(list) != 1 {
				t.Fatalf("embedded outpost: %v", list)
			}
			embedded := list[0].(map[string]any)["pk"].(string)
			provider := apitest.NewBuilder(h).Create(mustEndpoint(t, h, "/providers/proxy/"))
			cfg := outposts.DefaultConfig("http://x/")
			for k, v := range cfg {
				if v == nil {
					delete(cfg, k)
				}
			}
			other := h.Do(http.MethodPost, "/outposts/instances/", map[string]any{"name": "remote", "type": "proxy",
				"providers": []any{provider["pk"]}, "config": cfg}).Expect(t, http.StatusCreated).Object()["pk"].(string)
			viewerPK, viewer := h.UserWithToken("health-viewer")
			h.Grant(viewerPK, []string{"authentik_outposts.view_outpost"}, "", "")
			_, stranger := h.UserWithToken("health-stranger")
			cases := []struct {
				name      string
				token     string
				outpost   string
				status    int
				instances int
			}{
				{"embedded outpost reports this server", apitest.Token, embedded, http.StatusOK, 1},
				{"viewer sees the embedded instance", viewer, embedded, http.StatusOK, 1},
				{"outpost without connected instances", apitest.Token, other, http.StatusOK, 0},
				{"user without permission gets 404", stranger, embedded, http.StatusNotFound, 0},
				{"missing outpost gets 404", apitest.Token, "00000000-0000-4000-8000-000000000000", http.StatusNotFound, 0},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					res := h.DoAs(tc.token, http.MethodGet, "/outposts/instances/"+tc.outpost+"/health/", nil).Expect(t, tc.status)
					if tc.status != http.StatusOK {
						return
					}
					states, _ := res.JSON.([]any)
					if len(states) != tc.instances {
						t.Fatalf("instances %v, want %d", states, tc.instances)
					}
					if tc.instances == 0 {
						return
					}
					st := states[0].(map[string]any)
					seen, err := time.Parse(time.RFC3339Nano, st["last_seen"].(string))
					if st["version"] != "2023.10.4" || st["version_should"] != "2023.10.4" || st["version_outdated"] != false ||
						st["uid"] == "" || err != nil || time.Since(seen) > time.Minute || st["build_hash"] != st["build_hash_should"] {
						t.Errorf("state %v", st)
					}
				})
			}
		})
	}
}

func mustEndpoint(t *testing.T, h *apitest.Harness, path string) *registry.Endpoint {
	t.Helper()
	ep, ok := h.App.Registry.Endpoint(path)
	if !ok {
		t.Fatalf("no endpoint %s", path)
	}
	return ep
}

// dockerFake answers /info like a Docker daemon of the given version.
func dockerFake(version string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/info" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ID":"x","Containers":3,"ServerVersion":%q}`, version)
	})
}

// kubernetesFake answers /version when the bearer token matches.
func kubernetesFake(token, version string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.URL.Path != "/version" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"major":"1","minor":"28","gitVersion":%q}`, version)
	})
}

func kubeconfig(server, token, caPEM string) map[string]any {
	c := map[string]any{"server": server}
	if caPEM != "" {
		c["certificate-authority-data"] = base64.StdEncoding.EncodeToString([]byte(caPEM))
	}
	return map[string]any{
		"apiVersion": "v1", "kind": "Config", "current-context": "ctx",
		"contexts": []any{map[string]any{"name": "ctx", "context": map[string]any{"cluster": "c", "user": "u"}}},
		"clusters": []any{map[string]any{"name": "c", "cluster": c}},
		"users":    []any{map[string]any{"name": "u", "user": map[string]any{"token": token}}},
	}
}

func TestServiceConnectionState(t *testing.T) {
	old := outpostsapi.Timeout
	outpostsapi.Timeout = 500 * time.Millisecond
	t.Cleanup(func() { outpostsapi.Timeout = old })
	h := apitest.Start(t, "sqlite")

	plain := httptest.NewServer(dockerFake("24.0.7"))
	t.Cleanup(plain.Close)
	secure := httptest.NewUnstartedServer(dockerFake("25.0.1"))
	// The unverified case ends in a refused handshake; keep it out of the log.
	secure.Config.ErrorLog = log.New(io.Discard, "", 0)
	secure.StartTLS()
	t.Cleanup(secure.Close)
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: secure.Certificate().Raw}))
	ca := h.Do(http.MethodPost, "/crypto/certificatekeypairs/", map[string]any{"name": "docker-ca", "certificate_data": caPEM}).Expect(t, http.StatusCreated).Object()["pk"]
	sock := filepath.Join(t.TempDir(), "docker.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatalf("listen on unix socket: %v", err)
	}
	unixSrv := &http.Server{Handler: dockerFake("23.0.0"), ReadHeaderTimeout: time.Second}
	go func() { _ = unixSrv.Serve(ln) }()
	t.Cleanup(func() { unixSrv.Close() })
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(hang.Close)
	closed := httptest.NewServer(dockerFake("x"))
	closed.Close()
	k8s := httptest.NewTLSServer(kubernetesFake("sa-token", "v1.28.3"))
	t.Cleanup(k8s.Close)
	k8sCA := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k8s.Certificate().Raw}))

	docker := func(name string, body map[string]any) string {
		body["name"] = name
		return h.Do(http.MethodPost, "/outposts/service_connections/docker/", body).Expect(t, http.StatusCreated).Object()["pk"].(string)
	}
	kube := func(name string, body map[string]any) string {
		body["name"] = name
		return h.Do(http.MethodPost, "/outposts/service_connections/kubernetes/", body).Expect(t, http.StatusCreated).Object()["pk"].(string)
	}
	viewerPK, viewer := h.UserWithToken("state-viewer")
	h.Grant(viewerPK, []string{"authentik_outposts.view_outpostserviceconnection"}, "", "")
	_, stranger := h.UserWithToken("state-stranger")
	cases := []struct {
		name    string
		token   string
		conn    string
		status  int
		healthy bool
		version string
	}{
		{"docker over http", apitest.Token, docker("d-http", map[string]any{"url": plain.URL}), http.StatusOK, true, "24.0.7"},
		{"docker over tcp without TLS", apitest.Token, docker("d-tcp", map[string]any{"url": "tcp://" + plain.Listener.Addr().String()}), http.StatusOK, true, "24.0.7"},
		{"docker over TLS verified by the CA", apitest.Token, docker("d-tls", map[string]any{"url": "tcp://" + secure.Listener.Addr().String(), "tls_verification": ca}), http.StatusOK, true, "25.0.1"},
		{"docker TLS without the CA is unhealthy", apitest.Token, docker("d-tls-unverified", map[string]any{"url": secure.URL}), http.StatusOK, false, ""},
		{"docker over a unix socket", apitest.Token, docker("d-unix", map[string]any{"url": "unix://" + sock}), http.StatusOK, true, "23.0.0"},
		{"viewer may read the state", viewer, docker("d-viewer", map[string]any{"url": plain.URL}), http.StatusOK, true, "24.0.7"},
		{"unreachable docker is unhealthy", apitest.Token, docker("d-closed", map[string]any{"url": closed.URL}), http.StatusOK, false, ""},
		{"silent docker times out as unhealthy", apitest.Token, docker("d-hang", map[string]any{"url": hang.URL}), http.StatusOK, false, ""},
		{"ssh docker is not supported", apitest.Token, docker("d-ssh", map[string]any{"url": "ssh://user@host"}), http.StatusOK, false, ""},
		{"kubernetes with a kubeconfig", apitest.Token, kube("k-ok", map[string]any{"kubeconfig": kubeconfig(k8s.URL, "sa-token", k8sCA)}), http.StatusOK, true, "v1.28.3"},
		{"kubernetes with a wrong token", apitest.Token, kube("k-token", map[string]any{"kubeconfig": kubeconfig(k8s.URL, "wrong", k8sCA)}), http.StatusOK, false, ""},
		{"kubernetes without verification", apitest.Token, kube("k-insecure", map[string]any{"kubeconfig": kubeconfig(k8s.URL, "sa-token", ""), "verify_ssl": false}), http.StatusOK, true, "v1.28.3"},
		{"kubernetes with an empty kubeconfig", apitest.Token, kube("k-empty", map[string]any{"kubeconfig": map[string]any{}}), http.StatusOK, false, ""},
		{"user without permission gets 404", stranger, docker("d-hidden", map[string]any{"url": plain.URL}), http.StatusNotFound, false, ""},
		{"missing connection gets 404", apitest.Token, "00000000-0000-4000-8000-000000000000", http.StatusNotFound, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			res := h.DoAs(tc.token, http.MethodGet, "/outposts/service_connections/all/"+tc.conn+"/state/", nil).Expect(t, tc.status)
			if elapsed := time.Since(start); elapsed > 3*time.Second {
				t.Errorf("state took %s", elapsed)
			}
			if tc.status != http.StatusOK {
				return
			}
			st := res.Object()
			if st["healthy"] != tc.healthy || st["version"] != tc.version {
				t.Errorf("state %v, want healthy=%v version=%q", st, tc.healthy, tc.version)
			}
		})
	}
}
