package flowsapi_test

import (
	"net/http"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
)

// create posts a valid body for the endpoint with the given fields set.
func create(t *testing.T, h *apitest.Harness, path string, fields map[string]any) map[string]any {
	t.Helper()
	b := apitest.NewBuilder(h)
	ep, ok := h.App.Registry.Endpoint(path)
	if !ok {
		t.Fatalf("no endpoint %s", path)
	}
	body := b.Body(ep, false)
	for k, v := range fields {
		body[k] = v
	}
	return h.Do(http.MethodPost, path, body).Expect(t, http.StatusCreated).Object()
}

// authenticationFlow builds a flow shaped like authentik's
// default-authentication-flow and returns its slug.
func authenticationFlow(t *testing.T, h *apitest.Harness) string {
	t.Helper()
	flow := create(t, h, "/flows/instances/", map[string]any{"name": "Welcome to authentik!", "slug": "default-authentication-flow",
		"title": "Welcome to authentik!", "designation": "authentication"})
	stages := []struct{ path, name string }{
		{"/stages/identification/", "default-authentication-identification"},
		{"/stages/password/", "default-authentication-password"},
		{"/stages/authenticator/validate/", "default-authentication-mfa-validation"},
		{"/stages/user_login/", "default-authentication-login"},
	}
	var bindings []map[string]any
	for i, st := range stages {
		s := create(t, h, st.path, map[string]any{"name": st.name})
		bindings = append(bindings, create(t, h, "/flows/bindings/", map[string]any{"target": flow["pk"], "stage": s["pk"], "order": 10 * (i + 1)}))
	}
	policy := create(t, h, "/policies/expression/", map[string]any{"name": "default-authentication-flow-password-stage", "expression": "return True"})
	create(t, h, "/policies/bindings/", map[string]any{"policy": policy["pk"], "target": bindings[1]["policybindingmodel_ptr_id"], "order": 10})
	// A group binding is not drawn.
	group := create(t, h, "/core/groups/", map[string]any{"name": "diagram-group"})
	create(t, h, "/policies/bindings/", map[string]any{"group": group["pk"], "target": bindings[2]["policybindingmodel_ptr_id"], "order": 0})
	return flow["slug"].(string)
}

const wantAuthenticationDiagram = `graph TD
flow_start[["Flow
Welcome to authentik!"]]
--> stage_0(["Stage (Identification Stage)
default-authentication-identification"])
stage_1_policy_0 --Policy passed--> stage_1(["Stage (Password Stage)
default-authentication-password"])
--> stage_2(["Stage (Authenticator Validation Stage)
default-authentication-mfa-validation"])
--> stage_3(["Stage (User Login Stage)
default-authentication-login"])
stage_0 --> stage_1_policy_0{{"Policy (Expression Policy)
default-authentication-flow-password-stage"}}
stage_1_policy_0 --Policy denied--> stage_2(["Stage (Authenticator Validation Stage)
default-authentication-mfa-validation"])
stage_3 --> done[["End of the flow"]]`

func TestDiagramRetrieve(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			slug := authenticationFlow(t, h)
			flowPK := h.Do(http.MethodGet, "/flows/instances/"+slug+"/", nil).Expect(t, http.StatusOK).Object()["pk"].(string)
			viewerPK, viewer := h.UserWithToken("diagram-viewer")
			h.Grant(viewerPK, []string{"authentik_flows.view_flow"}, "authentik_flows.flow", flowPK)
			_, stranger := h.UserWithToken("diagram-stranger")
			cases := []struct {
				name   string
				token  string
				slug   string
				status int
				want   string
			}{
				{"admin sees every binding", apitest.Token, slug, http.StatusOK, wantAuthenticationDiagram},
				{"viewer without binding permissions sees the bare flow", viewer, slug, http.StatusOK,
					"graph TD\nflow_start[[\"Flow\nWelcome to authentik!\"]]\nflow_start --> done[[\"End of the flow\"]]"},
				{"user without permission gets 404", stranger, slug, http.StatusNotFound, ""},
				{"missing flow gets 404", apitest.Token, "no-such-flow", http.StatusNotFound, ""},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					res := h.DoAs(tc.token, http.MethodGet, "/flows/instances/"+tc.slug+"/diagram/", nil).Expect(t, tc.status)
					if tc.want != "" && res.Object()["diagram"] != tc.want {
						t.Errorf("diagram\n got: %q\nwant: %q", res.Object()["diagram"], tc.want)
					}
				})
			}
		})
	}
}

func TestExecuteRetrieve(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	open := create(t, h, "/flows/instances/", map[string]any{"slug": "exec-open", "designation": "authentication"})
	superOnly := create(t, h, "/flows/instances/", map[string]any{"slug": "exec-super", "designation": "authentication", "authentication": "require_superuser"})
	anonOnly := create(t, h, "/flows/instances/", map[string]any{"slug": "exec-anon", "designation": "authentication", "authentication": "require_unauthenticated"})
	denied := create(t, h, "/flows/instances/", map[string]any{"slug": "exec-denied", "designation": "authentication"})
	policy := create(t, h, "/policies/expression/", map[string]any{"name": "exec-deny", "expression": "ak_message(\"go away\")\nreturn False"})
	create(t, h, "/policies/bindings/", map[string]any{"policy": policy["pk"], "target": denied["policybindingmodel_ptr_id"], "order": 0})
	userPK, user := h.UserWithToken("exec-user")
	h.Grant(userPK, []string{"authentik_flows.view_flow"}, "", "")
	_, stranger := h.UserWithToken("exec-stranger")
	cases := []struct {
		name    string
		token   string
		slug    string
		status  int
		message string
	}{
		{"admin gets the flow interface link", apitest.Token, open["slug"].(string), http.StatusOK, ""},
		{"viewer gets the link", user, open["slug"].(string), http.StatusOK, ""},
		{"superuser-only flow refuses a plain user", user, superOnly["slug"].(string), http.StatusBadRequest, "Flow not applicable to current user/request: "},
		{"superuser-only flow admits the admin", apitest.Token, superOnly["slug"].(string), http.StatusOK, ""},
		{"unauthenticated-only flow refuses any caller", apitest.Token, anonOnly["slug"].(string), http.StatusBadRequest, "Flow not applicable to current user/request: "},
		{"denying policy reports its message", apitest.Token, denied["slug"].(string), http.StatusBadRequest, "Flow not applicable to current user/request: go away"},
		{"invisible flow is 404", stranger, open["slug"].(string), http.StatusNotFound, ""},
		{"missing flow is 404", apitest.Token, "no-such-flow", http.StatusNotFound, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := h.DoAs(tc.token, http.MethodGet, "/flows/instances/"+tc.slug+"/execute/", nil).Expect(t, tc.status)
			switch tc.status {
			case http.StatusOK:
				want := h.URL + "/if/flow/" + tc.slug + "/"
				if res.Object()["link"] != want {
					t.Errorf("link %v, want %s", res.Object()["link"], want)
				}
			case http.StatusBadRequest:
				msgs, _ := res.Object()["non_field_errors"].([]any)
				if len(msgs) != 1 || msgs[0] != tc.message {
					t.Errorf("errors %s, want %q", res.Body, tc.message)
				}
			}
		})
	}
}
