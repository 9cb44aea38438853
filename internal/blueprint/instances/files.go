package instances

import (
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/akgo/akgo/internal/blueprint"
)

// Files is the blueprint directory as the server sees it: the files under
// Dir layered over the embedded ones, so a server started anywhere still
// has the shipped defaults, and a file in Dir replaces the embedded file
// with the same relative path (which is how an operator changes or, with
// an empty file, disables a default blueprint, as with authentik's image).
//
// Files implements fs.FS with slash-separated paths relative to the
// directory; it is what metaapplyblueprint entries resolve paths against.
type Files struct {
	// Dir is AUTHENTIK_BLUEPRINTS_DIR; "" or a missing directory means only
	// the embedded files.
	Dir string
	// Embedded holds the blueprints shipped in the binary (nil: none).
	Embedded fs.FS
	// EmbeddedTime is reported as the modification time of embedded files,
	// which carry none.
	EmbeddedTime time.Time
}

// File is one available blueprint file (authentik's BlueprintFile).
type File struct {
	// Path is relative to the blueprint directory, slash-separated.
	Path    string
	Version int
	// Hash is the sha512 of the content, hex.
	Hash         string
	LastModified time.Time
	// Meta is nil when the file has no metadata block.
	Meta    *blueprint.Metadata
	Content []byte
}

// Labels authentik reads from a blueprint's metadata.
const (
	LabelInstantiate = "blueprints.goauthentik.io/instantiate"
)

// Instantiate reports whether discovery creates an instance for the file.
func (f *File) Instantiate() bool {
	if f.Meta == nil {
		return true
	}
	return strings.ToLower(f.Meta.Labels[LabelInstantiate]) != "false"
}

// ErrOutside is returned for a path that leaves the blueprint directory.
var ErrOutside = errors.New("path is outside the blueprint directory")

// CleanPath validates an instance path: relative, slash-separated, without
// "..", and returns its canonical form.
func CleanPath(p string) (string, error) {
	p = strings.TrimPrefix(strings.TrimSpace(p), "./")
	if p == "" || strings.Contains(p, "\\") || strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("%q: %w", p, ErrOutside)
	}
	clean := path.Clean(p)
	if !fs.ValidPath(clean) || clean == "." {
		return "", fmt.Errorf("%q: %w", p, ErrOutside)
	}
	return clean, nil
}

