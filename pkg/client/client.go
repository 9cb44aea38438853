package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// APIRoot is the path the API is served under; New appends it to a base
// URL that does not end with it.
const APIRoot = "/api/v3"

// DefaultUserAgent is sent unless WithUserAgent says otherwise.
const DefaultUserAgent = "akgo-client (authentik API " + SchemaVersion + ")"

// RetryPolicy says how calls are retried. Only idempotent methods (GET,
// HEAD, PUT, DELETE, OPTIONS) are retried, and only on 429, 502, 503 and
// 504, the statuses that mean "not processed, try later"; a POST or PATCH
// may have taken effect, so retrying it could act twice.
type RetryPolicy struct {
	// MaxRetries is how many times a call is retried after its first
	// attempt; 0 disables retries.
	MaxRetries int
	// MinBackoff is the wait before the first retry; it doubles with
	// each retry up to MaxBackoff. A random half of each wait is jitter,
	// so clients that failed together do not retry together.
	MinBackoff, MaxBackoff time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits for; a
	// server asking for longer gets the error returned instead.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy is used unless WithRetry says otherwise.
var DefaultRetryPolicy = RetryPolicy{MaxRetries: 3, MinBackoff: 500 * time.Millisecond, MaxBackoff: 8 * time.Second, MaxRetryAfter: time.Minute}

// Option configures a Client.
type Option func(*transport)

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(t *transport) { t.userAgent = ua } }

// WithHTTPClient sets the http.Client requests are sent with (for a
// custom TLS configuration, proxy or test server).
func WithHTTPClient(hc *http.Client) Option { return func(t *transport) { t.http = hc } }

// WithTimeout bounds each call, its retries and waits included. Without
// it only the context bounds a call.
func WithTimeout(d time.Duration) Option { return func(t *transport) { t.timeout = d } }

// WithRetry replaces DefaultRetryPolicy; WithRetry(RetryPolicy{})
// disables retries.
func WithRetry(p RetryPolicy) Option { return func(t *transport) { t.retry = p } }

// transport is the hand-written half of Client: everything but the
// generated services.
type transport struct {
	base      string // scheme://host/.../api/v3, no trailing slash
	token     string
	userAgent string
	http      *http.Client
	timeout   time.Duration
	retry     RetryPolicy
	// sleep and jitter are replaced in tests to observe waits without
	// waiting.
	sleep  func(ctx context.Context, d time.Duration) error
	jitter func() float64
}

