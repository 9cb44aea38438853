package config

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

var defaultEmail = Email{Host: "localhost", Port: 25, Timeout: 10 * time.Second, From: "authentik@localhost", TemplateDir: "/templates"}

func TestLoad(t *testing.T) {
	defaults := Config{
		Listen:         "127.0.0.1:9000",
		Database:       DatabaseURL{Driver: DriverSQLite, DSN: "./data/akserver.db"},
		LogLevel:       "info",
		BootstrapEmail: "root@localhost",
		BlueprintsDir:  "./blueprints",
		MediaDir:       "./data/media",
		Email:          defaultEmail,
		HIBPURL:        "https://api.pwnedpasswords.com/range/",
		MemoryLimit:    400 << 20,
		GCPercent:      400,
	}
	with := func(f func(*Config)) Config {
		c := defaults
		f(&c)
		return c
	}

	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    Config
		wantErr string // substring; empty means success
	}{
		{
			name: "defaults",
			want: defaults,
		},
		{
			name: "env",
			env: map[string]string{
				"AUTHENTIK_LISTEN__HTTP":               "0.0.0.0:9100",
				"AUTHENTIK_DATABASE":                   "postgres://u:p@db:5432/ak?sslmode=disable",
				"AUTHENTIK_LOG_LEVEL":                  "debug",
				"AUTHENTIK_SECRET_KEY":                 "s3cret",
				"AUTHENTIK_BOOTSTRAP_PASSWORD":         "pw",
				"AUTHENTIK_BOOTSTRAP_TOKEN":            "tok",
				"AUTHENTIK_BOOTSTRAP_EMAIL":            "admin@example.com",
				"AUTHENTIK_BLUEPRINTS_DIR":             "/bp",
				"AUTHENTIK_STORAGE__MEDIA__FILE__PATH": "/media",
				"AUTHENTIK_EMAIL__HOST":                "smtp.example.com",
				"AUTHENTIK_EMAIL__PORT":                "587",
				"AUTHENTIK_EMAIL__USE_TLS":             "true",
				"AUTHENTIK_EMAIL__TIMEOUT":             "30",
				"AKGO_MEMORY_LIMIT":                    "1GiB",
			},
			want: Config{
				Listen:            "0.0.0.0:9100",
				Database:          DatabaseURL{Driver: DriverPostgres, DSN: "postgres://u:p@db:5432/ak?sslmode=disable"},
				LogLevel:          "debug",
				SecretKey:         "s3cret",
				BootstrapPassword: "pw",
				BootstrapToken:    "tok",
				BootstrapEmail:    "admin@example.com",
				BlueprintsDir:     "/bp",
				MediaDir:          "/media",
				Email: Email{Host: "smtp.example.com", Port: 587, UseTLS: true, Timeout: 30 * time.Second,
					From: "authentik@localhost", TemplateDir: "/templates"},
				HIBPURL:     "https://api.pwnedpasswords.com/range/",
				MemoryLimit: 1 << 30,
				GCPercent:   400,
			},
		},
		{
			name: "empty env counts as unset",
			env:  map[string]string{"AUTHENTIK_LOG_LEVEL": "", "AUTHENTIK_LISTEN__HTTP": ""},
			want: defaults,
		},
		{
			name: "flags",
			args: []string{"--listen", ":0", "--database=sqlite:/tmp/x.db", "--log-level", "error",
				"--blueprints-dir", "bp", "--media-dir", "m"},
			want: with(func(c *Config) {
				c.Listen = ":0"
				c.Database = DatabaseURL{Driver: DriverSQLite, DSN: "/tmp/x.db"}
				c.LogLevel = "error"
				c.BlueprintsDir = "bp"
				c.MediaDir = "m"
			}),
		},
		{
			name: "flag beats env",
			args: []string{"--listen", "127.0.0.1:1", "--log-level", "warning"},
			env: map[string]string{
				"AUTHENTIK_LISTEN__HTTP": "127.0.0.1:2",
				"AUTHENTIK_LOG_LEVEL":    "debug",
				"AUTHENTIK_DATABASE":     "sqlite:env.db", // no flag: env still applies
			},
			want: with(func(c *Config) {
				c.Listen = "127.0.0.1:1"
				c.LogLevel = "warning"
				c.Database = DatabaseURL{Driver: DriverSQLite, DSN: "env.db"}
			}),
		},
		{
			name: "postgresql scheme",
			args: []string{"--database", "postgresql://localhost/ak"},
			want: with(func(c *Config) {
				c.Database = DatabaseURL{Driver: DriverPostgres, DSN: "postgresql://localhost/ak"}
			}),
		},
		{
			name: "postgres over a unix socket",
			args: []string{"--database", "postgres://u:p@/ak?host=/var/run/postgresql&sslmode=disable"},
			want: with(func(c *Config) {
				c.Database = DatabaseURL{Driver: DriverPostgres, DSN: "postgres://u:p@/ak?host=/var/run/postgresql&sslmode=disable"}
			}),
		},
		{
			name: "log level is case-insensitive",
			env:  map[string]string{"AUTHENTIK_LOG_LEVEL": "DEBUG"},
			want: with(func(c *Config) { c.LogLevel = "debug" }),
		},
		{
			name: "memory limit off",
			env:  map[string]string{"AKGO_MEMORY_LIMIT": "off"},
			want: with(func(c *Config) { c.MemoryLimit = 0 }),
		},
		{
			name: "memory limit in bytes",
			env:  map[string]string{"AKGO_MEMORY_LIMIT": "123456789"},
			want: with(func(c *Config) { c.MemoryLimit = 123456789 }),
		},
		{
			name: "gc percent",
			env:  map[string]string{"AKGO_GC_PERCENT": " 150 "},
			want: with(func(c *Config) { c.GCPercent = 150 }),
		},
		{
			name:    "gc percent off is refused",
			env:     map[string]string{"AKGO_GC_PERCENT": "off"},
			wantErr: `gc percent "off"`,
		},
		{
			name:    "gc percent too small",
			env:     map[string]string{"AKGO_GC_PERCENT": "5"},
			wantErr: "from 10 to 10000",
		},
		{
			name: "count rows",
			env:  map[string]string{"AKGO_COUNT_ROWS": "true"},
			want: with(func(c *Config) { c.CountRows = true }),
		},
		{
			name:    "count rows must be a boolean",
			env:     map[string]string{"AKGO_COUNT_ROWS": "sometimes"},
			wantErr: `count rows "sometimes"`,
		},
		{
			name:    "bad memory limit",
			env:     map[string]string{"AKGO_MEMORY_LIMIT": "400MB"},
			wantErr: `memory limit "400MB"`,
		},
		{
			name:    "bad database",
			args:    []string{"--database", "mysql://u:hunter2@h/db"},
			wantErr: "accepted forms: sqlite:PATH",
		},
		{
			name:    "bad database from env",
			env:     map[string]string{"AUTHENTIK_DATABASE": "./plain.db"},
			wantErr: "unsupported",
		},
		{
			name:    "empty sqlite path",
			args:    []string{"--database", "sqlite:"},
			wantErr: "missing sqlite path",
		},
		{
			name:    "postgres without host",
			args:    []string{"--database", "postgres:///ak"},
			wantErr: "missing host",
		},
		{
			name:    "postgres with an empty host parameter",
			args:    []string{"--database", "postgres://u:p@/ak?host="},
			wantErr: "missing host",
		},
		{
			name:    "bad log level",
			args:    []string{"--log-level", "verbose"},
			wantErr: `log level "verbose"`,
		},
		{
			name:    "slog spelling is not accepted",
			env:     map[string]string{"AUTHENTIK_LOG_LEVEL": "warn"},
			wantErr: "must be one of debug, info, warning, error",
		},
		{
			name:    "unknown flag",
			args:    []string{"--nope"},
			wantErr: "unknown flag: --nope",
		},
		{
			name:    "positional argument",
			args:    []string{"serve"},
			wantErr: "unexpected arguments: serve",
		},
		{
			name:    "secret key is not a flag",
			args:    []string{"--secret-key", "x"},
			wantErr: "unknown flag",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Load(tc.args, envMap(tc.env))
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("Load() = %+v, want error containing %q", got, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Load() error = %q, want it to contain %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("error leaks the password: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load() error = %v", err)
			}
			if got != tc.want {
				t.Fatalf("Load() =\n  %+v\nwant\n  %+v", got, tc.want)
			}
		})
	}
}

func TestLoadHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"--listen", ":1", "--help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			_, err := Load(args, nil)
			if !errors.Is(err, ErrHelp) {
				t.Fatalf("Load(%q) error = %v, want ErrHelp", args, err)
			}
			var he *HelpError
			if !errors.As(err, &he) {
				t.Fatalf("error %T is not a *HelpError", err)
			}
			for _, want := range []string{"--listen", "--database", "--log-level", "--blueprints-dir",
				"--media-dir", "AUTHENTIK_LISTEN__HTTP", "AUTHENTIK_SECRET_KEY", "AUTHENTIK_BOOTSTRAP_EMAIL",
				"AUTHENTIK_STORAGE__MEDIA__FILE__PATH"} {
				if !strings.Contains(he.Usage, want) {
					t.Errorf("usage lacks %q:\n%s", want, he.Usage)
				}
			}
			if he.Usage != Usage() {
				t.Errorf("HelpError.Usage and Usage() differ")
			}
		})
	}
}

func TestRedacted(t *testing.T) {
	tests := []struct {
		name string
		in   DatabaseURL
		want string
	}{
		{"sqlite", DatabaseURL{DriverSQLite, "./x.db"}, "sqlite:./x.db"},
		{"userinfo password", DatabaseURL{DriverPostgres, "postgres://u:secret@h/db"}, "postgres://u:xxxxx@h/db"},
		{"query password", DatabaseURL{DriverPostgres, "postgres://h/db?password=secret&user=u"}, "postgres://h/db?password=xxxxx&user=u"},
		{"no password", DatabaseURL{DriverPostgres, "postgres://u@h/db"}, "postgres://u@h/db"},
		{"unix socket", DatabaseURL{DriverPostgres, "postgres://u:secret@/db?host=/run/pg"}, "postgres://u:xxxxx@/db?host=/run/pg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.in.Redacted(); got != tc.want {
				t.Fatalf("Redacted() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSlogLevel(t *testing.T) {
	tests := []struct {
		level string
		want  slog.Level
	}{
		{"debug", slog.LevelDebug},
		{"info", slog.LevelInfo},
		{"warning", slog.LevelWarn},
		{"error", slog.LevelError},
		{"", slog.LevelInfo},
	}
	for _, tc := range tests {
		t.Run(tc.level, func(t *testing.T) {
			if got := (Config{LogLevel: tc.level}).SlogLevel(); got != tc.want {
				t.Fatalf("SlogLevel() = %v, want %v", got, tc.want)
			}
		})
	}
}
