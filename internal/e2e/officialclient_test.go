package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	api "goauthentik.io/api/v3"

	"github.com/akgo/akgo/internal/apitest"
)

// bootstrapToken is the API key of akadmin in every server started here.
const bootstrapToken = "akgo-e2e-bootstrap-token"

const (
	readyTimeout    = 20 * time.Second
	shutdownTimeout = 10 * time.Second
	requestTimeout  = 15 * time.Second
)

var build struct {
	once sync.Once
	dir  string
	bin  string
	out  []byte
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		_ = os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// serverBinary builds cmd/akserver once per test binary and returns its path.
func serverBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: builds and runs akserver; skipped with -short")
	}
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "akgo-e2e-")
		if build.err != nil {
			return
		}
		build.bin = filepath.Join(build.dir, "akserver")
		// go test puts the toolchain's bin directory first on PATH.
		cmd := exec.Command("go", "build", "-o", build.bin, "github.com/akgo/akgo/cmd/akserver")
		build.out, build.err = cmd.CombinedOutput()
	})
	if build.err != nil {
		t.Fatalf("go build ./cmd/akserver: %v\n%s", build.err, build.out)
	}
	return build.bin
}

// logBuffer collects the server's output from its two pipes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// server is one running akserver process.
type server struct {
	addr    string
	cmd     *exec.Cmd
	logs    *logBuffer
	exited  chan struct{} // closed when the process has been reaped
	stopped bool
}

// startServer runs the binary on backend and waits until it is ready. The
// process is killed at the end of the test if stop was not called, and its
// output is printed if the test failed.
func startServer(t *testing.T, bin, backend string) *server {
	t.Helper()
	dir := t.TempDir()
	var database string
	switch backend {
	case "sqlite":
		database = "sqlite:" + filepath.Join(dir, "akserver.db")
	case "postgres":
		database = apitest.FreshPostgresSchema(t, os.Getenv(apitest.PostgresEnv))
	default:
		t.Fatalf("unknown backend %q", backend)
	}
	// A port picked by the kernel can be taken again before the server
	// binds it; retry a few times when that happens.
	for attempt := 1; ; attempt++ {
		s := launch(t, bin, dir, database)
		err := s.waitReady()
		if err == nil {
			return s
		}
		if attempt < 3 && strings.Contains(s.logs.String(), "address already in use") {
			continue
		}
		t.Fatalf("akserver (%s) did not become ready: %v\n--- akserver output ---\n%s", backend, err, s.logs.String())
	}
}

func launch(t *testing.T, bin, dir, database string) *server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pick a port: %v", err)
	}
	addr := l.Addr().String()
	_ = l.Close()

	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AUTHENTIK_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"AUTHENTIK_LISTEN__HTTP="+addr,
		"AUTHENTIK_DATABASE="+database,
		"AUTHENTIK_BOOTSTRAP_PASSWORD=akadmin-e2e-password",
		"AUTHENTIK_BOOTSTRAP_TOKEN="+bootstrapToken,
	)
	s := &server{addr: addr, logs: &logBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(bin)
	s.cmd.Env = env
	s.cmd.Dir = dir // relative default paths (data, blueprints) stay in the temp dir
	s.cmd.Stdout = s.logs
	s.cmd.Stderr = s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start akserver: %v", err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		if !s.stopped {
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			t.Logf("--- akserver output (%s) ---\n%s", addr, s.logs.String())
		}
	})
	return s
}

// waitReady polls the readiness probe until it answers 204.
func (s *server) waitReady() error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(readyTimeout)
	last := "no answer"
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("process exited early: %v", s.cmd.ProcessState)
		default:
		}
		resp, err := client.Get("http://" + s.addr + "/-/health/ready/")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusNoContent {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no 204 from /-/health/ready/ within %s (last: %s)", readyTimeout, last)
}

// stop sends SIGTERM and checks the process drains and exits 0 in time.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.stopped = true
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-s.exited:
	case <-time.After(shutdownTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		t.Fatalf("akserver did not exit within %s of SIGTERM", shutdownTimeout)
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("akserver exited with %v after SIGTERM, want exit code 0", s.cmd.ProcessState)
	}
}

// newClient returns an official client for the server, authenticated with
// token unless it is empty.
func newClient(addr, token string) *api.APIClient {
	cfg := api.NewConfiguration()
	cfg.Host = addr
	cfg.Scheme = "http"
	if token != "" {
		cfg.AddDefaultHeader("Authorization", "Bearer "+token)
	}
	cfg.HTTPClient = &http.Client{Timeout: requestTimeout}
	return api.NewAPIClient(cfg)
}

// env is what every case gets: a client on a fresh server.
type env struct {
	c    *api.APIClient
	ctx  context.Context
	addr string
	seq  int
}

// name returns a fresh name for an object ("e2e-flow-7").
func (e *env) name(kind string) string {
	e.seq++
	return fmt.Sprintf("e2e-%s-%d", kind, e.seq)
}

func TestOfficialClient(t *testing.T) {
	bin := serverBinary(t)
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			srv := startServer(t, bin, backend)
			e := &env{c: newClient(srv.addr, bootstrapToken), ctx: context.Background(), addr: srv.addr}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) { tc.run(t, e) })
			}
			e.c.GetConfig().HTTPClient.CloseIdleConnections()
			t.Run("shutdown/sigterm_exits_0", func(t *testing.T) { srv.stop(t) })
		})
	}
}

// cases run in order on one server; each creates what it needs.
var cases = []struct {
	name string
	run  func(t *testing.T, e *env)
}{
	{"core/users/list", testUsersList},
	{"core/users/crud", testUsersCRUD},
	{"core/groups/create_retrieve_list_destroy", testGroups},
	{"core/tokens/create_list", testTokens},
	{"flows/instances/crud", testFlowsCRUD},
	{"flows/instances/list_filters", testFlowsListFilters},
	{"flows/instances/used_by", testFlowsUsedBy},
	{"stages/dummy_password_all", testStages},
	{"flows/bindings/create_list", testFlowBindings},
	{"policies/expression/create_list", testExpressionPolicies},
	{"policies/bindings/create_list", testPolicyBindings},
	{"propertymappings/scope/create_list", testScopeMappings},
	{"providers/oauth2/create_retrieve", testOAuth2Provider},
	{"core/applications/create_retrieve", testApplications},
	{"rbac/roles/create_list", testRoles},
	{"crypto/certificatekeypairs/list", testCertificateKeyPairs},
	{"errors/duplicate_flow_slug_400", testDuplicateSlug},
	{"errors/invalid_enum_400", testInvalidEnum},
	{"errors/no_token_403", testNoToken},
	{"errors/bad_token_403", testBadToken},
	{"errors/missing_flow_404", testMissingFlow},
	{"errors/missing_user_404", testMissingUser},
}

// ---- core ----

