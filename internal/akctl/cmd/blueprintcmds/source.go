package blueprintcmds

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/config"
	"github.com/akgo/akgo/internal/blueprint"
)

// SourceOptions are the blueprints a plan or apply works on, parsed from
// -f/arguments, --context, --context-file and --blueprints-dir.
type SourceOptions struct {
	// Files are files, directories (every *.yaml below, sorted) and "-"
	// (stdin), in the order given.
	Files []string
	// Context is the context given on the command line (--context-file,
	// then each --context KEY=VALUE on top); nil when none was given. It
	// overrides the files' own context and is what the BlueprintInstance
	// stores.
	Context map[string]any
	// ConfigContext is a --context value without "=": the configuration
	// context to connect with, as akctl's global --context.
	ConfigContext string
	// BlueprintsDir is where metaapplyblueprint paths and !File resolve,
	// as akserver's blueprints directory ("" when none applies).
	BlueprintsDir string
}

// sourceFlags are the raw flags behind SourceOptions.
type sourceFlags struct {
	files         []string
	context       []string
	contextFile   string
	blueprintsDir string
}

func (sf *sourceFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringArrayVarP(&sf.files, "filename", "f", nil, "blueprint `file`, directory (every *.yaml, sorted) or - for stdin (repeatable; arguments are files too)")
	cmd.Flags().StringArrayVar(&sf.context, "context", nil, "blueprint context entry `KEY=VALUE` (repeatable; VALUE is YAML: 3, true, [a, b]); a value without = selects the configuration context, as akctl --context")
	cmd.Flags().StringVar(&sf.contextFile, "context-file", "", "read the blueprint context from a YAML or JSON `file` (--context entries override it)")
	cmd.Flags().StringVar(&sf.blueprintsDir, "blueprints-dir", "", "`directory` metaapplyblueprint paths and !File refer to, as akserver's blueprints directory (default: the directory, when a single directory is given)")
}

// resolve checks the flags and turns them into SourceOptions. The global
// --context flag is shadowed by the blueprint one, so a configuration
// context given there is handed on to the root's flag set (globals may be
// nil in parsing tests).
func (sf *sourceFlags) resolve(args []string, globals *pflag.FlagSet) (SourceOptions, error) {
	so := SourceOptions{Files: append(append([]string(nil), sf.files...), args...)}
	if len(so.Files) == 0 {
		return so, cmdutil.Usagef("no blueprint files: give -f FILE (a file, a directory or - for stdin)")
	}
	stdin := 0
	for _, p := range so.Files {
		if p == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return so, cmdutil.Usagef("- (stdin) can be given only once")
	}
	ctx, cfgCtx, err := ParseContext(sf.context, sf.contextFile)
	if err != nil {
		return so, cmdutil.MarkUsage(err)
	}
	so.Context, so.ConfigContext = ctx, cfgCtx
	if cfgCtx != "" && globals != nil {
		if err := globals.Set(config.FlagContext, cfgCtx); err != nil {
			return so, cmdutil.MarkUsage(err)
		}
	}
	so.BlueprintsDir = sf.blueprintsDir
	if so.BlueprintsDir == "" && len(so.Files) == 1 {
		so.BlueprintsDir = dirArg(so.Files[0])
	}
	if so.BlueprintsDir != "" {
		if st, err := os.Stat(so.BlueprintsDir); err != nil || !st.IsDir() {
			return so, cmdutil.Usagef("--blueprints-dir %s is not a directory", so.BlueprintsDir)
		}
	}
	return so, nil
}

// ParseContext builds the blueprint context from a YAML/JSON file and
// KEY=VALUE entries (VALUE parsed as YAML, so 3 is a number and true a
// boolean; an empty VALUE is the empty string). An entry without "=" is
// a configuration context name, returned separately; at most one may be
// given.
func ParseContext(entries []string, file string) (map[string]any, string, error) {
	var out map[string]any
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, "", fmt.Errorf("--context-file: %w", err)
		}
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			return nil, "", fmt.Errorf("--context-file %s: %w", file, err)
		}
		m, ok := v.(map[string]any)
		if !ok && v != nil {
			return nil, "", fmt.Errorf("--context-file %s: want a mapping of context keys, got %T", file, v)
		}
		out = m
		if out == nil {
			out = map[string]any{}
		}
	}
	cfgCtx := ""
	for _, e := range entries {
		k, raw, ok := strings.Cut(e, "=")
		if !ok {
			if cfgCtx != "" && cfgCtx != e {
				return nil, "", fmt.Errorf("--context %q: a configuration context (%q) was given already; blueprint context entries are KEY=VALUE", e, cfgCtx)
			}
			cfgCtx = e
			continue
		}
		k = strings.TrimSpace(k)
		if k == "" {
			return nil, "", fmt.Errorf("--context %q: the key is empty (want KEY=VALUE)", e)
		}
		var v any = ""
		if raw != "" {
			if err := yaml.Unmarshal([]byte(raw), &v); err != nil {
				return nil, "", fmt.Errorf("--context %s: the value is not YAML: %w (quote it to keep it a string)", k, err)
			}
		}
		if out == nil {
			out = map[string]any{}
		}
		out[k] = v
	}
	if out == nil {
		return nil, cfgCtx, nil
	}
	// The context travels as JSON (the instance's context): refuse what
	// JSON cannot hold now rather than when the server is half-written.
	norm, err := jsonRoundTrip(out)
	if err != nil {
		return nil, "", fmt.Errorf("blueprint context: %w", err)
	}
	return norm, cfgCtx, nil
}

func jsonRoundTrip(m map[string]any) (map[string]any, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// source is one blueprint file with its text (stored as a
// BlueprintInstance's content).
type source struct {
	bp      *blueprint.Blueprint
	content []byte
}

// name is the BlueprintInstance the file belongs to.
func (s *source) name() string { return s.bp.Metadata.Name }

// loadSources parses the files of so. Problems are blueprint errors (see
// problems); stdin is read once and kept for the instance content.
func loadSources(so SourceOptions, stdin io.Reader) ([]*source, error) {
	var captured bytes.Buffer
	bps, err := blueprint.LoadFilesFrom(so.Files, io.TeeReader(stdin, &captured))
	if err != nil {
		return nil, err
	}
	out := make([]*source, 0, len(bps))
	for _, bp := range bps {
		s := &source{bp: bp}
		if bp.Path == "-" {
			s.content = captured.Bytes()
		} else if s.content, err = os.ReadFile(bp.Path); err != nil {
			return nil, fmt.Errorf("read %s: %w", bp.Path, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func blueprintsOf(srcs []*source) []*blueprint.Blueprint {
	out := make([]*blueprint.Blueprint, len(srcs))
	for i, s := range srcs {
		out[i] = s.bp
	}
	return out
}

// filesFS is the engine's view of the blueprints directory (nil: none).
func (so SourceOptions) filesFS() fs.FS {
	if so.BlueprintsDir == "" {
		return nil
	}
	return os.DirFS(so.BlueprintsDir)
}

// dirArg returns p when it names a directory, else "": a single directory
// given on the command line is the blueprints directory, as akserver's.
func dirArg(p string) string {
	if p == "-" {
		return ""
	}
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		return p
	}
	return ""
}
