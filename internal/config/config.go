package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Config is the validated configuration of one server process.
type Config struct {
	Listen   string
	Database DatabaseURL
	LogLevel string // one of debug, info, warning, error

	// SecretKey signs tokens and sessions. Empty means the caller must
	// generate one and persist it, so restarts do not invalidate sessions.
	SecretKey string

	BootstrapPassword string
	BootstrapToken    string
	BootstrapEmail    string

	// BlueprintsDir is AUTHENTIK_BLUEPRINTS_DIR: blueprint files layered
	// over the ones built into akserver (the directory wins for the same
	// relative path).
	BlueprintsDir string
	// SkipBlueprints turns off blueprint discovery (at start, hourly and on
	// file changes) for servers embedded in tests; the API still applies
	// instances on request. It is not a setting: akserver always
	// discovers, as authentik does.
	SkipBlueprints bool
	MediaDir       string

	// Email is authentik's global email configuration (AUTHENTIK_EMAIL__*).
	Email Email
	// HIBPURL is the Have I Been Pwned range endpoint password policies ask.
	HIBPURL string
	// MemoryLimit is AKGO_MEMORY_LIMIT in bytes, the Go runtime's soft
	// memory limit when GOMEMLIMIT is not set (0: none).
	MemoryLimit int64
	// GCPercent is AKGO_GC_PERCENT, the garbage collector's target (as
	// GOGC) when GOGC is not set.
	GCPercent int
	// CountRows is AKGO_COUNT_ROWS: list pages count the rows of a whole
	// table, and PostgreSQL keeps no row counts (store.Store.KeepCounts),
	// which spares every insert and delete a trigger.
	CountRows bool
}

// Email holds the global SMTP settings.
type Email struct {
	Host, Username, Password, From, TemplateDir string
	Port                                        int
	UseTLS, UseSSL                              bool
	Timeout                                     time.Duration
}

// DatabaseURL is a parsed database setting: which driver to open and the
// driver-specific data source name.
type DatabaseURL struct {
	Driver string // "sqlite" or "postgres"
	DSN    string // file path for sqlite, the full URL for postgres
}

// Driver names used in DatabaseURL.Driver.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// ErrHelp is reported (wrapped in a *HelpError) when the arguments ask for
// help. It is not a failure: the caller prints the usage and exits 0.
var ErrHelp = errors.New("help requested")

// HelpError carries the usage text alongside ErrHelp so the caller does not
// need to rebuild the flag set to print it.
type HelpError struct {
	Usage string
}

func (e *HelpError) Error() string { return ErrHelp.Error() }

// Is makes errors.Is(err, ErrHelp) true for a *HelpError.
func (e *HelpError) Is(target error) bool { return target == ErrHelp }

// setting describes one configuration key. Keeping them in a table makes the
// usage text, the viper bindings and the documentation agree by construction.
type setting struct {
	key   string // viper key; no dots, viper would treat them as nesting
	flag  string // empty: environment only (secrets do not belong in argv)
	env   string
	def   string
	usage string
}