func testUsersList(t *testing.T, e *env) {
	page := call(e.c.CoreApi.CoreUsersList(e.ctx).Ordering("username").PageSize(100).Execute()).want(t, 200)
	if page.Pagination.Count < 1 || int(page.Pagination.Count) != len(page.Results) {
		t.Fatalf("pagination.count = %v with %d results", page.Pagination.Count, len(page.Results))
	}
	if page.Pagination.Current != 1 || page.Pagination.TotalPages != 1 {
		t.Errorf("pagination current/total_pages = %v/%v, want 1/1", page.Pagination.Current, page.Pagination.TotalPages)
	}
	admin := findUser(page.Results, "akadmin")
	if admin == nil {
		t.Fatalf("akadmin not in %v", usernames(page.Results))
	}
	if !admin.IsSuperuser {
		t.Errorf("akadmin.is_superuser = false")
	}
	one := call(e.c.CoreApi.CoreUsersList(e.ctx).Username("akadmin").Execute()).want(t, 200)
	if one.Pagination.Count != 1 || len(one.Results) != 1 || one.Results[0].Pk != admin.Pk {
		t.Errorf("?username=akadmin: count %v, results %v", one.Pagination.Count, usernames(one.Results))
	}
}

func testUsersCRUD(t *testing.T, e *env) {
	username := e.name("user")
	req := api.NewUserRequest(username, "E2E User")
	req.SetEmail(username + "@example.com")
	req.SetPath("users/e2e")
	req.SetIsActive(true)
	req.SetType(api.USERTYPEENUM_INTERNAL)
	req.SetAttributes(map[string]any{"e2e": true})
	u := call(e.c.CoreApi.CoreUsersCreate(e.ctx).UserRequest(*req).Execute()).want(t, 201)
	if u.Pk <= 0 || u.Username != username || u.Uuid == "" || u.Uid == "" {
		t.Fatalf("created user: pk %d username %q uuid %q uid %q", u.Pk, u.Username, u.Uuid, u.Uid)
	}
	if u.GetPath() != "users/e2e" || u.GetEmail() != username+"@example.com" || u.GetType() != api.USERTYPEENUM_INTERNAL {
		t.Errorf("created user: path %q email %q type %q", u.GetPath(), u.GetEmail(), u.GetType())
	}
	if u.Attributes["e2e"] != true {
		t.Errorf("created user attributes = %v", u.Attributes)
	}

	got := call(e.c.CoreApi.CoreUsersRetrieve(e.ctx, u.Pk).Execute()).want(t, 200)
	if got.Username != username || got.Name != "E2E User" || !got.GetIsActive() {
		t.Errorf("retrieved user: username %q name %q is_active %v", got.Username, got.Name, got.GetIsActive())
	}

	patch := api.NewPatchedUserRequest()
	patch.SetName("Renamed User")
	patch.SetIsActive(false)
	p := call(e.c.CoreApi.CoreUsersPartialUpdate(e.ctx, u.Pk).PatchedUserRequest(*patch).Execute()).want(t, 200)
	if p.Name != "Renamed User" || p.GetIsActive() || p.Username != username || p.GetEmail() != username+"@example.com" {
		t.Errorf("patched user: name %q is_active %v username %q email %q", p.Name, p.GetIsActive(), p.Username, p.GetEmail())
	}
	again := call(e.c.CoreApi.CoreUsersRetrieve(e.ctx, u.Pk).Execute()).want(t, 200)
	if again.Name != "Renamed User" || again.GetIsActive() {
		t.Errorf("patch not persisted: name %q is_active %v", again.Name, again.GetIsActive())
	}

	noContent(t)(e.c.CoreApi.CoreUsersDestroy(e.ctx, u.Pk).Execute())
	_, resp, err := e.c.CoreApi.CoreUsersRetrieve(e.ctx, u.Pk).Execute()
	apiError(t, 404, resp, err)
}

func testGroups(t *testing.T, e *env) {
	u1, u2 := e.user(t), e.user(t)
	name := e.name("group")
	req := api.NewGroupRequest(name)
	req.SetUsers([]int32{u1.Pk, u2.Pk})
	req.SetIsSuperuser(false)
	req.SetAttributes(map[string]any{"team": "e2e"})
	g := call(e.c.CoreApi.CoreGroupsCreate(e.ctx).GroupRequest(*req).Execute()).want(t, 201)
	if g.Pk == "" || g.Name != name || g.NumPk <= 0 {
		t.Fatalf("created group: pk %q num_pk %d name %q", g.Pk, g.NumPk, g.Name)
	}

	got := call(e.c.CoreApi.CoreGroupsRetrieve(e.ctx, g.Pk).Execute()).want(t, 200)
	var members []string
	for _, m := range got.UsersObj {
		members = append(members, m.Username)
	}
	slices.Sort(members)
	want := []string{u1.Username, u2.Username}
	slices.Sort(want)
	if !slices.Equal(members, want) {
		t.Errorf("users_obj usernames = %v, want %v", members, want)
	}
	if users := slices.Sorted(slices.Values(got.Users)); !slices.Equal(users, sortedInt32(u1.Pk, u2.Pk)) {
		t.Errorf("users = %v, want %v", users, sortedInt32(u1.Pk, u2.Pk))
	}
	if got.ParentName.IsSet() && got.ParentName.Get() != nil {
		t.Errorf("parent_name = %q, want null", *got.ParentName.Get())
	}

	for _, f := range []struct {
		name string
		req  api.ApiCoreGroupsListRequest
		want int
	}{
		{"name", e.c.CoreApi.CoreGroupsList(e.ctx).Name(name), 1},
		{"name_other", e.c.CoreApi.CoreGroupsList(e.ctx).Name(name + "-nope"), 0},
		{"search", e.c.CoreApi.CoreGroupsList(e.ctx).Search(name), 1},
		{"members_by_username", e.c.CoreApi.CoreGroupsList(e.ctx).MembersByUsername([]string{u1.Username}), 1},
	} {
		t.Run("by_"+f.name, func(t *testing.T) {
			page := call(f.req.Execute()).want(t, 200)
			if int(page.Pagination.Count) != f.want || len(page.Results) != f.want {
				t.Errorf("groups list by %s: count %v, %d results, want %d", f.name, page.Pagination.Count, len(page.Results), f.want)
				return
			}
			if f.want == 1 && page.Results[0].Pk != g.Pk {
				t.Errorf("groups list by %s: got %q, want %q", f.name, page.Results[0].Pk, g.Pk)
			}
		})
	}

	noContent(t)(e.c.CoreApi.CoreGroupsDestroy(e.ctx, g.Pk).Execute())
	_, resp, err := e.c.CoreApi.CoreGroupsRetrieve(e.ctx, g.Pk).Execute()
	apiError(t, 404, resp, err)
}

