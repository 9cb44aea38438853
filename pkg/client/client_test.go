package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// step is one scripted response of a fake server.
type step struct {
	status     int
	retryAfter string
	body       string
}

// script is a fake server answering requests with its steps in turn (the
// last one repeats), recording what it received.
type script struct {
	mu      sync.Mutex
	steps   []step
	methods []string
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	i := len(s.methods)
	s.methods = append(s.methods, r.Method)
	s.mu.Unlock()
	st := s.steps[min(i, len(s.steps)-1)]
	if st.retryAfter != "" {
		w.Header().Set("Retry-After", st.retryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(st.status)
	_, _ = io.WriteString(w, st.body)
}

func (s *script) attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.methods)
}

// newScripted starts a fake server and a client whose waits are recorded
// instead of slept, with jitter fixed at its midpoint.
func newScripted(t *testing.T, steps []step, policy RetryPolicy) (*Client, *script, *[]time.Duration) {
	t.Helper()
	s := &script{steps: steps}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	var waits []time.Duration
	c, err := New(srv.URL, "tok", WithRetry(policy), func(tr *transport) {
		tr.sleep = func(ctx context.Context, d time.Duration) error {
			waits = append(waits, d)
			return ctx.Err()
		}
		tr.jitter = func() float64 { return 0.5 }
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, s, &waits
}

func TestRetry(t *testing.T) {
	policy := RetryPolicy{MaxRetries: 3, MinBackoff: 100 * time.Millisecond, MaxBackoff: 300 * time.Millisecond, MaxRetryAfter: 10 * time.Second}
	ok := step{status: 200, body: `{"detail":"ok"}`}
	unavailable := step{status: 503, body: `{"detail":"maintenance"}`}
	tests := []struct {
		name       string
		method     string
		steps      []step
		wantStatus int // 0: success
		wantCalls  int
		wantWaits  []time.Duration
	}{
		{name: "GET 503 then success", method: "GET", steps: []step{unavailable, ok},
			wantCalls: 2, wantWaits: []time.Duration{75 * time.Millisecond}},
		{name: "GET retries until exhausted with capped exponential backoff", method: "GET", steps: []step{unavailable},
			wantStatus: 503, wantCalls: 4, wantWaits: []time.Duration{75 * time.Millisecond, 150 * time.Millisecond, 225 * time.Millisecond}},
		{name: "PUT 502 then success", method: "PUT", steps: []step{{status: 502}, ok},
			wantCalls: 2, wantWaits: []time.Duration{75 * time.Millisecond}},
		{name: "DELETE 504 then 204", method: "DELETE", steps: []step{{status: 504}, {status: 204}},
			wantCalls: 2, wantWaits: []time.Duration{75 * time.Millisecond}},
		{name: "GET 429 honours Retry-After seconds", method: "GET", steps: []step{{status: 429, retryAfter: "3"}, ok},
			wantCalls: 2, wantWaits: []time.Duration{3 * time.Second}},
		{name: "GET gives up when Retry-After exceeds the policy", method: "GET", steps: []step{{status: 429, retryAfter: "3600"}, ok},
			wantStatus: 429, wantCalls: 1},
		{name: "POST 503 is not retried", method: "POST", steps: []step{unavailable, ok},
			wantStatus: 503, wantCalls: 1},
		{name: "PATCH 429 is not retried", method: "PATCH", steps: []step{{status: 429, retryAfter: "1"}, ok},
			wantStatus: 429, wantCalls: 1},
		{name: "GET 500 is not retried", method: "GET", steps: []step{{status: 500}, ok},
			wantStatus: 500, wantCalls: 1},
		{name: "GET 404 is not retried", method: "GET", steps: []step{{status: 404, body: `{"detail":"Not found."}`}, ok},
			wantStatus: 404, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s, waits := newScripted(t, tt.steps, policy)
			err := c.Do(context.Background(), tt.method, "/thing/", nil, nil, nil)
			if tt.wantStatus == 0 && err != nil {
				t.Fatalf("Do: %v", err)
			}
			if tt.wantStatus != 0 {
				var apiErr *APIError
				if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.wantStatus {
					t.Fatalf("error = %v, want an APIError with status %d", err, tt.wantStatus)
				}
			}
			if got := s.attempts(); got != tt.wantCalls {
				t.Errorf("attempts = %d, want %d", got, tt.wantCalls)
			}
			if len(*waits) != len(tt.wantWaits) {
				t.Fatalf("waits = %v, want %v", *waits, tt.wantWaits)
			}
			for i, w := range tt.wantWaits {
				if (*waits)[i] != w {
					t.Errorf("wait %d = %v, want %v", i, (*waits)[i], w)
				}
			}
		})
	}
}

func TestRetryGeneratedMethods(t *testing.T) {
	// The generated methods go through the same policy: a retrieve is
	// retried, a create is not.
	flow := `{"pk":"0b5e4b43-8e6b-4f55-a3a2-1f0cd1d9b2c1","slug":"f","name":"F","title":"T","designation":"authentication"}`
	c, s, _ := newScripted(t, []step{{status: 503}, {status: 200, body: flow}}, DefaultRetryPolicy)
	got, err := c.Flows.InstancesRetrieve(context.Background(), "f")
	if err != nil {
		t.Fatalf("InstancesRetrieve: %v", err)
	}
	if got.Slug != "f" || got.Designation != FlowDesignationEnumAuthentication || s.attempts() != 2 {
		t.Errorf("got %+v after %d attempts, want slug f after 2", got, s.attempts())
	}

	c, s, _ = newScripted(t, []step{{status: 503}, {status: 201, body: flow}}, DefaultRetryPolicy)
	_, err = c.Flows.InstancesCreate(context.Background(), FlowRequest{Name: "F", Slug: "f", Title: "T", Designation: FlowDesignationEnumAuthentication})
	if !hasStatus(err, 503) || s.attempts() != 1 {
		t.Errorf("InstancesCreate: err %v after %d attempts, want 503 after 1", err, s.attempts())
	}
}

func TestBackoff(t *testing.T) {
	p := RetryPolicy{MinBackoff: time.Second, MaxBackoff: 5 * time.Second, MaxRetryAfter: time.Minute}
	tests := []struct {
		name          string
		attempt       int
		jitter        float64
		want          time.Duration
		retryAfter    string
		wantGiveUp    bool
		retryAfterSet bool
	}{
		{name: "first retry, no jitter", attempt: 0, jitter: 0, want: 500 * time.Millisecond},
		{name: "first retry, full jitter", attempt: 0, jitter: 1, want: time.Second},
		{name: "third retry doubles twice", attempt: 2, jitter: 1, want: 4 * time.Second},
		{name: "capped at MaxBackoff", attempt: 10, jitter: 1, want: 5 * time.Second},
		{name: "capped, no jitter", attempt: 10, jitter: 0, want: 2500 * time.Millisecond},
		{name: "Retry-After wins over backoff", attempt: 5, jitter: 0, retryAfter: "7", want: 7 * time.Second},
		{name: "Retry-After zero", attempt: 0, jitter: 1, retryAfter: "0", want: 0},
		{name: "Retry-After too long", attempt: 0, jitter: 0, retryAfter: "61", want: 61 * time.Second, wantGiveUp: true},
		{name: "unparsable Retry-After falls back to backoff", attempt: 1, jitter: 1, retryAfter: "soon", want: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := p.wait(tt.attempt, tt.retryAfter, func() float64 { return tt.jitter })
			if got != tt.want || ok == tt.wantGiveUp {
				t.Errorf("wait = %v, %t; want %v, %t", got, ok, tt.want, !tt.wantGiveUp)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2023, 10, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		value  string
		want   time.Duration
		wantOK bool
	}{
		{name: "seconds", value: "120", want: 2 * time.Minute, wantOK: true},
		{name: "HTTP date", value: now.Add(90 * time.Second).Format(http.TimeFormat), want: 90 * time.Second, wantOK: true},
		{name: "date in the past", value: now.Add(-time.Hour).Format(http.TimeFormat), want: 0, wantOK: true},
		{name: "negative", value: "-1"},
		{name: "empty", value: ""},
		{name: "garbage", value: "later"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseRetryAfter(tt.value, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("parseRetryAfter(%q) = %v, %t; want %v, %t", tt.value, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestCancellation(t *testing.T) {
	blocking := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	unavailable := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	tests := []struct {
		name    string
		handler http.Handler
		opts    []Option
		ctx     func() (context.Context, context.CancelFunc)
		wantErr error
		wantAPI bool // the error also carries the last APIError
	}{
		{name: "cancel during the request", handler: blocking,
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(50*time.Millisecond, cancel)
				return ctx, cancel
			}, wantErr: context.Canceled},
		{name: "client timeout", handler: blocking, opts: []Option{WithTimeout(50 * time.Millisecond)},
			ctx:     func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
			wantErr: context.DeadlineExceeded},
		{name: "cancel while waiting to retry", handler: unavailable,
			opts: []Option{WithRetry(RetryPolicy{MaxRetries: 5, MinBackoff: time.Hour, MaxBackoff: time.Hour})},
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(50*time.Millisecond, cancel)
				return ctx, cancel
			}, wantErr: context.Canceled, wantAPI: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			t.Cleanup(srv.Close)
			c, err := New(srv.URL, "", tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := tt.ctx()
			defer cancel()
			start := time.Now()
			err = c.Do(ctx, "GET", "/slow/", nil, nil, nil)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if got := hasStatus(err, http.StatusServiceUnavailable); got != tt.wantAPI {
				t.Errorf("error carries the 503: %t, want %t (%v)", got, tt.wantAPI, err)
			}
			if time.Since(start) > 10*time.Second {
				t.Errorf("took %v: the call did not stop with its context", time.Since(start))
			}
		})
	}
}

func TestDeadlineShorterThanWaitReturnsAPIError(t *testing.T) {
	c, s, waits := newScripted(t, []step{{status: 503, retryAfter: "30"}}, DefaultRetryPolicy)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := c.Do(ctx, "GET", "/x/", nil, nil, nil)
	if !hasStatus(err, 503) || s.attempts() != 1 || len(*waits) != 0 {
		t.Errorf("err %v after %d attempts and waits %v; want the 503 at once", err, s.attempts(), *waits)
	}
}

func TestNewBaseURL(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "host only", in: "https://auth.example.com", want: "https://auth.example.com/api/v3"},
		{name: "trailing slash", in: "https://auth.example.com/", want: "https://auth.example.com/api/v3"},
		{name: "already the API root", in: "http://127.0.0.1:9000/api/v3/", want: "http://127.0.0.1:9000/api/v3"},
		{name: "behind a path prefix", in: "https://example.com/authentik", want: "https://example.com/authentik/api/v3"},
		{name: "no scheme", in: "auth.example.com", wantErr: true},
		{name: "unsupported scheme", in: "ftp://auth.example.com", wantErr: true},
		{name: "query", in: "https://auth.example.com/?x=1", wantErr: true},
		{name: "unparsable", in: "http://[::1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.in, "")
			if tt.wantErr {
				if err == nil {
					t.Fatalf("New(%q) = %s, want an error", tt.in, c.BaseURL())
				}
				return
			}
			if err != nil {
				t.Fatalf("New(%q): %v", tt.in, err)
			}
			if c.BaseURL() != tt.want {
				t.Errorf("BaseURL = %q, want %q", c.BaseURL(), tt.want)
			}
		})
	}
}

func TestRequestShape(t *testing.T) {
	type seen struct {
		method, path, rawQuery, auth, ua, accept, contentType string
	}
	var got seen
	var gotBody map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = seen{method: r.Method, path: r.URL.EscapedPath(), rawQuery: r.URL.RawQuery, auth: r.Header.Get("Authorization"),
			ua: r.Header.Get("User-Agent"), accept: r.Header.Get("Accept"), contentType: r.Header.Get("Content-Type")}
		if data, _ := io.ReadAll(r.Body); len(data) > 0 {
			if err := json.Unmarshal(data, &gotBody); err != nil {
				t.Errorf("body %q: %v", data, err)
			}
		}
		switch r.Method {
		case http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		case http.MethodPatch:
			_, _ = io.WriteString(w, `{"pk":7,"username":"jane","name":"Jane","groups":[],"groups_obj":[],"avatar":"","uid":"x","uuid":"u","is_superuser":false,"path":"users"}`)
		default:
			_, _ = io.WriteString(w, `{"pagination":{"next":0,"previous":0,"count":0,"current":1,"total_pages":1,"start_index":0,"end_index":0},"results":[]}`)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "secret", WithUserAgent("test-agent/1"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	since := time.Date(2023, 10, 4, 12, 30, 0, 0, time.UTC)

	tests := []struct {
		name     string
		call     func() error
		want     seen
		wantBody map[string]any
	}{
		{name: "list with typed query parameters",
			call: func() error {
				_, err := c.Core.UsersList(ctx, &CoreUsersListParams{
					Username: Ptr("a b&c"), IsActive: Ptr(false), GroupsByName: []string{"x", "y"},
					PageSize: Ptr(5), Email: nil,
				})
				return err
			},
			want: seen{method: "GET", path: "/api/v3/core/users/",
				rawQuery: "groups_by_name=x&groups_by_name=y&is_active=false&page_size=5&username=a+b%26c",
				auth:     "Bearer secret", ua: "test-agent/1", accept: "application/json"}},
		{name: "date-time query parameters are RFC 3339",
			call: func() error {
				_, err := c.Core.TokensList(ctx, &CoreTokensListParams{Expires: &since})
				return err
			},
			want: seen{method: "GET", path: "/api/v3/core/tokens/", rawQuery: "expires=2023-10-04T12%3A30%3A00Z",
				auth: "Bearer secret", ua: "test-agent/1", accept: "application/json"}},
		{name: "nil parameters send no query",
			call: func() error { _, err := c.Flows.InstancesList(ctx, nil); return err },
			want: seen{method: "GET", path: "/api/v3/flows/instances/", auth: "Bearer secret", ua: "test-agent/1", accept: "application/json"}},
		{name: "patch sends exactly the fields set",
			call: func() error {
				_, err := c.Core.UsersPartialUpdate(ctx, 7, PatchedUserRequest{Name: Ptr("Jane"), LastLogin: Null[time.Time](), Groups: []string{}})
				return err
			},
			want: seen{method: "PATCH", path: "/api/v3/core/users/7/", auth: "Bearer secret", ua: "test-agent/1",
				accept: "application/json", contentType: "application/json"},
			wantBody: map[string]any{"name": "Jane", "last_login": nil, "groups": []any{}}},
		{name: "path parameters are escaped",
			call: func() error { return c.Flows.InstancesDestroy(ctx, "a/b c") },
			want: seen{method: "DELETE", path: "/api/v3/flows/instances/a%2Fb%20c/", auth: "Bearer secret", ua: "test-agent/1", accept: "application/json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, gotBody = seen{}, nil
			if err := tt.call(); err != nil {
				t.Fatalf("call: %v", err)
			}
			// encoding/json sorts map keys, so equal maps encode equally.
			g, _ := json.Marshal(gotBody)
			w, _ := json.Marshal(tt.wantBody)
			if string(g) != string(w) {
				t.Errorf("body = %s, want %s", g, w)
			}
			if got != tt.want {
				t.Errorf("request =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, body, wantDetail, wantCode, wantMsg string
		status                                    int
		wantFields                                map[string][]string
		wantNonField                              []string
	}{
		{name: "validation error with fields", status: 400,
			body:       `{"slug":["flow with this slug already exists."],"name":["This field is required.","Too short."]}`,
			wantFields: map[string][]string{"slug": {"flow with this slug already exists."}, "name": {"This field is required.", "Too short."}},
			wantMsg:    "authentik: POST /flows/instances/: 400 Bad Request: name: This field is required. Too short.; slug: flow with this slug already exists."},
		{name: "non-field errors", status: 400, body: `{"non_field_errors":["Invalid combination."]}`,
			wantNonField: []string{"Invalid combination."},
			wantMsg:      "authentik: POST /flows/instances/: 400 Bad Request: Invalid combination."},
		{name: "nested serializer errors are flattened", status: 400,
			body:       `{"attributes":{"settings":["Not a dict."]},"fields":[{},{"name":["Blank."]}]}`,
			wantFields: map[string][]string{"attributes.settings": {"Not a dict."}, "fields.1.name": {"Blank."}}},
		{name: "a field called code", status: 400, body: `{"code":["Invalid code."]}`,
			wantFields: map[string][]string{"code": {"Invalid code."}}},
		{name: "top-level list", status: 400, body: `["Something is wrong."]`, wantNonField: []string{"Something is wrong."}},
		{name: "forbidden detail", status: 403, body: `{"detail":"Authentication credentials were not provided.","code":"not_authenticated"}`,
			wantDetail: "Authentication credentials were not provided.", wantCode: "not_authenticated",
			wantMsg: "authentik: POST /flows/instances/: 403 Forbidden: Authentication credentials were not provided."},
		{name: "not found", status: 404, body: `{"detail":"Not found."}`, wantDetail: "Not found."},
		{name: "proxy error page", status: 502, body: "<html>bad gateway</html>",
			wantMsg: "authentik: POST /flows/instances/: 502 Bad Gateway: <html>bad gateway</html>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, _ := newScripted(t, []step{{status: tt.status, body: tt.body}}, RetryPolicy{})
			_, err := c.Flows.InstancesCreate(context.Background(), FlowRequest{})
			var e *APIError
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an APIError", err)
			}
			if e.StatusCode != tt.status || e.Detail != tt.wantDetail || e.Code != tt.wantCode || e.Operation != "flows_instances_create" {
				t.Errorf("status %d detail %q code %q op %q", e.StatusCode, e.Detail, e.Code, e.Operation)
			}
			if !equalFields(e.Fields, tt.wantFields) {
				t.Errorf("Fields = %v, want %v", e.Fields, tt.wantFields)
			}
			if !equalStrings(e.NonField, tt.wantNonField) {
				t.Errorf("NonField = %v, want %v", e.NonField, tt.wantNonField)
			}
			if string(e.Body) != tt.body {
				t.Errorf("Body = %q", e.Body)
			}
			if tt.wantMsg != "" && e.Error() != tt.wantMsg {
				t.Errorf("Error() =\n%s\nwant\n%s", e.Error(), tt.wantMsg)
			}
			checks := map[string]bool{"IsValidation": IsValidation(err), "IsNotFound": IsNotFound(err), "IsForbidden": IsForbidden(err)}
			want := map[string]bool{"IsValidation": tt.status == 400, "IsNotFound": tt.status == 404, "IsForbidden": tt.status == 403}
			for name, got := range checks {
				if got != want[name] {
					t.Errorf("%s = %t, want %t", name, got, want[name])
				}
			}
		})
	}
}

func equalFields(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !equalStrings(v, b[k]) {
			return false
		}
	}
	return true
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPaginationIterators(t *testing.T) {
	// Three pages of two, three and one flows.
	pages := [][]string{{"a", "b"}, {"c", "d", "e"}, {"f"}}
	var mu sync.Mutex
	var fetched []int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("page"))
		mu.Lock()
		fetched = append(fetched, n)
		mu.Unlock()
		if n == 99 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		next := n + 1
		if n == len(pages) {
			next = 0
		}
		page := PaginatedFlowList{Pagination: Pagination{Next: float64(next), Current: float64(n), TotalPages: 3, Count: 6}}
		for _, slug := range pages[n-1] {
			page.Results = append(page.Results, Flow{Slug: slug})
		}
		_ = json.NewEncoder(w).Encode(page)
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "t", WithRetry(RetryPolicy{}))
	if err != nil {
		t.Fatal(err)
	}
	fetch := func(ctx context.Context) func(int) (*PaginatedFlowList, error) {
		return func(n int) (*PaginatedFlowList, error) {
			return c.Flows.InstancesList(ctx, &FlowsInstancesListParams{Page: &n, PageSize: Ptr(3)})
		}
	}
	tests := []struct {
		name        string
		walk        func() ([]string, error)
		want        []string
		wantFetched []int
		wantErr     bool
	}{
		{name: "All walks every page", want: []string{"a", "b", "c", "d", "e", "f"}, wantFetched: []int{1, 2, 3},
			walk: func() ([]string, error) {
				var got []string
				for f, err := range All(context.Background(), fetch(context.Background())) {
					if err != nil {
						return got, err
					}
					got = append(got, f.Slug)
				}
				return got, nil
			}},
		{name: "breaking out stops fetching", want: []string{"a", "b", "c"}, wantFetched: []int{1, 2},
			walk: func() ([]string, error) {
				var got []string
				for f, err := range All(context.Background(), fetch(context.Background())) {
					if err != nil {
						return got, err
					}
					got = append(got, f.Slug)
					if len(got) == 3 {
						break
					}
				}
				return got, nil
			}},
		{name: "Pages yields whole pages", want: []string{"2", "3", "1"}, wantFetched: []int{1, 2, 3},
			walk: func() ([]string, error) {
				var got []string
				for p, err := range Pages(context.Background(), fetch(context.Background())) {
					if err != nil {
						return got, err
					}
					got = append(got, strconv.Itoa(len(p.Results)))
				}
				return got, nil
			}},
		{name: "an error ends the walk", want: []string{"a", "b", "c", "d", "e"}, wantFetched: []int{1, 2, 99}, wantErr: true,
			walk: func() ([]string, error) {
				var got []string
				ctx := context.Background()
				for f, err := range All(ctx, func(n int) (*PaginatedFlowList, error) {
					if n == 3 {
						n = 99
					}
					return fetch(ctx)(n)
				}) {
					if err != nil {
						return got, err
					}
					got = append(got, f.Slug)
				}
				return got, nil
			}},
		{name: "a cancelled context stops before fetching", want: nil, wantFetched: nil, wantErr: true,
			walk: func() ([]string, error) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				for f, err := range All(ctx, fetch(ctx)) {
					if err != nil {
						return nil, err
					}
					return []string{f.Slug}, nil
				}
				return nil, nil
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			fetched = nil
			mu.Unlock()
			got, err := tt.walk()
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error: %t", err, tt.wantErr)
			}
			if !equalStrings(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(fetched) != len(tt.wantFetched) {
				t.Fatalf("fetched pages %v, want %v", fetched, tt.wantFetched)
			}
			for i := range fetched {
				if fetched[i] != tt.wantFetched[i] {
					t.Errorf("fetched pages %v, want %v", fetched, tt.wantFetched)
				}
			}
		})
	}
}

func TestPagesStopsWhenNextDoesNotAdvance(t *testing.T) {
	calls := 0
	for _, err := range Pages(context.Background(), func(n int) (*PaginatedFlowList, error) {
		calls++
		if calls > 3 {
			// Fail rather than hang when the guard is broken.
			return nil, errors.New("page 1 fetched again and again")
		}
		return &PaginatedFlowList{Pagination: Pagination{Next: 1}}, nil
	}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Errorf("fetched %d pages, want 1", calls)
	}
}
