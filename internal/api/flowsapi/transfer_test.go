package flowsapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
)

// raw is an exchange outside the harness's schema validation: the export
// is YAML although the schema says JSON, and the import answers 200
// where the schema lists 204 with a body.
type raw struct {
	status int
	header http.Header
	body   []byte
}

func send(t *testing.T, h *apitest.Harness, token, method, path, contentType string, body io.Reader) raw {
	t.Helper()
	req, err := http.NewRequest(method, h.URL+"/api/v3"+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := h.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return raw{resp.StatusCode, resp.Header, data}
}

// importFile uploads content as the multipart "file" (nil: no file part).
func importFile(t *testing.T, h *apitest.Harness, token string, content []byte) (int, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if content != nil {
		fw, err := mw.CreateFormFile("file", "flow.yaml")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(content)
	} else {
		mw.WriteField("clear", "false")
	}
	mw.Close()
	r := send(t, h, token, http.MethodPost, "/flows/instances/import/", mw.FormDataContentType(), &buf)
	var out map[string]any
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatalf("import answer %d is not JSON: %s", r.status, r.body)
	}
	return r.status, out
}

func diagram(t *testing.T, h *apitest.Harness, slug string) string {
	t.Helper()
	return h.Do(http.MethodGet, "/flows/instances/"+slug+"/diagram/", nil).Expect(t, http.StatusOK).Object()["diagram"].(string)
}

func TestFlowExportImport(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			src := apitest.Start(t, backend)
			slug := authenticationFlow(t, src)
			r := send(t, src, apitest.Token, http.MethodGet, "/flows/instances/"+slug+"/export/", "", nil)
			if r.status != http.StatusOK {
				t.Fatalf("export: %d %s", r.status, r.body)
			}
			if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="default-authentication-flow.yaml"` {
				t.Errorf("Content-Disposition = %q", cd)
			}
			exported := r.body
			if !strings.Contains(string(exported), "!KeyOf") || !strings.Contains(string(exported), "!Find [authentik_core.group, [name, diagram-group]]") {
				t.Errorf("export is not portable:\n%s", exported)
			}

			// Another installation: the same group exists there under its
			// own pk; everything else comes from the file.
			dst := apitest.Start(t, backend)
			create(t, dst, "/core/groups/", map[string]any{"name": "diagram-group"})
			status, out := importFile(t, dst, apitest.Token, exported)
			if status != http.StatusOK || out["success"] != true {
				t.Fatalf("import: %d %v", status, out)
			}
			// One log per object written: flow, 4 stages, policy, 4
			// bindings, 2 policy bindings.
			if logs := out["logs"].([]any); len(logs) != 12 || logs[0].(map[string]any)["event"] != "created" {
				t.Errorf("import logs: %v", logs)
			}
			if got, want := diagram(t, dst, slug), diagram(t, src, slug); got != want {
				t.Errorf("imported flow differs:\n%s\nwant\n%s", got, want)
			}
			flow := dst.Do(http.MethodGet, "/flows/instances/"+slug+"/", nil).Expect(t, 200).Object()
			bindings := dst.Do(http.MethodGet, "/flows/bindings/?target="+flow["pk"].(string), nil).Expect(t, 200).Object()
			if n := bindings["pagination"].(map[string]any)["count"].(float64); n != 4 {
				t.Errorf("%v bindings imported, want 4", n)
			}

			t.Run("importing again changes nothing", func(t *testing.T) {
				status, out := importFile(t, dst, apitest.Token, exported)
				if status != http.StatusOK || out["success"] != true || len(out["logs"].([]any)) != 0 {
					t.Fatalf("re-import: %d %v", status, out)
				}
				flows := dst.Do(http.MethodGet, "/flows/instances/?slug="+slug, nil).Expect(t, 200).Object()
				if n := flows["pagination"].(map[string]any)["count"].(float64); n != 1 {
					t.Errorf("%v flows after re-import", n)
				}
			})

			t.Run("a broken file reports and writes nothing", func(t *testing.T) {
				broken := strings.Replace(string(exported), "diagram-group", "missing-group", 1)
				broken = strings.Replace(broken, "slug: default-authentication-flow", "slug: broken-copy", 1)
				status, out := importFile(t, dst, apitest.Token, []byte(broken))
				logs, _ := out["logs"].([]any)
				if status != http.StatusOK || out["success"] != false || len(logs) == 0 {
					t.Fatalf("broken import: %d %v", status, out)
				}
				if ev, _ := logs[0].(map[string]any)["event"].(string); !strings.Contains(ev, "missing-group") {
					t.Errorf("log does not say what failed: %v", logs[0])
				}
				if n := dst.Do(http.MethodGet, "/flows/instances/?slug=broken-copy", nil).Expect(t, 200).Object()["pagination"].(map[string]any)["count"].(float64); n != 0 {
					t.Errorf("a failed import left its flow")
				}
				status, out = importFile(t, dst, apitest.Token, []byte("version: 1\nentries: [\n"))
				if status != http.StatusOK || out["success"] != false {
					t.Errorf("invalid YAML: %d %v", status, out)
				}
			})

			t.Run("no file", func(t *testing.T) {
				status, out := importFile(t, dst, apitest.Token, nil)
				if status != http.StatusBadRequest || out["success"] != false {
					t.Errorf("no file: %d %v", status, out)
				}
			})

			t.Run("permissions", func(t *testing.T) {
				_, token := src.UserWithToken("transfer-nobody")
				if r := send(t, src, token, http.MethodGet, "/flows/instances/"+slug+"/export/", "", nil); r.status != http.StatusNotFound {
					t.Errorf("export without view permission: %d", r.status)
				}
				if status, _ := importFile(t, src, token, exported); status != http.StatusForbidden {
					t.Errorf("import without permissions: %d", status)
				}
				if r := send(t, src, apitest.Token, http.MethodGet, "/flows/instances/no-such-flow/export/", "", nil); r.status != http.StatusNotFound {
					t.Errorf("export of a missing flow: %d", r.status)
				}
			})
		})
	}
}
