package providers

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/go-ldap/ldap/v3"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/modelhooks"
	"github.com/akgo/akgo/internal/store"
)

// LDAPTimeout bounds connecting to an LDAP server and each operation on
// it, so an unreachable directory fails the request quickly.
var LDAPTimeout = 5 * time.Second

// ldapDebugLimit is how many objects of each kind the debug view samples
// (authentik's size_limit=10).
const ldapDebugLimit = 10

// ldapSource is what the LDAP actions need of a source row.
type ldapSource struct {
	ServerURIs              []string
	BindCN, BindPassword    string
	StartTLS, SNI           bool
	PeerCA                  *x509.Certificate
	ClientCert              *tls.Certificate
	BaseDN                  string
	UserDN, GroupDN         string
	UserFilter, GroupFilter string
	MembershipField         string
	UniquenessField         string
	SyncUsers, SyncGroups   bool
}

// ldapDebug serves GET /sources/ldap/{slug}/debug/: a sample of the raw
// objects each sync step would read (users, groups, memberships), fetched
// live from the source's server with its bind credentials.
func (h *handlers) ldapDebug(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	src, err := h.loadLDAPSource(r, chi.URLParam(r, "slug"))
	if err != nil {
		return err
	}
	out, err := src.debug(ctx)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

// loadLDAPSource reads a source and its certificates.
func (h *handlers) loadLDAPSource(r *http.Request, slug string) (*ldapSource, error) {
	ctx := r.Context()
	m := h.model("authentik_sources_ldap.ldapsource")
	kps := h.model("authentik_crypto.certificatekeypair")
	var src *ldapSource
	err := h.s.Engine.Store.View(ctx, func(tx store.Tx) error {
		row, err := findRow(ctx, tx, m, "slug", slug)
		if err != nil {
			return err
		}
		if err := checkView(r, m, row[m.PKColumn]); err != nil {
			return err
		}
		get := func(f string) string { return str(row[col(m, f)]) }
		src = &ldapSource{
			BindCN: get("bind_cn"), BindPassword: get("bind_password"),
			StartTLS: boolean(row[col(m, "start_tls")]), SNI: boolean(row[col(m, "sni")]),
			BaseDN: get("base_dn"), UserDN: get("base_dn"), GroupDN: get("base_dn"),
			UserFilter: get("user_object_filter"), GroupFilter: get("group_object_filter"),
			MembershipField: get("group_membership_field"), UniquenessField: get("object_uniqueness_field"),
			SyncUsers: boolean(row[col(m, "sync_users")]), SyncGroups: boolean(row[col(m, "sync_groups")]),
		}
		if extra := get("additional_user_dn"); extra != "" {
			src.UserDN = extra + "," + src.BaseDN
		}
		if extra := get("additional_group_dn"); extra != "" {
			src.GroupDN = extra + "," + src.BaseDN
		}
		for _, u := range strings.Split(get("server_uri"), ",") {
			if u = strings.TrimSpace(u); u != "" {
				src.ServerURIs = append(src.ServerURIs, u)
			}
		}
		if kp, err := byPK(ctx, tx, kps, row[col(m, "peer_certificate")]); err != nil {
			return err
		} else if kp != nil {
			if cert, ok := modelhooks.ParseCertificate(str(kp[col(kps, "certificate_data")])); ok {
				src.PeerCA = cert
			}
		}
		if kp, err := byPK(ctx, tx, kps, row[col(m, "client_certificate")]); err != nil {
			return err
		} else if kp != nil {
			pair, err := tls.X509KeyPair([]byte(str(kp[col(kps, "certificate_data")])), []byte(str(kp[col(kps, "key_data")])))
			if err != nil {
				return engine.Invalid("client_certificate", "The client certificate keypair is not usable: "+err.Error())
			}
			src.ClientCert = &pair
		}
		return nil
	})
	return src, err
}

// tlsConfig is authentik's TLS setup: the peer certificate, when set, is
// the only trusted CA; without one the server certificate is not verified.
func (s *ldapSource) tlsConfig(host string) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.SNI || s.PeerCA != nil {
		cfg.ServerName = host
	}
	if s.PeerCA != nil {
		pool := x509.NewCertPool()
		pool.AddCert(s.PeerCA)
		cfg.RootCAs = pool
	} else {
		cfg.InsecureSkipVerify = true // authentik's default: CERT_NONE without a peer certificate
	}
	if s.ClientCert != nil {
		cfg.Certificates = []tls.Certificate{*s.ClientCert}
	}
	return cfg
}

