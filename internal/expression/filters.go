package expression

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"

	"go.starlark.net/starlark"
)

// lookups are the Django lookup suffixes filters understand.
var lookups = map[string]bool{"exact": true, "iexact": true, "contains": true, "icontains": true,
	"startswith": true, "istartswith": true, "endswith": true, "iendswith": true, "in": true,
	"isnull": true, "gt": true, "gte": true, "lt": true, "lte": true, "regex": true, "iregex": true}

// ParseFilter splits a Django keyword ("attributes__team__iexact") into a
// Filter.
func ParseFilter(key string, value any) Filter {
	parts := strings.Split(key, "__")
	lookup := "exact"
	if len(parts) > 1 && lookups[parts[len(parts)-1]] {
		lookup = parts[len(parts)-1]
		parts = parts[:len(parts)-1]
	}
	return Filter{Path: strings.Join(parts, "__"), Lookup: lookup, Value: value}
}

func parseFilters(kwargs []starlark.Tuple) ([]Filter, error) {
	out := make([]Filter, 0, len(kwargs))
	for _, kw := range kwargs {
		key, ok := starlark.AsString(kw[0])
		if !ok {
			return nil, fmt.Errorf("filter names must be strings")
		}
		out = append(out, ParseFilter(key, toGo(kw[1], nil)))
	}
	return out, nil
}

// groupField reads a Django field path of a group.
func groupField(g *Group, path string) any {
	v, _ := groupPath(g, strings.Split(path, "__"))
	return v
}

func groupPath(g *Group, path []string) (any, bool) {
	switch path[0] {
	case "pk", "group_uuid":
		return g.PK, len(path) == 1
	case "num_pk":
		return g.NumPK, len(path) == 1
	case "name":
		return g.Name, len(path) == 1
	case "is_superuser":
		return g.IsSuperuser, len(path) == 1
	case "parent", "parent_id":
		if g.ParentPK == "" {
			return nil, len(path) == 1
		}
		return g.ParentPK, len(path) == 1 || len(path) == 2 && path[1] == "pk"
	case "attributes":
		return jsonPath(g.Attributes, path[1:])
	}
	return nil, false
}

// userPath reads a Django field path of a user.
func userPath(u *User, path []string) (any, bool) {
	one := len(path) == 1
	switch path[0] {
	case "pk", "id":
		return u.PK, one
	case "uuid":
		return u.UUID, one
	case "username":
		return u.Username, one
	case "name":
		return u.Name, one
	case "email":
		return u.Email, one
	case "is_active":
		return u.IsActive, one
	case "type":
		return u.Type, one
	case "path":
		return u.Path, one
	case "attributes":
		return jsonPath(u.Attributes, path[1:])
	}
	return nil, false
}

func jsonPath(m map[string]any, path []string) (any, bool) {
	var cur any = m
	for _, p := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// MatchGroup reports whether a group satisfies every filter (the
// semantics of Group.objects.filter(**filters) for the fields a group
// has). An unknown field never matches.
func MatchGroup(g *Group, filters []Filter) bool {
	for _, f := range filters {
		v, found := groupPath(g, strings.Split(f.Path, "__"))
		if !MatchLookup(v, found, f.Lookup, f.Value) {
			return false
		}
	}
	return true
}

// MatchUser is MatchGroup for users.
func MatchUser(u *User, filters []Filter) bool {
	for _, f := range filters {
		v, found := userPath(u, strings.Split(f.Path, "__"))
		if !MatchLookup(v, found, f.Lookup, f.Value) {
			return false
		}
	}
	return true
}

// MatchLookup applies one Django lookup to a field value. found is false
// when the field path does not exist (only isnull=True matches then).
func MatchLookup(actual any, found bool, lookup string, want any) bool {
	if lookup == "isnull" {
		b, _ := want.(bool)
		return (actual == nil || !found) == b
	}
	if !found {
		return false
	}
	as, ws := fmt.Sprint(actual), fmt.Sprint(want)
	switch lookup {
	case "exact":
		return looseEqual(actual, want)
	case "iexact":
		return strings.EqualFold(as, ws)
	case "contains":
		return strings.Contains(as, ws)
	case "icontains":
		return strings.Contains(strings.ToLower(as), strings.ToLower(ws))
	case "startswith":
		return strings.HasPrefix(as, ws)
	case "istartswith":
		return strings.HasPrefix(strings.ToLower(as), strings.ToLower(ws))
	case "endswith":
		return strings.HasSuffix(as, ws)
	case "iendswith":
		return strings.HasSuffix(strings.ToLower(as), strings.ToLower(ws))
	case "in":
		list, _ := want.([]any)
		for _, w := range list {
			if looseEqual(actual, w) {
				return true
			}
		}
		return false
	case "gt", "gte", "lt", "lte":
		c, ok := compareLoose(actual, want)
		if !ok {
			return false
		}
		return map[string]bool{"gt": c > 0, "gte": c >= 0, "lt": c < 0, "lte": c <= 0}[lookup]
	case "regex", "iregex":
		pattern := ws
		if lookup == "iregex" {
			pattern = "(?i)" + pattern
		}
		re, err := regexp.Compile(pattern)
		return err == nil && re.MatchString(as)
	}
	return false
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, true
	}
	return 0, false
}

func looseEqual(a, b any) bool {
	if x, ok := number(a); ok {
		if y, ok := number(b); ok {
			return x == y
		}
	}
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	switch a.(type) {
	case bool:
		bb, ok := b.(bool)
		return ok && a == bb
	case map[string]any, []any:
		return fmt.Sprint(a) == fmt.Sprint(b)
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func compareLoose(a, b any) (int, bool) {
	if x, ok := number(a); ok {
		if y, ok := number(b); ok {
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		}
	}
	as, aok := a.(string)
	bs, bok := b.(string)
	if aok && bok {
		return strings.Compare(as, bs), true
	}
	return 0, false
}
