package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaultPath(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home directory")
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"AKCTL_CONFIG wins", map[string]string{EnvConfig: "/x/c.yaml", "XDG_CONFIG_HOME": "/xdg"}, "/x/c.yaml"},
		{"XDG_CONFIG_HOME", map[string]string{"XDG_CONFIG_HOME": "/xdg"}, "/xdg/akctl/config.yaml"},
		{"home", map[string]string{}, filepath.Join(home, ".config", "akctl", "config.yaml")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DefaultPath(getenv(tt.env))
			if err != nil || got != tt.want {
				t.Fatalf("DefaultPath = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "config.yaml")
	f := &File{Path: path}
	f.SetContext(Context{Name: "Prod", URL: "https://a.example", Token: "secret-token-1234", CAFile: "/ca.pem"})
	f.SetContext(Context{Name: "local", URL: "http://127.0.0.1:9000", Insecure: true})
	f.CurrentContext = "Prod"
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600: the file holds tokens", st.Mode().Perm())
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.CurrentContext != "Prod" || len(got.Contexts) != 2 {
		t.Fatalf("loaded %+v", got)
	}
	// Context names keep their case (viper folds map keys; contexts are a list).
	c, ok := got.Context("Prod")
	if !ok || c.Token != "secret-token-1234" || c.CAFile != "/ca.pem" {
		t.Fatalf("context Prod = %+v, %v", c, ok)
	}
	if l, _ := got.Context("local"); !l.Insecure {
		t.Errorf("local lost insecure: %+v", l)
	}
}

func TestLoadMissingAndInvalid(t *testing.T) {
	dir := t.TempDir()
	f, err := Load(filepath.Join(dir, "none.yaml"))
	if err != nil || len(f.Contexts) != 0 {
		t.Fatalf("missing file: %+v, %v", f, err)
	}
	dup := filepath.Join(dir, "dup.yaml")
	os.WriteFile(dup, []byte("contexts:\n- name: a\n  url: x\n- name: a\n  url: y\n"), 0o600)
	if _, err := Load(dup); err == nil || !strings.Contains(err.Error(), "defined twice") {
		t.Errorf("duplicate contexts: %v", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("contexts: [\n"), 0o600)
	if _, err := Load(bad); err == nil {
		t.Error("invalid YAML loaded")
	}
}

func TestResolvePrecedence(t *testing.T) {
	file := &File{Path: "/cfg.yaml", CurrentContext: "a", Contexts: []Context{
		{Name: "a", URL: "http://a", Token: "token-a"},
		{Name: "b", URL: "http://b", Token: "token-b", Insecure: true, CAFile: "/ca"},
	}}
	tests := []struct {
		name      string
		flags     []string
		env       map[string]string
		wantURL   string
		wantToken string
		wantCtx   string
		urlSrc    Source
		tokenSrc  Source
		insecure  bool
	}{
		{"current context", nil, nil, "http://a", "token-a", "a", SourceContext, SourceContext, false},
		{"--context", []string{"--context", "b"}, nil, "http://b", "token-b", "b", SourceContext, SourceContext, true},
		{"env beats context", nil, map[string]string{EnvURL: "http://env", EnvToken: "token-env"}, "http://env", "token-env", "a", SourceEnv, SourceEnv, false},
		{"flag beats env", []string{"--url", "http://flag"}, map[string]string{EnvURL: "http://env"}, "http://flag", "token-a", "a", SourceFlag, SourceContext, false},
		{"flag token", []string{"--token", "token-flag"}, map[string]string{EnvToken: "token-env"}, "http://a", "token-flag", "a", SourceContext, SourceFlag, false},
		{"empty env is unset", nil, map[string]string{EnvURL: ""}, "http://a", "token-a", "a", SourceContext, SourceContext, false},
		{"insecure from env", nil, map[string]string{EnvInsecure: "true"}, "http://a", "token-a", "a", SourceContext, SourceContext, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			fs.String(FlagURL, "", "")
			fs.String(FlagToken, "", "")
			fs.String(FlagContext, "", "")
			if err := fs.Parse(tt.flags); err != nil {
				t.Fatal(err)
			}
			c, err := Resolve(file, fs, env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if c.URL != tt.wantURL || c.Token != tt.wantToken || c.Context != tt.wantCtx ||
				c.URLSource != tt.urlSrc || c.TokenSource != tt.tokenSrc || c.Insecure != tt.insecure {
				t.Errorf("got %+v", c)
			}
		})
	}
}

func TestResolveUnknownContext(t *testing.T) {
	file := &File{Path: "/cfg.yaml", Contexts: []Context{{Name: "a", URL: "http://a"}}}
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.String(FlagContext, "", "")
	fs.Parse([]string{"--context", "nope"})
	_, err := Resolve(file, fs, env(nil))
	var uc *UnknownContextError
	if !errors.As(err, &uc) || !strings.Contains(err.Error(), "known: a") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Resolve(file, nil, env(map[string]string{EnvInsecure: "maybe"})); err == nil {
		t.Error("AUTHENTIK_INSECURE=maybe accepted")
	}
}

func TestMaskToken(t *testing.T) {
	for in, want := range map[string]string{"": "", "short": "****", "a-long-secret-token-9876": "****9876"} {
		if got := MaskToken(in); got != want {
			t.Errorf("MaskToken(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDeleteContext(t *testing.T) {
	f := &File{CurrentContext: "a", Contexts: []Context{{Name: "a"}, {Name: "b"}}}
	if !f.DeleteContext("a") || f.CurrentContext != "" || len(f.Contexts) != 1 {
		t.Fatalf("after delete: %+v", f)
	}
	if f.DeleteContext("zzz") {
		t.Error("deleted a missing context")
	}
}
