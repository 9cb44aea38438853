package apiop

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// In is where a parameter goes.
type In int

const (
	InPath In = iota
	InQuery
	InBody
)

func (i In) String() string {
	switch i {
	case InPath:
		return "path"
	case InQuery:
		return "query"
	}
	return "body"
}

// Type is a parameter's JSON type.
type Type int

const (
	TypeAny Type = iota
	TypeString
	TypeInteger
	TypeNumber
	TypeBoolean
	TypeArray
	TypeObject
	// TypeFile is an uploaded file of a multipart body.
	TypeFile
)

func (t Type) String() string {
	return [...]string{"any", "string", "integer", "number", "boolean", "array", "object", "file"}[t]
}

// Param is one path, query or body parameter.
type Param struct {
	Name string
	In   In
	Type Type
	// Items is the element type of an array.
	Items Type
	// Enum lists the allowed string values (of the items, for arrays).
	Enum     []string
	Format   string
	Required bool
	Nullable bool
}

// Describe renders the parameter's type for messages: "integer",
// "array of string", "string (one of a, b)".
func (p Param) Describe() string {
	s := p.Type.String()
	if p.Type == TypeArray {
		s = "array of " + p.Items.String()
	}
	if p.Format != "" && p.Format != "binary" {
		s += " (" + p.Format + ")"
	}
	if len(p.Enum) > 0 {
		s += " (one of " + strings.Join(p.Enum, ", ") + ")"
	}
	return s
}

// Operation is one operation of the schema.
type Operation struct {
	ID      string
	Method  string
	Path    string
	Summary string
	// Params are the path parameters in path order, then the query
	// parameters by name.
	Params []Param
	// Body names the request body schema ("" for none).
	Body         string
	BodyRequired bool
	Multipart    bool
}

// Body is a request body schema's writable fields.
type Body struct {
	// Open bodies accept fields they do not name (polymorphic
	// challenge responses, prompt data).
	Open  bool
	Props []Param
}

// All returns every operation, sorted by ID.
func All() []Operation { return slices.Clone(operations) }

// Lookup finds an operation by operationId.
func Lookup(id string) (*Operation, bool) {
	i, found := slices.BinarySearchFunc(operations, id, func(o Operation, id string) int { return strings.Compare(o.ID, id) })
	if !found {
		return nil, false
	}
	return &operations[i], true
}

// BodySchema returns the operation's body fields (nil without a body).
func (o *Operation) BodySchema() *Body {
	if o.Body == "" {
		return nil
	}
	return bodies[o.Body]
}

var placeholder = regexp.MustCompile(`\{[^}/]+\}`)

// Match finds the operation of a method and a concrete path relative to
// the API root ("/flows/instances/my-flow/"), with the path parameters
// it fills. Literal segments win over placeholders, so
// /core/users/me/ is core_users_me_retrieve, not a user called "me".
func Match(method, path string) (*Operation, map[string]string, bool) {
	method = strings.ToUpper(method)
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var best *Operation
	var bestVals map[string]string
	bestScore := -1
	for i := range operations {
		o := &operations[i]
		if o.Method != method {
			continue
		}
		tsegs := strings.Split(strings.Trim(o.Path, "/"), "/")
		if len(tsegs) != len(segs) {
			continue
		}
		vals := map[string]string{}
		score := 0
		ok := true
		for j, t := range tsegs {
			if placeholder.MatchString(t) && t[0] == '{' && t[len(t)-1] == '}' {
				if segs[j] == t {
					// "{slug}" given literally: filled from -f later.
					continue
				}
				v, err := url.PathUnescape(segs[j])
				name := t[1 : len(t)-1]
				if err != nil {
					ok = false
					break
				}
				// A value of the wrong type ("me" for an integer id)
				// is not this operation.
				if p, known := o.param(name); known {
					if _, err := convert(p, v); err != nil {
						ok = false
						break
					}
				}
				vals[name] = v
				continue
			}
			if t != segs[j] {
				ok = false
				break
			}
			score++
		}
		if ok && score > bestScore {
			best, bestVals, bestScore = o, vals, score
		}
	}
	return best, bestVals, best != nil
}

// PathsFor lists the methods served on a concrete path, for the message
// when a method does not match.
func PathsFor(path string) []string {
	var out []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		if o, _, ok := Match(m, path); ok {
			out = append(out, m+" "+o.Path+" ("+o.ID+")")
		}
	}
	return out
}

