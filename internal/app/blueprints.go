package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/akgo/akgo/blueprints"
	"github.com/akgo/akgo/internal/blueprint/instances"
	"github.com/akgo/akgo/internal/config"
	"github.com/akgo/akgo/internal/tasks"
)

// blueprintFiles is the blueprint directory layered over the blueprints
// built into the binary, so a server started anywhere has the defaults.
func blueprintFiles(dir string) *instances.Files {
	f := &instances.Files{Dir: dir, Embedded: blueprints.FS, EmbeddedTime: buildTime()}
	return f
}

// buildTime stands for the modification time of the embedded blueprints,
// which carry none: the executable's.
func buildTime() time.Time {
	exe, err := os.Executable()
	if err != nil {
		return time.Unix(0, 0).UTC()
	}
	st, err := os.Stat(exe)
	if err != nil {
		return time.Unix(0, 0).UTC()
	}
	return st.ModTime().UTC()
}

// blueprintEnv resolves !Env for server-side applies: the bootstrap
// settings as the configuration has them (so a flag or a Config built in
// code counts, not only the process environment), everything else from the
// environment. The bootstrap blueprint reads these.
func blueprintEnv(cfg config.Config) func(string) (string, bool) {
	fromConfig := map[string]string{
		"AUTHENTIK_BOOTSTRAP_PASSWORD": cfg.BootstrapPassword,
		"AUTHENTIK_BOOTSTRAP_TOKEN":    cfg.BootstrapToken,
		"AUTHENTIK_BOOTSTRAP_EMAIL":    cfg.BootstrapEmail,
	}
	return func(name string) (string, bool) {
		if v, ok := fromConfig[name]; ok {
			return v, v != ""
		}
		return os.LookupEnv(name)
	}
}

// applyBlueprints runs blueprints_discovery once, before the server
// reports ready: on a new database it creates and applies the default and
// system blueprints, later it only re-applies files that changed. It then
// schedules discovery hourly.
func (a *App) applyBlueprints(ctx context.Context) error {
	if err := a.Tasks.Register(a.Blueprints.Task()); err != nil {
		return fmt.Errorf("register blueprint discovery: %w", err)
	}
	start := time.Now()
	a.blueprintStamp = dirStamp(a.Config.BlueprintsDir)
	res, err := a.Tasks.Run(ctx, instances.DiscoveryTask)
	if err != nil {
		return fmt.Errorf("blueprint discovery: %w", err)
	}
	level := a.Log.Info
	if res.Status != tasks.StatusSuccessful {
		level = a.Log.Warn
	}
	level("blueprints discovered", "took", time.Since(start).Round(time.Millisecond), "status", res.Status, "messages", res.Messages)
	return nil
}

// watchBlueprints runs discovery whenever files under the blueprint
// directory change, until ctx ends (or Close). A missing directory is not
// watched: only the embedded blueprints exist then.
func (a *App) watchBlueprints(ctx context.Context) {
	dir := a.Config.BlueprintsDir
	if dir == "" {
		return
	}
	discover := func(ctx context.Context) {
		if _, err := a.Tasks.Run(ctx, instances.DiscoveryTask); err != nil && ctx.Err() == nil {
			a.Log.Error("blueprint discovery after a file change", "err", err)
		}
	}
	w, err := instances.Watch(ctx, dir, instances.DefaultDebounce, discover)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			a.Log.Warn("blueprint directory not watched", "dir", dir, "err", err)
		}
		return
	}
	a.watchMu.Lock()
	a.watcher = w
	a.watchMu.Unlock()
	// Files changed between start-up's discovery and now raised no event
	// the watcher saw; without this they would wait for the hourly run.
	if dirStamp(dir) != a.blueprintStamp {
		go discover(ctx)
	}
}

// dirStamp summarises the names, sizes and modification times of the
// files under dir ("" when it cannot be read), which changes whenever a
// blueprint file is written, added, renamed or removed.
func dirStamp(dir string) string {
	if dir == "" {
		return ""
	}
	h := sha256.New()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%q %d %d %v\n", path, info.Size(), info.ModTime().UnixNano(), info.Mode())
		return nil
	})
	if err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

// stopWatching stops the blueprint watcher, if any.
func (a *App) stopWatching() {
	a.watchMu.Lock()
	w := a.watcher
	a.watcher = nil
	a.watchMu.Unlock()
	if w != nil {
		_ = w.Close()
	}
}
