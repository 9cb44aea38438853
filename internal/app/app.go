package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/api/admin"
	"github.com/akgo/akgo/internal/api/blueprintsapi"
	"github.com/akgo/akgo/internal/api/certs"
	"github.com/akgo/akgo/internal/api/coreapi"
	"github.com/akgo/akgo/internal/api/eventsapi"
	"github.com/akgo/akgo/internal/api/flowsapi"
	"github.com/akgo/akgo/internal/api/kinds"
	"github.com/akgo/akgo/internal/api/outpostsapi"
	"github.com/akgo/akgo/internal/api/policyapi"
	"github.com/akgo/akgo/internal/api/providers"
	"github.com/akgo/akgo/internal/api/rbacapi"
	"github.com/akgo/akgo/internal/api/stagesapi"
	"github.com/akgo/akgo/internal/apispec"
	"github.com/akgo/akgo/internal/blueprint/instances"
	"github.com/akgo/akgo/internal/config"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/events"
	"github.com/akgo/akgo/internal/modelhooks"
	"github.com/akgo/akgo/internal/notify"
	"github.com/akgo/akgo/internal/policies"
	"github.com/akgo/akgo/internal/rbac"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/server"
	"github.com/akgo/akgo/internal/store"
	"github.com/akgo/akgo/internal/store/postgres"
	"github.com/akgo/akgo/internal/store/sqldb"
	"github.com/akgo/akgo/internal/store/sqlite"
	"github.com/akgo/akgo/internal/tasks"
	"github.com/akgo/akgo/internal/tasks/cleanup"
)

// Exit codes of akserver.
const (
	ExitOK     = 0
	ExitError  = 1
	ExitUsage  = 2
	ExitConfig = 3
)

// Main runs akserver with args and the process environment until SIGTERM or
// SIGINT, and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	cfg, err := config.Load(args, os.LookupEnv)
	if errors.Is(err, config.ErrHelp) {
		fmt.Fprint(stdout, config.Usage())
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "akserver: %v\nRun 'akserver --help' for the accepted flags and environment variables.\n", err)
		return ExitUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.SlogLevel()}))
	log.Debug("memory limit", "bytes", SetMemoryLimit(cfg.MemoryLimit, os.LookupEnv))
	log.Debug("gc percent", "percent", SetGCPercent(cfg.GCPercent, os.LookupEnv))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	a, err := Open(ctx, cfg, log)
	if err != nil {
		log.Error("start-up failed", "err", err)
		return ExitConfig
	}
	defer a.Close()
	if err := a.Serve(ctx, nil); err != nil {
		log.Error("server stopped with an error", "err", err)
		return ExitError
	}
	log.Info("server stopped")
	return ExitOK
}

// App is a running akserver.
type App struct {
	Config   config.Config
	Store    store.Store
	Registry *registry.Registry
	Engine   *engine.Engine
	API      *api.Server
	Log      *slog.Logger
	// Tasks runs the system tasks while the server serves.
	Tasks *tasks.Scheduler
	// Blueprints applies blueprint instances and discovers blueprint files.
	Blueprints *instances.Manager

	background     sync.WaitGroup
	stopBackground context.CancelFunc
	watchMu        sync.Mutex
	watcher        *instances.Watcher
	// blueprintStamp is dirStamp of the blueprint directory when start-up
	// discovery began.
	blueprintStamp string
	// pwHash is the bootstrap password's hash when it was started early
	// (see startPasswordHash); nil makes Bootstrap hash it itself.
	pwHash *passwordHash
}

