package apitest

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/akgo/akgo/internal/apispec"
	"github.com/akgo/akgo/internal/licensing"
	"github.com/akgo/akgo/internal/licensing/licensingtest"
	"github.com/akgo/akgo/internal/registry"
)

// Builder creates valid objects for any endpoint, creating whatever they
// must reference first. It derives values from the request schema, so a
// new model needs no new fixture code.
type Builder struct {
	H   *Harness
	Reg *registry.Registry
}

// NewBuilder returns a builder over the harness.
func NewBuilder(h *Harness) *Builder { return &Builder{H: h, Reg: h.App.Registry} }

// Unique returns a fresh suffix, unique within the test binary even when
// builders are copied per subtest.
func (b *Builder) Unique() string {
	return fmt.Sprintf("%d", uniqueSeq.Add(1)+time.Now().UnixNano()%1000*1000000)
}

var uniqueSeq atomic.Int64

// Body builds a valid request body for an endpoint's request schema. With
// optional=true it also fills optional scalar fields.
func (b *Builder) Body(ep *registry.Endpoint, optional bool) map[string]any {
	b.H.T.Helper()
	spec := apispec.MustLoad()
	sch, ok := spec.Schema(ep.Request)
	if !ok {
		b.H.T.Fatalf("%s has no request schema", ep.Path)
	}
	m, _ := b.Reg.Model(ep.Model)
	required := map[string]bool{}
	for _, r := range sch.Required {
		required[r] = true
	}
	names := make([]string, 0, len(sch.Properties))
	for n := range sch.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	body := map[string]any{}
	if o, ok := Overrides[ep.Path]; ok {
		for k, v := range o(b) {
			body[k] = v
		}
	}
	for _, name := range names {
		if _, set := body[name]; set {
			continue
		}
		p := sch.Properties[name].Value
		f, _ := m.Field(name)
		if f != nil && (f.Ref != "" || f.M2M != "") {
			if !required[name] {
				continue
			}
			target := f.Ref
			if target == "" {
				target = f.M2M
			}
			pk := b.PK(target)
			if f.M2M != "" {
				body[name] = []any{pk}
			} else {
				body[name] = pk
			}
			continue
		}
		if !required[name] && (!optional || p.Nullable && len(p.Enum) == 0 && !p.Type.Is("string")) {
			continue
		}
		if v, ok := b.value(name, p); ok {
			body[name] = v
		}
	}
	return body
}

// value makes a valid value for one property.
func (b *Builder) value(name string, p *openapi3.Schema) (any, bool) {
	if len(p.AllOf) == 1 && p.AllOf[0].Value != nil {
		return b.value(name, p.AllOf[0].Value)
	}
	for _, alt := range p.OneOf {
		if alt.Value != nil && len(alt.Value.Enum) > 0 && alt.Value.Enum[0] != nil && alt.Value.Enum[0] != "" {
			return alt.Value.Enum[0], true
		}
	}
	if len(p.Enum) > 0 {
		for _, e := range p.Enum {
			if e != nil && e != "" {
				return e, true
			}
		}
	}
	switch {
	case p.Type.Is("string"):
		switch p.Format {
		case "uuid":
			return "00000000-0000-4000-8000-" + fmt.Sprintf("%012d", uniqueSeq.Add(1)), true
		case "date-time":
			return time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339), true
		case "email":
			return "user" + b.Unique() + "@example.com", true
		case "uri":
			return "https://example.com/" + b.Unique(), true
		case "binary":
			return nil, false
		}
		s := strings.ReplaceAll(name, "_", "-") + "-" + b.Unique()
		if p.MaxLength != nil && uint64(len(s)) > *p.MaxLength {
			s = s[len(s)-int(*p.MaxLength):]
		}
		return s, true
	case p.Type.Is("integer"):
		v := 1.0
		if p.Min != nil && *p.Min > v {
			v = *p.Min
		}
		return v, true
	case p.Type.Is("number"):
		return 1.5, true
	case p.Type.Is("boolean"):
		return true, true
	case p.Type.Is("array"):
		return []any{}, true
	case p.Type.Is("object"):
		return map[string]any{"test": "value"}, true
	}
	return nil, false
}

