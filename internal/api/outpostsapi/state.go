package outpostsapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/store"
)

// State is a service connection's ServiceConnectionState. A connection
// that cannot be reached or answers badly is unhealthy with no version,
// as authentik reports it.
type State struct {
	Healthy bool   `json:"healthy"`
	Version string `json:"version"`
}

// Timeout bounds one probe of a Docker daemon or Kubernetes API server.
var Timeout = 3 * time.Second

// Where a local connection finds its daemon or cluster: Docker's
// environment (DOCKER_HOST) or socket, Kubernetes' in-cluster service
// account.
var (
	DefaultDockerHost   = "unix:///var/run/docker.sock"
	InClusterTokenPath  = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	InClusterCAPath     = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
	errUnsupportedProto = errors.New("unsupported docker URL scheme")
)

func (h *handler) state(w http.ResponseWriter, r *http.Request) error {
	p, err := api.Caller(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	base := h.e.Registry.MustModel("authentik_outposts.outpostserviceconnection")
	row, err := h.visibleRow(ctx, p, base, chi.URLParam(r, "uuid"))
	if err != nil {
		return err
	}
	var st State
	switch kind, _ := row[engine.ModelColumn].(string); kind {
	case "authentik_outposts.dockerserviceconnection":
		target, err := h.dockerTarget(ctx, row[base.PKColumn])
		if err != nil {
			return err
		}
		st = DockerState(ctx, target)
	case "authentik_outposts.kubernetesserviceconnection":
		target, err := h.kubernetesTarget(ctx, row[base.PKColumn])
		if err != nil {
			return err
		}
		st = KubernetesState(ctx, target)
	}
	api.WriteJSON(w, http.StatusOK, st)
	return nil
}

// DockerTarget is how to reach a Docker daemon. The PEM fields come from
// the connection's certificate-key pairs.
type DockerTarget struct {
	URL   string
	Local bool
	// CA verifies the daemon (empty: the system roots); ClientCert and
	// ClientKey authenticate akgo to it.
	CA         string
	ClientCert string
	ClientKey  string
}

func (h *handler) dockerTarget(ctx context.Context, pk any) (DockerTarget, error) {
	dm := h.e.Registry.MustModel("authentik_outposts.dockerserviceconnection")
	km := h.e.Registry.MustModel("authentik_crypto.certificatekeypair")
	var t DockerTarget
	err := h.e.Store.View(ctx, func(tx store.Tx) error {
		rows, err := tx.Select(ctx, store.Query{Table: dm.Table, Where: store.Eq(dm.PKColumn, pk), Limit: 1})
		if err != nil || len(rows) == 0 {
			return fmt.Errorf("load docker connection %v: %w", pk, err)
		}
		row := rows[0]
		t.URL, _ = row[dm.MustColumn("url")].(string)
		t.Local, _ = row[dm.MustColumn("local")].(bool)
		load := func(ref any) (store.Row, error) {
			if ref == nil {
				return nil, nil
			}
			kps, err := tx.Select(ctx, store.Query{Table: km.Table, Where: store.Eq(km.PKColumn, ref), Limit: 1})
			if err != nil || len(kps) == 0 {
				return nil, err
			}
			return kps[0], nil
		}
		if kp, err := load(row[dm.MustColumn("tls_verification")]); err != nil {
			return fmt.Errorf("load verification certificate: %w", err)
		} else if kp != nil {
			t.CA, _ = kp[km.MustColumn("certificate_data")].(string)
		}
		if kp, err := load(row[dm.MustColumn("tls_authentication")]); err != nil {
			return fmt.Errorf("load authentication certificate: %w", err)
		} else if kp != nil {
			t.ClientCert, _ = kp[km.MustColumn("certificate_data")].(string)
			t.ClientKey, _ = kp[km.MustColumn("key_data")].(string)
		}
		return nil
	})
	return t, err
}

// DockerState asks the daemon for its information, as authentik's Docker
// client does, and reports its server version.
func DockerState(ctx context.Context, t DockerTarget) State {
	raw := t.URL
	if t.Local {
		raw = DefaultDockerHost
		if v := os.Getenv("DOCKER_HOST"); v != "" {
			raw = v
		}
	}
	client, base, err := dockerClient(raw, t)
	if err != nil {
		return State{}
	}
	var info struct {
		ServerVersion string
	}
	if err := getJSON(ctx, client, base+"/info", nil, &info); err != nil || info.ServerVersion == "" {
		return State{}
	}
	return State{Healthy: true, Version: info.ServerVersion}
}

// dockerClient maps a Docker URL to an HTTP client and base URL: a unix
// socket is dialled directly; tcp:// speaks TLS when certificates are
// configured, as Docker's TLS port does.
func dockerClient(raw string, t DockerTarget) (*http.Client, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, "", fmt.Errorf("parse docker URL: %w", err)
	}
	tlsCfg, err := tlsConfig(t.CA, t.ClientCert, t.ClientKey, false)
	if err != nil {
		return nil, "", err
	}
	tr := &http.Transport{TLSClientConfig: tlsCfg, DialContext: (&net.Dialer{Timeout: Timeout}).DialContext}
	base := ""
	switch u.Scheme {
	case "unix":
		path := u.Path
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{Timeout: Timeout}).DialContext(ctx, "unix", path)
		}
		base = "http://docker"
	case "tcp":
		scheme := "http"
		if t.CA != "" || t.ClientCert != "" {
			scheme = "https"
		}
		base = scheme + "://" + u.Host
	case "http", "https":
		base = strings.TrimSuffix(u.Scheme+"://"+u.Host+u.Path, "/")
	default:
		return nil, "", fmt.Errorf("%w: %q", errUnsupportedProto, u.Scheme)
	}
	return &http.Client{Transport: tr, Timeout: Timeout}, base, nil
}

