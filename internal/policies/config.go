package policies

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/akgo/akgo/internal/store"
)

// ConfigTTL bounds how long a target's bindings and policy rows are
// reused without asking the store. Writes through this server drop them
// at once; the TTL only matters for writes made by another replica.
const ConfigTTL = 10 * time.Second

// targetConfig is what evaluating a target reads from the store: its
// engine mode, its enabled bindings in order and their policies.
type targetConfig struct {
	mode     string
	bindings []*binding
	policies map[string]*policy
	loaded   time.Time
}

// configCache keeps targetConfigs, so evaluating a flow's policies costs
// the policies' own work rather than four queries per target.
type configCache struct {
	mu sync.Mutex
	m  map[string]*targetConfig
}

func (c *configCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}

// targetConfig returns the target's configuration, loading it when it is
// not cached or too old.
func (e *Engine) targetConfig(ctx context.Context, target string) (*targetConfig, error) {
	now := e.Core.Now()
	e.configs.mu.Lock()
	cfg, ok := e.configs.m[target]
	e.configs.mu.Unlock()
	if ok && now.Sub(cfg.loaded) < ConfigTTL && !now.Before(cfg.loaded) {
		return cfg, nil
	}
	cfg = &targetConfig{loaded: now}
	err := e.Core.Store.View(ctx, func(tx store.Tx) error {
		var err error
		cfg.mode, cfg.bindings, err = e.loadBindings(ctx, tx, target)
		if err != nil {
			return err
		}
		var pks []string
		for _, b := range cfg.bindings {
			if b.Policy != "" {
				pks = append(pks, b.Policy)
			}
		}
		cfg.policies, err = e.loadPolicies(ctx, tx, pks)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("evaluate policies of %s: %w", target, err)
	}
	e.configs.mu.Lock()
	defer e.configs.mu.Unlock()
	if e.configs.m == nil {
		e.configs.m = map[string]*targetConfig{}
	}
	e.configs.m[target] = cfg
	return cfg, nil
}
