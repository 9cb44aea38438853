package instances_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/blueprint/instances"
	"github.com/akgo/akgo/internal/store"
	"github.com/akgo/akgo/internal/tasks"
)

func groupBlueprint(name, group string, labels string) string {
	return "version: 1\nmetadata:\n  name: " + name + "\n" + labels + "entries:\n  - model: authentik_core.group\n    identifiers:\n      name: " + group + "\n"
}

type env struct {
	t   *testing.T
	h   *apitest.Harness
	dir string
	m   *instances.Manager
}

func setup(t *testing.T, backend string, embedded fstest.MapFS) *env {
	t.Helper()
	h := apitest.Start(t, backend)
	dir := t.TempDir()
	files := &instances.Files{Dir: dir}
	if embedded != nil {
		files.Embedded = embedded
	}
	m, err := instances.New(instances.Config{Engine: h.App.Engine, Files: files, Tasks: h.App.Tasks, Events: h.App.API.Events})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.App.Tasks.Register(m.Task()); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, h: h, dir: dir, m: m}
}

func (e *env) write(rel, content string) {
	e.t.Helper()
	p := filepath.Join(e.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) discover() tasks.Result {
	e.t.Helper()
	res, err := e.h.App.Tasks.Run(context.Background(), instances.DiscoveryTask)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

func (e *env) count(model string, where store.Cond) int64 {
	e.t.Helper()
	m := e.h.App.Registry.MustModel(model)
	var n int64
	err := e.h.App.Store.View(context.Background(), func(tx store.Tx) error {
		var err error
		n, err = tx.Count(context.Background(), store.Query{Table: m.Table, Where: where})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) instance(path string) *instances.Instance {
	e.t.Helper()
	all, err := e.m.Instances(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	for _, in := range all {
		if in.Path == path {
			return in
		}
	}
	return nil
}

func TestDiscovery(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			e := setup(t, backend, fstest.MapFS{
				"system/shipped.yaml": {Data: []byte(groupBlueprint("Shipped", "shipped-group", ""))},
			})
			e.write("team/groups.yaml", groupBlueprint("Team groups", "team-a", ""))
			e.write("example/not-instantiated.yaml", groupBlueprint("Example", "example-group", "  labels:\n    blueprints.goauthentik.io/instantiate: \"false\"\n"))
			e.write(".hidden/skip.yaml", groupBlueprint("Hidden", "hidden-group", ""))
			e.write("other.yml", groupBlueprint("Yml", "yml-group", ""))

			res := e.discover()
			if res.Status != tasks.StatusSuccessful {
				t.Fatalf("discovery: %v %v", res.Status, res.Messages)
			}
			team := e.instance("team/groups.yaml")
			if team == nil || team.Name != "Team groups" || team.Status != instances.StatusSuccessful || !team.Enabled {
				t.Fatalf("team instance = %+v", team)
			}
			if len(team.Managed) != 1 || !strings.HasPrefix(team.Managed[0], "authentik_core.group:") {
				t.Errorf("managed_models = %v", team.Managed)
			}
			if e.instance("system/shipped.yaml") == nil || e.count("authentik_core.group", store.Eq("name", "shipped-group")) != 1 {
				t.Errorf("embedded blueprint not discovered and applied")
			}
			for _, g := range []string{"example-group", "hidden-group", "yml-group"} {
				if e.count("authentik_core.group", store.Eq("name", g)) != 0 {
					t.Errorf("%s was applied", g)
				}
			}
			if e.instance("example/not-instantiated.yaml") != nil {
				t.Errorf("a file labelled instantiate: false got an instance")
			}

			t.Run("unchanged file is not re-applied", func(t *testing.T) {
				before := e.instance("team/groups.yaml")
				// Drift: someone renames the group; an unchanged file does
				// not correct it (hash-gated, as authentik).
				e.h.Do("PATCH", "/core/groups/"+strings.TrimPrefix(before.Managed[0], "authentik_core.group:")+"/", map[string]any{"name": "renamed"}).Expect(t, 200)
				e.discover()
				if e.count("authentik_core.group", store.Eq("name", "team-a")) != 0 {
					t.Errorf("unchanged file was applied again")
				}
			})

			t.Run("changed file is re-applied", func(t *testing.T) {
				e.write("team/groups.yaml", groupBlueprint("Team groups", "team-b", ""))
				e.discover()
				in := e.instance("team/groups.yaml")
				if e.count("authentik_core.group", store.Eq("name", "team-b")) != 1 || in.Status != instances.StatusSuccessful {
					t.Errorf("changed file not applied: %+v", in)
				}
				if in.LastHash != instances.Hash([]byte(groupBlueprint("Team groups", "team-b", "")), nil) {
					t.Errorf("hash not updated")
				}
			})

			t.Run("a failing file is an error status and a task record", func(t *testing.T) {
				e.write("broken.yaml", "version: 1\nmetadata:\n  name: Broken\nentries:\n  - model: authentik_core.group\n    identifiers:\n      name: broken\n    attrs:\n      parent: !Find [authentik_core.group, [name, does-not-exist]]\n")
				res := e.discover()
				in := e.instance("broken.yaml")
				if in == nil || in.Status != instances.StatusError {
					t.Fatalf("broken instance = %+v", in)
				}
				if res.Status != tasks.StatusWarning || len(res.Messages) < 2 {
					t.Errorf("discovery result %v %v", res.Status, res.Messages)
				}
				rec := e.h.Do("GET", "/admin/system_tasks/apply_blueprint:broken/", nil).Expect(t, 200).Object()
				if rec["status"] != "ERROR" || len(rec["messages"].([]any)) == 0 {
					t.Errorf("task record = %v", rec)
				}
				if e.count("authentik_core.group", store.Eq("name", "broken")) != 0 {
					t.Errorf("a failed apply left objects behind")
				}
				// Fixing the file fixes the instance and drops the failure record.
				e.write("broken.yaml", groupBlueprint("Broken", "broken", ""))
				e.discover()
				if in := e.instance("broken.yaml"); in.Status != instances.StatusSuccessful {
					t.Errorf("fixed instance status %s", in.Status)
				}
				e.h.Do("GET", "/admin/system_tasks/apply_blueprint:broken/", nil).Expect(t, 404)
			})

			t.Run("a removed file orphans its instance", func(t *testing.T) {
				if err := os.Remove(filepath.Join(e.dir, "broken.yaml")); err != nil {
					t.Fatal(err)
				}
				e.discover()
				if in := e.instance("broken.yaml"); in == nil || in.Status != instances.StatusOrphaned {
					t.Fatalf("instance of a removed file = %+v", in)
				}
				if e.count("authentik_core.group", store.Eq("name", "broken")) != 1 {
					t.Errorf("orphaning deleted objects")
				}
				e.write("broken.yaml", groupBlueprint("Broken", "broken", ""))
				e.discover()
				if in := e.instance("broken.yaml"); in.Status != instances.StatusSuccessful {
					t.Errorf("restored file: status %s", in.Status)
				}
			})

			t.Run("a name clash is reported, not fatal", func(t *testing.T) {
				e.write("clash.yaml", groupBlueprint("Team groups", "clash", ""))
				e.write("zz-after.yaml", groupBlueprint("After the clash", "after-clash", ""))
				res := e.discover()
				if res.Status != tasks.StatusWarning || e.instance("clash.yaml") != nil {
					t.Errorf("clash: %v %v", res.Status, res.Messages)
				}
				if e.count("authentik_core.group", store.Eq("name", "after-clash")) != 1 {
					t.Errorf("files after the clash were not processed")
				}
			})
		})
	}
}

// TestDiscoveryOrder: system/ before default/ before the rest, and a file
// whose !Find needs a later file converges in the same run.
func TestDiscoveryOrder(t *testing.T) {
	e := setup(t, "sqlite", fstest.MapFS{
		"default/uses-system.yaml": {Data: []byte("version: 1\nmetadata:\n  name: Uses system\nentries:\n  - model: authentik_core.group\n    identifiers:\n      name: child\n    attrs:\n      parent: !Find [authentik_core.group, [name, from-system]]\n")},
		"system/base.yaml":         {Data: []byte(groupBlueprint("Base", "from-system", ""))},
	})
	e.write("a-needs-z.yaml", "version: 1\nmetadata:\n  name: Needs z\nentries:\n  - model: authentik_core.group\n    identifiers:\n      name: a-child\n    attrs:\n      parent: !Find [authentik_core.group, [name, z-parent]]\n")
	e.write("z.yaml", groupBlueprint("Z", "z-parent", ""))
	res := e.discover()
	if res.Status != tasks.StatusSuccessful {
		t.Fatalf("discovery: %v %v", res.Status, res.Messages)
	}
	for _, p := range []string{"default/uses-system.yaml", "system/base.yaml", "a-needs-z.yaml", "z.yaml"} {
		if in := e.instance(p); in == nil || in.Status != instances.StatusSuccessful {
			t.Errorf("%s: %+v", p, in)
		}
	}
}