// Open prepares everything short of listening: the store with its
// migrations, the secret key and the bootstrap objects.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	start := time.Now()
	phase := phaseTimer(log, start)
	restoreGC := relaxGC(os.Getenv)
	ready := false
	defer func() {
		if !ready {
			restoreGC()
		}
	}()
	// Parsing the API schema is the largest piece of CPU work before the
	// engine exists and needs no database: it runs on the other core
	// while the store opens and migrates.
	specDone := make(chan struct{})
	var spec *apispec.Spec
	var specErr error
	go func() {
		defer close(specDone)
		spec, specErr = apispec.Load()
	}()
	reg := registry.Default()
	st, err := OpenStore(ctx, cfg.Database)
	if err != nil {
		return nil, err
	}
	phase("open store")
	a := &App{Config: cfg, Store: st, Registry: reg, Log: log}
	migrations, err := engine.Migrations(reg)
	if err != nil {
		st.Close()
		return nil, err
	}
	// A new database always gets the bootstrap admin, so its password
	// hash (hundreds of milliseconds of PBKDF2) starts as soon as the
	// database is known to be empty and runs while the tables are made.
	migrateCtx := ctx
	if cfg.BootstrapPassword != "" {
		migrateCtx = sqldb.OnEmptyDatabase(ctx, func() { a.startPasswordHash() })
	}
	if err := st.Migrate(migrateCtx, migrations); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	phase("migrate")
	if a.Config.SecretKey == "" {
		if err = raceAgain(func() (err error) { a.Config.SecretKey, err = a.secretKey(ctx); return err }); err != nil {
			st.Close()
			return nil, err
		}
	}
	phase("secret key")
	if err := raceAgain(func() error { return rbac.Seed(ctx, st, reg) }); err != nil {
		st.Close()
		return nil, fmt.Errorf("seed permissions: %w", err)
	}
	phase("seed permissions")
	<-specDone
	if specErr != nil {
		st.Close()
		return nil, specErr
	}
	phase("load schema (wait)")
	eng := engine.New(st, reg, spec)
	a.Engine = eng
	modelhooks.Register(eng, modelhooks.Settings{SecretKey: a.Config.SecretKey})
	if err := raceAgain(func() error { return a.ensureStartupObjects(ctx) }); err != nil {
		st.Close()
		return nil, fmt.Errorf("start-up objects: %w", err)
	}
	phase("start-up objects")
	if err := raceAgain(func() error { return a.Bootstrap(ctx) }); err != nil {
		st.Close()
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	phase("bootstrap")
	auth := &api.Authenticator{Store: st, Registry: reg, Now: time.Now, TTL: 5 * time.Second}
	rec := &events.Recorder{Engine: eng}
	rec.Install()
	// The shared policy engine records policy_exception and
	// policy_execution events and logs through the server's logger.
	pe := policies.For(eng)
	pe.Events, pe.Log = rec, log
	if cfg.HIBPURL != "" {
		pe.HIBPURL = cfg.HIBPURL
	}
	applyEmail(cfg.Email)
	a.API = api.NewServer(eng, auth, log)
	a.API.Config, a.API.Events = a.Config, rec
	sched, err := tasks.New(tasks.Config{Store: st, Registry: reg, Events: rec, Log: log})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("task scheduler: %w", err)
	}
	if err := sched.Register(cleanup.New(eng, rec).Task()); err != nil {
		st.Close()
		return nil, fmt.Errorf("register tasks: %w", err)
	}
	a.Blueprints, err = instances.New(instances.Config{Engine: eng, Files: blueprintFiles(cfg.BlueprintsDir), Tasks: sched,
		Events: rec, Env: blueprintEnv(cfg), Log: log})
	if err != nil {
		st.Close()
		return nil, err
	}
	registerActions(a.API, a.Blueprints)
	admin.SetScheduler(a.API, sched)
	a.Tasks = sched
	phase("api and tasks")
	if !cfg.SkipBlueprints {
		if err := a.applyBlueprints(ctx); err != nil {
			st.Close()
			return nil, err
		}
		phase("blueprints")
	}
	a.startBackground(restoreGC)
	ready = true
	log.Info("ready to serve", "database", cfg.Database.Redacted(), "startup", time.Since(start).Round(time.Millisecond))
	return a, nil
}

// phaseTimer returns a function that logs, at debug level, how long the
// start-up step that just ended took, so a slow start can be attributed
// without a profiler.
func phaseTimer(log *slog.Logger, start time.Time) func(name string) {
	last := start
	return func(name string) {
		now := time.Now()
		log.Debug("start-up phase", "phase", name, "took", now.Sub(last).Round(time.Millisecond/10), "total", now.Sub(start).Round(time.Millisecond))
		last = now
	}
}

// OpenStore opens the configured database.
func OpenStore(ctx context.Context, db config.DatabaseURL) (store.Store, error) {
	switch db.Driver {
	case config.DriverSQLite:
		return sqlite.Open(db.DSN)
	case config.DriverPostgres:
		return postgres.Open(ctx, db.DSN)
	}
	return nil, fmt.Errorf("unsupported database driver %q", db.Driver)
}

// Handler is the full HTTP handler (API; the health probes are added by Serve).
//
// Uploaded files (application icons, source icons, flow backgrounds) are
// served under /media/ from the media folder, as authentik does.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/media/", http.StripPrefix("/media/", http.FileServer(noListing{http.Dir(a.Config.MediaDir)})))
	mux.Handle("/", a.API.Handler())
	return mux
}

// noListing hides directory listings of the media folder.
type noListing struct{ fs http.FileSystem }

func (n noListing) Open(name string) (http.File, error) {
	f, err := n.fs.Open(name)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, os.ErrNotExist
	}
	return f, nil
}

// Serve listens until ctx is cancelled, then drains in-flight requests.
func (a *App) Serve(ctx context.Context, onListen func(net.Addr)) error {
	taskCtx, stopTasks := context.WithCancel(ctx)
	if err := a.Tasks.Start(taskCtx); err != nil {
		stopTasks()
		return fmt.Errorf("start system tasks: %w", err)
	}
	// Let running tasks finish before the store closes.
	defer func() { stopTasks(); <-a.Tasks.Done() }()
	if !a.Config.SkipBlueprints {
		a.watchBlueprints(taskCtx)
		defer a.stopWatching()
	}
	idle := newIdleMemory()
	idleTicker := time.NewTicker(idleReleaseEvery)
	defer idleTicker.Stop()
	go idle.Run(taskCtx, idleTicker.C)
	return server.Run(ctx, server.Options{
		Addr:    a.Config.Listen,
		Handler: idle.Wrap(server.LogRequests(a.Log, a.Handler())),
		Ready:   a.Store.Ping,
		Logger:  a.Log,
		OnListen: func(addr net.Addr) {
			a.Log.Info("listening", "addr", addr.String())
			if onListen != nil {
				onListen(addr)
			}
		},
	})
}