// tlsConfig builds a client TLS configuration from PEM material: ca
// replaces the system roots, cert and key present a client certificate.
func tlsConfig(ca, cert, key string, insecure bool) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure} //nolint:gosec // only when the connection disables verification
	if ca != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(ca)) {
			return nil, errors.New("no certificate in the CA data")
		}
		cfg.RootCAs = pool
	}
	if cert != "" {
		pair, err := tls.X509KeyPair([]byte(cert), []byte(key))
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// getJSON fetches a URL within Timeout and decodes a 200 response.
func getJSON(ctx context.Context, client *http.Client, u string, header http.Header, out any) error {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out)
}

// KubernetesTarget is how to reach a Kubernetes API server.
type KubernetesTarget struct {
	Local      bool
	Kubeconfig map[string]any
	VerifySSL  bool
}

func (h *handler) kubernetesTarget(ctx context.Context, pk any) (KubernetesTarget, error) {
	km := h.e.Registry.MustModel("authentik_outposts.kubernetesserviceconnection")
	var t KubernetesTarget
	err := h.e.Store.View(ctx, func(tx store.Tx) error {
		rows, err := tx.Select(ctx, store.Query{Table: km.Table, Where: store.Eq(km.PKColumn, pk), Limit: 1})
		if err != nil || len(rows) == 0 {
			return fmt.Errorf("load kubernetes connection %v: %w", pk, err)
		}
		row := rows[0]
		t.Local, _ = row[km.MustColumn("local")].(bool)
		t.VerifySSL, _ = row[km.MustColumn("verify_ssl")].(bool)
		if raw, ok := row[km.MustColumn("kubeconfig")].(json.RawMessage); ok {
			// A kubeconfig that is not an object leaves the target empty,
			// which probes as unhealthy.
			_ = json.Unmarshal(raw, &t.Kubeconfig)
		}
		return nil
	})
	return t, err
}

// cluster is what a probe needs from a kubeconfig or the in-cluster
// service account.
type cluster struct {
	server, ca, token, cert, key, username, password string
	insecure                                         bool
}