func testTokens(t *testing.T, e *env) {
	u := e.user(t)
	ident := e.name("token")
	req := api.NewTokenRequest(ident)
	req.SetIntent(api.INTENTENUM_API)
	req.SetUser(u.Pk)
	req.SetDescription("e2e token")
	req.SetExpiring(false)
	tok := call(e.c.CoreApi.CoreTokensCreate(e.ctx).TokenRequest(*req).Execute()).want(t, 201)
	if tok.Pk == "" || tok.Identifier != ident || tok.GetIntent() != api.INTENTENUM_API || tok.GetUser() != u.Pk {
		t.Errorf("created token: pk %q identifier %q intent %q user %d", tok.Pk, tok.Identifier, tok.GetIntent(), tok.GetUser())
	}
	if tok.UserObj.Username != u.Username {
		t.Errorf("user_obj.username = %q, want %q", tok.UserObj.Username, u.Username)
	}
	if tok.GetExpiring() {
		t.Errorf("expiring = true, want false")
	}

	for _, f := range []struct {
		name string
		req  api.ApiCoreTokensListRequest
	}{
		{"identifier", e.c.CoreApi.CoreTokensList(e.ctx).Identifier(ident)},
		{"user__username", e.c.CoreApi.CoreTokensList(e.ctx).UserUsername(u.Username)},
		{"search", e.c.CoreApi.CoreTokensList(e.ctx).Search(ident)},
	} {
		t.Run("by_"+f.name, func(t *testing.T) {
			page := call(f.req.Execute()).want(t, 200)
			if page.Pagination.Count != 1 || len(page.Results) != 1 || page.Results[0].Identifier != ident {
				t.Errorf("tokens list by %s: count %v, results %d", f.name, page.Pagination.Count, len(page.Results))
			}
		})
	}
	all := call(e.c.CoreApi.CoreTokensList(e.ctx).Intent("api").Execute()).want(t, 200)
	if !slices.ContainsFunc(all.Results, func(x api.Token) bool { return x.Identifier == ident }) {
		t.Errorf("tokens list ?intent=api misses %q", ident)
	}
}
func testFlowsCRUD(t *testing.T, e *env) {
	slug := e.name("flow")
	req := api.NewFlowRequest("E2E "+slug, slug, "Title "+slug, api.FLOWDESIGNATIONENUM_AUTHENTICATION)
	req.SetLayout(api.FLOWLAYOUTENUM_STACKED)
	req.SetPolicyEngineMode(api.POLICYENGINEMODE_ANY)
	req.SetDeniedAction(api.DENIEDACTIONENUM_MESSAGE)
	f := call(e.c.FlowsApi.FlowsInstancesCreate(e.ctx).FlowRequest(*req).Execute()).want(t, 201)
	if f.Pk == "" || f.PolicybindingmodelPtrId == "" || f.Slug != slug || f.Designation != api.FLOWDESIGNATIONENUM_AUTHENTICATION {
		t.Fatalf("created flow: pk %q pbm %q slug %q designation %q", f.Pk, f.PolicybindingmodelPtrId, f.Slug, f.Designation)
	}
	if f.GetLayout() != api.FLOWLAYOUTENUM_STACKED || f.GetPolicyEngineMode() != api.POLICYENGINEMODE_ANY || f.GetDeniedAction() != api.DENIEDACTIONENUM_MESSAGE {
		t.Errorf("created flow: layout %q policy_engine_mode %q denied_action %q", f.GetLayout(), f.GetPolicyEngineMode(), f.GetDeniedAction())
	}
	if f.GetAuthentication() != api.AUTHENTICATIONENUM_NONE {
		t.Errorf("default authentication = %q, want none", f.GetAuthentication())
	}
	if len(f.Stages) != 0 || len(f.Policies) != 0 {
		t.Errorf("new flow has stages %v policies %v", f.Stages, f.Policies)
	}
	if !strings.Contains(f.ExportUrl, slug) {
		t.Errorf("export_url %q does not name the flow", f.ExportUrl)
	}

	got := call(e.c.FlowsApi.FlowsInstancesRetrieve(e.ctx, slug).Execute()).want(t, 200)
	if got.Pk != f.Pk || got.Title != "Title "+slug {
		t.Errorf("retrieved flow: pk %q title %q", got.Pk, got.Title)
	}

	upd := api.NewFlowRequest("Renamed "+slug, slug, "New title", api.FLOWDESIGNATIONENUM_ENROLLMENT)
	u := call(e.c.FlowsApi.FlowsInstancesUpdate(e.ctx, slug).FlowRequest(*upd).Execute()).want(t, 200)
	if u.Pk != f.Pk || u.Name != "Renamed "+slug || u.Title != "New title" || u.Designation != api.FLOWDESIGNATIONENUM_ENROLLMENT {
		t.Errorf("updated flow: pk %q name %q title %q designation %q", u.Pk, u.Name, u.Title, u.Designation)
	}

	page := call(e.c.FlowsApi.FlowsInstancesList(e.ctx).Slug(slug).Execute()).want(t, 200)
	if len(page.Results) != 1 || page.Results[0].Designation != api.FLOWDESIGNATIONENUM_ENROLLMENT {
		t.Errorf("flows ?slug=%s after update: %v", slug, flowSlugs(page.Results))
	}

	noContent(t)(e.c.FlowsApi.FlowsInstancesDestroy(e.ctx, slug).Execute())
	_, resp, err := e.c.FlowsApi.FlowsInstancesRetrieve(e.ctx, slug).Execute()
	apiError(t, 404, resp, err)
}

func testFlowsListFilters(t *testing.T, e *env) {
	authz := e.flow(t, api.FLOWDESIGNATIONENUM_AUTHORIZATION)
	recovery := e.flow(t, api.FLOWDESIGNATIONENUM_RECOVERY)
	for _, f := range []struct {
		name      string
		req       api.ApiFlowsInstancesListRequest
		want, not []string
	}{
		{"designation", e.c.FlowsApi.FlowsInstancesList(e.ctx).Designation("authorization").PageSize(100),
			[]string{authz.Slug}, []string{recovery.Slug}},
		{"search", e.c.FlowsApi.FlowsInstancesList(e.ctx).Search(recovery.Slug),
			[]string{recovery.Slug}, []string{authz.Slug}},
		{"designation_and_slug", e.c.FlowsApi.FlowsInstancesList(e.ctx).Designation("recovery").Slug(recovery.Slug),
			[]string{recovery.Slug}, []string{authz.Slug}},
		{"ordering", e.c.FlowsApi.FlowsInstancesList(e.ctx).Ordering("-slug").PageSize(100),
			[]string{authz.Slug, recovery.Slug}, nil},
	} {
		t.Run("by_"+f.name, func(t *testing.T) {
			page := call(f.req.Execute()).want(t, 200)
			slugs := flowSlugs(page.Results)
			for _, s := range f.want {
				if !slices.Contains(slugs, s) {
					t.Errorf("flows list by %s: %v misses %s", f.name, slugs, s)
				}
			}
			for _, s := range f.not {
				if slices.Contains(slugs, s) {
					t.Errorf("flows list by %s: %v has %s", f.name, slugs, s)
				}
			}
			if int(page.Pagination.Count) != len(page.Results) {
				t.Errorf("flows list by %s: count %v but %d results", f.name, page.Pagination.Count, len(page.Results))
			}
			if f.name == "designation" {
				for _, r := range page.Results {
					if r.Designation != api.FLOWDESIGNATIONENUM_AUTHORIZATION {
						t.Errorf("?designation=authorization returned %s (%s)", r.Slug, r.Designation)
					}
				}
			}
			if f.name == "ordering" && !slices.IsSortedFunc(slugs, func(a, b string) int { return strings.Compare(b, a) }) {
				t.Errorf("?ordering=-slug: %v is not in descending order", slugs)
			}
		})
	}
}

