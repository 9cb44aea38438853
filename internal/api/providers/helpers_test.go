package providers_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"mime/multipart"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/store"
)

// each runs fn against a fresh server on every configured backend.
func each(t *testing.T, fn func(t *testing.T, h *apitest.Harness)) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) { fn(t, apitest.Start(t, backend)) })
	}
}

// rsaPair is a throw-away RSA certificate and key, generated once per
// test binary (RSA generation is slow).
type rsaPair struct {
	Cert    *x509.Certificate
	Key     *rsa.PrivateKey
	CertPEM string
	KeyPEM  string
}

var (
	pairsMu sync.Mutex
	pairs   = map[string]*rsaPair{}
)

func testPair(t *testing.T, name string) *rsaPair {
	t.Helper()
	pairsMu.Lock()
	defer pairsMu.Unlock()
	if p, ok := pairs[name]; ok {
		return p
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	p := &rsaPair{Cert: cert, Key: key,
		CertPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		KeyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))}
	pairs[name] = p
	return p
}

// createKeypair stores a keypair (with its key unless certOnly) and
// returns its pk.
func createKeypair(t *testing.T, h *apitest.Harness, name string, p *rsaPair, certOnly bool) string {
	t.Helper()
	body := map[string]any{"name": name, "certificate_data": p.CertPEM}
	if !certOnly {
		body["key_data"] = p.KeyPEM
	}
	return h.Do(http.MethodPost, "/crypto/certificatekeypairs/", body).Expect(t, http.StatusCreated).Object()["pk"].(string)
}

func createFlow(t *testing.T, h *apitest.Harness, slug, designation string) string {
	t.Helper()
	return h.Do(http.MethodPost, "/flows/instances/", map[string]any{
		"name": slug, "slug": slug, "title": slug, "designation": designation,
	}).Expect(t, http.StatusCreated).Object()["pk"].(string)
}

func createApp(t *testing.T, h *apitest.Harness, slug string, provider any) {
	t.Helper()
	body := map[string]any{"name": slug, "slug": slug}
	if provider != nil {
		body["provider"] = provider
	}
	h.Do(http.MethodPost, "/core/applications/", body).Expect(t, http.StatusCreated)
}

// raw is an HTTP exchange outside the harness's schema validation, for
// bodies the schema cannot describe (multipart, XML downloads) or
// authentik answers that differ from its own schema.
type raw struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r raw) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.Body)
	}
	return v
}

func send(t *testing.T, h *apitest.Harness, method, path, contentType string, body io.Reader) raw {
	t.Helper()
	return sendAs(t, h, apitest.Token, method, path, contentType, body)
}

// sendAs is send with the given token ("" for an anonymous request).
func sendAs(t *testing.T, h *apitest.Harness, token, method, path, contentType string, body io.Reader) raw {
	t.Helper()
	req, err := http.NewRequest(method, h.URL+"/api/v3"+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := h.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return raw{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// upload posts a multipart form: fields, plus files by field name
// (filename → content).
func upload(t *testing.T, h *apitest.Harness, path string, fields map[string]string, files map[string][2]string) raw {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for field, f := range files {
		fw, err := mw.CreateFormFile(field, f[0])
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(fw, f[1])
	}
	mw.Close()
	return send(t, h, http.MethodPost, path, mw.FormDataContentType(), &buf)
}

// insertTask stores a system task result as a sync run would.
func insertTask(t *testing.T, h *apitest.Harness, name, status string, messages []string) {
	t.Helper()
	tasks, _ := h.App.Registry.Model("authentik_events.systemtask")
	if messages == nil {
		messages = []string{}
	}
	msgs, _ := json.Marshal(messages)
	err := h.App.Store.Update(context.Background(), func(tx store.Tx) error {
		_, err := tx.Insert(context.Background(), tasks.Table, store.Row{
			"id": name, "task_name": name, "task_description": "sync", "status": status,
			"task_finish_timestamp": store.NowUTC(time.Now()), "messages": json.RawMessage(msgs),
		})
		return err
	})
	if err != nil {
		t.Fatalf("insert task: %v", err)
	}
}

func count(t *testing.T, h *apitest.Harness, path string) int {
	t.Helper()
	return int(h.Do(http.MethodGet, path, nil).Expect(t, http.StatusOK).Object()["pagination"].(map[string]any)["count"].(float64))
}

func jsonBody(v any) io.Reader {
	data, _ := json.Marshal(v)
	return bytes.NewReader(data)
}
