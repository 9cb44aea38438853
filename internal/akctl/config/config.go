package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"gopkg.in/yaml.v3"
)

// Environment variables akctl reads.
const (
	EnvConfig   = "AKCTL_CONFIG"
	EnvURL      = "AUTHENTIK_URL"
	EnvToken    = "AUTHENTIK_TOKEN"
	EnvInsecure = "AUTHENTIK_INSECURE"
)

// Context is one named server and credential.
type Context struct {
	Name     string `yaml:"name" mapstructure:"name"`
	URL      string `yaml:"url,omitempty" mapstructure:"url"`
	Token    string `yaml:"token,omitempty" mapstructure:"token"`
	CAFile   string `yaml:"ca-file,omitempty" mapstructure:"ca-file"`
	Insecure bool   `yaml:"insecure,omitempty" mapstructure:"insecure"`
}

// File is the configuration file's content and where it lives.
type File struct {
	// Path is where Load read it and Save writes it.
	Path           string    `yaml:"-" mapstructure:"-"`
	CurrentContext string    `yaml:"current-context,omitempty" mapstructure:"current-context"`
	Contexts       []Context `yaml:"contexts,omitempty" mapstructure:"contexts"`
}

// DefaultPath returns where the configuration file is: AKCTL_CONFIG,
// else $XDG_CONFIG_HOME/akctl/config.yaml, else
// ~/.config/akctl/config.yaml.
func DefaultPath(getenv func(string) string) (string, error) {
	if p := getenv(EnvConfig); p != "" {
		return p, nil
	}
	if x := getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "akctl", "config.yaml"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the configuration file: %w (set %s)", err, EnvConfig)
	}
	return filepath.Join(home, ".config", "akctl", "config.yaml"), nil
}

// Load reads the file at path; a missing file is an empty configuration.
func Load(path string) (*File, error) {
	f := &File{Path: path}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	v := viper.New()
	v.SetConfigFile(path)
	v.SetConfigType("yaml")
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("read configuration %s: %w", path, err)
	}
	if err := v.Unmarshal(f); err != nil {
		return nil, fmt.Errorf("read configuration %s: %w", path, err)
	}
	f.Path = path
	seen := map[string]bool{}
	for _, c := range f.Contexts {
		if c.Name == "" {
			return nil, fmt.Errorf("configuration %s: a context has no name", path)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("configuration %s: context %q is defined twice", path, c.Name)
		}
		seen[c.Name] = true
	}
	return f, nil
}

// Save writes the file (mode 0600: it holds tokens), creating its
// directory when needed. It writes a temporary file and renames it, so a
// failed write never leaves half a configuration.
func (f *File) Save() error {
	data, err := yaml.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode configuration: %w", err)
	}
	dir := filepath.Dir(f.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".config-*.yaml")
	if err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write configuration %s: %w", f.Path, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write configuration %s: %w", f.Path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write configuration %s: %w", f.Path, err)
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return fmt.Errorf("write configuration %s: %w", f.Path, err)
	}
	return nil
}

// Context returns the context with the given name.
func (f *File) Context(name string) (*Context, bool) {
	for i := range f.Contexts {
		if f.Contexts[i].Name == name {
			return &f.Contexts[i], true
		}
	}
	return nil, false
}

// Names lists the contexts' names in file order.
func (f *File) Names() []string {
	out := make([]string, len(f.Contexts))
	for i, c := range f.Contexts {
		out[i] = c.Name
	}
	return out
}

// SetContext adds the context or replaces the one with its name.
func (f *File) SetContext(c Context) {
	if old, ok := f.Context(c.Name); ok {
		*old = c
		return
	}
	f.Contexts = append(f.Contexts, c)
}

// DeleteContext removes a context; deleting the current one leaves no
// current context.
func (f *File) DeleteContext(name string) bool {
	i := slices.IndexFunc(f.Contexts, func(c Context) bool { return c.Name == name })
	if i < 0 {
		return false
	}
	f.Contexts = slices.Delete(f.Contexts, i, i+1)
	if f.CurrentContext == name {
		f.CurrentContext = ""
	}
	return true
}

// UnknownContextError is returned for a context name the file does not
// define.
type UnknownContextError struct {
	Name  string
	Known []string
	Path  string
}

func (e *UnknownContextError) Error() string {
	if len(e.Known) == 0 {
		return fmt.Sprintf("context %q not found: %s defines no contexts (create one with `akctl config set-context`)", e.Name, e.Path)
	}
	return fmt.Sprintf("context %q not found in %s (known: %s)", e.Name, e.Path, strings.Join(e.Known, ", "))
}

// Source says where a resolved value came from.
type Source string