func testFlowsUsedBy(t *testing.T, e *env) {
	f := e.flow(t, api.FLOWDESIGNATIONENUM_AUTHENTICATION)
	stage := e.dummyStage(t)
	b := call(e.c.FlowsApi.FlowsBindingsCreate(e.ctx).FlowStageBindingRequest(*api.NewFlowStageBindingRequest(f.Pk, stage.Pk, 10)).Execute()).want(t, 201)
	used := call(e.c.FlowsApi.FlowsInstancesUsedByList(e.ctx, f.Slug).Execute()).want(t, 200)
	i := slices.IndexFunc(used, func(u api.UsedBy) bool { return u.Pk == b.Pk })
	if i < 0 {
		t.Fatalf("used_by of flow %s = %+v, misses its stage binding %s", f.Slug, used, b.Pk)
	}
	if u := used[i]; u.App != "authentik_flows" || u.ModelName != "flowstagebinding" || u.Action != api.USEDBYACTIONENUM_CASCADE {
		t.Errorf("used_by entry = %+v, want app authentik_flows, model_name flowstagebinding, action CASCADE", u)
	}
	// name is str(obj): FlowStageBinding.__str__ in authentik.
	if want := "Flow-stage binding #10 to " + f.Pk; used[i].Name != want {
		t.Errorf("used_by entry name = %q, want %q", used[i].Name, want)
	}
	unused := e.flow(t, api.FLOWDESIGNATIONENUM_AUTHENTICATION)
	if none := call(e.c.FlowsApi.FlowsInstancesUsedByList(e.ctx, unused.Slug).Execute()).want(t, 200); len(none) != 0 {
		t.Errorf("used_by of an unreferenced flow = %+v, want []", none)
	}
}

func testStages(t *testing.T, e *env) {
	dummyReq := api.NewDummyStageRequest(e.name("stage-dummy"))
	dummyReq.SetThrowError(false)
	dummy := call(e.c.StagesApi.StagesDummyCreate(e.ctx).DummyStageRequest(*dummyReq).Execute()).want(t, 201)
	if dummy.Pk == "" || dummy.Component != "ak-stage-dummy-form" || dummy.MetaModelName != "authentik_stages_dummy.dummystage" {
		t.Errorf("dummy stage: pk %q component %q meta_model_name %q", dummy.Pk, dummy.Component, dummy.MetaModelName)
	}

	pwReq := api.NewPasswordStageRequest(e.name("stage-password"), []api.BackendsEnum{api.BACKENDSENUM_CORE_AUTH_INBUILT_BACKEND})
	pwReq.SetFailedAttemptsBeforeCancel(3)
	pw := call(e.c.StagesApi.StagesPasswordCreate(e.ctx).PasswordStageRequest(*pwReq).Execute()).want(t, 201)
	if !slices.Equal(pw.Backends, []api.BackendsEnum{api.BACKENDSENUM_CORE_AUTH_INBUILT_BACKEND}) || pw.GetFailedAttemptsBeforeCancel() != 3 {
		t.Errorf("password stage: backends %v failed_attempts_before_cancel %d", pw.Backends, pw.GetFailedAttemptsBeforeCancel())
	}
	if pw.Component != "ak-stage-password-form" || pw.MetaModelName != "authentik_stages_password.passwordstage" {
		t.Errorf("password stage: component %q meta_model_name %q", pw.Component, pw.MetaModelName)
	}

	want := map[string][2]string{
		dummy.Pk: {"ak-stage-dummy-form", "authentik_stages_dummy.dummystage"},
		pw.Pk:    {"ak-stage-password-form", "authentik_stages_password.passwordstage"},
	}
	page := call(e.c.StagesApi.StagesAllList(e.ctx).Search("e2e-stage-").PageSize(100).Execute()).want(t, 200)
	seen := 0
	for _, s := range page.Results {
		if !strings.HasPrefix(s.Component, "ak-stage-") || !strings.HasPrefix(s.MetaModelName, "authentik_stages_") {
			t.Errorf("stages/all result %s: component %q meta_model_name %q", s.Name, s.Component, s.MetaModelName)
		}
		if w, ok := want[s.Pk]; ok {
			seen++
			if s.Component != w[0] || s.MetaModelName != w[1] {
				t.Errorf("stages/all %s: component %q meta_model_name %q, want %q %q", s.Name, s.Component, s.MetaModelName, w[0], w[1])
			}
		}
	}
	if seen != len(want) {
		t.Errorf("stages/all ?search=e2e-stage- found %d of the %d created stages", seen, len(want))
	}
}

func testFlowBindings(t *testing.T, e *env) {
	f := e.flow(t, api.FLOWDESIGNATIONENUM_AUTHENTICATION)
	other := e.flow(t, api.FLOWDESIGNATIONENUM_AUTHENTICATION)
	s1, s2 := e.dummyStage(t), e.dummyStage(t)
	b2 := call(e.c.FlowsApi.FlowsBindingsCreate(e.ctx).FlowStageBindingRequest(*api.NewFlowStageBindingRequest(f.Pk, s2.Pk, 20)).Execute()).want(t, 201)
	req := api.NewFlowStageBindingRequest(f.Pk, s1.Pk, 10)
	req.SetEvaluateOnPlan(true)
	req.SetReEvaluatePolicies(false)
	req.SetInvalidResponseAction(api.INVALIDRESPONSEACTIONENUM_RESTART)
	b1 := call(e.c.FlowsApi.FlowsBindingsCreate(e.ctx).FlowStageBindingRequest(*req).Execute()).want(t, 201)
	if b1.Pk == "" || b1.Target != f.Pk || b1.Stage != s1.Pk || b1.Order != 10 {
		t.Errorf("binding: pk %q target %q stage %q order %d", b1.Pk, b1.Target, b1.Stage, b1.Order)
	}
	if b1.StageObj.Pk != s1.Pk || b1.StageObj.Name != s1.Name || b1.StageObj.Component != "ak-stage-dummy-form" {
		t.Errorf("binding stage_obj = %+v", b1.StageObj)
	}
	if b1.GetInvalidResponseAction() != api.INVALIDRESPONSEACTIONENUM_RESTART || !b1.GetEvaluateOnPlan() {
		t.Errorf("binding: invalid_response_action %q evaluate_on_plan %v", b1.GetInvalidResponseAction(), b1.GetEvaluateOnPlan())
	}
	call(e.c.FlowsApi.FlowsBindingsCreate(e.ctx).FlowStageBindingRequest(*api.NewFlowStageBindingRequest(other.Pk, s1.Pk, 0)).Execute()).want(t, 201)

	page := call(e.c.FlowsApi.FlowsBindingsList(e.ctx).Target(f.Pk).Ordering("order").Execute()).want(t, 200)
	var got []string
	for _, b := range page.Results {
		got = append(got, b.Pk)
	}
	if want := []string{b1.Pk, b2.Pk}; !slices.Equal(got, want) {
		t.Errorf("bindings ?target=%s&ordering=order = %v, want %v", f.Pk, got, want)
	}

	flow := call(e.c.FlowsApi.FlowsInstancesRetrieve(e.ctx, f.Slug).Execute()).want(t, 200)
	if stages := slices.Sorted(slices.Values(flow.Stages)); !slices.Equal(stages, slices.Sorted(slices.Values([]string{s1.Pk, s2.Pk}))) {
		t.Errorf("flow.stages = %v, want %v", flow.Stages, []string{s1.Pk, s2.Pk})
	}
}

