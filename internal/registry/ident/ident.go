// Package ident owns database identifier naming shared by the registry and
// its generator: names must fit PostgreSQL's 63-byte limit and stay
// distinct, and the generator cannot import the registry it generates.
package ident

import (
	"crypto/sha256"
	"encoding/hex"
)

// MaxIdentifier is PostgreSQL's identifier length limit.
const MaxIdentifier = 63

// TableName keeps a table name within MaxIdentifier, replacing the tail of
// a longer one with a hash of the whole (as Django does), so distinct long
// names stay distinct.
func TableName(name string) string {
	if len(name) <= MaxIdentifier {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:MaxIdentifier-9] + "_" + hex.EncodeToString(sum[:4])
}
