package app_test

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/akgo/akgo/blueprints"
	"github.com/akgo/akgo/internal/blueprint/instances"
	"github.com/akgo/akgo/internal/config"
	"github.com/akgo/akgo/internal/store"
)

// defaultFlows are the flows a fresh authentik 2023.10 has.
var defaultFlows = []string{
	"default-authentication-flow", "default-invalidation-flow", "default-user-settings-flow", "default-password-change",
	"default-source-authentication", "default-source-enrollment", "default-source-pre-authentication",
	"default-provider-authorization-explicit-consent", "default-provider-authorization-implicit-consent",
	"default-authenticator-static-setup", "default-authenticator-totp-setup", "default-authenticator-webauthn-setup",
	"initial-setup",
}

func TestDefaultBlueprintsAtFirstStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	start := time.Now()
	a := open(t, path, func(c *config.Config) { c.SkipBlueprints = false })
	t.Logf("open with default blueprints: %v", time.Since(start))
	for _, slug := range defaultFlows {
		if n := len(rows(t, a, "authentik_flows.flow", store.Eq("slug", slug))); n != 1 {
			t.Errorf("flow %s: %d rows", slug, n)
		}
	}
	tenants := rows(t, a, "authentik_tenants.tenant", store.Eq("domain", "authentik-default"))
	auth := rows(t, a, "authentik_flows.flow", store.Eq("slug", "default-authentication-flow"))
	if len(tenants) != 1 || len(auth) != 1 || tenants[0]["flow_authentication"] != auth[0]["flow_uuid"] {
		t.Errorf("default tenant %v does not use the default authentication flow", tenants)
	}
	if n := len(rows(t, a, "authentik_providers_oauth2.scopemapping", store.Eq("managed", "goauthentik.io/providers/oauth2/scope-openid"))); n != 1 {
		t.Errorf("openid scope mapping: %d", n)
	}
	insts, err := a.Blueprints.Instances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	err = fs.WalkDir(blueprints.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(p) == ".yaml" && filepath.Dir(filepath.Dir(p)) == "." && filepath.Dir(p) != "example" {
			want[p] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range insts {
		if !want[in.Path] {
			t.Errorf("unexpected instance %s (%s)", in.Name, in.Path)
			continue
		}
		delete(want, in.Path)
		data, _ := fs.ReadFile(blueprints.FS, in.Path)
		sum := sha512.Sum512(data)
		if in.Status != instances.StatusSuccessful || in.LastHash != hex.EncodeToString(sum[:]) || len(in.Managed) == 0 {
			t.Errorf("%s: status %s, hash ok %v, %d owned objects", in.Path, in.Status, in.LastHash == hex.EncodeToString(sum[:]), len(in.Managed))
		}
	}
	for p := range want {
		t.Errorf("no instance for %s", p)
	}
	task := rows(t, a, "authentik_events.systemtask", store.Eq("id", instances.DiscoveryTask))
	if len(task) != 1 || task[0]["status"] != "SUCCESSFUL" {
		t.Errorf("discovery task record: %v", task)
	}
	events := len(rows(t, a, "authentik_events.event", nil))
	applied := map[string]any{}
	for _, in := range rows(t, a, instances.Model, nil) {
		applied[in["name"].(string)] = in["last_applied"]
	}
	a.Close()

	// A restart finds every file unchanged and applies nothing.
	start = time.Now()
	b := open(t, path, func(c *config.Config) { c.SkipBlueprints = false })
	defer b.Close()
	t.Logf("restart: %v", time.Since(start))
	if n := len(rows(t, b, "authentik_events.event", nil)); n != events {
		t.Errorf("restart wrote %d events", n-events)
	}
	for _, in := range rows(t, b, instances.Model, nil) {
		if la := in["last_applied"]; !sameTime(la, applied[in["name"].(string)]) {
			t.Errorf("%s re-applied at restart", in["name"])
		}
	}
}

func sameTime(a, b any) bool {
	ta, ok1 := a.(time.Time)
	tb, ok2 := b.(time.Time)
	return ok1 && ok2 && ta.Equal(tb)
}

// TestBlueprintsDirOverridesEmbedded: a file in AUTHENTIK_BLUEPRINTS_DIR
// replaces the shipped file with the same path; an empty one disables it.
func TestBlueprintsDirOverridesEmbedded(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("default/flow-oobe.yaml", "")
	write("custom/groups.yaml", "version: 1\nmetadata:\n  name: Custom groups\nentries:\n  - model: authentik_core.group\n    identifiers:\n      name: from-the-directory\n")
	a := open(t, filepath.Join(t.TempDir(), "db"), func(c *config.Config) { c.SkipBlueprints, c.BlueprintsDir = false, dir })
	defer a.Close()
	if n := len(rows(t, a, "authentik_flows.flow", store.Eq("slug", "initial-setup"))); n != 0 {
		t.Errorf("the emptied default blueprint was applied")
	}
	if n := len(rows(t, a, "authentik_core.group", store.Eq("name", "from-the-directory"))); n != 1 {
		t.Errorf("the directory's blueprint was not applied")
	}
	if n := len(rows(t, a, "authentik_flows.flow", store.Eq("slug", "default-authentication-flow"))); n != 1 {
		t.Errorf("embedded defaults missing next to a directory")
	}
}

// TestFilesWatched: a blueprint dropped into the directory is discovered
// and applied, whether it arrives while the server serves or between
// start-up's discovery and the watcher's start (no wait for the watcher:
// start-up compares the directory with what its discovery saw).
func TestFilesWatched(t *testing.T) {
	cases := []struct {
		name        string
		beforeServe bool
	}{
		{"written while serving", false},
		{"written between start-up and serving", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			a := open(t, filepath.Join(t.TempDir(), "db"), func(c *config.Config) {
				c.SkipBlueprints, c.BlueprintsDir, c.Listen = false, dir, "127.0.0.1:0"
			})
			defer a.Close()
			bp := "version: 1\nmetadata:\n  name: Watched\nentries:\n  - model: authentik_core.group\n    identifiers:\n      name: watched-group\n"
			write := func() {
				if err := os.WriteFile(filepath.Join(dir, "watched.yaml"), []byte(bp), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tc.beforeServe {
				write()
			}
			ctx, cancel := context.WithCancel(context.Background())
			served := make(chan error, 1)
			go func() { served <- a.Serve(ctx, nil) }()
			defer func() { cancel(); <-served }()
			if !tc.beforeServe {
				write()
			}
			deadline := time.Now().Add(30 * time.Second)
			for time.Now().Before(deadline) {
				if len(rows(t, a, "authentik_core.group", store.Eq("name", "watched-group"))) == 1 {
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Fatal("the new blueprint file was not applied")
		})
	}
}