var settings = []setting{
	{"listen", "listen", "AUTHENTIK_LISTEN__HTTP", "127.0.0.1:9000", "HTTP listen address (host:port; port 0 picks a free port)"},
	{"database", "database", "AUTHENTIK_DATABASE", "sqlite:./data/akserver.db", "database: sqlite:PATH or postgres://... / postgresql://..."},
	{"log_level", "log-level", "AUTHENTIK_LOG_LEVEL", "info", "log level: debug, info, warning or error"},
	{"secret_key", "", "AUTHENTIK_SECRET_KEY", "", "secret key; empty generates and stores one"},
	{"bootstrap_password", "", "AUTHENTIK_BOOTSTRAP_PASSWORD", "", "initial password of the akadmin user"},
	{"bootstrap_token", "", "AUTHENTIK_BOOTSTRAP_TOKEN", "", "initial API token of the akadmin user"},
	{"bootstrap_email", "", "AUTHENTIK_BOOTSTRAP_EMAIL", "root@localhost", "initial email of the akadmin user"},
	{"blueprints_dir", "blueprints-dir", "AUTHENTIK_BLUEPRINTS_DIR", "./blueprints", "directory of blueprint files to apply"},
	{"media_dir", "media-dir", "AUTHENTIK_STORAGE__MEDIA__FILE__PATH", "./data/media", "directory for uploaded media"},
	{"email_host", "", "AUTHENTIK_EMAIL__HOST", "localhost", "SMTP host of the global email settings"},
	{"email_port", "", "AUTHENTIK_EMAIL__PORT", "25", "SMTP port"},
	{"email_username", "", "AUTHENTIK_EMAIL__USERNAME", "", "SMTP user name"},
	{"email_password", "", "AUTHENTIK_EMAIL__PASSWORD", "", "SMTP password"},
	{"email_use_tls", "", "AUTHENTIK_EMAIL__USE_TLS", "false", "use STARTTLS"},
	{"email_use_ssl", "", "AUTHENTIK_EMAIL__USE_SSL", "false", "use implicit TLS (SMTPS)"},
	{"email_timeout", "", "AUTHENTIK_EMAIL__TIMEOUT", "10", "SMTP timeout in seconds"},
	{"email_from", "", "AUTHENTIK_EMAIL__FROM", "authentik@localhost", "sender address"},
	{"email_template_dir", "", "AUTHENTIK_EMAIL__TEMPLATE_DIR", "/templates", "folder of custom email templates"},
	{"hibp_url", "", "AKGO_HIBP_URL", "https://api.pwnedpasswords.com/range/", "Have I Been Pwned range API (password policies)"},
	{"memory_limit", "", "AKGO_MEMORY_LIMIT", DefaultMemoryLimit, "soft memory limit of the Go runtime: bytes with an optional KiB, MiB or GiB suffix, or off; GOMEMLIMIT wins"},
	{"gc_percent", "", "AKGO_GC_PERCENT", strconv.Itoa(DefaultGCPercent), "garbage collector target: the heap may grow by this percentage of the live heap between collections (as GOGC, which wins)"},
	{"count_rows", "", "AKGO_COUNT_ROWS", "false", "true: list pages count a table's rows and PostgreSQL keeps no row counts (no triggers on writes)"},
}

// DefaultGCPercent lets the heap grow to five times what is live before a
// collection. At Go's default (100) the collector took about a sixth of
// the CPU under load, for a live heap of a few tens of MB:
// the requests allocate a lot of short-lived memory (rows, objects,
// JSON). The soft memory limit (AKGO_MEMORY_LIMIT) still bounds the heap,
// and an idle server hands the memory back.
const DefaultGCPercent = 400

// DefaultMemoryLimit keeps a bulk write (a blueprint of 25,000 users)
// under 500 MB resident: the collector then runs more often once the
// heap nears it, rather than letting garbage double the live heap. An
// idle server uses a tenth of it.
const DefaultMemoryLimit = "400MiB"

