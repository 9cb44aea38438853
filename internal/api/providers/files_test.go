package providers_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
)

// fileCase is one object kind whose icon or background can be set.
type fileCase struct {
	name string
	// detail is the object's API path; action the set_icon/set_background
	// path prefix (…/set_icon/ and …/set_icon_url/).
	detail, action, field, folder string
	// also is another path showing the same object (a family listing that
	// reads the ancestor table), "" for none.
	also string
	// cleared is what the field shows without a file.
	cleared any
}

func TestSetFileActions(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, h *apitest.Harness) {
		media := t.TempDir()
		h.App.API.Config.MediaDir = media
		createApp(t, h, "icon-app", nil)
		createFlow(t, h, "bg-flow", "authentication")
		h.Do(http.MethodPost, "/sources/ldap/", map[string]any{"name": "icon-src", "slug": "icon-src", "server_uri": "ldap://127.0.0.1:1",
			"base_dn": "dc=example,dc=org", "sync_users_password": false}).Expect(t, http.StatusCreated)

		kinds := []fileCase{
			{"application icon", "/core/applications/icon-app/", "/core/applications/icon-app/set_icon", "meta_icon", "application-icons", "", nil},
			{"source icon", "/sources/ldap/icon-src/", "/sources/all/icon-src/set_icon", "icon", "source-icons", "/sources/all/icon-src/", nil},
			{"flow background", "/flows/instances/bg-flow/", "/flows/instances/bg-flow/set_background", "background", "flow-backgrounds",
				"", "/static/dist/assets/images/flow_background.jpg"},
		}
		for _, k := range kinds {
			t.Run(k.name, func(t *testing.T) {
				field := func() any {
					return h.Do(http.MethodGet, k.detail, nil).Expect(t, http.StatusOK).Object()[k.field]
				}
				updates := count(t, h, "/events/events/?action=model_updated")
				// Upload: stored under the media folder, shown under /media/.
				r := upload(t, h, k.action+"/", nil, map[string][2]string{"file": {"my icon.png", "PNG-1"}})
				if r.Status != http.StatusOK {
					t.Fatalf("upload: status %d: %s", r.Status, r.Body)
				}
				first := k.folder + "/my_icon.png"
				if got := field(); got != "/media/"+first {
					t.Fatalf("%s = %v, want /media/%s", k.field, got, first)
				}
				if data, err := os.ReadFile(filepath.Join(media, first)); err != nil || string(data) != "PNG-1" {
					t.Fatalf("stored file: %q, %v", data, err)
				}
				if k.also != "" {
					if got := h.Do(http.MethodGet, k.also, nil).Expect(t, http.StatusOK).Object()[k.field]; got != "/media/"+first {
						t.Errorf("%s shows %v", k.also, got)
					}
				}
				if n := count(t, h, "/events/events/?action=model_updated"); n != updates+1 {
					t.Errorf("%d model_updated events after the upload, want %d", n, updates+1)
				}

				// Same name again: a new unique name, the old file is gone.
				if r := upload(t, h, k.action+"/", nil, map[string][2]string{"file": {"my icon.png", "PNG-2"}}); r.Status != http.StatusOK {
					t.Fatalf("re-upload: status %d: %s", r.Status, r.Body)
				}
				second, _ := field().(string)
				if second == "/media/"+first || !strings.HasPrefix(second, "/media/"+k.folder+"/my_icon_") {
					t.Fatalf("re-upload name = %q", second)
				}
				if _, err := os.Stat(filepath.Join(media, first)); !os.IsNotExist(err) {
					t.Errorf("replaced file still exists: %v", err)
				}

				// URL: returned as it is.
				h.Do(http.MethodPost, k.action+"_url/", map[string]any{"url": "https://cdn.example.com/i.png"}).Expect(t, http.StatusOK)
				if got := field(); got != "https://cdn.example.com/i.png" {
					t.Errorf("after set URL: %v", got)
				}
				if _, err := os.Stat(filepath.Join(media, strings.TrimPrefix(second, "/media/"))); !os.IsNotExist(err) {
					t.Errorf("file replaced by a URL still exists: %v", err)
				}

				// Clear.
				if r := upload(t, h, k.action+"/", map[string]string{"clear": "true"}, nil); r.Status != http.StatusOK {
					t.Fatalf("clear: status %d: %s", r.Status, r.Body)
				}
				if got := field(); got != k.cleared {
					t.Errorf("after clear: %v, want %v", got, k.cleared)
				}

				failures := []struct {
					name   string
					do     func() raw
					status int
					field  string
				}{
					{"no file", func() raw { return upload(t, h, k.action+"/", map[string]string{"clear": "false"}, nil) }, http.StatusBadRequest, "file"},
					{"empty file", func() raw {
						return upload(t, h, k.action+"/", nil, map[string][2]string{"file": {"x.png", ""}})
					}, http.StatusBadRequest, "file"},
					{"JSON instead of a form", func() raw {
						return send(t, h, http.MethodPost, k.action+"/", "application/json", strings.NewReader(`{"clear": true}`))
					}, http.StatusBadRequest, "non_field_errors"},
					{"URL missing", func() raw {
						return send(t, h, http.MethodPost, k.action+"_url/", "application/json", strings.NewReader(`{}`))
					}, http.StatusBadRequest, "url"},
					{"URL blank", func() raw {
						return send(t, h, http.MethodPost, k.action+"_url/", "application/json", strings.NewReader(`{"url": ""}`))
					}, http.StatusBadRequest, "url"},
					{"unknown object", func() raw {
						path := strings.Replace(k.action, "icon-app", "nope", 1)
						path = strings.Replace(strings.Replace(path, "icon-src", "nope", 1), "bg-flow", "nope", 1)
						return upload(t, h, path+"/", nil, map[string][2]string{"file": {"x.png", "x"}})
					}, http.StatusNotFound, "detail"},
				}
				for _, f := range failures {
					t.Run(f.name, func(t *testing.T) {
						r := f.do()
						if r.Status != f.status {
							t.Fatalf("status %d, want %d: %s", r.Status, f.status, r.Body)
						}
						if _, ok := r.json(t)[f.field]; !ok {
							t.Errorf("no %q in %s", f.field, r.Body)
						}
						if got := field(); got != k.cleared {
							t.Errorf("a refused request changed %s to %v", k.field, got)
						}
					})
				}
			})
		}
	})
}
