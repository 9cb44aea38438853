package engine

import (
	"regexp"
	"sync"
)

var patternCache sync.Map

// compilePattern compiles (and caches) a schema pattern.
func compilePattern(p string) (*regexp.Regexp, error) {
	if re, ok := patternCache.Load(p); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	patternCache.Store(p, re)
	return re, nil
}