// ---- policies, property mappings, providers, applications ----

func testExpressionPolicies(t *testing.T, e *env) {
	name := e.name("policy")
	req := api.NewExpressionPolicyRequest(name, "return True")
	req.SetExecutionLogging(true)
	p := call(e.c.PoliciesApi.PoliciesExpressionCreate(e.ctx).ExpressionPolicyRequest(*req).Execute()).want(t, 201)
	if p.Pk == "" || p.Name != name || p.Expression != "return True" || !p.GetExecutionLogging() {
		t.Errorf("expression policy: pk %q name %q expression %q execution_logging %v", p.Pk, p.Name, p.Expression, p.GetExecutionLogging())
	}
	if p.Component != "ak-policy-expression-form" || p.MetaModelName != "authentik_policies_expression.expressionpolicy" {
		t.Errorf("expression policy: component %q meta_model_name %q", p.Component, p.MetaModelName)
	}
	if p.BoundTo != 0 {
		t.Errorf("bound_to = %d, want 0", p.BoundTo)
	}
	for _, f := range []struct {
		name string
		req  api.ApiPoliciesExpressionListRequest
	}{
		{"name", e.c.PoliciesApi.PoliciesExpressionList(e.ctx).Name(name)},
		{"search", e.c.PoliciesApi.PoliciesExpressionList(e.ctx).Search(name)},
	} {
		t.Run("by_"+f.name, func(t *testing.T) {
			page := call(f.req.Execute()).want(t, 200)
			if page.Pagination.Count != 1 || len(page.Results) != 1 || page.Results[0].Pk != p.Pk {
				t.Errorf("expression policies by %s: count %v, %d results", f.name, page.Pagination.Count, len(page.Results))
			}
		})
	}
}

func testPolicyBindings(t *testing.T, e *env) {
	f := e.flow(t, api.FLOWDESIGNATIONENUM_AUTHENTICATION)
	pol := call(e.c.PoliciesApi.PoliciesExpressionCreate(e.ctx).ExpressionPolicyRequest(*api.NewExpressionPolicyRequest(e.name("policy"), "return True")).Execute()).want(t, 201)
	req := api.NewPolicyBindingRequest(f.PolicybindingmodelPtrId, 0)
	req.SetPolicy(pol.Pk)
	req.SetTimeout(30)
	req.SetNegate(true)
	b := call(e.c.PoliciesApi.PoliciesBindingsCreate(e.ctx).PolicyBindingRequest(*req).Execute()).want(t, 201)
	if b.Pk == "" || b.Target != f.PolicybindingmodelPtrId || b.GetPolicy() != pol.Pk || b.GetTimeout() != 30 || !b.GetNegate() {
		t.Errorf("policy binding: pk %q target %q policy %q timeout %d negate %v", b.Pk, b.Target, b.GetPolicy(), b.GetTimeout(), b.GetNegate())
	}
	if b.PolicyObj.Pk != pol.Pk || b.PolicyObj.Name != pol.Name || b.PolicyObj.Component != "ak-policy-expression-form" {
		t.Errorf("policy_obj = %+v", b.PolicyObj)
	}

	u := e.user(t)
	ureq := api.NewPolicyBindingRequest(f.PolicybindingmodelPtrId, 1)
	ureq.SetUser(u.Pk)
	ub := call(e.c.PoliciesApi.PoliciesBindingsCreate(e.ctx).PolicyBindingRequest(*ureq).Execute()).want(t, 201)
	if ub.GetUser() != u.Pk || ub.UserObj.Username != u.Username {
		t.Errorf("user binding: user %d user_obj.username %q, want %d %q", ub.GetUser(), ub.UserObj.Username, u.Pk, u.Username)
	}

	page := call(e.c.PoliciesApi.PoliciesBindingsList(e.ctx).Target(f.PolicybindingmodelPtrId).Ordering("order").Execute()).want(t, 200)
	var got []string
	for _, r := range page.Results {
		got = append(got, r.Pk)
	}
	if want := []string{b.Pk, ub.Pk}; !slices.Equal(got, want) {
		t.Errorf("policy bindings ?target=%s = %v, want %v", f.PolicybindingmodelPtrId, got, want)
	}
	byPolicy := call(e.c.PoliciesApi.PoliciesBindingsList(e.ctx).Policy(pol.Pk).Execute()).want(t, 200)
	if len(byPolicy.Results) != 1 || byPolicy.Results[0].Pk != b.Pk {
		t.Errorf("policy bindings ?policy=%s: %d results", pol.Pk, len(byPolicy.Results))
	}

	flow := call(e.c.FlowsApi.FlowsInstancesRetrieve(e.ctx, f.Slug).Execute()).want(t, 200)
	if !slices.Equal(flow.Policies, []string{pol.Pk}) {
		t.Errorf("flow.policies = %v, want [%s]", flow.Policies, pol.Pk)
	}
}

func testScopeMappings(t *testing.T, e *env) {
	name := e.name("scope")
	req := api.NewScopeMappingRequest(name, `return {"e2e": True}`, "e2e-"+name)
	req.SetDescription("E2E scope")
	m := call(e.c.PropertymappingsApi.PropertymappingsScopeCreate(e.ctx).ScopeMappingRequest(*req).Execute()).want(t, 201)
	if m.Pk == "" || m.ScopeName != "e2e-"+name || m.GetDescription() != "E2E scope" {
		t.Errorf("scope mapping: pk %q scope_name %q description %q", m.Pk, m.ScopeName, m.GetDescription())
	}
	if m.Component != "ak-property-mapping-scope-form" || m.MetaModelName != "authentik_providers_oauth2.scopemapping" {
		t.Errorf("scope mapping: component %q meta_model_name %q", m.Component, m.MetaModelName)
	}
	if m.Managed.IsSet() && m.Managed.Get() != nil {
		t.Errorf("managed = %q, want null", *m.Managed.Get())
	}
	for _, f := range []struct {
		name string
		req  api.ApiPropertymappingsScopeListRequest
	}{
		{"scope_name", e.c.PropertymappingsApi.PropertymappingsScopeList(e.ctx).ScopeName("e2e-" + name)},
		{"name", e.c.PropertymappingsApi.PropertymappingsScopeList(e.ctx).Name(name)},
		{"search", e.c.PropertymappingsApi.PropertymappingsScopeList(e.ctx).Search(name)},
	} {
		t.Run("by_"+f.name, func(t *testing.T) {
			page := call(f.req.Execute()).want(t, 200)
			if page.Pagination.Count != 1 || len(page.Results) != 1 || page.Results[0].Pk != m.Pk {
				t.Errorf("scope mappings by %s: count %v, %d results", f.name, page.Pagination.Count, len(page.Results))
			}
		})
	}
}

