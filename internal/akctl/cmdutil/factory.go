package cmdutil

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/akgo/akgo/internal/akctl/config"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/resource"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/pkg/client"
)

// Factory gives commands what they need, built on first use.
type Factory struct {
	IOStreams *iostreams.IOStreams
	// Version is akctl's version, sent as its User-Agent.
	Version string
	// LookupEnv reads the environment (os.LookupEnv outside tests).
	LookupEnv func(string) (string, bool)
	// GlobalFlags are the root command's persistent flags (--url,
	// --token, --context), set by the root command.
	GlobalFlags *pflag.FlagSet
	// HTTPTransport, when set, replaces the default transport (tests).
	HTTPTransport http.RoundTripper
	// Now is the clock (tests replace it).
	Now func() time.Time

	cfgOnce sync.Once
	cfg     *config.File
	cfgErr  error

	connOnce sync.Once
	conn     *config.Connection
	connErr  error

	clientOnce sync.Once
	client     *client.Client
	clientErr  error

	catalogOnce sync.Once
	catalog     *resource.Catalog
}

// New returns a factory over the given streams and environment.
func New(ios *iostreams.IOStreams, version string, lookupEnv func(string) (string, bool)) *Factory {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	return &Factory{IOStreams: ios, Version: version, LookupEnv: lookupEnv, Now: time.Now}
}

func (f *Factory) getenv(name string) string { v, _ := f.LookupEnv(name); return v }

// Config loads the configuration file.
func (f *Factory) Config() (*config.File, error) {
	f.cfgOnce.Do(func() {
		path, err := config.DefaultPath(f.getenv)
		if err != nil {
			f.cfgErr = err
			return
		}
		f.cfg, f.cfgErr = config.Load(path)
	})
	return f.cfg, f.cfgErr
}

// Connection resolves the server and token (flags > env > context).
func (f *Factory) Connection() (*config.Connection, error) {
	f.connOnce.Do(func() {
		cfg, err := f.Config()
		if err != nil {
			f.connErr = err
			return
		}
		f.conn, f.connErr = config.Resolve(cfg, f.GlobalFlags, f.LookupEnv)
	})
	return f.conn, f.connErr
}

// CurrentConnection is the resolved connection if one was resolved (for
// error messages), else nil.
func (f *Factory) CurrentConnection() *config.Connection { return f.conn }

// Client returns the API client of the resolved connection.
func (f *Factory) Client() (*client.Client, error) {
	f.clientOnce.Do(func() { f.client, f.clientErr = f.newClient() })
	return f.client, f.clientErr
}

func (f *Factory) newClient() (*client.Client, error) {
	conn, err := f.Connection()
	if err != nil {
		return nil, err
	}
	if conn.URL == "" {
		return nil, &NotConfiguredError{ConfigPath: conn.ConfigPath}
	}
	base := f.HTTPTransport
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		if conn.CAFile != "" || conn.Insecure {
			tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
			if conn.Insecure {
				// Asked for explicitly (context insecure: true or
				// AUTHENTIK_INSECURE), for test servers with
				// self-signed certificates.
				tlsCfg.InsecureSkipVerify = true //nolint:gosec
			}
			if conn.CAFile != "" {
				pem, err := os.ReadFile(conn.CAFile)
				if err != nil {
					return nil, fmt.Errorf("context %q: CA file: %w", conn.Context, err)
				}
				pool := x509.NewCertPool()
				if !pool.AppendCertsFromPEM(pem) {
					return nil, fmt.Errorf("context %q: CA file %s holds no PEM certificate", conn.Context, conn.CAFile)
				}
				tlsCfg.RootCAs = pool
			}
			t.TLSClientConfig = tlsCfg
		}
		base = t
	}
	hc := &http.Client{Transport: &connTransport{base: base, conn: conn}}
	c, err := client.New(conn.URL, conn.Token,
		client.WithHTTPClient(hc),
		client.WithUserAgent("akctl/"+f.Version+" (authentik API "+client.SchemaVersion+")"),
		client.WithTimeout(2*time.Minute))
	if err != nil {
		return nil, MarkUsage(fmt.Errorf("server URL %s: %w", conn.Describe(), err))
	}
	return c, nil
}

// Resources returns the resource client over the API client.
func (f *Factory) Resources() (*resource.Client, error) {
	c, err := f.Client()
	if err != nil {
		return nil, err
	}
	return &resource.Client{API: c, Catalog: f.Catalog()}, nil
}

// Catalog returns the resources of the model registry.
func (f *Factory) Catalog() *resource.Catalog {
	f.catalogOnce.Do(func() { f.catalog = resource.NewCatalog(registry.Default()) })
	return f.catalog
}

// connTransport marks transport failures as connection errors that know
// which URL and context they were for.
type connTransport struct {
	base http.RoundTripper
	conn *config.Connection
}

func (t *connTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil && req.Context().Err() == nil {
		return nil, &ConnectionError{Conn: t.conn, Err: err}
	}
	return resp, err
}

// Constructor builds one top-level command; the root command is a list
// of them (see akctl.Commands).
type Constructor func(f *Factory) *cobra.Command

// ExactArgs and friends are cobra's argument checks returning usage
// errors.
func ExactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return Usagef("%s: want %s (%d argument(s)), got %d; see `%s --help`", cmd.CommandPath(), what, n, len(args), cmd.CommandPath())
		}
		return nil
	}
}

// RangeArgs checks that between lo and hi arguments were given.
func RangeArgs(lo, hi int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return Usagef("%s: want %s, got %d argument(s); see `%s --help`", cmd.CommandPath(), what, len(args), cmd.CommandPath())
		}
		return nil
	}
}

// MinArgs checks that at least n arguments were given.
func MinArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return Usagef("%s: want %s; see `%s --help`", cmd.CommandPath(), what, cmd.CommandPath())
		}
		return nil
	}
}

// NoArgs rejects arguments.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return Usagef("%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}

// IsUsage reports whether err is a usage error.
func IsUsage(err error) bool {
	var u *UsageError
	return errors.As(err, &u)
}