// Field is one -f/-F key=value of the command line. File is set for a
// value read from a file (-F key=@path), whose content is Value, or for
// uploads, whose path is Path.
type Field struct {
	Key   string
	Value string
	// Path is the file a -F key=@path named (uploads send the file itself).
	Path string
}

// Request is an operation's call built from a command line.
type Request struct {
	Op   *Operation
	Path string // concrete, escaped, relative to the API root
	// PathValues are the path parameters' values, unescaped.
	PathValues map[string]string
	Query      url.Values
	// Body is the JSON body (nil for none); Files the multipart uploads
	// (field → file path), Form the other multipart fields.
	Body  map[string]any
	Files map[string]string
}

// UsageError is a command line that does not fit the operation.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error { return &UsageError{Msg: fmt.Sprintf(format, args...)} }

// Build checks fields against the operation and makes the request. path
// values found by Match come first; fields may fill or override them.
// body is the --input document (nil when none); fields are merged into
// it.
func (o *Operation) Build(pathVals map[string]string, fields []Field, body map[string]any) (*Request, error) {
	req := &Request{Op: o, Query: url.Values{}}
	if body != nil {
		if o.Body == "" {
			return nil, usagef("%s (%s %s) takes no request body; --input cannot be used", o.ID, o.Method, o.Path)
		}
		req.Body = body
	}
	vals := map[string]string{}
	for k, v := range pathVals {
		vals[k] = v
	}
	bs := o.BodySchema()
	for _, f := range fields {
		p, ok := o.param(f.Key)
		switch {
		case ok && p.In == InPath:
			v, err := convert(p, f.Value)
			if err != nil {
				return nil, usagef("%s: path parameter %s: %v", o.ID, f.Key, err)
			}
			vals[f.Key] = fmt.Sprint(v)
		case ok && p.In == InQuery:
			v, err := convert(p, f.Value)
			if err != nil {
				return nil, usagef("%s: query parameter %s: %v", o.ID, f.Key, err)
			}
			addQuery(req.Query, f.Key, v)
		case bs != nil:
			if err := o.setBody(req, bs, f); err != nil {
				return nil, err
			}
		default:
			return nil, usagef("%s has no parameter %q; valid: %s", o.ID, f.Key, o.validNames())
		}
	}
	// Fill the path.
	path := o.Path
	for _, p := range o.Params {
		if p.In != InPath {
			continue
		}
		v, ok := vals[p.Name]
		if !ok || v == "" {
			return nil, usagef("%s: missing path parameter %s (%s); give it with -f %s=VALUE", o.ID, p.Name, p.Describe(), p.Name)
		}
		if _, err := convert(p, v); err != nil {
			return nil, usagef("%s: path parameter %s: %v", o.ID, p.Name, err)
		}
		path = strings.Replace(path, "{"+p.Name+"}", url.PathEscape(v), 1)
	}
	req.Path = path
	req.PathValues = vals
	for _, p := range o.Params {
		if p.In == InQuery && p.Required && len(req.Query[p.Name]) == 0 {
			return nil, usagef("%s: missing required query parameter %s (%s); give it with -f %s=VALUE", o.ID, p.Name, p.Describe(), p.Name)
		}
	}
	if o.BodyRequired && req.Body == nil && len(req.Files) == 0 {
		req.Body = map[string]any{}
	}
	return req, nil
}

func (o *Operation) setBody(req *Request, bs *Body, f Field) error {
	key := f.Key
	top, rest, nested := strings.Cut(key, ".")
	p, known := bs.prop(top)
	if !known && !bs.Open {
		return usagef("%s has no parameter %q; valid: %s", o.ID, key, o.validNames())
	}
	if req.Body == nil {
		req.Body = map[string]any{}
	}
	if known && p.Type == TypeFile {
		if f.Path == "" {
			return usagef("%s: %s is a file upload; give it with -F %s=@PATH", o.ID, key, key)
		}
		if req.Files == nil {
			req.Files = map[string]string{}
		}
		req.Files[key] = f.Path
		return nil
	}
	if nested {
		if known && p.Type != TypeObject && p.Type != TypeAny {
			return usagef("%s: %s is a %s, not an object; %q cannot be set", o.ID, top, p.Describe(), key)
		}
		// attributes.a.b=v sets a nested key of a free-form object.
		obj, _ := req.Body[top].(map[string]any)
		if obj == nil {
			obj = map[string]any{}
			req.Body[top] = obj
		}
		setNested(obj, strings.Split(rest, "."), guess(f.Value))
		return nil
	}
	var v any
	var err error
	if known {
		v, err = convert(p, f.Value)
		if err != nil {
			return usagef("%s: body field %s: %v", o.ID, key, err)
		}
	} else {
		v = guess(f.Value)
	}
	if known && p.Type == TypeArray {
		// Repeating a field appends: -f groups=a -f groups=b.
		if prev, ok := req.Body[key].([]any); ok {
			if add, ok := v.([]any); ok {
				v = append(prev, add...)
			}
		}
	}
	req.Body[key] = v
	return nil
}