// Load builds the configuration from command-line arguments (without the
// program name) and an environment lookup such as os.LookupEnv.
//
// When args ask for help (-h, --help) it returns a *HelpError, which
// satisfies errors.Is(err, ErrHelp).
func Load(args []string, env func(string) (string, bool)) (Config, error) {
	if env == nil {
		env = func(string) (string, bool) { return "", false }
	}
	fs := newFlagSet()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return Config{}, &HelpError{Usage: usage(fs)}
		}
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("config: unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}

	v := viper.New()
	// Viper can only read the real process environment, but Load takes an
	// injected lookup. The environment is therefore fed in as the "config"
	// layer, which viper ranks below changed flags and above defaults:
	// exactly the flag > env > default order wanted.
	fromEnv := map[string]any{}
	for _, s := range settings {
		v.SetDefault(s.key, s.def)
		if s.flag != "" {
			if err := v.BindPFlag(s.key, fs.Lookup(s.flag)); err != nil {
				return Config{}, fmt.Errorf("config: bind --%s: %w", s.flag, err)
			}
		}
		// An empty variable counts as unset, as in viper's own env
		// handling: `AUTHENTIK_LOG_LEVEL=` should not disable the default.
		if val, ok := env(s.env); ok && val != "" {
			fromEnv[s.key] = val
		}
	}
	if err := v.MergeConfigMap(fromEnv); err != nil {
		return Config{}, fmt.Errorf("config: environment: %w", err)
	}

	cfg := Config{
		Listen:            v.GetString("listen"),
		SecretKey:         v.GetString("secret_key"),
		BootstrapPassword: v.GetString("bootstrap_password"),
		BootstrapToken:    v.GetString("bootstrap_token"),
		BootstrapEmail:    v.GetString("bootstrap_email"),
		BlueprintsDir:     v.GetString("blueprints_dir"),
		MediaDir:          v.GetString("media_dir"),
		Email: Email{
			Host: v.GetString("email_host"), Port: v.GetInt("email_port"),
			Username: v.GetString("email_username"), Password: v.GetString("email_password"),
			UseTLS: v.GetBool("email_use_tls"), UseSSL: v.GetBool("email_use_ssl"),
			Timeout: time.Duration(v.GetInt("email_timeout")) * time.Second,
			From:    v.GetString("email_from"), TemplateDir: v.GetString("email_template_dir"),
		},
		HIBPURL: v.GetString("hibp_url"),
	}
	var err error
	if cfg.Database, err = ParseDatabaseURL(v.GetString("database")); err != nil {
		return Config{}, err
	}
	if cfg.LogLevel, err = parseLogLevel(v.GetString("log_level")); err != nil {
		return Config{}, err
	}
	if cfg.MemoryLimit, err = ParseMemoryLimit(v.GetString("memory_limit")); err != nil {
		return Config{}, err
	}
	if cfg.GCPercent, err = parseGCPercent(v.GetString("gc_percent")); err != nil {
		return Config{}, err
	}
	if cfg.CountRows, err = strconv.ParseBool(strings.TrimSpace(v.GetString("count_rows"))); err != nil {
		return Config{}, fmt.Errorf("config: count rows %q (AKGO_COUNT_ROWS): must be true or false", v.GetString("count_rows"))
	}
	if cfg.Listen == "" {
		return Config{}, errors.New("config: listen address (--listen, AUTHENTIK_LISTEN__HTTP) must not be empty")
	}
	return cfg, nil
}

// Usage returns the help text Load reports with ErrHelp.
func Usage() string { return usage(newFlagSet()) }

func newFlagSet() *pflag.FlagSet {
	fs := pflag.NewFlagSet("akserver", pflag.ContinueOnError)
	// Errors are returned, not printed: the caller decides where output goes.
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	for _, s := range settings {
		if s.flag != "" {
			fs.String(s.flag, s.def, s.usage+" (env "+s.env+")")
		}
	}
	return fs
}