// connect dials the first reachable server of the (comma-separated) URI
// list, upgrades with StartTLS when configured and binds.
func (s *ldapSource) connect(ctx context.Context) (*ldap.Conn, error) {
	if len(s.ServerURIs) == 0 {
		return nil, engine.Invalid("", "The source has no server URI.")
	}
	var errs []string
	for _, uri := range s.ServerURIs {
		u, err := url.Parse(uri)
		if err != nil || u.Host == "" {
			errs = append(errs, fmt.Sprintf("%s: not an LDAP URL", uri))
			continue
		}
		host := u.Hostname()
		dialer := &net.Dialer{Timeout: LDAPTimeout}
		if d, ok := ctx.Deadline(); ok {
			dialer.Deadline = d
		}
		conn, err := ldap.DialURL(uri, ldap.DialWithDialer(dialer), ldap.DialWithTLSConfig(s.tlsConfig(host)))
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", uri, err))
			continue
		}
		conn.SetTimeout(LDAPTimeout)
		if s.StartTLS {
			if err := conn.StartTLS(s.tlsConfig(host)); err != nil {
				conn.Close()
				errs = append(errs, fmt.Sprintf("%s: StartTLS: %v", uri, err))
				continue
			}
		}
		if s.BindCN != "" {
			if err := conn.Bind(s.BindCN, s.BindPassword); err != nil {
				conn.Close()
				return nil, engine.Invalid("", fmt.Sprintf("Failed to bind to %s as %q: %v", uri, s.BindCN, err))
			}
		}
		return conn, nil
	}
	return nil, engine.Invalid("", "Failed to connect to the LDAP server: "+strings.Join(errs, "; "))
}

// debug samples what the user, group and membership syncs would read;
// a kind whose sync is disabled stays empty, as in authentik.
func (s *ldapSource) debug(ctx context.Context) (map[string][]map[string]any, error) {
	out := map[string][]map[string]any{"user": {}, "group": {}, "membership": {}}
	if !s.SyncUsers && !s.SyncGroups {
		return out, nil
	}
	conn, err := s.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	type query struct {
		kind, base, filter string
		attrs              []string
	}
	var queries []query
	if s.SyncUsers {
		queries = append(queries, query{"user", s.UserDN, s.UserFilter, []string{"*", "+"}})
	}
	if s.SyncGroups {
		queries = append(queries,
			query{"group", s.GroupDN, s.GroupFilter, []string{"*", "+"}},
			query{"membership", s.GroupDN, s.GroupFilter, []string{s.MembershipField, s.UniquenessField, "distinguishedName"}})
	}
	for _, q := range queries {
		req := ldap.NewSearchRequest(q.base, ldap.ScopeWholeSubtree, ldap.DerefAlways, ldapDebugLimit,
			int(LDAPTimeout/time.Second), false, q.filter, q.attrs, nil)
		res, err := conn.Search(req)
		if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
			return nil, engine.Invalid("", fmt.Sprintf("LDAP search for %s objects under %q failed: %v", q.kind, q.base, err))
		}
		if res == nil {
			continue
		}
		for i, e := range res.Entries {
			if i == ldapDebugLimit {
				break
			}
			out[q.kind] = append(out[q.kind], ldapEntryJSON(e))
		}
	}
	return out, nil
}

// multiValued are attributes ldap3 (with the server schema) returns as
// lists even with one value; others with one value are plain values.
// Without reading the schema, a value list of two or more is a list too.
var multiValued = map[string]bool{
	"objectclass": true, "member": true, "uniquemember": true, "memberof": true, "memberuid": true,
	"mail": true, "cn": true, "ou": true, "sn": true, "givenname": true, "uid": true, "telephonenumber": true,
	"proxyaddresses": true, "serviceprincipalname": true, "description": true,
}

// ldapEntryJSON renders an entry as ldap3's search response entry
// (dn, attributes, type), without the raw copies authentik drops. Values
// that are not UTF-8 (GUIDs, SIDs) are base64.
func ldapEntryJSON(e *ldap.Entry) map[string]any {
	attrs := map[string]any{}
	for _, a := range e.Attributes {
		vals := make([]any, 0, len(a.ByteValues))
		for _, b := range a.ByteValues {
			if utf8.Valid(b) {
				vals = append(vals, string(b))
			} else {
				vals = append(vals, base64.StdEncoding.EncodeToString(b))
			}
		}
		if len(vals) == 1 && !multiValued[strings.ToLower(a.Name)] {
			attrs[a.Name] = vals[0]
		} else {
			attrs[a.Name] = vals
		}
	}
	return map[string]any{"dn": e.DN, "attributes": attrs, "type": "searchResEntry"}
}
