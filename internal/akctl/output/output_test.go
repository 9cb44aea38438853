package output

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/iostreams"
)

var flowView = View{
	Columns: []Column{{Header: "SLUG", Path: "slug"}, {Header: "NAME", Path: "name"}, {Header: "TITLE", Path: "title", Wide: true}},
	Name:    func(m map[string]any) string { return "flow/" + Scalar(m["slug"]) },
	Empty:   "No flows found.",
}

var flows = []string{
	`{"slug":"default-authentication-flow","name":"Welcome to authentik!","title":"t1","n":12345678901234567890}`,
	`{"slug":"b","name":"Tab\there","title":"line1\nline2","n":1.50}`,
}

// options returns validated output options as if parsed from flags.
func options(t *testing.T, args ...string) *Options {
	t.Helper()
	o := &Options{}
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	AddFlags(cmd, o)
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	return o
}

func printList(t *testing.T, tty bool, args ...string) (string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	ios.SetStdoutTTY(tty)
	p := NewPrinter(ios, options(t, args...))
	lw := p.List(flowView)
	for _, f := range flows {
		if err := lw.Add(json.RawMessage(f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String()
}

func TestListOutput(t *testing.T) {
	tests := []struct {
		name string
		tty  bool
		args []string
		want string
	}{
		{"piped table: tab-separated, no header, one line per row", false, nil,
			"default-authentication-flow\tWelcome to authentik!\nb\tTab here\n"},
		{"piped wide", false, []string{"-o", "wide"},
			"default-authentication-flow\tWelcome to authentik!\tt1\nb\tTab here\tline1 line2\n"},
		{"terminal table: header, aligned", true, nil,
			"SLUG                          NAME\ndefault-authentication-flow   Welcome to authentik!\nb                             Tab here\n"},
		{"name", false, []string{"-o", "name"}, "flow/default-authentication-flow\nflow/b\n"},
		{"json keeps order and number literals", false, []string{"-o", "json"},
			"[\n  {\n    \"slug\": \"default-authentication-flow\",\n    \"name\": \"Welcome to authentik!\",\n    \"title\": \"t1\",\n    \"n\": 12345678901234567890\n  },\n  {\n    \"slug\": \"b\",\n    \"name\": \"Tab\\there\",\n    \"title\": \"line1\\nline2\",\n    \"n\": 1.50\n  }\n]\n"},
		{"yaml sequence in order", false, []string{"-o", "yaml"},
			"- slug: default-authentication-flow\n  name: Welcome to authentik!\n  title: t1\n  n: 12345678901234567890\n- slug: b\n  name: \"Tab\\there\"\n  title: |-\n    line1\n    line2\n  n: 1.50\n"},
		{"jq over the array", false, []string{"--jq", ".[].slug"}, "default-authentication-flow\nb\n"},
		{"jq numbers stay exact", false, []string{"--jq", ".[0].n"}, "12345678901234567890\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := printList(t, tt.tty, tt.args...)
			if got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestEmptyList(t *testing.T) {
	for _, tt := range []struct {
		name        string
		tty         bool
		args        []string
		out, errOut string
	}{
		{"terminal says so on stderr", true, nil, "", "No flows found.\n"},
		{"piped prints nothing", false, nil, "", ""},
		{"json is an empty array", false, []string{"-o", "json"}, "[]\n", ""},
		{"yaml is an empty sequence", false, []string{"-o", "yaml"}, "[]\n", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := iostreams.Test()
			ios.SetStdoutTTY(tt.tty)
			lw := NewPrinter(ios, options(t, tt.args...)).List(flowView)
			if err := lw.Close(); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.out || errOut.String() != tt.errOut {
				t.Errorf("out %q err %q", out.String(), errOut.String())
			}
		})
	}
}

func TestObjectOutput(t *testing.T) {
	raw := json.RawMessage(`{"b":1,"a":{"z":true,"y":null}}` + "\n")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", "json"}, "{\n  \"b\": 1,\n  \"a\": {\n    \"z\": true,\n    \"y\": null\n  }\n}\n"},
		{[]string{"-o", "yaml"}, "b: 1\na:\n  z: true\n  y: null\n"},
		{[]string{"--jq", ".a"}, "{\n  \"y\": null,\n  \"z\": true\n}\n"},
	} {
		ios, _, out, _ := iostreams.Test()
		if err := NewPrinter(ios, options(t, tt.args...)).Object(raw, flowView); err != nil {
			t.Fatal(err)
		}
		if out.String() != tt.want {
			t.Errorf("%v: got %q want %q", tt.args, out.String(), tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	bad := &Options{JQ: ".[", allowed: Formats}
	if err := bad.Validate(); err == nil {
		t.Error("invalid jq accepted")
	}
	mixed := &Options{JQ: ".", Format: YAML, allowed: Formats}
	if err := mixed.Validate(); err == nil || !strings.Contains(err.Error(), "-o yaml") {
		t.Errorf("--jq with -o yaml: %v", err)
	}
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	AddFlags(cmd, &Options{}, JSON, YAML)
	cmd.SetArgs([]string{"-o", "table"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "want json, yaml") {
		t.Errorf("-o table where unsupported: %v", err)
	}
}

func TestCell(t *testing.T) {
	obj := map[string]any{
		"user":   map[string]any{"username": "jane"},
		"groups": []any{map[string]any{"name": "a"}, map[string]any{"name": "b"}},
		"tags":   []any{"x", "y"},
		"attrs":  map[string]any{"k": "v"},
		"big":    big.NewInt(5),
		"null":   nil,
	}
	for _, tt := range []struct {
		col  Column
		want string
	}{
		{Column{Path: "user.username"}, "jane"},
		{Column{Path: "groups", Key: "name"}, "a,b"},
		{Column{Path: "groups", Count: true}, "2"},
		{Column{Path: "tags"}, "x,y"},
		{Column{Path: "attrs"}, `{"k":"v"}`},
		{Column{Path: "big"}, "5"},
		{Column{Path: "null"}, ""},
		{Column{Path: "missing.deep"}, ""},
	} {
		if got := tt.col.Cell(obj); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.col.Path, got, tt.want)
		}
	}
}

func TestFromYAML(t *testing.T) {
	v, err := FromYAML([]byte("a: 1\nb: 123456789012345678901234567890\nc: [x, 2.5, null]\nd: '7'\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(v)
	if string(got) != `{"a":1,"b":123456789012345678901234567890,"c":["x",2.5,null],"d":"7"}` {
		t.Errorf("got %s", got)
	}
	if _, err := FromYAML([]byte("a: [")); err == nil {
		t.Error("invalid YAML accepted")
	}
}

func TestTerminalTableTruncatesLongCells(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(true)
	tw := NewTable(ios, "A")
	tw.Row(strings.Repeat("x", 100))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len([]rune(lines[1])) != maxCell || !strings.HasSuffix(lines[1], "…") {
		t.Errorf("cell not cut to %d: %q", maxCell, lines[1])
	}
}

func TestProgressOnlyOnATerminal(t *testing.T) {
	ios, _, _, errOut := iostreams.Test()
	p := NewProgress(ios, true, 100, "x")
	p.Add(50)
	p.Finish()
	if errOut.Len() != 0 {
		t.Errorf("progress written to a non-terminal stderr: %q", errOut.String())
	}
	ios.SetStderrTTY(true)
	if _, ok := NewProgress(ios, false, 100, "x").(noProgress); !ok {
		t.Error("progress shown although not asked for")
	}
	p = NewProgress(ios, true, 100, "Fetching")
	p.Add(100)
	if !strings.Contains(errOut.String(), "Fetching") {
		t.Errorf("no bar on a terminal stderr: %q", errOut.String())
	}
	p.Finish()
}