func testOAuth2Provider(t *testing.T, e *env) {
	p := e.oauth2Provider(t)
	if p.Pk <= 0 || p.Component != "ak-provider-oauth2-form" || p.MetaModelName != "authentik_providers_oauth2.oauth2provider" {
		t.Errorf("provider: pk %d component %q meta_model_name %q", p.Pk, p.Component, p.MetaModelName)
	}
	if id := p.GetClientId(); len(id) != 40 {
		t.Errorf("generated client_id = %q, want 40 characters", id)
	}
	if s := p.GetClientSecret(); len(s) != 128 {
		t.Errorf("generated client_secret has %d characters, want 128", len(s))
	}
	if p.GetClientType() != api.CLIENTTYPEENUM_CONFIDENTIAL || p.GetAccessTokenValidity() != "minutes=10" {
		t.Errorf("provider: client_type %q access_token_validity %q", p.GetClientType(), p.GetAccessTokenValidity())
	}
	// Defaults of authentik's model.
	if p.GetAccessCodeValidity() != "minutes=1" || p.GetRefreshTokenValidity() != "days=30" ||
		p.GetSubMode() != api.SUBMODEENUM_HASHED_USER_ID || p.GetIssuerMode() != api.ISSUERMODEENUM_PER_PROVIDER || !p.GetIncludeClaimsInIdToken() {
		t.Errorf("provider defaults: access_code_validity %q refresh_token_validity %q sub_mode %q issuer_mode %q include_claims_in_id_token %v",
			p.GetAccessCodeValidity(), p.GetRefreshTokenValidity(), p.GetSubMode(), p.GetIssuerMode(), p.GetIncludeClaimsInIdToken())
	}
	if p.AssignedApplicationSlug != "" || p.AssignedApplicationName != "" {
		t.Errorf("unassigned provider: assigned_application_slug %q name %q", p.AssignedApplicationSlug, p.AssignedApplicationName)
	}

	got := call(e.c.ProvidersApi.ProvidersOauth2Retrieve(e.ctx, p.Pk).Execute()).want(t, 200)
	if got.GetClientId() != p.GetClientId() || got.AuthorizationFlow != p.AuthorizationFlow || !slices.Equal(got.PropertyMappings, p.PropertyMappings) {
		t.Errorf("retrieved provider: client_id %q authorization_flow %q property_mappings %v; created %q %q %v",
			got.GetClientId(), got.AuthorizationFlow, got.PropertyMappings, p.GetClientId(), p.AuthorizationFlow, p.PropertyMappings)
	}

	req := api.NewOAuth2ProviderRequest(e.name("provider"), p.AuthorizationFlow)
	req.SetClientId("e2e-fixed-client-id")
	req.SetClientType(api.CLIENTTYPEENUM_PUBLIC)
	fixed := call(e.c.ProvidersApi.ProvidersOauth2Create(e.ctx).OAuth2ProviderRequest(*req).Execute()).want(t, 201)
	if fixed.GetClientId() != "e2e-fixed-client-id" || fixed.GetClientType() != api.CLIENTTYPEENUM_PUBLIC {
		t.Errorf("provider with client_id: client_id %q client_type %q", fixed.GetClientId(), fixed.GetClientType())
	}
}

func testApplications(t *testing.T, e *env) {
	p := e.oauth2Provider(t)
	slug := e.name("app")
	req := api.NewApplicationRequest("E2E "+slug, slug)
	req.SetProvider(p.Pk)
	req.SetMetaLaunchUrl("https://app.example.com/launch")
	req.SetMetaPublisher("e2e")
	req.SetOpenInNewTab(true)
	req.SetPolicyEngineMode(api.POLICYENGINEMODE_ALL)
	a := call(e.c.CoreApi.CoreApplicationsCreate(e.ctx).ApplicationRequest(*req).Execute()).want(t, 201)
	if a.Pk == "" || a.Slug != slug || a.GetProvider() != p.Pk {
		t.Errorf("application: pk %q slug %q provider %d", a.Pk, a.Slug, a.GetProvider())
	}

	got := call(e.c.CoreApi.CoreApplicationsRetrieve(e.ctx, slug).Execute()).want(t, 200)
	po := got.ProviderObj
	if po.Pk != p.Pk || po.Name != p.Name || po.Component != "ak-provider-oauth2-form" ||
		po.MetaModelName != "authentik_providers_oauth2.oauth2provider" || po.AuthorizationFlow != p.AuthorizationFlow {
		t.Errorf("provider_obj = %+v, want the provider %d (%s)", po, p.Pk, p.Name)
	}
	if po.AssignedApplicationSlug != slug || po.AssignedApplicationName != "E2E "+slug {
		t.Errorf("provider_obj.assigned_application_slug/name = %q/%q, want %q/%q", po.AssignedApplicationSlug, po.AssignedApplicationName, slug, "E2E "+slug)
	}
	if got.GetMetaPublisher() != "e2e" || !got.GetOpenInNewTab() || got.GetPolicyEngineMode() != api.POLICYENGINEMODE_ALL {
		t.Errorf("application: meta_publisher %q open_in_new_tab %v policy_engine_mode %q", got.GetMetaPublisher(), got.GetOpenInNewTab(), got.GetPolicyEngineMode())
	}
	if len(got.BackchannelProvidersObj) != 0 {
		t.Errorf("backchannel_providers_obj = %+v, want []", got.BackchannelProvidersObj)
	}
	if got.GetLaunchUrl() != "https://app.example.com/launch" {
		t.Errorf("launch_url = %q, want the meta_launch_url", got.GetLaunchUrl())
	}

	prov := call(e.c.ProvidersApi.ProvidersOauth2Retrieve(e.ctx, p.Pk).Execute()).want(t, 200)
	if prov.AssignedApplicationSlug != slug {
		t.Errorf("provider.assigned_application_slug = %q, want %q", prov.AssignedApplicationSlug, slug)
	}

	page := call(e.c.CoreApi.CoreApplicationsList(e.ctx).Slug(slug).Execute()).want(t, 200)
	if len(page.Results) != 1 || page.Results[0].ProviderObj.Pk != p.Pk {
		t.Errorf("applications ?slug=%s: %d results", slug, len(page.Results))
	}
}

// ---- rbac, crypto ----

func testRoles(t *testing.T, e *env) {
	name := e.name("role")
	r := call(e.c.RbacApi.RbacRolesCreate(e.ctx).RoleRequest(*api.NewRoleRequest(name)).Execute()).want(t, 201)
	if r.Pk == "" || r.Name != name {
		t.Errorf("role: pk %q name %q", r.Pk, r.Name)
	}
	page := call(e.c.RbacApi.RbacRolesList(e.ctx).Search(name).Execute()).want(t, 200)
	if page.Pagination.Count != 1 || len(page.Results) != 1 || page.Results[0].Pk != r.Pk {
		t.Errorf("roles ?search=%s: count %v, %d results", name, page.Pagination.Count, len(page.Results))
	}
	all := call(e.c.RbacApi.RbacRolesList(e.ctx).PageSize(100).Execute()).want(t, 200)
	if !slices.ContainsFunc(all.Results, func(x api.Role) bool { return x.Pk == r.Pk }) {
		t.Errorf("roles list misses %s", r.Pk)
	}
}

