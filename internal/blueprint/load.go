package blueprint

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// LoadFiles parses the blueprints at paths: files as given, directories
// expanded to every *.yaml file below them (sorted, skipping names that
// start with a dot, as authentik's discovery does), "-" for standard
// input. It reports the problems of all files together.
func LoadFiles(paths []string) ([]*Blueprint, error) {
	return LoadFilesFrom(paths, os.Stdin)
}

// LoadFilesFrom is LoadFiles reading "-" from stdin.
func LoadFilesFrom(paths []string, stdin io.Reader) ([]*Blueprint, error) {
	var out []*Blueprint
	var errs Errors
	seen := map[string]bool{}
	load := func(path string, data []byte) {
		bp, err := Parse(path, data)
		if err != nil {
			errs = append(errs, AsErrors(err)...)
			return
		}
		out = append(out, bp)
	}
	for _, p := range paths {
		if p == "-" {
			if seen["-"] {
				continue
			}
			seen["-"] = true
			data, err := io.ReadAll(stdin)
			if err != nil {
				errs = append(errs, &Error{File: "-", Entry: -1, Msg: "read standard input: " + err.Error(), Err: err})
				continue
			}
			load("-", data)
			continue
		}
		files, err := expand(p)
		if err != nil {
			errs = append(errs, &Error{File: p, Entry: -1, Msg: err.Error(), Err: err})
			continue
		}
		for _, f := range files {
			if seen[f] {
				continue
			}
			seen[f] = true
			data, err := os.ReadFile(f)
			if err != nil {
				errs = append(errs, &Error{File: f, Entry: -1, Msg: err.Error(), Err: err})
				continue
			}
			load(f, data)
		}
	}
	if len(errs) > 0 {
		return out, errs.sorted()
	}
	return out, nil
}

// expand lists the blueprint files a path names.
func expand(p string) ([]string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{p}, nil
	}
	var files []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != p && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".yaml") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no *.yaml blueprint files in directory %s", p)
	}
	sort.Strings(files)
	return files, nil
}