const (
	SourceFlag    Source = "flag"
	SourceEnv     Source = "env"
	SourceContext Source = "context"
	SourceNone    Source = ""
)

// Connection is the resolved server and credential a command uses.
type Connection struct {
	URL      string
	Token    string
	CAFile   string
	Insecure bool
	// Context is the context used ("" when none is selected).
	Context string
	// URLSource and TokenSource say which setting supplied URL and Token.
	URLSource, TokenSource Source
	// ConfigPath is the configuration file consulted.
	ConfigPath string
}

// Describe names the URL and where it came from, for error messages:
// `http://x (context "prod")`, `http://x (from AUTHENTIK_URL)`.
func (c *Connection) Describe() string {
	switch c.URLSource {
	case SourceFlag:
		return c.URL + " (from --url)"
	case SourceEnv:
		return c.URL + " (from " + EnvURL + ")"
	}
	if c.Context != "" {
		return fmt.Sprintf("%s (context %q)", c.URL, c.Context)
	}
	return c.URL
}

// Global flag names, registered on the root command.
const (
	FlagURL     = "url"
	FlagToken   = "token"
	FlagContext = "context"
)

// Resolve picks the connection: each value from the flags, then the
// environment, then the selected context (--context, else the file's
// current context). flags may be nil; lookupEnv is os.LookupEnv outside
// tests. An empty environment variable counts as unset.
func Resolve(f *File, flags *pflag.FlagSet, lookupEnv func(string) (string, bool)) (*Connection, error) {
	conn := &Connection{ConfigPath: f.Path}
	name := f.CurrentContext
	if fl := flagOf(flags, FlagContext); fl != nil && fl.Changed {
		name = fl.Value.String()
	}
	var ctx Context
	if name != "" {
		c, ok := f.Context(name)
		if !ok {
			return nil, &UnknownContextError{Name: name, Known: f.Names(), Path: f.Path}
		}
		ctx = *c
		conn.Context = name
	}

	// viper applies flag > config > default. The context's values are the
	// defaults and the environment is the "config" layer (read through
	// lookupEnv rather than viper's AutomaticEnv, so tests can give an
	// environment of their own).
	v := viper.New()
	v.SetDefault("url", ctx.URL)
	v.SetDefault("token", ctx.Token)
	v.SetDefault("insecure", ctx.Insecure)
	fromEnv := map[string]any{}
	for key, env := range map[string]string{"url": EnvURL, "token": EnvToken} {
		if val, ok := lookupEnv(env); ok && val != "" {
			fromEnv[key] = val
		}
	}
	if err := v.MergeConfigMap(fromEnv); err != nil {
		return nil, fmt.Errorf("environment: %w", err)
	}
	for _, key := range []string{FlagURL, FlagToken} {
		if fl := flagOf(flags, key); fl != nil && fl.Changed {
			if err := v.BindPFlag(key, fl); err != nil {
				return nil, fmt.Errorf("flag --%s: %w", key, err)
			}
		}
	}
	conn.URL = strings.TrimSpace(v.GetString("url"))
	conn.Token = strings.TrimSpace(v.GetString("token"))
	conn.CAFile = ctx.CAFile
	if raw, ok := lookupEnv(EnvInsecure); ok && raw != "" {
		b, err := parseBool(raw)
		if err != nil {
			return nil, fmt.Errorf("%s=%q: %w", EnvInsecure, raw, err)
		}
		conn.Insecure = b
	} else {
		conn.Insecure = v.GetBool("insecure")
	}
	conn.URLSource = source(flags, FlagURL, lookupEnv, EnvURL, ctx.URL)
	conn.TokenSource = source(flags, FlagToken, lookupEnv, EnvToken, ctx.Token)
	return conn, nil
}

func flagOf(flags *pflag.FlagSet, name string) *pflag.Flag {
	if flags == nil {
		return nil
	}
	return flags.Lookup(name)
}

// source mirrors the precedence Resolve applies.
func source(flags *pflag.FlagSet, flag string, lookupEnv func(string) (string, bool), env, fromContext string) Source {
	if fl := flagOf(flags, flag); fl != nil && fl.Changed {
		return SourceFlag
	}
	if v, ok := lookupEnv(env); ok && v != "" {
		return SourceEnv
	}
	if fromContext != "" {
		return SourceContext
	}
	return SourceNone
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "t", "true", "yes", "y", "on":
		return true, nil
	case "0", "f", "false", "no", "n", "off":
		return false, nil
	}
	return false, errors.New("want true or false")
}

// MaskToken shows enough of a token to tell two apart and no more:
// the last four characters of a long token, nothing of a short one.
func MaskToken(token string) string {
	switch {
	case token == "":
		return ""
	case len(token) <= 12:
		return "****"
	}
	return "****" + token[len(token)-4:]
}