// PK returns the pk of a new object of the model (for an abstract family
// base: of its simplest concrete kind).
func (b *Builder) PK(model string) any {
	b.H.T.Helper()
	ep := b.CreateEndpoint(model)
	if ep == nil {
		b.H.T.Fatalf("no endpoint creates %s", model)
	}
	obj := b.Create(ep)
	for _, k := range []string{"pk", "tenant_uuid", "license_uuid", "uuid", "id"} {
		if v, ok := obj[k]; ok {
			return v
		}
	}
	b.H.T.Fatalf("created %s has no pk: %v", model, obj)
	return nil
}

// CreateEndpoint returns an endpoint that creates objects of model (or of
// the concrete kind with the fewest required fields of an abstract model).
func (b *Builder) CreateEndpoint(model string) *registry.Endpoint {
	var best *registry.Endpoint
	bestReq := 1 << 30
	spec := apispec.MustLoad()
	for _, ep := range b.Reg.Endpoints {
		if ep.Ops[registry.OpCreate] == "" {
			continue
		}
		m, _ := b.Reg.Model(ep.Model)
		if ep.Model != model && !contains(m.Ancestors, model) {
			continue
		}
		sch, _ := spec.Schema(ep.Request)
		if n := len(sch.Required); n < bestReq || n == bestReq && ep.Path < best.Path {
			best, bestReq = ep, n
		}
	}
	return best
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Create posts a generated body to the endpoint and returns the object.
func (b *Builder) Create(ep *registry.Endpoint) map[string]any {
	b.H.T.Helper()
	body := b.Body(ep, false)
	r := b.H.Do(http.MethodPost, ep.Path, body)
	if r.Status != http.StatusCreated {
		b.H.T.Fatalf("create %s with %v: status %d: %s", ep.Path, body, r.Status, truncate(r.Body))
	}
	return r.Object()
}

// Overrides gives the fields whose valid values the schema cannot describe
// (a licence key is a signed JWT, a certificate is PEM, ...).
var Overrides map[string]func(b *Builder) map[string]any

func init() { Overrides = overrides() }

func overrides() map[string]func(b *Builder) map[string]any {
	return map[string]func(b *Builder) map[string]any{
		"/sources/user_connections/oauth/": func(b *Builder) map[string]any {
			return map[string]any{"source": b.PK("authentik_sources_oauth.oauthsource")}
		},
		"/sources/user_connections/saml/": func(b *Builder) map[string]any {
			return map[string]any{"source": b.PK("authentik_sources_saml.samlsource")}
		},
		"/sources/user_connections/plex/": func(b *Builder) map[string]any {
			return map[string]any{"source": b.PK("authentik_sources_plex.plexsource"), "user": b.PK("authentik_core.user")}
		},
		"/crypto/certificatekeypairs/": func(b *Builder) map[string]any {
			cert, key := TestCertificate()
			return map[string]any{"certificate_data": cert, "key_data": key}
		},
		// An instance must carry a blueprint that validates (path or
		// content), as authentik's serializer requires.
		"/managed/blueprints/": func(b *Builder) map[string]any {
			return map[string]any{"path": "", "content": "version: 1\nmetadata:\n  name: Test blueprint " + b.Unique() + "\nentries: []\n"}
		},
		"/enterprise/license/": func(b *Builder) map[string]any {
			app := b.H.App
			id, err := licensing.EnsureInstallID(context.Background(), app.Store, app.Engine.NewUUID)
			if err != nil {
				b.H.T.Fatalf("install id: %v", err)
			}
			return map[string]any{"key": TestLicenseKey(id, "Test licence "+b.Unique(), time.Now().Add(365*24*time.Hour))}
		},
	}
}

// TestLicenseKey builds a licence key for the installation, signed by the
// shared test issuer (verifiable once its root is stored as the licensing
// certificate).
func TestLicenseKey(installID, name string, exp time.Time) string {
	return licensingtest.Default().Sign(licensingtest.Claims{InstallID: installID, Name: name, Expiry: exp, InternalUsers: 10, ExternalUsers: 100})
}
