package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/pkg/client"
)

// startServer runs a real akserver (SQLite) and returns an admin client of
// it. The harness validates nothing on this path: the client talks HTTP
// to the server like any other program.
func startServer(t *testing.T) (*apitest.Harness, *client.Client) {
	t.Helper()
	h := apitest.Start(t, "sqlite")
	c, err := client.New(h.URL, apitest.Token, client.WithUserAgent("akgo-client-e2e"))
	if err != nil {
		t.Fatal(err)
	}
	return h, c
}

func TestEndToEndFlows(t *testing.T) {
	_, c := startServer(t)
	ctx := context.Background()

	created, err := c.Flows.InstancesCreate(ctx, client.FlowRequest{
		Name: "E2E", Slug: "e2e-flow", Title: "E2E flow",
		Designation: client.FlowDesignationEnumAuthentication,
		Layout:      client.Ptr(client.FlowLayoutEnumSidebarLeft),
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if created.PK == "" || created.Slug != "e2e-flow" || created.Layout == nil || *created.Layout != client.FlowLayoutEnumSidebarLeft {
		t.Fatalf("created %+v", created)
	}

	list, err := c.Flows.InstancesList(ctx, &client.FlowsInstancesListParams{Slug: client.Ptr("e2e-flow")})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(list.Results) != 1 || list.Results[0].PK != created.PK || list.Pagination.Count != 1 {
		t.Fatalf("list = %+v", list)
	}

	patched, err := c.Flows.InstancesPartialUpdate(ctx, "e2e-flow", client.PatchedFlowRequest{Title: client.Ptr("Renamed")})
	if err != nil {
		t.Fatalf("patch: %v", err)
	}
	// A PATCH changes only what it sends.
	if patched.Title != "Renamed" || patched.Name != "E2E" || patched.Layout == nil || *patched.Layout != client.FlowLayoutEnumSidebarLeft {
		t.Errorf("patched %+v", patched)
	}

	updated, err := c.Flows.InstancesUpdate(ctx, "e2e-flow", client.FlowRequest{
		Name: "E2E v2", Slug: "e2e-flow", Title: "Renamed", Designation: client.FlowDesignationEnumEnrollment})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if updated.Name != "E2E v2" || updated.Designation != client.FlowDesignationEnumEnrollment {
		t.Errorf("updated %+v", updated)
	}

	got, err := c.Flows.InstancesRetrieve(ctx, "e2e-flow")
	if err != nil || got.Name != "E2E v2" {
		t.Fatalf("retrieve: %+v, %v", got, err)
	}

	if err := c.Flows.InstancesDestroy(ctx, "e2e-flow"); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	_, err = c.Flows.InstancesRetrieve(ctx, "e2e-flow")
	var apiErr *client.APIError
	if !client.IsNotFound(err) || !errors.As(err, &apiErr) || apiErr.Detail == "" {
		t.Errorf("retrieve after destroy: %v, want a 404 with a detail", err)
	}
}

func TestEndToEndValidationErrors(t *testing.T) {
	_, c := startServer(t)
	ctx := context.Background()
	flow := client.FlowRequest{Name: "V", Slug: "validation-flow", Title: "V", Designation: client.FlowDesignationEnumAuthentication}
	if _, err := c.Flows.InstancesCreate(ctx, flow); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		body  client.FlowRequest
		field string
	}{
		{name: "duplicate slug", body: flow, field: "slug"},
		{name: "slug with spaces", body: client.FlowRequest{Name: "V", Slug: "not a slug", Title: "V", Designation: client.FlowDesignationEnumAuthentication}, field: "slug"},
		{name: "missing name", body: client.FlowRequest{Slug: "other-flow", Title: "V", Designation: client.FlowDesignationEnumAuthentication}, field: "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Flows.InstancesCreate(ctx, tt.body)
			var apiErr *client.APIError
			if !errors.As(err, &apiErr) || !client.IsValidation(err) {
				t.Fatalf("error = %v, want a validation APIError", err)
			}
			if len(apiErr.Fields[tt.field]) == 0 {
				t.Errorf("Fields = %v, want messages for %q", apiErr.Fields, tt.field)
			}
			if !strings.Contains(err.Error(), tt.field+": ") {
				t.Errorf("message %q does not name the field", err)
			}
		})
	}
}

