package providers_test

import (
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/apitest"
)

func directory() []fakeEntry {
	entries := []fakeEntry{
		{"dc=example,dc=org", map[string][]string{"objectClass": {"top", "domain"}, "dc": {"example"}}},
		{"ou=users,dc=example,dc=org", map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"users"}}},
		{"ou=groups,dc=example,dc=org", map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"groups"}}},
		{"cn=admins,ou=groups,dc=example,dc=org", map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"admins"},
			"member": {"uid=alice,ou=users,dc=example,dc=org", "uid=bob,ou=users,dc=example,dc=org"}, "entryUUID": {"g-1"}}},
	}
	for i, u := range []string{"alice", "bob", "carol"} {
		entries = append(entries, fakeEntry{fmt.Sprintf("uid=%s,ou=users,dc=example,dc=org", u), map[string][]string{
			"objectClass": {"person", "inetOrgPerson"}, "uid": {u}, "cn": {u}, "displayName": {"User " + u},
			"mail": {u + "@example.org"}, "entryUUID": {fmt.Sprintf("u-%d", i)}, "userPassword": {"secret"},
		}})
	}
	// More users than the debug sample takes.
	for i := 0; i < 12; i++ {
		entries = append(entries, fakeEntry{fmt.Sprintf("uid=bulk%02d,ou=users,dc=example,dc=org", i), map[string][]string{
			"objectClass": {"person"}, "uid": {fmt.Sprintf("bulk%02d", i)}}})
	}
	return entries
}

func TestLDAPDebug(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, h *apitest.Harness) {
		dir := startFakeLDAP(t, "cn=admin,dc=example,dc=org", "s3cret", directory())
		closed, _ := net.Listen("tcp", "127.0.0.1:0")
		unreachable := "ldap://" + closed.Addr().String()
		closed.Close()
		newSource := func(slug string, extra map[string]any) {
			body := map[string]any{"name": slug, "slug": slug, "server_uri": dir.URL(), "base_dn": "dc=example,dc=org",
				"bind_cn": "cn=admin,dc=example,dc=org", "bind_password": "s3cret", "sync_users_password": false,
				"additional_user_dn": "ou=users", "additional_group_dn": "ou=groups",
				"user_object_filter": "(objectClass=person)", "group_object_filter": "(objectClass=groupOfNames)",
				"group_membership_field": "member", "object_uniqueness_field": "entryUUID"}
			for k, v := range extra {
				body[k] = v
			}
			h.Do(http.MethodPost, "/sources/ldap/", body).Expect(t, http.StatusCreated)
		}
		newSource("corp", nil)
		newSource("users-only", map[string]any{"sync_groups": false})
		newSource("wrong-password", map[string]any{"bind_password": "nope"})
		newSource("down", map[string]any{"server_uri": unreachable})
		newSource("failover", map[string]any{"server_uri": unreachable + "," + dir.URL()})

		t.Run("samples users, groups and memberships", func(t *testing.T) {
			got := h.Do(http.MethodGet, "/sources/ldap/corp/debug/", nil).Expect(t, http.StatusOK).Object()
			users, groups, members := got["user"].([]any), got["group"].([]any), got["membership"].([]any)
			if len(users) != 10 {
				t.Errorf("%d users, want the sample of 10", len(users))
			}
			if len(groups) != 1 || len(members) != 1 {
				t.Fatalf("groups %v, membership %v", groups, members)
			}
			alice := users[0].(map[string]any)
			attrs := alice["attributes"].(map[string]any)
			if alice["dn"] != "uid=alice,ou=users,dc=example,dc=org" || alice["type"] != "searchResEntry" {
				t.Errorf("entry = %v", alice)
			}
			if attrs["displayName"] != "User alice" || fmt.Sprint(attrs["objectClass"]) != "[person inetOrgPerson]" {
				t.Errorf("attributes = %v", attrs)
			}
			m := members[0].(map[string]any)["attributes"].(map[string]any)
			if len(m["member"].([]any)) != 2 || m["entryUUID"] != "g-1" || m["cn"] != nil {
				t.Errorf("membership reads only the membership attributes: %v", m)
			}
		})
		t.Run("disabled group sync", func(t *testing.T) {
			got := h.Do(http.MethodGet, "/sources/ldap/users-only/debug/", nil).Expect(t, http.StatusOK).Object()
			if len(got["user"].([]any)) == 0 || len(got["group"].([]any)) != 0 || len(got["membership"].([]any)) != 0 {
				t.Errorf("debug = %v", got)
			}
		})
		t.Run("second server when the first is down", func(t *testing.T) {
			h.Do(http.MethodGet, "/sources/ldap/failover/debug/", nil).Expect(t, http.StatusOK)
		})

		failures := []struct {
			name, slug string
			status     int
		}{
			{"wrong bind password", "wrong-password", http.StatusBadRequest},
			{"server unreachable", "down", http.StatusBadRequest},
			{"missing source", "nope", http.StatusNotFound},
		}
		for _, tc := range failures {
			t.Run(tc.name, func(t *testing.T) {
				start := time.Now()
				r := h.Do(http.MethodGet, "/sources/ldap/"+tc.slug+"/debug/", nil).Expect(t, tc.status)
				if d := time.Since(start); d > 3*time.Second {
					t.Errorf("took %v", d)
				}
				if tc.status == http.StatusBadRequest {
					if msgs, _ := r.Object()["non_field_errors"].([]any); len(msgs) == 0 {
						t.Errorf("no message: %s", r.Body)
					}
				}
			})
		}
	})
}