// Close waits for start-up work, stops background notification delivery,
// then releases the store.
func (a *App) Close() error {
	a.stopWatching()
	if a.stopBackground != nil {
		a.stopBackground()
	}
	a.background.Wait()
	if a.API != nil {
		eventsapi.Shutdown(a.API)
	}
	return a.Store.Close()
}

// WaitStartup waits for the start-up work that runs after Open returns.
func (a *App) WaitStartup() { a.background.Wait() }

// startBackground runs start-up work that need not delay readiness:
// restoring the collector's target and returning start-up garbage to the
// OS, the self-signed certificate, whose RSA key takes about a second to
// generate, and keeping row counts (store.Store.KeepCounts), which would
// slow the default blueprints' inserts on a new database.
func (a *App) startBackground(restoreGC func()) {
	ctx, cancel := context.WithCancel(context.Background())
	a.stopBackground = cancel
	a.background.Add(3)
	go func() {
		defer a.background.Done()
		start := time.Now()
		var tables []string // AKGO_COUNT_ROWS: none
		if !a.Config.CountRows {
			tables = a.Engine.CountedTables()
		}
		if err := a.Store.KeepCounts(ctx, tables); err != nil {
			if ctx.Err() == nil {
				// Counts stay exact without: lists count rows.
				a.Log.Warn("row counts not kept; lists count rows", "err", err)
			}
			return
		}
		a.Log.Debug("row counts", "database", a.Store.Dialect(), "kept_for_tables", len(tables), "took", time.Since(start).Round(time.Millisecond))
	}()
	go func() {
		defer a.background.Done()
		// Start-up parses the schema and builds the migration plan; hand
		// the garbage back to the OS so an idle server stays small. The
		// forced collection and scavenge take 50-400 ms, which need not
		// delay readiness.
		restoreGC()
		debug.FreeOSMemory()
	}()
	go func() {
		defer a.background.Done()
		if err := certs.EnsureSelfSigned(ctx, a.Engine); err != nil && ctx.Err() == nil {
			a.Log.Error("start-up certificate", "err", err)
		}
	}()
}

// secretKey loads the stored secret key or generates and stores one.
func (a *App) secretKey(ctx context.Context) (string, error) {
	var key string
	err := a.Store.Update(ctx, func(tx store.Tx) error {
		rows, err := tx.Select(ctx, store.Query{Table: "akgo_settings", Where: store.Eq("key", "secret_key")})
		if err != nil {
			return err
		}
		if len(rows) > 0 {
			key, _ = rows[0]["value"].(string)
			return nil
		}
		key = engine.RandomString(50, engine.Alphanumeric)
		_, err = tx.Insert(ctx, "akgo_settings", store.Row{"key": "secret_key", "value": key})
		return err
	})
	return key, err
}

// NewAPIServerForInspection builds the API server with every handler
// registered but no database, for tools that only ask which operations are
// served (the coverage report).
func NewAPIServerForInspection() (*api.Server, error) {
	spec, err := apispec.Load()
	if err != nil {
		return nil, err
	}
	eng := engine.New(nil, registry.Default(), spec)
	modelhooks.Register(eng, modelhooks.Settings{})
	srv := api.NewServer(eng, nil, nil)
	srv.Events = &events.Recorder{Engine: eng}
	mgr, err := instances.New(instances.Config{Engine: eng, Files: blueprintFiles("")})
	if err != nil {
		return nil, err
	}
	registerActions(srv, mgr)
	return srv, nil
}

// registerActions installs every custom action handler.
func registerActions(s *api.Server, bp *instances.Manager) {
	blueprintsapi.Register(s, bp)
	kinds.Register(s)
	certs.Register(s)
	admin.Register(s)
	providers.Register(s)
	policyapi.Register(s)
	eventsapi.Register(s)
	rbacapi.Register(s)
	coreapi.Register(s)
	flowsapi.Register(s)
	outpostsapi.Register(s)
	stagesapi.Register(s)
}

// applyEmail makes the global email settings the ones notifications and
// email stages with "use global settings" send through. It runs before the
// notification dispatcher is built, which copies them.
func applyEmail(e config.Email) {
	if e.Host == "" {
		return // not configured (e.g. a hand-built Config): keep the defaults
	}
	notify.Defaults.Email = notify.EmailSettings{Host: e.Host, Port: e.Port, Username: e.Username, Password: e.Password,
		UseTLS: e.UseTLS, UseSSL: e.UseSSL, Timeout: e.Timeout, From: e.From}
	if e.TemplateDir != "" {
		stagesapi.EmailTemplateDir = e.TemplateDir
	}
}