// Open implements fs.FS.
func (f *Files) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if f.Dir != "" {
		full, err := f.resolve(name)
		switch {
		case err == nil:
			return os.Open(full)
		case !errors.Is(err, fs.ErrNotExist):
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
	}
	if f.Embedded != nil {
		return f.Embedded.Open(name)
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// ReadFile implements fs.ReadFileFS.
func (f *Files) ReadFile(name string) ([]byte, error) {
	file, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return io.ReadAll(file)
}

// resolve maps a relative path to a file under Dir, refusing symbolic
// links that lead outside it (authentik refuses paths resolving outside
// blueprints_dir). Links inside it, such as a Kubernetes ConfigMap's
// ..data indirection, are fine.
func (f *Files) resolve(name string) (string, error) {
	root, err := filepath.EvalSymlinks(f.Dir)
	if err != nil {
		return "", err
	}
	full, err := filepath.EvalSymlinks(filepath.Join(f.Dir, filepath.FromSlash(name)))
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(root, full)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", ErrOutside
	}
	return full, nil
}

// Find lists the available blueprint files, sorted by path: every
// *.yaml file (not .yml, as authentik) outside hidden folders, that parses
// as YAML, is not empty and is of version 1. Files that do not qualify are
// reported in skipped with the reason, so discovery can log them.
func (f *Files) Find() (files []File, skipped []error) {
	byPath := map[string]File{}
	if f.Embedded != nil {
		err := fs.WalkDir(f.Embedded, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !candidate(p, d.IsDir()) {
				return nil
			}
			data, err := fs.ReadFile(f.Embedded, p)
			if err != nil {
				return err
			}
			if file, err := describe(p, data, f.EmbeddedTime); err != nil {
				skipped = append(skipped, err)
			} else if file != nil {
				byPath[p] = *file
			}
			return nil
		})
		if err != nil {
			skipped = append(skipped, fmt.Errorf("embedded blueprints: %w", err))
		}
	}
	if f.Dir != "" {
		if st, err := os.Stat(f.Dir); err == nil && st.IsDir() {
			f.walkDir(byPath, &skipped)
		}
	}
	for _, file := range byPath {
		files = append(files, file)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, skipped
}

func (f *Files) walkDir(byPath map[string]File, skipped *[]error) {
	root := f.Dir
	err := filepath.WalkDir(root, func(full string, d fs.DirEntry, err error) error {
		if err != nil {
			*skipped = append(*skipped, err)
			return nil
		}
		rel, err := filepath.Rel(root, full)
		if err != nil {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		isDir := d.IsDir()
		if !candidate(rel, isDir) {
			if isDir && hidden(rel) {
				return filepath.SkipDir
			}
			return nil
		}
		resolved, err := f.resolve(rel)
		if err != nil {
			*skipped = append(*skipped, fmt.Errorf("%s: %w", rel, err))
			return nil
		}
		st, err := os.Stat(resolved)
		if err != nil || !st.Mode().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(resolved)
		if err != nil {
			*skipped = append(*skipped, fmt.Errorf("%s: %w", rel, err))
			return nil
		}
		if file, err := describe(rel, data, st.ModTime()); err != nil {
			*skipped = append(*skipped, err)
			delete(byPath, rel) // an unreadable override still hides the default
		} else if file != nil {
			byPath[rel] = *file
		} else {
			delete(byPath, rel) // an empty file disables the default
		}
		return nil
	})
	if err != nil {
		*skipped = append(*skipped, fmt.Errorf("blueprint directory %s: %w", root, err))
	}
}

// candidate reports a path discovery looks at.
func candidate(rel string, isDir bool) bool {
	if isDir || hidden(rel) {
		return false
	}
	return strings.HasSuffix(rel, ".yaml")
}

func hidden(rel string) bool {
	for _, part := range strings.Split(rel, "/") {
		if strings.HasPrefix(part, ".") && part != "." {
			return true
		}
	}
	return false
}

// describe reads what discovery needs from a file without evaluating it:
// version and metadata. A nil File without error is an empty document.
func describe(rel string, data []byte, mtime time.Time) (*File, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: failed to parse blueprint: %w", rel, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: a blueprint is a mapping, not a %s", rel, kindName(root))
	}
	file := &File{Path: rel, Version: 1, LastModified: mtime, Content: data, Hash: Hash(data, nil)}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i].Value, root.Content[i+1]
		switch key {
		case "version":
			if err := val.Decode(&file.Version); err != nil {
				return nil, fmt.Errorf("%s: invalid blueprint version %q", rel, val.Value)
			}
		case "metadata":
			if val.Kind != yaml.MappingNode {
				continue
			}
			var meta struct {
				Name   string            `yaml:"name"`
				Labels map[string]string `yaml:"labels"`
			}
			if err := val.Decode(&meta); err != nil {
				return nil, fmt.Errorf("%s: invalid metadata: %w", rel, err)
			}
			if meta.Labels == nil {
				meta.Labels = map[string]string{}
			}
			file.Meta = &blueprint.Metadata{Name: meta.Name, Labels: meta.Labels}
		}
	}
	if file.Version != 1 {
		return nil, fmt.Errorf("%s: invalid blueprint version %d", rel, file.Version)
	}
	return file, nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	}
	return "document"
}

// Hash is the hash an instance's last_applied_hash records: the sha512 of
// the content, as authentik, when the instance has no context; with a
// context, the sha512 of the content, a NUL byte and the context as
// canonical JSON. authentik leaves the context out, so changing an
// instance's context never re-applied it; here it does (a documented
// deviation).
func Hash(content []byte, context map[string]any) string {
	h := sha512.New()
	h.Write(content)
	if len(context) > 0 {
		h.Write([]byte{0})
		h.Write(canonicalJSON(context))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// canonicalJSON renders v with sorted object keys (encoding/json sorts map
// keys), so equal contexts hash equally.
func canonicalJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(fmt.Sprint(v))
	}
	return b
}
