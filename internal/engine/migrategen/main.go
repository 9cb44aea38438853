// Command migrategen freezes the registry's current tables as the next
// schema snapshot (internal/engine/migrations/vNNNN.json) when they differ
// from the latest one. Run through go generate.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
)

func main() {
	dir := flag.String("dir", "migrations", "snapshot folder")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "migrategen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	tables, err := engine.Tables(registry.Default())
	if err != nil {
		return err
	}
	snaps, err := engine.Snapshots()
	if err != nil {
		return err
	}
	if n := len(snaps); n > 0 {
		if reflect.DeepEqual(normalize(snaps[n-1]), normalize(tables)) {
			return nil
		}
		if _, err := engine.Diff(snaps[n-1], tables); err != nil {
			return err
		}
	}
	data, err := json.MarshalIndent(tables, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, fmt.Sprintf("v%04d.json", len(snaps)+1))
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// normalize round-trips through JSON so snapshots and fresh tables compare
// alike (nil vs empty slices, number types).
func normalize(v any) any {
	data, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(data, &out)
	return out
}