func setNested(obj map[string]any, keys []string, v any) {
	for _, k := range keys[:len(keys)-1] {
		next, ok := obj[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			obj[k] = next
		}
		obj = next
	}
	obj[keys[len(keys)-1]] = v
}

func addQuery(q url.Values, key string, v any) {
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			q.Add(key, scalarString(e))
		}
		return
	}
	q.Add(key, scalarString(v))
}

func scalarString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return ""
	case map[string]any, []any:
		b, _ := json.Marshal(t)
		return string(b)
	}
	return fmt.Sprint(v)
}

func (o *Operation) param(name string) (Param, bool) {
	for _, p := range o.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

func (b *Body) prop(name string) (Param, bool) {
	for _, p := range b.Props {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// Parameters lists every parameter of the operation: path, query, body.
func (o *Operation) Parameters() []Param {
	out := slices.Clone(o.Params)
	if bs := o.BodySchema(); bs != nil {
		out = append(out, bs.Props...)
	}
	return out
}

func (o *Operation) validNames() string {
	var names []string
	for _, p := range o.Parameters() {
		names = append(names, p.Name+" ("+p.In.String()+", "+p.Describe()+")")
	}
	if len(names) == 0 {
		return "none (the operation takes no parameters)"
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// convert parses a command-line value as the parameter's type.
func convert(p Param, s string) (any, error) {
	if p.Nullable && s == "null" {
		return nil, nil
	}
	switch p.Type {
	case TypeArray:
		if strings.HasPrefix(strings.TrimSpace(s), "[") {
			var arr []any
			if err := json.Unmarshal([]byte(s), &arr); err != nil {
				return nil, fmt.Errorf("want a JSON array or one %s, got %q: %v", p.Items, s, err)
			}
			for _, e := range arr {
				if err := checkItem(p, e); err != nil {
					return nil, err
				}
			}
			return arr, nil
		}
		item := p
		item.Type, item.Items = p.Items, TypeAny
		v, err := convert(item, s)
		if err != nil {
			return nil, err
		}
		return []any{v}, nil
	case TypeInteger:
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			return nil, fmt.Errorf("want an integer, got %q", s)
		}
		return json.Number(s), nil
	case TypeNumber:
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return nil, fmt.Errorf("want a number, got %q", s)
		}
		return json.Number(s), nil
	case TypeBoolean:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("want true or false, got %q", s)
		}
		return b, nil
	case TypeObject:
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, fmt.Errorf("want a JSON value, got %q: %v", s, err)
		}
		return v, nil
	case TypeAny:
		return guess(s), nil
	case TypeString:
		if len(p.Enum) > 0 && !slices.Contains(p.Enum, s) {
			return nil, fmt.Errorf("want one of %s, got %q", strings.Join(p.Enum, ", "), s)
		}
		if p.Format == "uuid" && !uuidRE.MatchString(s) {
			return nil, fmt.Errorf("want a UUID, got %q", s)
		}
		return s, nil
	}
	return s, nil
}

func checkItem(p Param, e any) error {
	switch p.Items {
	case TypeInteger:
		f, ok := e.(float64)
		if !ok || f != float64(int64(f)) {
			return fmt.Errorf("want an array of integers, got element %v", e)
		}
	case TypeString:
		s, ok := e.(string)
		if !ok {
			return fmt.Errorf("want an array of strings, got element %v", e)
		}
		if len(p.Enum) > 0 && !slices.Contains(p.Enum, s) {
			return fmt.Errorf("want elements among %s, got %q", strings.Join(p.Enum, ", "), s)
		}
	case TypeBoolean:
		if _, ok := e.(bool); !ok {
			return fmt.Errorf("want an array of booleans, got element %v", e)
		}
	}
	return nil
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)

// guess reads an untyped value: an integer keeps its literal, other
// valid JSON (true, null, 1.5, objects) is decoded, anything else is the
// string.
func guess(s string) any {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return json.Number(s)
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err == nil {
		return v
	}
	return s
}
