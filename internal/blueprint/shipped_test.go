package blueprint_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/internal/blueprint/blueprinttest"
)

const shippedDir = "../../blueprints"

// TestShippedBlueprints applies the blueprints akserver ships (authentik's
// default, system and example blueprints), all together and each alone as
// discovery does, and checks a second plan finds nothing to do.
func TestShippedBlueprints(t *testing.T) {
	if _, err := os.Stat(shippedDir); err != nil {
		t.Skipf("no shipped blueprints: %v", err)
	}
	env := map[string]string{"AUTHENTIK_BOOTSTRAP_PASSWORD": "pw", "AUTHENTIK_BOOTSTRAP_TOKEN": "tok", "AUTHENTIK_BOOTSTRAP_EMAIL": "root@example.com"}
	opts := blueprint.Options{Files: os.DirFS(shippedDir), Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	all, err := blueprint.LoadFiles([]string{shippedDir})
	if err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, bps []*blueprint.Blueprint) {
		mem := blueprinttest.New()
		p, err := blueprint.Plan(context.Background(), mem, bps, opts)
		if err != nil {
			t.Fatal(err)
		}
		if p.Summary().Create == 0 {
			t.Fatalf("nothing to create: %+v", p.Summary())
		}
		res, err := blueprint.Apply(context.Background(), mem, p)
		if err != nil {
			t.Fatal(err)
		}
		again, err := blueprint.Plan(context.Background(), mem, bps, blueprint.Options{Files: opts.Files, Env: opts.Env, Owned: res.Managed})
		if err != nil {
			t.Fatal(err)
		}
		if again.HasChanges() || len(again.Prunes) > 0 {
			var b []byte
			b, _ = again.JSON(blueprint.RenderOptions{})
			t.Fatalf("second plan is not empty:\n%s", b)
		}
		if got := again.Managed(); len(got) != len(res.Managed) {
			t.Errorf("plan ownership %d objects, apply ownership %d", len(got), len(res.Managed))
		}
	}
	t.Run("together", func(t *testing.T) { run(t, all) })
	for _, bp := range all {
		rel, _ := filepath.Rel(shippedDir, bp.Path)
		t.Run(rel, func(t *testing.T) {
			bp.Path = rel // as akserver names them: relative to the blueprints directory
			run(t, []*blueprint.Blueprint{bp})
		})
	}
}
