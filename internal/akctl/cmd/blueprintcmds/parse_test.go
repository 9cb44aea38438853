package blueprintcmds

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/config"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/blueprint"
)

func testFactory(t *testing.T) *cmdutil.Factory {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios, "test", func(string) (string, bool) { return "", false })
	// The root's persistent flags, so a configuration context given
	// through the shadowing --context can be checked.
	f.GlobalFlags = pflag.NewFlagSet("global", pflag.ContinueOnError)
	f.GlobalFlags.String(config.FlagContext, "", "")
	return f
}

// execute runs a command with args and reports the parse error.
func execute(cmd *cobra.Command, args string) error {
	cmd.SetArgs(strings.Fields(args))
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return cmd.Execute()
}

func wantUsage(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) || !cmdutil.IsUsage(err) {
		t.Fatalf("err = %v, want usage error %q", err, want)
	}
}

// testFiles creates a directory with a blueprint, a context file and a
// broken context file, and returns their paths.
func testFiles(t *testing.T) (dir, file, ctxFile, badCtx string) {
	t.Helper()
	dir = t.TempDir()
	file = filepath.Join(dir, "a.yaml")
	ctxFile = filepath.Join(dir, "ctx.yaml")
	badCtx = filepath.Join(dir, "bad-ctx.yaml")
	for p, data := range map[string]string{file: "version: 1\nentries: []\n", ctxFile: "domain: example.com\nport: 80\n", badCtx: "- a\n- b\n"} {
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return
}

func TestNewCmdPlanAndDiff(t *testing.T) {
	dir, file, ctxFile, badCtx := testFiles(t)
	tests := []struct {
		name    string
		args    string
		diff    bool
		want    PlanOptions
		cfgCtx  string
		wantErr string
	}{
		{name: "one file", args: "-f " + file, want: PlanOptions{Source: SourceOptions{Files: []string{file}}}},
		{name: "arguments are files", args: "-f " + file + " - " + dir, want: PlanOptions{Source: SourceOptions{Files: []string{file, "-", dir}}}},
		{name: "a single directory is the blueprints dir", args: "-f " + dir, want: PlanOptions{Source: SourceOptions{Files: []string{dir}, BlueprintsDir: dir}}},
		{name: "explicit blueprints dir", args: "-f " + file + " --blueprints-dir " + dir, want: PlanOptions{Source: SourceOptions{Files: []string{file}, BlueprintsDir: dir}}},
		{name: "context entries typed as YAML", args: "-f " + file + " --context domain=example.org --context n=3 --context on=true --context empty= --context list=[a,b]",
			want: PlanOptions{Source: SourceOptions{Files: []string{file}, Context: map[string]any{"domain": "example.org", "n": float64(3), "on": true, "empty": "", "list": []any{"a", "b"}}}}},
		{name: "context file with entries on top", args: "-f " + file + " --context-file " + ctxFile + " --context port=443",
			want: PlanOptions{Source: SourceOptions{Files: []string{file}, Context: map[string]any{"domain": "example.com", "port": float64(443)}}}},
		{name: "configuration context", args: "-f " + file + " --context prod --context a=b", cfgCtx: "prod",
			want: PlanOptions{Source: SourceOptions{Files: []string{file}, Context: map[string]any{"a": "b"}, ConfigContext: "prod"}}},
		{name: "prune json", args: "-f " + file + " --prune -o json", want: PlanOptions{Source: SourceOptions{Files: []string{file}}, Prune: true, JSON: true}},
		{name: "diff", args: "-f " + file + " --show-unchanged --show-sensitive", diff: true,
			want: PlanOptions{Source: SourceOptions{Files: []string{file}}, Diff: true, ShowUnchanged: true, ShowSensitive: true}},
		{name: "no files", args: "--prune", wantErr: "no blueprint files"},
		{name: "stdin twice", args: "-f - -", wantErr: "only once"},
		{name: "bad format", args: "-f " + file + " -o yaml", wantErr: `unknown format "yaml"`},
		{name: "two configuration contexts", args: "-f " + file + " --context a --context b", wantErr: "configuration context"},
		{name: "empty key", args: "-f " + file + " --context =x", wantErr: "key is empty"},
		{name: "bad YAML value", args: "-f " + file + " --context k=[a", wantErr: "not YAML"},
		{name: "context file not a mapping", args: "-f " + file + " --context-file " + badCtx, wantErr: "want a mapping"},
		{name: "missing context file", args: "-f " + file + " --context-file " + filepath.Join(dir, "nope.yaml"), wantErr: "--context-file"},
		{name: "blueprints dir not a directory", args: "-f " + file + " --blueprints-dir " + file, wantErr: "is not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := testFactory(t)
			var got *PlanOptions
			runF := func(_ context.Context, o *PlanOptions) error { got = o; return nil }
			cmd := NewCmdPlan(f, runF)
			if tt.diff {
				cmd = NewCmdDiff(f, runF)
			}
			err := execute(cmd, tt.args)
			if tt.wantErr != "" {
				wantUsage(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.IO, got.Client, got.LookupEnv = nil, nil, nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
			if v, _ := f.GlobalFlags.GetString(config.FlagContext); v != tt.cfgCtx {
				t.Errorf("configuration context %q, want %q", v, tt.cfgCtx)
			}
		})
	}
}

func TestNewCmdApply(t *testing.T) {
	_, file, _, _ := testFiles(t)
	tests := []struct {
		name    string
		args    string
		want    ApplyOptions
		wantErr string
	}{
		{name: "defaults", args: "-f " + file, want: ApplyOptions{Source: SourceOptions{Files: []string{file}}}},
		{name: "everything", args: "-f " + file + " --prune --dry-run --server-side -y --show-sensitive --context k=v",
			want: ApplyOptions{Source: SourceOptions{Files: []string{file}, Context: map[string]any{"k": "v"}}, Prune: true, DryRun: true, ServerSide: true, Yes: true, ShowSensitive: true}},
		{name: "no files", args: "--yes", wantErr: "no blueprint files"},
		{name: "unknown flag", args: "-f " + file + " --force", wantErr: "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *ApplyOptions
			cmd := NewCmdApply(testFactory(t), func(_ context.Context, o *ApplyOptions) error { got = o; return nil })
			err := execute(cmd, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Confirm == nil {
				t.Error("no confirmation function")
			}
			got.IO, got.Client, got.LookupEnv, got.Confirm = nil, nil, nil, nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestNewCmdValidate(t *testing.T) {
	dir, file, _, _ := testFiles(t)
	tests := []struct {
		name    string
		args    string
		want    ValidateOptions
		wantErr string
	}{
		{name: "files", args: file + " -f " + dir, want: ValidateOptions{Files: []string{dir, file}}},
		{name: "a directory", args: dir, want: ValidateOptions{Files: []string{dir}, BlueprintsDir: dir}},
		{name: "stdin", args: "-", want: ValidateOptions{Files: []string{"-"}}},
		{name: "none", args: "", wantErr: "no blueprint files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *ValidateOptions
			cmd := NewCmdValidate(testFactory(t), func(_ context.Context, o *ValidateOptions) error { got = o; return nil })
			err := execute(cmd, tt.args)
			if tt.wantErr != "" {
				wantUsage(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.IO = nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestNewCmdExport(t *testing.T) {
	allModels := 0
	for _, m := range blueprint.AllowedModels() {
		if m != metaModel {
			allModels++
		}
	}
	tests := []struct {
		name       string
		args       string
		flow       string
		models     []string
		nModels    int
		secrets    bool
		full       bool
		outFile    string
		exportName string
		wantErr    string
	}{
		{name: "flow", args: "flow my-flow --include-secrets -o out.yaml", flow: "my-flow", secrets: true, outFile: "out.yaml"},
		{name: "flow with name", args: "flow my-flow --name Mine --full", flow: "my-flow", exportName: "Mine", full: true},
		{name: "all", args: "--all", nModels: allModels},
		{name: "models by blueprint and resource name", args: "--model authentik_core.group,flows --model groups", models: []string{"authentik_core.group", "authentik_flows.flow"}},
		{name: "all restricted", args: "--all --model users -o -", models: []string{"authentik_core.user"}, outFile: "-"},
		{name: "nothing", args: "", wantErr: "nothing to export"},
		{name: "unknown model", args: "--model flowz", wantErr: `unknown resource "flowz"`},
		{name: "not a blueprint model", args: "--model sessions", wantErr: "cannot be written to a blueprint"},
		{name: "meta model", args: "--model authentik_blueprints.metaapplyblueprint", wantErr: "unknown resource"},
		{name: "flow without slug", args: "flow", wantErr: "want a flow slug"},
		{name: "stray argument", args: "my-flow", wantErr: "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *ExportOptions
			cmd := NewCmdExport(testFactory(t), func(_ context.Context, o *ExportOptions) error { got = o; return nil })
			err := execute(cmd, tt.args)
			if tt.wantErr != "" {
				wantUsage(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Flow != tt.flow || got.Secrets != tt.secrets || got.Full != tt.full || got.OutFile != tt.outFile || got.Name != tt.exportName {
				t.Errorf("got %+v", got)
			}
			switch {
			case tt.models != nil && !reflect.DeepEqual(got.Models, tt.models):
				t.Errorf("models %v, want %v", got.Models, tt.models)
			case tt.nModels > 0 && len(got.Models) != tt.nModels:
				t.Errorf("%d models, want %d", len(got.Models), tt.nModels)
			case tt.flow != "" && got.Models != nil:
				t.Errorf("flow export with models %v", got.Models)
			}
		})
	}
}

func TestNewCmdInstances(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		want    string // the parsed name, or the output format for list
		prune   bool
		wantErr string
	}{
		{name: "list", args: "list -o wide", want: "wide"},
		{name: "list json", args: "list -o json", want: "json"},
		{name: "list bad format", args: "list -o csv", wantErr: `unknown format "csv"`},
		{name: "list argument", args: "list x", wantErr: "takes no arguments"},
		{name: "status", args: "status Default", want: "Default"},
		{name: "status yaml", args: "status Default -o yaml", want: "Default"},
		{name: "status bad format", args: "status Default -o wide", wantErr: `unknown format "wide"`},
		{name: "status without name", args: "status", wantErr: "want a blueprint instance name"},
		{name: "apply-instance", args: "apply-instance Default --prune", want: "Default", prune: true},
		{name: "apply-instance two names", args: "apply-instance a b", wantErr: "want a blueprint instance name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := testFactory(t)
			var got string
			var prune bool
			root := &cobra.Command{Use: "blueprint"}
			root.AddCommand(
				NewCmdList(f, func(_ context.Context, o *ListOptions) error { got = string(o.Output.Format); return nil }),
				NewCmdStatus(f, func(_ context.Context, o *StatusOptions) error { got = o.Name; return nil }),
				NewCmdApplyInstance(f, func(_ context.Context, o *ApplyInstanceOptions) error { got, prune = o.Name, o.Prune; return nil }),
			)
			root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cmdutil.MarkUsage(err) })
			err := execute(root, tt.args)
			if tt.wantErr != "" {
				wantUsage(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || prune != tt.prune {
				t.Errorf("got %q prune %v, want %q %v", got, prune, tt.want, tt.prune)
			}
		})
	}
}

func TestProblemLine(t *testing.T) {
	tests := []struct {
		name string
		err  *blueprint.Error
		want string
	}{
		{"everything", &blueprint.Error{File: "a.yaml", Line: 12, Entry: 3, ID: "flow", Model: "authentik_flows.flow", Field: "attrs.slug", Msg: "bad"},
			"a.yaml:12: entry 3 (flow) authentik_flows.flow attrs.slug: bad"},
		{"no id", &blueprint.Error{File: "a.yaml", Line: 2, Entry: 0, Model: "authentik_core.group", Msg: "bad"}, "a.yaml:2: entry 0 authentik_core.group: bad"},
		{"file level", &blueprint.Error{File: "a.yaml", Line: 1, Entry: -1, Field: "version", Msg: "unsupported"}, "a.yaml:1: version: unsupported"},
		{"no line", &blueprint.Error{File: "-", Entry: -1, Msg: "read"}, "-: read"},
		{"message from the cause", &blueprint.Error{Entry: -1, Model: "authentik_core.group", Err: io.EOF}, "authentik_core.group: EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ProblemLine(tt.err); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