func TestEndToEndGroupsAndUsers(t *testing.T) {
	h, c := startServer(t)
	ctx := context.Background()

	parent, err := c.Core.GroupsCreate(ctx, client.GroupRequest{Name: "e2e-parent"})
	if err != nil {
		t.Fatalf("create parent: %v", err)
	}
	group, err := c.Core.GroupsCreate(ctx, client.GroupRequest{
		Name: "e2e-group", Parent: client.NewNullable(parent.PK), Attributes: map[string]any{"team": "blue"}})
	if err != nil {
		t.Fatalf("create group: %v", err)
	}
	if p, ok := group.Parent.Get(); !ok || p != parent.PK || group.Attributes["team"] != "blue" {
		t.Errorf("group %+v", group)
	}

	user, err := c.Core.UsersCreate(ctx, client.UserRequest{
		Username: "e2e-user", Name: "E2E User", Groups: []string{group.PK}, Email: client.Ptr("e2e@example.com")})
	if err != nil {
		t.Fatalf("create user: %v", err)
	}
	if len(user.Groups) != 1 || user.Groups[0] != group.PK {
		t.Errorf("user groups %v", user.Groups)
	}

	users, err := c.Core.UsersList(ctx, &client.CoreUsersListParams{GroupsByName: []string{"e2e-group"}})
	if err != nil {
		t.Fatalf("list users: %v", err)
	}
	if len(users.Results) != 1 || users.Results[0].Username != "e2e-user" {
		t.Errorf("users in e2e-group: %+v", users.Results)
	}

	// PATCH with an explicit null, an empty list and one field.
	patchedGroup, err := c.Core.GroupsPartialUpdate(ctx, group.PK, client.PatchedGroupRequest{Parent: client.Null[string]()})
	if err != nil {
		t.Fatalf("patch group: %v", err)
	}
	if !patchedGroup.Parent.IsNull() || patchedGroup.Attributes["team"] != "blue" {
		t.Errorf("patched group %+v", patchedGroup)
	}
	patchedUser, err := c.Core.UsersPartialUpdate(ctx, user.PK, client.PatchedUserRequest{Name: client.Ptr("Renamed"), Groups: []string{}})
	if err != nil {
		t.Fatalf("patch user: %v", err)
	}
	if patchedUser.Name != "Renamed" || len(patchedUser.Groups) != 0 || patchedUser.Email == nil || *patchedUser.Email != "e2e@example.com" {
		t.Errorf("patched user %+v", patchedUser)
	}

	// A custom action with a body and no response.
	if err := c.Core.GroupsAddUserCreate(ctx, group.PK, client.UserAccountRequest{PK: user.PK}); err != nil {
		t.Fatalf("add user: %v", err)
	}
	again, err := c.Core.GroupsRetrieve(ctx, group.PK)
	if err != nil || len(again.Users) != 1 || again.Users[0] != user.PK {
		t.Errorf("group after add_user: %+v, %v", again, err)
	}

	// Another user's token sees a 403 on an admin action.
	_, key := h.UserWithToken("e2e-plain")
	plain, err := client.New(h.URL, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Core.UsersCreate(ctx, client.UserRequest{Username: "x", Name: "x"}); !client.IsForbidden(err) {
		t.Errorf("create as a plain user: %v, want 403", err)
	}
	me, err := plain.Core.UsersMeRetrieve(ctx)
	if err != nil || me.User.Username != "e2e-plain" {
		t.Errorf("me: %+v, %v", me, err)
	}

	if err := c.Core.UsersDestroy(ctx, user.PK); err != nil {
		t.Fatalf("destroy user: %v", err)
	}
	if err := c.Core.GroupsDestroy(ctx, group.PK); err != nil {
		t.Fatalf("destroy group: %v", err)
	}
	if _, err := c.Core.GroupsRetrieve(ctx, group.PK); !client.IsNotFound(err) {
		t.Errorf("group after destroy: %v", err)
	}
}

func TestEndToEndIterator(t *testing.T) {
	_, c := startServer(t)
	ctx := context.Background()
	want := map[string]bool{}
	for i := range 7 {
		name := fmt.Sprintf("e2e-iter-%d", i)
		if _, err := c.Core.GroupsCreate(ctx, client.GroupRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		want[name] = true
	}
	pages := 0
	got := map[string]bool{}
	for g, err := range client.All(ctx, func(n int) (*client.PaginatedGroupList, error) {
		pages++
		return c.Core.GroupsList(ctx, &client.CoreGroupsListParams{Search: client.Ptr("e2e-iter-"), Page: &n, PageSize: client.Ptr(3)})
	}) {
		if err != nil {
			t.Fatal(err)
		}
		if got[g.Name] {
			t.Errorf("%s seen twice", g.Name)
		}
		got[g.Name] = true
	}
	if pages != 3 || len(got) != len(want) {
		t.Errorf("walked %d pages and %d groups, want 3 pages and %d groups: %v", pages, len(got), len(want), got)
	}
	for name := range want {
		if !got[name] {
			t.Errorf("%s missing", name)
		}
	}
}

// TestEndToEndEveryModel creates an object of every model akserver serves
// (with the test harness's builder), then reads each back through its
// typed retrieve method and checks that every property of the server's
// JSON survives decoding into the generated type and encoding again: a
// misnamed tag, a wrong type or a dropped property fails here. It then
// calls every list and retrieve operation without path parameters, so
// each of their response types is decoded from real data too.
func TestEndToEndEveryModel(t *testing.T) {
	h, c := startServer(t)
	b := apitest.NewBuilder(h)
	ctx := context.Background()
	cv := reflect.ValueOf(c).Elem()
	models := 0
	for _, ep := range h.App.Registry.Endpoints {
		retrieve := ep.Ops[registry.OpRetrieve]
		if ep.Ops[registry.OpCreate] == "" || retrieve == "" {
			continue
		}
		models++
		created := b.Create(ep)
		op, ok := client.LookupOperation(retrieve)
		if !ok {
			t.Errorf("%s: no operation %s", ep.Path, retrieve)
			continue
		}
		m := cv.FieldByName(op.Service).MethodByName(op.Name)
		var lookup any
		for _, k := range []string{ep.LookupField, "pk", ep.Lookup} {
			if lookup = created[k]; lookup != nil {
				break
			}
		}
		args := []reflect.Value{reflect.ValueOf(ctx)}
		switch v := lookup.(type) {
		case float64:
			args = append(args, reflect.ValueOf(int(v)))
		case string:
			args = append(args, reflect.ValueOf(v))
		default:
			t.Errorf("%s: lookup value %v", ep.Path, lookup)
			continue
		}
		for i := len(args); i < m.Type().NumIn(); i++ {
			args = append(args, reflect.Zero(m.Type().In(i)))
		}
		out := m.Call(args)
		if err, _ := out[1].Interface().(error); err != nil {
			t.Errorf("%s: %v", op.ID, err)
			continue
		}
		again, err := json.Marshal(out[0].Interface())
		if err != nil {
			t.Errorf("%s: encode: %v", op.ID, err)
			continue
		}
		var roundTrip map[string]any
		if err := json.Unmarshal(again, &roundTrip); err != nil {
			t.Fatal(err)
		}
		for k, want := range created {
			if got, ok := roundTrip[k]; !ok {
				t.Errorf("%s: property %q lost by %s", op.ID, k, out[0].Type())
			} else if !sameJSON(got, want) {
				t.Errorf("%s: property %q = %v after decoding, server sent %v", op.ID, k, got, want)
			}
		}
	}
	if models < 50 {
		t.Errorf("created only %d kinds of objects", models)
	}

	called, decoded := 0, 0
	for _, op := range client.Operations() {
		if op.Method != "GET" || strings.Contains(op.Path, "{") {
			continue
		}
		m := cv.FieldByName(op.Service).MethodByName(op.Name)
		args := []reflect.Value{reflect.ValueOf(ctx)}
		for i := 1; i < m.Type().NumIn(); i++ {
			args = append(args, reflect.Zero(m.Type().In(i)))
		}
		out := m.Call(args)
		called++
		err, _ := out[len(out)-1].Interface().(error)
		var apiErr *client.APIError
		bug, known := knownServerBugs[op.ID]
		switch {
		case known && err != nil && !errors.As(err, &apiErr):
			t.Logf("%s: known akserver bug (%s): %v", op.ID, bug, err)
		case known:
			t.Errorf("%s: decodes now; remove it from knownServerBugs", op.ID)
		case err == nil:
			decoded++
		case !errors.As(err, &apiErr):
			t.Errorf("%s: %v", op.ID, err)
		case apiErr.StatusCode != 501 && apiErr.StatusCode != 400:
			// 501: not implemented by akgo yet; 400: a required query
			// parameter was left out on purpose.
			t.Errorf("%s: %v", op.ID, err)
		}
	}
	t.Logf("round-tripped %d models; called %d operations, decoded %d responses", models, called, decoded)
	if called < 100 || decoded < called*9/10 {
		t.Errorf("called %d operations and decoded %d responses: too few", called, decoded)
	}
}

// knownServerBugs are the operations whose akserver responses do not
// match the schema, so the typed client (rightly) cannot decode them. The
// test fails once one decodes, so the list shrinks as akserver is fixed.
var knownServerBugs = map[string]string{}

// sameJSON compares the server's JSON (want) with the typed client's
// re-encoding of it (got). Two spellings of one RFC 3339 instant are
// equal, and a null the server sent for a property its schema does not
// make nullable may come back as the Go zero value ("", 0, false).
func sameJSON(got, want any) bool {
	switch w := want.(type) {
	case nil:
		switch got {
		case nil, "", 0.0, false:
			return true
		}
		return false
	case string:
		g, ok := got.(string)
		if !ok {
			return false
		}
		if g == w {
			return true
		}
		gt, gerr := time.Parse(time.RFC3339Nano, g)
		wt, werr := time.Parse(time.RFC3339Nano, w)
		return gerr == nil && werr == nil && gt.Equal(wt)
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) < len(w) {
			return false
		}
		for k, wv := range w {
			if gv, ok := g[k]; !ok || !sameJSON(gv, wv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !sameJSON(g[i], w[i]) {
				return false
			}
		}
		return true
	}
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	return string(gj) == string(wj)
}