func testCertificateKeyPairs(t *testing.T, e *env) {
	for _, f := range []struct {
		name string
		req  api.ApiCryptoCertificatekeypairsListRequest
		keep func(api.CertificateKeyPair) bool
	}{
		{"all", e.c.CryptoApi.CryptoCertificatekeypairsList(e.ctx).PageSize(100), nil},
		{"by_has_key", e.c.CryptoApi.CryptoCertificatekeypairsList(e.ctx).HasKey(true),
			func(kp api.CertificateKeyPair) bool { return kp.PrivateKeyAvailable }},
		{"by_include_details", e.c.CryptoApi.CryptoCertificatekeypairsList(e.ctx).IncludeDetails(false), nil},
	} {
		t.Run(f.name, func(t *testing.T) {
			page := call(f.req.Execute()).want(t, 200)
			if int(page.Pagination.Count) != len(page.Results) {
				t.Errorf("count %v but %d results", page.Pagination.Count, len(page.Results))
			}
			for _, kp := range page.Results {
				if kp.Pk == "" || kp.Name == "" || kp.CertificateDownloadUrl == "" || kp.PrivateKeyDownloadUrl == "" {
					t.Errorf("keypair %+v has an empty pk, name or download URL", kp)
				}
				if f.keep != nil && !f.keep(kp) {
					t.Errorf("filter returned keypair %s that does not match", kp.Name)
				}
			}
		})
	}
}

// ---- errors ----

func testDuplicateSlug(t *testing.T, e *env) {
	f := e.flow(t, api.FLOWDESIGNATIONENUM_AUTHENTICATION)
	req := api.NewFlowRequest("Other", f.Slug, "Other", api.FLOWDESIGNATIONENUM_AUTHENTICATION)
	_, resp, err := e.c.FlowsApi.FlowsInstancesCreate(e.ctx).FlowRequest(*req).Execute()
	oe := apiError(t, 400, resp, err)
	if _, isModel := oe.Model().(api.ValidationError); !isModel {
		t.Errorf("client did not decode the 400 body as ValidationError: model %T, error %q", oe.Model(), oe.Error())
	}
	fieldError(t, oe.Body(), "slug")
}

func testInvalidEnum(t *testing.T, e *env) {
	slug := e.name("flow")
	req := api.NewFlowRequest(slug, slug, slug, api.FlowDesignationEnum("no-such-designation"))
	_, resp, err := e.c.FlowsApi.FlowsInstancesCreate(e.ctx).FlowRequest(*req).Execute()
	oe := apiError(t, 400, resp, err)
	fieldError(t, oe.Body(), "designation")
	_, resp, err = e.c.FlowsApi.FlowsInstancesRetrieve(e.ctx, slug).Execute()
	apiError(t, 404, resp, err)
}

func testNoToken(t *testing.T, e *env) {
	anon := newClient(e.addr, "")
	_, resp, err := anon.CoreApi.CoreUsersList(e.ctx).Execute()
	detailError(t, apiError(t, 403, resp, err))
	_, resp, err = anon.FlowsApi.FlowsInstancesCreate(e.ctx).FlowRequest(*api.NewFlowRequest("x", "x", "x", api.FLOWDESIGNATIONENUM_AUTHENTICATION)).Execute()
	detailError(t, apiError(t, 403, resp, err))
}

func testBadToken(t *testing.T, e *env) {
	bad := newClient(e.addr, "not-a-valid-token")
	_, resp, err := bad.CoreApi.CoreUsersList(e.ctx).Execute()
	detailError(t, apiError(t, 403, resp, err))
}

func testMissingFlow(t *testing.T, e *env) {
	_, resp, err := e.c.FlowsApi.FlowsInstancesRetrieve(e.ctx, "no-such-flow").Execute()
	oe := apiError(t, 404, resp, err)
	var body map[string]any
	if err := json.Unmarshal(oe.Body(), &body); err != nil || body["detail"] == nil {
		t.Errorf("404 body %s: want {\"detail\": ...} (%v)", oe.Body(), err)
	}
	_, resp, err = e.c.FlowsApi.FlowsInstancesUsedByList(e.ctx, "no-such-flow").Execute()
	apiError(t, 404, resp, err)
	resp, err = e.c.FlowsApi.FlowsInstancesDestroy(e.ctx, "no-such-flow").Execute()
	apiError(t, 404, resp, err)
}

func testMissingUser(t *testing.T, e *env) {
	_, resp, err := e.c.CoreApi.CoreUsersRetrieve(e.ctx, 987654).Execute()
	apiError(t, 404, resp, err)
}

// ---- fixtures ----

func (e *env) user(t *testing.T) *api.User {
	t.Helper()
	username := e.name("user")
	return call(e.c.CoreApi.CoreUsersCreate(e.ctx).UserRequest(*api.NewUserRequest(username, "User "+username)).Execute()).want(t, 201)
}

func (e *env) admin(t *testing.T) *api.User {
	t.Helper()
	page := call(e.c.CoreApi.CoreUsersList(e.ctx).Username("akadmin").Execute()).want(t, 200)
	if len(page.Results) != 1 {
		t.Fatalf("?username=akadmin: %d results", len(page.Results))
	}
	return &page.Results[0]
}

func (e *env) flow(t *testing.T, designation api.FlowDesignationEnum) *api.Flow {
	t.Helper()
	slug := e.name("flow")
	return call(e.c.FlowsApi.FlowsInstancesCreate(e.ctx).FlowRequest(*api.NewFlowRequest("Flow "+slug, slug, "Title "+slug, designation)).Execute()).want(t, 201)
}

func (e *env) dummyStage(t *testing.T) *api.DummyStage {
	t.Helper()
	return call(e.c.StagesApi.StagesDummyCreate(e.ctx).DummyStageRequest(*api.NewDummyStageRequest(e.name("stage"))).Execute()).want(t, 201)
}

// oauth2Provider creates a confidential OAuth2 provider with a generated
// client id, a fresh authorization flow and a scope mapping.
func (e *env) oauth2Provider(t *testing.T) *api.OAuth2Provider {
	t.Helper()
	flow := e.flow(t, api.FLOWDESIGNATIONENUM_AUTHORIZATION)
	scope := call(e.c.PropertymappingsApi.PropertymappingsScopeCreate(e.ctx).ScopeMappingRequest(*api.NewScopeMappingRequest(e.name("scope"), "return {}", e.name("scope-name"))).Execute()).want(t, 201)
	req := api.NewOAuth2ProviderRequest(e.name("provider"), flow.Pk)
	req.SetClientType(api.CLIENTTYPEENUM_CONFIDENTIAL)
	req.SetRedirectUris("https://app.example.com/callback")
	req.SetPropertyMappings([]string{scope.Pk})
	req.SetAccessTokenValidity("minutes=10")
	p := call(e.c.ProvidersApi.ProvidersOauth2Create(e.ctx).OAuth2ProviderRequest(*req).Execute()).want(t, 201)
	if p.AuthorizationFlow != flow.Pk || !slices.Equal(p.PropertyMappings, []string{scope.Pk}) || p.GetRedirectUris() != "https://app.example.com/callback" {
		t.Errorf("created provider: authorization_flow %q property_mappings %v redirect_uris %q", p.AuthorizationFlow, p.PropertyMappings, p.GetRedirectUris())
	}
	return p
}

// ---- assertions ----

// result is what a client call returned.
type result[T any] struct {
	v    T
	resp *http.Response
	err  error
}

