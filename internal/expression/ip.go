package expression

import (
	"fmt"
	"math/big"
	"net/netip"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// ipValue is Python's ipaddress.IPv4Address / IPv6Address.
type ipValue struct{ a netip.Addr }

// pythonPrivate lists the networks Python's ipaddress module calls
// private (is_private), which is wider than Go's IsPrivate.
var pythonPrivate = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{"0.0.0.0/8", "10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/29", "192.0.0.170/31", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32", "::1/128", "::/128", "::ffff:0:0/96", "100::/64",
		"2001::/23", "2001:2::/48", "2001:db8::/32", "2001:10::/28", "fc00::/7", "fe80::/10"} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

func isPythonPrivate(a netip.Addr) bool {
	for _, p := range pythonPrivate {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (v ipValue) String() string { return v.a.String() }
func (v ipValue) Type() string {
	return "IPv" + map[bool]string{true: "4", false: "6"}[v.a.Is4()] + "Address"
}
func (v ipValue) Freeze()               {}
func (v ipValue) Truth() starlark.Bool  { return true }
func (v ipValue) Hash() (uint32, error) { return starlark.String(v.a.String()).Hash() }
func (v ipValue) AttrNames() []string {
	return []string{"compressed", "exploded", "is_global", "is_link_local", "is_loopback", "is_multicast",
		"is_private", "is_reserved", "is_unspecified", "version"}
}

func (v ipValue) Cmp(y starlark.Value, _ int) (int, error) {
	return v.a.Compare(y.(ipValue).a), nil
}

func (v ipValue) Attr(name string) (starlark.Value, error) {
	a := v.a
	switch name {
	case "version":
		if a.Is4() {
			return starlark.MakeInt(4), nil
		}
		return starlark.MakeInt(6), nil
	case "is_private":
		return starlark.Bool(isPythonPrivate(a)), nil
	case "is_global":
		return starlark.Bool(!isPythonPrivate(a) && !sharedAddressSpace.Contains(a)), nil
	case "is_loopback":
		return starlark.Bool(a.IsLoopback()), nil
	case "is_link_local":
		return starlark.Bool(a.IsLinkLocalUnicast()), nil
	case "is_multicast":
		return starlark.Bool(a.IsMulticast()), nil
	case "is_unspecified":
		return starlark.Bool(a.IsUnspecified()), nil
	case "is_reserved":
		return starlark.Bool(a.Is4() && netip.MustParsePrefix("240.0.0.0/4").Contains(a)), nil
	case "compressed":
		return starlark.String(a.String()), nil
	case "exploded":
		if a.Is4() {
			return starlark.String(a.String()), nil
		}
		return starlark.String(a.StringExpanded()), nil
	}
	return nil, nil
}

// networkValue is Python's ipaddress.IPv4Network / IPv6Network.
type networkValue struct{ p netip.Prefix }

func (v networkValue) String() string { return v.p.String() }
func (v networkValue) Type() string {
	return "IPv" + map[bool]string{true: "4", false: "6"}[v.p.Addr().Is4()] + "Network"
}
func (v networkValue) Freeze()               {}
func (v networkValue) Truth() starlark.Bool  { return true }
func (v networkValue) Hash() (uint32, error) { return starlark.String(v.p.String()).Hash() }
func (v networkValue) CompareSameType(op syntax.Token, y starlark.Value, _ int) (bool, error) {
	return equalityOnly(op, v.p == y.(networkValue).p, v.Type())
}
func (v networkValue) Has(y starlark.Value) (bool, error) {
	ip, ok := y.(ipValue)
	if !ok {
		return false, nil
	}
	return v.p.Contains(ip.a), nil
}
func (v networkValue) AttrNames() []string {
	return []string{"broadcast_address", "is_private", "network_address", "num_addresses", "overlaps",
		"prefixlen", "subnet_of", "supernet_of", "version", "with_prefixlen"}
}

func (v networkValue) Attr(name string) (starlark.Value, error) {
	p := v.p
	switch name {
	case "version":
		if p.Addr().Is4() {
			return starlark.MakeInt(4), nil
		}
		return starlark.MakeInt(6), nil
	case "prefixlen":
		return starlark.MakeInt(p.Bits()), nil
	case "num_addresses":
		return starlark.MakeBigInt(new(big.Int).Lsh(big.NewInt(1), uint(p.Addr().BitLen()-p.Bits()))), nil
	case "network_address":
		return ipValue{p.Addr()}, nil
	case "broadcast_address":
		b := p.Addr().AsSlice()
		for i := p.Bits(); i < len(b)*8; i++ {
			b[i/8] |= 1 << (7 - uint(i%8))
		}
		a, _ := netip.AddrFromSlice(b)
		return ipValue{a}, nil
	case "with_prefixlen":
		return starlark.String(p.String()), nil
	case "is_private":
		return starlark.Bool(isPythonPrivate(p.Addr())), nil
	case "overlaps", "subnet_of", "supernet_of":
		return method(v, name, func(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var other networkValue
			if err := starlark.UnpackPositionalArgs(name, args, kwargs, 1, &other); err != nil {
				return nil, err
			}
			o := other.p
			switch name {
			case "overlaps":
				return starlark.Bool(p.Overlaps(o)), nil
			case "subnet_of":
				return starlark.Bool(o.Bits() <= p.Bits() && o.Contains(p.Addr())), nil
			}
			return starlark.Bool(p.Bits() <= o.Bits() && p.Contains(o.Addr())), nil
		}), nil
	}
	return nil, nil
}

func (v *networkValue) Unpack(x starlark.Value) error {
	n, ok := x.(networkValue)
	if !ok {
		return fmt.Errorf("expected a network, got %s", x.Type())
	}
	*v = n
	return nil
}

// ParseIP parses an address as Python's ip_address does.
func ParseIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("'%s' does not appear to be an IPv4 or IPv6 address", s)
	}
	return a.Unmap(), nil
}

func builtinIPAddress(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &x); err != nil {
		return nil, err
	}
	switch v := x.(type) {
	case ipValue:
		return v, nil
	case starlark.Int:
		i, _ := v.Uint64()
		if i <= 0xffffffff {
			return ipValue{netip.AddrFrom4([4]byte{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)})}, nil
		}
	}
	a, err := ParseIP(pyStr(x))
	if err != nil {
		return nil, pyError("ValueError", err.Error())
	}
	return ipValue{a}, nil
}

func builtinIPNetwork(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value
	strict := true
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "address", &x, "strict?", &strict); err != nil {
		return nil, err
	}
	if n, ok := x.(networkValue); ok {
		return n, nil
	}
	s := strings.TrimSpace(pyStr(x))
	if !strings.Contains(s, "/") {
		a, err := ParseIP(s)
		if err != nil {
			return nil, pyError("ValueError", fmt.Sprintf("'%s' does not appear to be an IPv4 or IPv6 network", s))
		}
		return networkValue{netip.PrefixFrom(a, a.BitLen())}, nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return nil, pyError("ValueError", fmt.Sprintf("'%s' does not appear to be an IPv4 or IPv6 network", s))
	}
	p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-map[bool]int{true: 96, false: 0}[p.Addr().Is4In6()])
	if masked := p.Masked(); masked != p {
		if strict {
			return nil, pyError("ValueError", s+" has host bits set")
		}
		p = masked
	}
	return networkValue{p}, nil
}