// New returns a client of the authentik server at baseURL
// ("https://authentik.example.com" or ".../api/v3"), authenticating with
// an API token (sent as "Authorization: Bearer token"; "" sends none).
func New(baseURL, token string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return nil, fmt.Errorf("client: base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q: want http(s)://host[/path]", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("client: base URL %q: must not have a query or fragment", baseURL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	if !strings.HasSuffix(u.Path, APIRoot) {
		u.Path += APIRoot
	}
	t := &transport{base: u.String(), token: token, userAgent: DefaultUserAgent,
		http: http.DefaultClient, retry: DefaultRetryPolicy, sleep: sleepContext, jitter: rand.Float64}
	for _, opt := range opts {
		opt(t)
	}
	if t.http == nil {
		t.http = http.DefaultClient
	}
	c := &Client{t: t}
	c.initServices()
	return c, nil
}

// BaseURL returns the API root requests are sent to (ending in /api/v3).
func (c *Client) BaseURL() string { return c.t.base }

// request is one call, built by a generated method or by Do.
type request struct {
	op        string // operationId, "" for Do
	method    string
	path      string // relative to the API root, escaped
	query     any    // *XParams, url.Values or nil
	body      any    // sent as JSON unless multipart; nil for none
	multipart bool
	out       any  // decoded into; nil discards the body
	raw       bool // out is a *[]byte that receives the body undecoded
}

// Do calls any operation by method and path (relative to the API root,
// e.g. "/flows/instances/", escaped), for tools that work on operations
// generically. query may be nil; body, if not nil, is sent as JSON; out,
// if not nil, receives the JSON response decoded, or the body as it is
// when out is a *[]byte. Errors and retries are those of the generated
// methods.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	r := &request{method: strings.ToUpper(method), path: path, query: query, body: body, out: out}
	if _, ok := out.(*[]byte); ok {
		r.raw = true
	}
	return c.send(ctx, r)
}

// send performs a call with its retries.
func (c *Client) send(ctx context.Context, r *request) error {
	t := c.t
	if t.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.timeout)
		defer cancel()
	}
	target := t.base + r.path
	q, err := encodeQuery(r.query)
	if err != nil {
		return fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	var payload []byte
	if r.body != nil && !r.multipart {
		if payload, err = json.Marshal(r.body); err != nil {
			return fmt.Errorf("%s %s: encode body: %w", r.method, r.path, err)
		}
	}
	retries := t.retry.MaxRetries
	if !idempotent(r.method) || r.multipart {
		// A streamed multipart body cannot be sent twice.
		retries = 0
	}
	for attempt := 0; ; attempt++ {
		req, err := t.newRequest(ctx, r, target, payload)
		if err != nil {
			return err
		}
		resp, err := t.http.Do(req)
		if err != nil {
			return fmt.Errorf("%s %s: %w", r.method, r.path, err)
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return decodeResponse(resp, r)
		}
		apiErr := readAPIError(resp, r)
		if attempt >= retries || !retryable(resp.StatusCode) {
			return apiErr
		}
		wait, ok := t.retry.wait(attempt, resp.Header.Get("Retry-After"), t.jitter)
		if !ok {
			return apiErr
		}
		if deadline, has := ctx.Deadline(); has && time.Until(deadline) < wait {
			// Waiting would only end in the deadline: report the cause now.
			return apiErr
		}
		if err := t.sleep(ctx, wait); err != nil {
			return fmt.Errorf("%w (stopped waiting %s to retry: %w)", apiErr, wait, err)
		}
	}
}

func (t *transport) newRequest(ctx context.Context, r *request, target string, payload []byte) (*http.Request, error) {
	var body io.Reader
	contentType := ""
	switch {
	case r.multipart:
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		contentType = mw.FormDataContentType()
		// Streamed so that a large upload is never held in memory; the
		// transport closes pr when the request ends, which ends the writer.
		go func() {
			err := writeMultipart(mw, r.body)
			if err == nil {
				err = mw.Close()
			}
			pw.CloseWithError(err)
		}()
		body = pr
	case payload != nil:
		body = bytes.NewReader(payload)
		contentType = "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if !r.raw {
		req.Header.Set("Accept", "application/json")
	}
	if t.token != "" {
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	if t.userAgent != "" {
		req.Header.Set("User-Agent", t.userAgent)
	}
	return req, nil
}

// decodeResponse decodes a 2xx response into r.out and closes its body.
func decodeResponse(resp *http.Response, r *request) error {
	defer resp.Body.Close()
	// Draining lets the connection be reused.
	defer io.Copy(io.Discard, resp.Body)
	if r.raw {
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return fmt.Errorf("%s %s: read response: %w", r.method, r.path, err)
		}
		*r.out.(*[]byte) = data
		return nil
	}
	if r.out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(r.out); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s %s: %d response has no body", r.method, r.path, resp.StatusCode)
		}
		return fmt.Errorf("%s %s: decode response: %w", r.method, r.path, err)
	}
	return nil
}

// idempotent reports whether a method may be sent twice with the effect
// of once (RFC 9110, 9.2.2).
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// retryable reports whether a status means the request was not
// processed and may succeed later.
func retryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// wait returns how long to wait before retry number attempt+1, and false
// when the server asked for a longer wait than the policy allows.
func (p RetryPolicy) wait(attempt int, retryAfter string, jitter func() float64) (time.Duration, bool) {
	if d, ok := parseRetryAfter(retryAfter, time.Now()); ok {
		return d, d <= p.MaxRetryAfter
	}
	d := p.MinBackoff
	for i := 0; i < attempt && d < p.MaxBackoff; i++ {
		d *= 2
	}
	if p.MaxBackoff > 0 && d > p.MaxBackoff {
		d = p.MaxBackoff
	}
	half := d / 2
	return half + time.Duration(jitter()*float64(d-half)), true
}

// parseRetryAfter reads Retry-After as seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		d := at.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// sleepContext waits for d or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