func usage(fs *pflag.FlagSet) string {
	var b strings.Builder
	b.WriteString("Usage: akserver [flags]\n\nFlags:\n")
	b.WriteString(fs.FlagUsages())
	b.WriteString("  -h, --help                 show this help\n\nEnvironment only:\n")
	for _, s := range settings {
		if s.flag == "" {
			line := fmt.Sprintf("  %-30s %s", s.env, s.usage)
			if s.def != "" {
				line += fmt.Sprintf(" (default %q)", s.def)
			}
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// ParseMemoryLimit reads a memory limit as GOMEMLIMIT spells it (bytes,
// or a number with a B, KiB, MiB, GiB or TiB suffix); "off" and 0 mean
// none.
func ParseMemoryLimit(raw string) (int64, error) {
	s := strings.TrimSpace(raw)
	if strings.EqualFold(s, "off") {
		return 0, nil
	}
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"B", 1}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = n, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("config: memory limit %q (AKGO_MEMORY_LIMIT): want bytes with an optional KiB, MiB, GiB or TiB suffix, or off", raw)
	}
	return n * mult, nil
}

// parseGCPercent reads AKGO_GC_PERCENT: a whole number from 10 to
// 10,000. Unlike GOGC it has no "off": without collections the heap would
// only be bounded by the memory limit.
func parseGCPercent(raw string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil || n < 10 || n > 10000 {
		return 0, fmt.Errorf("config: gc percent %q (AKGO_GC_PERCENT): want a whole number from 10 to 10000", raw)
	}
	return n, nil
}

// ParseDatabaseURL parses the database setting. Accepted forms are
// sqlite:PATH and postgres:// or postgresql:// URLs.
func ParseDatabaseURL(raw string) (DatabaseURL, error) {
	const forms = "accepted forms: sqlite:PATH, postgres://USER:PASS@HOST:PORT/DB, postgres://USER:PASS@/DB?host=/SOCKET/DIR, postgresql://..."
	switch {
	case strings.HasPrefix(raw, "sqlite:"):
		path := strings.TrimPrefix(raw, "sqlite:")
		if path == "" {
			return DatabaseURL{}, fmt.Errorf("config: database %q: missing sqlite path; %s", raw, forms)
		}
		return DatabaseURL{Driver: DriverSQLite, DSN: path}, nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		u, err := url.Parse(raw)
		if err != nil {
			// url.Error quotes the URL, which may contain a password.
			return DatabaseURL{}, fmt.Errorf("config: database: invalid postgres URL; %s", forms)
		}
		// libpq and pgx also take the host from the query, which is how a
		// URL names the directory of a Unix socket (no host part can hold
		// a path); a PostgreSQL on the same machine answers faster there.
		if u.Host == "" && u.Query().Get("host") == "" {
			return DatabaseURL{}, fmt.Errorf("config: database %s: missing host (a Unix socket is given as ?host=/its/directory); %s", redactURL(u), forms)
		}
		return DatabaseURL{Driver: DriverPostgres, DSN: raw}, nil
	default:
		return DatabaseURL{}, fmt.Errorf("config: database %q: unsupported; %s", redact(raw), forms)
	}
}

// Redacted returns the DSN with any password masked, for logs.
func (d DatabaseURL) Redacted() string {
	if d.Driver == DriverSQLite {
		return "sqlite:" + d.DSN
	}
	return redact(d.DSN)
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparseable>"
	}
	return redactURL(u)
}

func redactURL(u *url.URL) string {
	if _, has := u.User.Password(); has {
		return u.Redacted()
	}
	if pw := u.Query().Get("password"); pw != "" {
		c := *u
		q := c.Query()
		q.Set("password", "xxxxx")
		c.RawQuery = q.Encode()
		return c.String()
	}
	return u.String()
}

// The names are authentik's (Python logging), not slog's, so "warning"
// rather than "warn".
var logLevels = map[string]slog.Level{
	"debug":   slog.LevelDebug,
	"info":    slog.LevelInfo,
	"warning": slog.LevelWarn,
	"error":   slog.LevelError,
}

func parseLogLevel(raw string) (string, error) {
	l := strings.ToLower(strings.TrimSpace(raw))
	if _, ok := logLevels[l]; !ok {
		return "", fmt.Errorf("config: log level %q: must be one of debug, info, warning, error", raw)
	}
	return l, nil
}

// SlogLevel maps LogLevel onto slog. An unvalidated value maps to info.
func (c Config) SlogLevel() slog.Level {
	if l, ok := logLevels[c.LogLevel]; ok {
		return l
	}
	return slog.LevelInfo
}
