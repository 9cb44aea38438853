package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

func main() {
	schemaPath := flag.String("schema", "", "path to authentik's OpenAPI schema (YAML)")
	outDir := flag.String("out", ".", "directory to write the generated files to")
	check := flag.Bool("check", false, "only report whether the files are current (exit status 1 if not)")
	flag.Parse()
	if *schemaPath == "" {
		fmt.Fprintln(os.Stderr, "gen: -schema is required")
		os.Exit(2)
	}
	files, err := generate(*schemaPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	stale, err := write(files, *outDir, *check)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if *check && len(stale) > 0 {
		fmt.Fprintf(os.Stderr, "gen: out of date: %v (run go generate ./pkg/client)\n", stale)
		os.Exit(1)
	}
}

// write writes the generated files that differ from those in outDir (or,
// with check, only lists them). Unchanged files are not touched, so their
// modification times stay.
func write(files map[string][]byte, outDir string, check bool) (stale []string, err error) {
	for _, name := range sortedKeys(files) {
		path := filepath.Join(outDir, name)
		old, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		if bytes.Equal(old, files[name]) {
			continue
		}
		stale = append(stale, name)
		if check {
			continue
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
	}
	return stale, nil
}

// generate returns the generated files by name.
func generate(schemaPath string) (map[string][]byte, error) {
	doc, err := loadDocument(schemaPath)
	if err != nil {
		return nil, err
	}
	g, err := newGenerator(doc)
	if err != nil {
		return nil, err
	}
	// Operations first: resolving their results may declare inline types,
	// which the types file then emits.
	ops, err := g.collectOps()
	if err != nil {
		return nil, err
	}
	types, err := g.writeTypes()
	if err != nil {
		return nil, fmt.Errorf("types: %w", err)
	}
	operations, err := g.writeOperations(ops)
	if err != nil {
		return nil, fmt.Errorf("operations: %w", err)
	}
	return map[string][]byte{"types.gen.go": types, "operations.gen.go": operations}, nil
}
