package configcmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/config"
	"github.com/akgo/akgo/internal/akctl/iostreams"
)

// run executes `config <args>` against the configuration file at path.
func run(t *testing.T, path string, stdin string, args ...string) (string, string, error) {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	f := cmdutil.New(ios, "test", func(k string) (string, bool) {
		if k == config.EnvConfig {
			return path, true
		}
		return "", false
	})
	cmd := NewCmdConfig(f)
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestContexts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "akctl", "config.yaml")
	if _, _, err := run(t, path, "", "set-context", "local", "--url", "http://127.0.0.1:9000", "--token", "local-token-0001"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, path, "prod-token-9999\n", "set-context", "prod", "--url", "https://auth.example.com", "--token-stdin", "--insecure"); err != nil {
		t.Fatal(err)
	}
	// Changing one value keeps the others.
	if _, _, err := run(t, path, "", "set-context", "prod", "--url", "https://auth2.example.com"); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != "local" {
		t.Errorf("current %q: the first context becomes current", cfg.CurrentContext)
	}
	prod, _ := cfg.Context("prod")
	if prod.URL != "https://auth2.example.com" || prod.Token != "prod-token-9999" || !prod.Insecure {
		t.Errorf("prod = %+v", prod)
	}

	out, _, err := run(t, path, "", "get-contexts")
	if err != nil {
		t.Fatal(err)
	}
	want := "*\tlocal\thttp://127.0.0.1:9000\t****0001\n\tprod\thttps://auth2.example.com\t****9999\n"
	if out != want {
		t.Errorf("get-contexts:\n%q\nwant\n%q", out, want)
	}

	if _, _, err := run(t, path, "", "use-context", "prod"); err != nil {
		t.Fatal(err)
	}
	out, _, _ = run(t, path, "", "current-context")
	if out != "prod\n" {
		t.Errorf("current-context %q", out)
	}

	out, _, err = run(t, path, "", "view")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "prod-token-9999") || !strings.Contains(out, "****9999") || !strings.Contains(out, "url:     https://auth2.example.com (from the context)") {
		t.Errorf("view leaks or lacks:\n%s", out)
	}
	out, _, _ = run(t, path, "", "view", "--raw")
	if !strings.Contains(out, "prod-token-9999") {
		t.Errorf("view --raw masks the token:\n%s", out)
	}

	_, _, err = run(t, path, "", "use-context", "nope")
	if err == nil || !strings.Contains(err.Error(), `context "nope" not found`) || !strings.Contains(err.Error(), "known: local, prod") {
		t.Errorf("use-context nope: %v", err)
	}
	if _, _, err := run(t, path, "", "set-context", "x"); err == nil || !cmdutil.IsUsage(err) {
		t.Errorf("set-context without --url: %v", err)
	}
	if _, _, err := run(t, path, "", "delete-context", "prod"); err != nil {
		t.Fatal(err)
	}
	cfg, _ = config.Load(path)
	if len(cfg.Contexts) != 1 || cfg.CurrentContext != "" {
		t.Errorf("after delete: %+v", cfg)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
}
