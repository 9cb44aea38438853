package expression

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// User is a user as expressions see it (authentik's User model). The
// caller loads it from the store; Attributes is shared with the expression,
// so in-place changes an expression makes are visible to the caller after
// the run, as they are on a Django model instance before save().
type User struct {
	PK             int64
	UUID           string
	Username       string
	Name           string
	Email          string
	IsActive       bool
	IsSuperuser    bool
	Type           string
	Path           string
	Avatar         string
	Attributes     map[string]any
	PasswordUsable bool
	// Backend is the authentication backend a flow's password stage
	// attached (Django's user.backend); while empty the user has no
	// "backend" attribute, which the default authentication flow tests.
	Backend            string
	PasswordChangeDate time.Time
	LastLogin          time.Time
	DateJoined         time.Time
}

// Group is a group as expressions see it.
type Group struct {
	PK          string // group_uuid
	NumPK       int64
	Name        string
	IsSuperuser bool
	ParentPK    string
	Attributes  map[string]any
}

// HTTPRequest is the HTTP request an evaluation happens in
// (Django's HttpRequest, as far as expressions use it).
type HTTPRequest struct {
	Method   string
	Path     string
	Scheme   string // "http" or "https"
	Host     string
	Query    url.Values
	Headers  http.Header
	ClientIP string
	User     *User
	// TenantAttributes are merged first by user.group_attributes(request).
	TenantAttributes map[string]any
}

// Request is authentik's PolicyRequest: the user being checked, the HTTP
// request, the object the policies are bound to and a free-form context.
// Context is shared with the expression (request.context and context are
// the same dict), so an expression's changes are written back into it.
type Request struct {
	User    *User
	HTTP    *HTTPRequest
	Obj     any
	Context map[string]any
	Debug   bool
}

// FlowPlan is the flow plan an expression may find in its context
// (context["flow_plan"]); its Context is shared the same way.
type FlowPlan struct {
	FlowPK  string
	Context map[string]any
}

// PolicyResult is what ak_call_policy returns.
type PolicyResult struct {
	Passing  bool
	Messages []string
}

// Filter is one Django-style keyword filter of ak_user_by or
// ak_is_group_member: Path "attributes__team", Lookup "iexact".
type Filter struct {
	Path   string
	Lookup string
	Value  any
}

// Directory reads users, groups and authenticators for expressions. It is
// implemented over the store by the caller, which keeps this package free
// of SQL.
type Directory interface {
	// UserBy returns the first user matching every filter (ordered by pk),
	// nil when none does or a filter names an unknown field.
	UserBy(ctx context.Context, filters []Filter) (*User, error)
	// Groups returns the user's direct groups.
	Groups(ctx context.Context, user *User) ([]*Group, error)
	// AllGroups returns the user's direct groups and all their ancestors.
	AllGroups(ctx context.Context, user *User) ([]*Group, error)
	// Group returns a group by pk, nil when it does not exist.
	Group(ctx context.Context, pk string) (*Group, error)
	// HasAuthenticator reports whether the user has a confirmed device, of
	// the given class ("totp", "webauthn", "static", "duo", "sms", ...) when
	// deviceType is not empty.
	HasAuthenticator(ctx context.Context, user *User, deviceType string) (bool, error)
}

// LogEntry is one message an expression logged with ak_logger or print.
type LogEntry struct {
	Event string
	Level string
	Attrs map[string]any
}

// Map renders the entry as structlog would capture it.
func (l LogEntry) Map() map[string]any {
	out := make(map[string]any, len(l.Attrs)+2)
	for k, v := range l.Attrs {
		out[k] = v
	}
	out["event"] = l.Event
	out["log_level"] = l.Level
	return out
}