// call captures a client call: call(req.Execute()).want(t, 200).
func call[T any](v T, resp *http.Response, err error) result[T] {
	return result[T]{v: v, resp: resp, err: err}
}

// want checks the call succeeded with status and that the response carries
// every property the client's model treats as required; it returns the
// decoded value.
func (r result[T]) want(t *testing.T, status int) T {
	t.Helper()
	if r.err != nil {
		t.Fatalf("%s", describe(r.resp, r.err))
	}
	if r.resp.StatusCode != status {
		t.Fatalf("%s: status %d, want %d", request(r.resp), r.resp.StatusCode, status)
	}
	checkShape(t, r.resp, r.v)
	return r.v
}

// noContent checks a call without a response model answered 204.
func noContent(t *testing.T) func(*http.Response, error) {
	return func(resp *http.Response, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s", describe(resp, err))
		}
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("%s: status %d, want 204", request(resp), resp.StatusCode)
		}
	}
}

// apiError checks the client returned an API error with HTTP status want.
func apiError(t *testing.T, want int, resp *http.Response, err error) *api.GenericOpenAPIError {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: status %d, want an error with status %d", request(resp), resp.StatusCode, want)
	}
	var oe *api.GenericOpenAPIError
	if !errors.As(err, &oe) || resp == nil {
		t.Fatalf("want an API error with status %d, got %T: %v", want, err, err)
	}
	if resp.StatusCode != want {
		t.Fatalf("%s: status %d, want %d; body %s", request(resp), resp.StatusCode, want, oe.Body())
	}
	return oe
}

// fieldError checks a 400 body maps field to a non-empty list of messages,
// as Django REST framework writes field errors.
func fieldError(t *testing.T, body []byte, field string) {
	t.Helper()
	var fields map[string][]string
	if err := json.Unmarshal(body, &fields); err != nil {
		t.Fatalf("400 body %s does not decode to field errors: %v", body, err)
	}
	if msgs := fields[field]; len(msgs) == 0 || msgs[0] == "" {
		t.Errorf("400 body %s has no error for %q", body, field)
	}
}

// detailError checks the client decoded a 403 body as GenericError with a
// detail message.
func detailError(t *testing.T, oe *api.GenericOpenAPIError) {
	t.Helper()
	ge, isModel := oe.Model().(api.GenericError)
	if !isModel {
		t.Fatalf("client did not decode the 403 body %s as GenericError: model %T, error %q", oe.Body(), oe.Model(), oe.Error())
	}
	if ge.Detail == "" {
		t.Errorf("403 body %s has an empty detail", oe.Body())
	}
	var raw map[string]any
	if err := json.Unmarshal(oe.Body(), &raw); err != nil {
		t.Errorf("403 body %s: %v", oe.Body(), err)
	} else if _, has := raw["detail"]; !has {
		t.Errorf("403 body %s has no detail", oe.Body())
	}
}

func request(resp *http.Response) string {
	if resp == nil || resp.Request == nil {
		return "request"
	}
	return resp.Request.Method + " " + resp.Request.URL.RequestURI()
}

func describe(resp *http.Response, err error) string {
	var oe *api.GenericOpenAPIError
	if errors.As(err, &oe) {
		if resp != nil {
			return fmt.Sprintf("%s: %s (status %d); body %s", request(resp), oe.Error(), resp.StatusCode, oe.Body())
		}
		return fmt.Sprintf("%s; body %s", oe.Error(), oe.Body())
	}
	return fmt.Sprintf("%s: %v", request(resp), err)
}

// checkShape re-reads the body the client decoded and reports each property
// that the client's model declares without omitempty (the required ones in
// the schema) but the server left out, or sent as null where the model
// cannot hold null. The client does not check this itself: encoding/json
// silently leaves such fields at their zero value.
func checkShape(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: re-read body: %v", request(resp), err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("%s: body is not JSON: %v", request(resp), err)
	}
	var problems []string
	shape("$", reflect.TypeOf(v), doc, &problems)
	if len(problems) > 0 {
		t.Errorf("%s: response does not match %T:\n  %s\nbody %s", request(resp), v, strings.Join(problems, "\n  "), truncate(body))
	}
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	timeType        = reflect.TypeFor[time.Time]()
)

func shape(path string, typ reflect.Type, v any, problems *[]string) {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if v == nil || typ == timeType || reflect.PointerTo(typ).Implements(unmarshalerType) {
		return // Nullable*, enums and time.Time validate themselves
	}
	switch typ.Kind() {
	case reflect.Struct:
		obj, isObj := v.(map[string]any)
		if !isObj {
			*problems = append(*problems, fmt.Sprintf("%s: want an object, got %T", path, v))
			return
		}
		for i := range typ.NumField() {
			f := typ.Field(i)
			tag := f.Tag.Get("json")
			if !f.IsExported() || tag == "" || tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			required := !strings.Contains(opts, "omitempty")
			val, present := obj[name]
			switch {
			case !present && required:
				*problems = append(*problems, fmt.Sprintf("%s.%s: required property missing", path, name))
			case present && val == nil && required && !nullable(f.Type) && !authentikNulls[name]:
				*problems = append(*problems, fmt.Sprintf("%s.%s: null, but the client's type %s cannot be null", path, name, f.Type))
			case present:
				shape(path+"."+name, f.Type, val, problems)
			}
		}
	case reflect.Slice:
		arr, isArr := v.([]any)
		if !isArr {
			*problems = append(*problems, fmt.Sprintf("%s: want an array, got %T", path, v))
			return
		}
		for i, x := range arr {
			shape(fmt.Sprintf("%s[%d]", path, i), typ.Elem(), x, problems)
		}
	}
}

// authentikNulls are properties the schema declares as plain strings that
// authentik 2023.10 itself answers with null, so null is as valid as a
// string there: the assigned_* names of an unassigned provider (Django REST
// framework turns the missing related object behind the field's source into
// None) and UserGroup.parent_name of a group without parent (see
// goauthentik/authentik#9097).
var authentikNulls = map[string]bool{
	"assigned_application_slug":             true,
	"assigned_application_name":             true,
	"assigned_backchannel_application_slug": true,
	"assigned_backchannel_application_name": true,
	"parent_name":                           true,
}

// nullable reports whether a required property of type typ may be null.
// Nested model objects are accepted as null: authentik itself sends null
// for an unset *_obj (provider_obj, policy_obj, ...), and the client keeps
// the zero value.
func nullable(typ reflect.Type) bool {
	switch typ.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Struct:
		return true
	}
	return false
}

func truncate(b []byte) string {
	const max = 2000
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}

// ---- small helpers ----

func findUser(users []api.User, username string) *api.User {
	for i := range users {
		if users[i].Username == username {
			return &users[i]
		}
	}
	return nil
}

func usernames(users []api.User) []string {
	var out []string
	for _, u := range users {
		out = append(out, u.Username)
	}
	return out
}

func flowSlugs(flows []api.Flow) []string {
	var out []string
	for _, f := range flows {
		out = append(out, f.Slug)
	}
	return out
}

func sortedInt32(xs ...int32) []int32 {
	return slices.Sorted(slices.Values(xs))
}
