package main

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

const schemaPath = "../../../internal/apispec/authentik.yml"

var (
	generateOnce  sync.Once
	generated     map[string][]byte
	generateError error
)

// generatedFiles generates once per test binary: a run takes seconds.
func generatedFiles(t *testing.T) map[string][]byte {
	t.Helper()
	generateOnce.Do(func() { generated, generateError = generate(schemaPath) })
	if generateError != nil {
		t.Fatal(generateError)
	}
	return generated
}

// TestGeneratedFilesAreCurrent regenerates the client and compares it
// with the committed files, so a schema or generator change without
// go generate fails here before it fails CI's diff.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	files := generatedFiles(t)
	for _, name := range sortedKeys(files) {
		committed, err := os.ReadFile(filepath.Join("..", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(committed, files[name]) {
			t.Errorf("%s is out of date: run go generate ./pkg/client", name)
		}
	}
}

// TestGenerationIsDeterministic guards against output that depends on map
// order: two runs must produce the same bytes.
func TestGenerationIsDeterministic(t *testing.T) {
	a := generatedFiles(t)
	b, err := generate(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s differs between two runs", name)
		}
	}
}

func TestWriteOnlyStaleFiles(t *testing.T) {
	files := generatedFiles(t)
	dir := t.TempDir()
	tests := []struct {
		name      string
		check     bool
		wantStale int
	}{
		{name: "check on an empty directory lists both files", check: true, wantStale: 2},
		{name: "first run writes both", wantStale: 2},
		{name: "second run finds nothing to write", wantStale: 0},
		{name: "check after writing finds them current", check: true, wantStale: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stale, err := write(files, dir, tt.check)
			if err != nil {
				t.Fatal(err)
			}
			if len(stale) != tt.wantStale {
				t.Errorf("stale = %v, want %d files", stale, tt.wantStale)
			}
		})
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		name, in, exported, unexported string
	}{
		{name: "snake case", in: "instances_partial_update", exported: "InstancesPartialUpdate", unexported: "instancesPartialUpdate"},
		{name: "initialisms", in: "user_uuid", exported: "UserUUID", unexported: "userUUID"},
		{name: "initialism first", in: "pk", exported: "PK", unexported: "pk"},
		{name: "oauth2", in: "oauth2", exported: "OAuth2", unexported: "oauth2"},
		{name: "dotted enum value", in: "authentik.sources.ldap", exported: "AuthentikSourcesLDAP", unexported: "authentikSourcesLDAP"},
		{name: "upper-case value", in: "POST_AUTO", exported: "PostAuto", unexported: "postAuto"},
		{name: "dashed", in: "cross-platform", exported: "CrossPlatform", unexported: "crossPlatform"},
		{name: "keyword", in: "type", exported: "Type", unexported: "typeArg"},
		{name: "reserved argument", in: "body", exported: "Body", unexported: "bodyArg"},
		{name: "digits", in: "8", exported: "8", unexported: "8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exported(tt.in); got != tt.exported {
				t.Errorf("exported(%q) = %q, want %q", tt.in, got, tt.exported)
			}
			if got := unexported(tt.in); got != tt.unexported {
				t.Errorf("unexported(%q) = %q, want %q", tt.in, got, tt.unexported)
			}
		})
	}
}
