package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/akctl/config"
	"github.com/akgo/akgo/internal/akctl/resource"
	"github.com/akgo/akgo/pkg/client"
)

func TestReport(t *testing.T) {
	conn := &config.Connection{URL: "http://127.0.0.1:9", Context: "local", URLSource: config.SourceContext, TokenSource: config.SourceContext}
	netErr := &url.Error{Op: "Get", URL: "http://127.0.0.1:9/api/v3/flows/instances/", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	tests := []struct {
		name string
		err  error
		code ExitCode
		want []string
	}{
		{"nil", nil, ExitOK, nil},
		{"plain", errors.New("boom"), ExitError, []string{"boom"}},
		{"usage", Usagef("bad flag"), ExitUsage, []string{"bad flag"}},
		{"not found", &resource.NotFoundError{Resource: "flows", Name: "x"}, ExitNotFound, []string{`flows "x" not found`}},
		{"wrapped not found", fmt.Errorf("outer: %w", &resource.NotFoundError{Resource: "users", Name: "y"}), ExitNotFound, []string{`users "y" not found`}},
		{"unknown resource", &resource.UnknownResourceError{Name: "flowz", Suggestions: []string{"flows"}}, ExitUsage, []string{"did you mean flows"}},
		{"unknown context", &config.UnknownContextError{Name: "p", Known: []string{"a"}, Path: "/c"}, ExitNotFound, []string{`context "p" not found`}},
		{"cancelled", ErrCancelled, ExitCancelled, []string{"cancelled"}},
		{"interrupted", fmt.Errorf("list: %w", context.Canceled), ExitInterrupted, []string{"interrupted"}},
		{"validation field by field", fmt.Errorf("create flows: %w", &client.APIError{Method: "POST", Path: "/flows/instances/", StatusCode: 400,
			Fields: map[string][]string{"slug": {"flow with this slug already exists."}, "designation": {`"x" is not a valid choice.`}}, NonField: []string{"bad"}}),
			ExitValidation, []string{"create flows: the server rejected the request (400):\n  bad\n  designation: \"x\" is not a valid choice.\n  slug: flow with this slug already exists."}},
		{"permission", fmt.Errorf("list users: %w", &client.APIError{Method: "GET", Path: "/core/users/", StatusCode: 403, Detail: "You do not have permission."}),
			ExitPermission, []string{"list users: permission denied (403): You do not have permission.", `the token of context "local"`}},
		{"unauthenticated", &client.APIError{Method: "GET", Path: "/core/users/", StatusCode: 401, Detail: "Token invalid"},
			ExitPermission, []string{"GET /core/users/: permission denied (401): Token invalid"}},
		{"api not found", &client.APIError{Method: "GET", Path: "/x/", StatusCode: 404, Detail: "Not found."}, ExitNotFound, []string{"not found (404): Not found."}},
		{"server error", &client.APIError{Method: "GET", Path: "/x/", StatusCode: 500, Body: []byte("<html>oops</html>")}, ExitServer, []string{"server error (500): <html>oops</html>"}},
		{"connection", fmt.Errorf("list flows: %w", &ConnectionError{Conn: conn, Err: netErr}), ExitConnection,
			[]string{`list flows: cannot connect to http://127.0.0.1:9 (context "local"): dial tcp: connection refused`, "is akserver running", "akctl config view"}},
		{"connection through net/http and pkg/client", fmt.Errorf("list users: %w", fmt.Errorf("GET /core/users/: %w",
			&url.Error{Op: "Get", URL: "http://127.0.0.1:9/api/v3/core/users/", Err: &ConnectionError{Conn: conn, Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}})),
			ExitConnection, []string{"list users: cannot connect to http://127.0.0.1:9 (context \"local\"): dial tcp: connection refused\nhint:"}},
		{"connection without a command's wrapping", fmt.Errorf("GET /core/users/: %w",
			&url.Error{Op: "Get", URL: "http://127.0.0.1:9/api/v3/core/users/", Err: &ConnectionError{Conn: conn, Err: errors.New("refused")}}),
			ExitConnection, []string{"cannot connect to http://127.0.0.1:9 (context \"local\"): refused\nhint:"}},
		{"not found says how to list", &resource.NotFoundError{Resource: "flows", Name: "x"}, ExitNotFound, []string{"hint: `akctl get flows` lists them"}},
		{"key format", &resource.KeyFormatError{Resource: "flowbindings", Name: "a", Key: []string{"target", "stage", "order"}}, ExitUsage,
			[]string{`flowbindings "a": name these objects by pk or by target/stage/order (3 parts separated by /)`}},
		{"not configured", &NotConfiguredError{ConfigPath: "/c.yaml"}, ExitUsage, []string{"no server configured", "AUTHENTIK_URL", "/c.yaml"}},
		{"chosen code, silent", &ExitCodeError{Code: ExitError}, ExitError, nil},
		{"chosen code keeps the message", &ExitCodeError{Code: ExitUsage, Err: fmt.Errorf("plan: %w", &ConnectionError{Conn: conn, Err: netErr})}, ExitUsage,
			[]string{"plan: cannot connect to http://127.0.0.1:9", "is akserver running"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, msg := Report(tt.err, conn)
			if code != tt.code {
				t.Errorf("code %d, want %d (%s)", code, tt.code, msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestExitCodesDocumented(t *testing.T) {
	seen := map[ExitCode]bool{}
	for _, e := range ExitCodes {
		if seen[e.Code] {
			t.Errorf("code %d listed twice", e.Code)
		}
		seen[e.Code] = true
	}
	for _, c := range []ExitCode{ExitOK, ExitError, ExitUsage, ExitNotFound, ExitPermission, ExitValidation, ExitConnection, ExitServer, ExitCancelled, ExitInterrupted} {
		if !seen[c] {
			t.Errorf("code %d is not in ExitCodes", c)
		}
	}
}