// KubernetesState asks the API server for its version (GET /version) and
// reports its gitVersion.
func KubernetesState(ctx context.Context, t KubernetesTarget) State {
	var c cluster
	var err error
	if t.Local {
		c, err = inCluster()
	} else {
		c, err = fromKubeconfig(t.Kubeconfig)
	}
	if err != nil {
		return State{}
	}
	tlsCfg, err := tlsConfig(c.ca, c.cert, c.key, c.insecure || !t.VerifySSL)
	if err != nil {
		return State{}
	}
	client := &http.Client{Timeout: Timeout, Transport: &http.Transport{TLSClientConfig: tlsCfg,
		DialContext: (&net.Dialer{Timeout: Timeout}).DialContext}}
	header := http.Header{}
	switch {
	case c.token != "":
		header.Set("Authorization", "Bearer "+c.token)
	case c.username != "":
		header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.username+":"+c.password)))
	}
	var version struct {
		GitVersion string `json:"gitVersion"`
	}
	if err := getJSON(ctx, client, strings.TrimSuffix(c.server, "/")+"/version", header, &version); err != nil || version.GitVersion == "" {
		return State{}
	}
	return State{Healthy: true, Version: version.GitVersion}
}

// inCluster reads the pod's service account, as a local connection does.
func inCluster() (cluster, error) {
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return cluster{}, errors.New("not running inside a Kubernetes cluster")
	}
	token, err := os.ReadFile(InClusterTokenPath)
	if err != nil {
		return cluster{}, fmt.Errorf("read service account token: %w", err)
	}
	ca, err := os.ReadFile(InClusterCAPath)
	if err != nil {
		return cluster{}, fmt.Errorf("read service account CA: %w", err)
	}
	return cluster{server: "https://" + net.JoinHostPort(host, port), token: strings.TrimSpace(string(token)), ca: string(ca)}, nil
}

// fromKubeconfig follows the kubeconfig's current context to its cluster
// and user.
func fromKubeconfig(kc map[string]any) (cluster, error) {
	current, _ := kc["current-context"].(string)
	named := func(list, name string) map[string]any {
		items, _ := kc[list].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			if n, _ := m["name"].(string); n == name && name != "" {
				return m
			}
		}
		return nil
	}
	entry := func(list, name, key string) map[string]any {
		m, _ := named(list, name)[key].(map[string]any)
		return m
	}
	ctxEntry := entry("contexts", current, "context")
	if ctxEntry == nil {
		return cluster{}, fmt.Errorf("kubeconfig has no context %q", current)
	}
	clusterName, _ := ctxEntry["cluster"].(string)
	userName, _ := ctxEntry["user"].(string)
	cl := entry("clusters", clusterName, "cluster")
	if cl == nil {
		return cluster{}, fmt.Errorf("kubeconfig has no cluster %q", clusterName)
	}
	var c cluster
	c.server, _ = cl["server"].(string)
	if c.server == "" {
		return cluster{}, errors.New("kubeconfig cluster has no server")
	}
	c.insecure, _ = cl["insecure-skip-tls-verify"].(bool)
	var err error
	if c.ca, err = decodeData(cl, "certificate-authority-data"); err != nil {
		return cluster{}, err
	}
	if u := entry("users", userName, "user"); u != nil {
		c.token, _ = u["token"].(string)
		c.username, _ = u["username"].(string)
		c.password, _ = u["password"].(string)
		if c.cert, err = decodeData(u, "client-certificate-data"); err != nil {
			return cluster{}, err
		}
		if c.key, err = decodeData(u, "client-key-data"); err != nil {
			return cluster{}, err
		}
	}
	return c, nil
}

// decodeData reads a base64 *-data field of a kubeconfig.
func decodeData(m map[string]any, key string) (string, error) {
	s, _ := m[key].(string)
	if s == "" {
		return "", nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", fmt.Errorf("kubeconfig %s: %w", key, err)
	}
	return string(b), nil
}
