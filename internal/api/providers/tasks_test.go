package providers_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
)

func TestSCIMSyncStatus(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, h *apitest.Harness) {
		newProvider := func(name string) int {
			p := h.Do(http.MethodPost, "/providers/scim/", map[string]any{"name": name, "url": "https://scim.example.com/v2", "token": "t"}).
				Expect(t, http.StatusCreated).Object()
			return int(p["pk"].(float64))
		}
		synced := newProvider("My SCIM Provider!")
		// The task name is the slugified provider name.
		insertTask(t, h, "scim_sync:my-scim-provider", "WARNING", []string{"Synced 3 users", "1 group failed"})
		never := newProvider("never synced")
		insertTask(t, h, "scim_sync:someone-else", "SUCCESSFUL", nil)

		t.Run("synced provider", func(t *testing.T) {
			task := h.Do(http.MethodGet, fmt.Sprintf("/providers/scim/%d/sync_status/", synced), nil).Expect(t, http.StatusOK).Object()
			if task["task_name"] != "scim_sync:my-scim-provider" || task["status"] != "WARNING" {
				t.Errorf("task = %v", task)
			}
			if msgs, _ := task["messages"].([]any); len(msgs) != 2 || msgs[0] != "Synced 3 users" {
				t.Errorf("messages = %v", task["messages"])
			}
		})
		failures := []struct {
			name string
			path string
		}{
			{"never synced", fmt.Sprintf("/providers/scim/%d/sync_status/", never)},
			{"missing provider", "/providers/scim/999999/sync_status/"},
		}
		for _, tc := range failures {
			t.Run(tc.name, func(t *testing.T) {
				h.Do(http.MethodGet, tc.path, nil).Expect(t, http.StatusNotFound)
			})
		}
	})
}

func TestLDAPSyncStatus(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, h *apitest.Harness) {
		for _, slug := range []string{"corp", "corp-other"} {
			h.Do(http.MethodPost, "/sources/ldap/", map[string]any{"name": slug, "slug": slug, "server_uri": "ldap://127.0.0.1:1",
				"base_dn": "dc=example,dc=org", "sync_users_password": false}).Expect(t, http.StatusCreated)
		}
		insertTask(t, h, "ldap_sync:corp:users:0b1c", "SUCCESSFUL", []string{"Synced 10 objects."})
		insertTask(t, h, "ldap_sync:corp:groups:7f2a", "ERROR", []string{"failed"})
		insertTask(t, h, "ldap_sync:corp-other:users:1234", "SUCCESSFUL", nil)

		cases := []struct {
			name  string
			path  string
			tasks []string
		}{
			{"tasks of the source only", "/sources/ldap/corp/sync_status/", []string{"ldap_sync:corp:groups:7f2a", "ldap_sync:corp:users:0b1c"}},
			{"other source", "/sources/ldap/corp-other/sync_status/", []string{"ldap_sync:corp-other:users:1234"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				st := h.Do(http.MethodGet, tc.path, nil).Expect(t, http.StatusOK).Object()
				if st["is_running"] != false {
					t.Errorf("is_running = %v", st["is_running"])
				}
				tasks, _ := st["tasks"].([]any)
				if len(tasks) != len(tc.tasks) {
					t.Fatalf("tasks = %v, want %v", tasks, tc.tasks)
				}
				for i, want := range tc.tasks {
					if got := tasks[i].(map[string]any)["task_name"]; got != want {
						t.Errorf("task %d = %v, want %s", i, got, want)
					}
				}
			})
		}
		t.Run("missing source", func(t *testing.T) {
			h.Do(http.MethodGet, "/sources/ldap/nope/sync_status/", nil).Expect(t, http.StatusNotFound)
		})
	})
}

func TestOAuthSourceTypes(t *testing.T) {
	t.Parallel()
	h := apitest.Start(t, "sqlite")
	cases := []struct {
		name, query string
		want        []string
	}{
		{"all types", "", []string{"apple", "azuread", "discord", "facebook", "github", "google", "mailcow", "okta", "openidconnect", "patreon", "reddit", "twitch", "twitter"}},
		{"one type", "?name=github", []string{"github"}},
		{"unknown type is left out", "?name=myspace", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			list, _ := h.Do(http.MethodGet, "/sources/oauth/source_types/"+tc.query, nil).Expect(t, http.StatusOK).JSON.([]any)
			if len(list) != len(tc.want) {
				t.Fatalf("%d types, want %d: %v", len(list), len(tc.want), list)
			}
			for i, slug := range tc.want {
				if got := list[i].(map[string]any)["slug"]; got != slug {
					t.Errorf("type %d = %v, want %s", i, got, slug)
				}
			}
		})
	}
	t.Run("github URLs", func(t *testing.T) {
		list := h.Do(http.MethodGet, "/sources/oauth/source_types/?name=github", nil).Expect(t, http.StatusOK).JSON.([]any)
		gh := list[0].(map[string]any)
		if gh["authorization_url"] != "https://github.com/login/oauth/authorize" || gh["urls_customizable"] != true {
			t.Errorf("github = %v", gh)
		}
	})
	t.Run("anonymous is refused", func(t *testing.T) {
		h.DoAs("", http.MethodGet, "/sources/oauth/source_types/", nil).Expect(t, http.StatusForbidden)
	})
}
