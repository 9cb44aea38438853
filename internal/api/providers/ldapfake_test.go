package providers_test

import (
	"net"
	"strings"
	"sync"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
)

// fakeLDAP is a small in-process LDAP server for tests: simple bind
// against one account, and subtree searches over a fixed set of entries
// with equality, presence, and/or/not filters, size limits and attribute
// selection. It speaks just enough LDAPv3 for a real client.
type fakeLDAP struct {
	ln               net.Listener
	bindDN, password string
	entries          []fakeEntry

	mu       sync.Mutex
	searches []string // base DNs searched, in order
}

type fakeEntry struct {
	DN    string
	Attrs map[string][]string
}

// LDAP protocol operation tags (RFC 4511).
const (
	opBindRequest    = 0
	opBindResponse   = 1
	opUnbindRequest  = 2
	opSearchRequest  = 3
	opSearchEntry    = 4
	opSearchDone     = 5
	opExtendedReq    = 23
	opExtendedResp   = 24
	codeSuccess      = 0
	codeSizeLimit    = 4
	codeInvalidCreds = 49
	codeUnwilling    = 53
)

func startFakeLDAP(t *testing.T, bindDN, password string, entries []fakeEntry) *fakeLDAP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeLDAP{ln: ln, bindDN: bindDN, password: password, entries: entries}
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); f.serve(c) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return f
}

func (f *fakeLDAP) URL() string { return "ldap://" + f.ln.Addr().String() }

func (f *fakeLDAP) searched() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.searches...)
}

func (f *fakeLDAP) serve(c net.Conn) {
	defer c.Close()
	for {
		p, err := ber.ReadPacket(c)
		if err != nil || len(p.Children) < 2 {
			return
		}
		id, _ := p.Children[0].Value.(int64)
		op := p.Children[1]
		switch op.Tag {
		case opBindRequest:
			code := int64(codeInvalidCreds)
			if len(op.Children) >= 3 && op.Children[1].Data.String() == f.bindDN && op.Children[2].Data.String() == f.password {
				code = codeSuccess
			}
			c.Write(envelope(id, result(opBindResponse, code, "")).Bytes())
		case opUnbindRequest:
			return
		case opSearchRequest:
			for _, out := range f.search(op) {
				c.Write(envelope(id, out).Bytes())
			}
		case opExtendedReq:
			c.Write(envelope(id, result(opExtendedResp, codeUnwilling, "not supported")).Bytes())
		default:
			return
		}
	}
}

// search answers a SearchRequest: entries under the base matching the
// filter, up to the size limit, then the done message.
func (f *fakeLDAP) search(op *ber.Packet) []*ber.Packet {
	if len(op.Children) < 8 {
		return []*ber.Packet{result(opSearchDone, 2, "malformed search")}
	}
	base := strings.ToLower(op.Children[0].Data.String())
	f.mu.Lock()
	f.searches = append(f.searches, base)
	f.mu.Unlock()
	limit, _ := op.Children[3].Value.(int64)
	filter := op.Children[6]
	var want []string
	for _, a := range op.Children[7].Children {
		want = append(want, strings.ToLower(a.Data.String()))
	}
	var out []*ber.Packet
	for _, e := range f.entries {
		dn := strings.ToLower(e.DN)
		if dn != base && !strings.HasSuffix(dn, ","+base) {
			continue
		}
		if !matches(filter, e) {
			continue
		}
		if limit > 0 && int64(len(out)) == limit {
			return append(out, result(opSearchDone, codeSizeLimit, ""))
		}
		out = append(out, entryPacket(e, want))
	}
	return append(out, result(opSearchDone, codeSuccess, ""))
}

// matches evaluates the filter kinds the LDAP actions send.
func matches(filter *ber.Packet, e fakeEntry) bool {
	switch filter.Tag {
	case 0: // and
		for _, c := range filter.Children {
			if !matches(c, e) {
				return false
			}
		}
		return true
	case 1: // or
		for _, c := range filter.Children {
			if matches(c, e) {
				return true
			}
		}
		return false
	case 2: // not
		return len(filter.Children) == 1 && !matches(filter.Children[0], e)
	case 3: // equalityMatch
		if len(filter.Children) != 2 {
			return false
		}
		for _, v := range values(e, filter.Children[0].Data.String()) {
			if strings.EqualFold(v, filter.Children[1].Data.String()) {
				return true
			}
		}
		return false
	case 7: // present
		return len(values(e, filter.Data.String())) > 0
	}
	return false
}

func values(e fakeEntry, attr string) []string {
	for k, v := range e.Attrs {
		if strings.EqualFold(k, attr) {
			return v
		}
	}
	return nil
}

func entryPacket(e fakeEntry, want []string) *ber.Packet {
	all := len(want) == 0
	selected := map[string]bool{}
	for _, w := range want {
		if w == "*" || w == "+" {
			all = true
		}
		selected[w] = true
	}
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, opSearchEntry, nil, "SearchResultEntry")
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, e.DN, "objectName"))
	attrs := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "attributes")
	for name, vals := range e.Attrs {
		if !all && !selected[strings.ToLower(name)] {
			continue
		}
		a := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "attribute")
		a.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, name, "type"))
		set := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, "vals")
		for _, v := range vals {
			set.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, v, "value"))
		}
		a.AppendChild(set)
		attrs.AppendChild(a)
	}
	op.AppendChild(attrs)
	return op
}

func envelope(id int64, op *ber.Packet) *ber.Packet {
	p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAPMessage")
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, "messageID"))
	p.AppendChild(op)
	return p
}

func result(tag ber.Tag, code int64, diag string) *ber.Packet {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, tag, nil, "LDAPResult")
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, code, "resultCode"))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", "matchedDN"))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, diag, "diagnosticMessage"))
	return op
}
