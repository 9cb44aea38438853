package policies

import (
	"strconv"
	"sync"
	"time"
)

// CacheTimeout is how long a binding's result is reused
// (authentik's cache_timeout_policies).
const CacheTimeout = 300 * time.Second

// Cache holds binding results per binding, session and user, like the
// "goauthentik.io/policies/" keys of authentik's cache. It lives in the
// process: each akserver replica has its own, which only costs extra
// evaluations, since writes that change a result invalidate it locally
// and entries expire after CacheTimeout.
type Cache struct {
	mu      sync.Mutex
	entries map[string]*cacheEntry
	now     func() time.Time
	ttl     time.Duration
}

type cacheEntry struct {
	result  Result
	expires time.Time
	// What the entry depends on, for invalidation.
	binding, policy, target string
	user                    int64
}

// NewCache returns an empty cache using now for expiry.
func NewCache(now func() time.Time) *Cache {
	if now == nil {
		now = time.Now
	}
	return &Cache{entries: map[string]*cacheEntry{}, now: now, ttl: CacheTimeout}
}

// cacheKey mirrors authentik's key: binding, then session, then user.
func cacheKey(binding, session string, user int64) string {
	return binding + "_" + session + "#" + strconv.FormatInt(user, 10)
}

func (c *Cache) get(key string) (Result, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return Result{}, false
	}
	if !c.now().Before(e.expires) {
		delete(c.entries, key)
		return Result{}, false
	}
	return e.result, true
}

func (c *Cache) set(key string, e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.expires = c.now().Add(c.ttl)
	c.entries[key] = e
}

// Len counts the live entries (the API's cache_info count).
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	n := 0
	for k, e := range c.entries {
		if now.Before(e.expires) {
			n++
		} else {
			delete(c.entries, k)
		}
	}
	return n
}

// Clear drops every entry (cache_clear).
func (c *Cache) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = map[string]*cacheEntry{}
}

// drop removes the entries matching pred.
func (c *Cache) drop(pred func(e *cacheEntry) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if pred(e) {
			delete(c.entries, k)
		}
	}
}
