package main

import (
	"bytes"
	"fmt"
	"go/format"
	"regexp"
	"sort"
	"strings"
)

// op is one schema operation with everything its method needs.
type op struct {
	id, method, path, tag string
	service, name         string // Go service and method names
	spec                  *operation
	pathParams            []*parameter // in the order they appear in the path
	queryParams           []*parameter
	body                  string // Go type of the request body, "" for none
	multipart             bool
	result                result
}

// resultKind says what a successful response is decoded into.
type resultKind int

const (
	resultNone   resultKind = iota // no body: the method returns only an error
	resultObject                   // *T
	resultSlice                    // []T
	resultRaw                      // []byte: binary or non-JSON bodies
)

type result struct {
	kind resultKind
	typ  string // T (without * or [])
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// collectOps resolves every operation, sorted by operationId.
func (g *generator) collectOps() ([]*op, error) {
	var ops []*op
	for _, path := range g.doc.Paths.Keys {
		item := g.doc.Paths.Values[path]
		for _, method := range item.Keys {
			o, err := g.resolveOp(path, strings.ToUpper(method), item.Values[method])
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", strings.ToUpper(method), path, err)
			}
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].id < ops[j].id })
	for i := 1; i < len(ops); i++ {
		if ops[i].id == ops[i-1].id {
			return nil, fmt.Errorf("operationId %s is used twice", ops[i].id)
		}
	}
	return ops, nil
}

func (g *generator) resolveOp(path, method string, spec *operation) (*op, error) {
	if spec.OperationID == "" || len(spec.Tags) == 0 {
		return nil, fmt.Errorf("operation without operationId or tag")
	}
	o := &op{id: spec.OperationID, method: method, path: path, tag: spec.Tags[0], spec: spec}
	rest, ok := strings.CutPrefix(o.id, o.tag+"_")
	if !ok {
		return nil, fmt.Errorf("operationId %s does not start with its tag %q", o.id, o.tag)
	}
	o.service, o.name = exported(o.tag), exported(rest)
	byName := map[string]*parameter{}
	for _, p := range spec.Parameters {
		switch p.In {
		case "path":
			byName[p.Name] = p
		case "query":
			o.queryParams = append(o.queryParams, p)
		default:
			return nil, fmt.Errorf("parameter %s in %s is not supported", p.Name, p.In)
		}
	}
	for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
		p, ok := byName[m[1]]
		if !ok {
			return nil, fmt.Errorf("path parameter %s is not declared", m[1])
		}
		o.pathParams = append(o.pathParams, p)
	}
	if rb := spec.RequestBody; rb != nil {
		var mt *mediaType
		switch {
		case rb.Content.Values["application/json"] != nil:
			mt = rb.Content.Values["application/json"]
		case rb.Content.Values["multipart/form-data"] != nil:
			mt, o.multipart = rb.Content.Values["multipart/form-data"], true
		default:
			return nil, fmt.Errorf("request body types %v are not supported", rb.Content.Keys)
		}
		if mt.Schema == nil || mt.Schema.Ref == "" {
			return nil, fmt.Errorf("request body is not a component")
		}
		_, t, err := g.component(mt.Schema.Ref)
		if err != nil {
			return nil, err
		}
		o.body = t
	}
	res, err := g.resolveResult(o.id, spec)
	if err != nil {
		return nil, err
	}
	o.result = res
	return o, nil
}

// resolveResult picks the first 2xx response.
func (g *generator) resolveResult(id string, spec *operation) (result, error) {
	for _, code := range spec.Responses.Keys {
		if !strings.HasPrefix(code, "2") {
			continue
		}
		resp := spec.Responses.Values[code]
		if len(resp.Content.Keys) == 0 {
			return result{kind: resultNone}, nil
		}
		mt := resp.Content.Values["application/json"]
		if mt == nil || len(resp.Content.Keys) > 1 || mt.Schema == nil || mt.Schema.Format == "binary" {
			return result{kind: resultRaw}, nil
		}
		s := mt.Schema
		switch {
		case s.Ref != "":
			_, t, err := g.component(s.Ref)
			return result{resultObject, t}, err
		case s.Type == "array" && s.Items != nil:
			t, err := g.typeOf(s.Items, exported(id)+"Item", false)
			return result{resultSlice, t.expr}, err
		}
		t, err := g.typeOf(s, exported(id)+"Result", false)
		if err != nil {
			return result{}, err
		}
		if t.kind == kindStruct {
			return result{resultObject, t.expr}, nil
		}
		return result{}, fmt.Errorf("response schema of type %q is not supported", s.Type)
	}
	return result{kind: resultNone}, nil
}

// queryType is the Go type of a query parameter: required ones are values
// (always sent), optional ones pointers or slices (nil is not sent).
func (g *generator) queryType(p *parameter) (string, error) {
	s := p.Schema
	if s == nil {
		return "", fmt.Errorf("query parameter %s has no schema", p.Name)
	}
	var t string
	switch s.Type {
	case "string":
		t = "string"
		if s.Format == "date-time" {
			g.imports["time"] = true
			t = "time.Time"
		}
	case "integer":
		t = "int"
	case "number":
		t = "float64"
	case "boolean":
		t = "bool"
	case "array":
		if s.Items == nil {
			return "", fmt.Errorf("array query parameter %s without items", p.Name)
		}
		switch s.Items.Type {
		case "string":
			return "[]string", nil
		case "integer":
			return "[]int", nil
		}
		return "", fmt.Errorf("array query parameter %s of %q", p.Name, s.Items.Type)
	default:
		return "", fmt.Errorf("query parameter %s of type %q", p.Name, s.Type)
	}
	if p.Required {
		return t, nil
	}
	return "*" + t, nil
}

// paramsType is the name of an operation's query parameter struct.
func paramsType(o *op) string { return exported(o.id) + "Params" }

// writeOperations emits the Client, one service type per tag, one method
// per operation, the query parameter structs and the operation table.
func (g *generator) writeOperations(ops []*op) ([]byte, error) {
	g.imports = map[string]bool{"context": true}
	var body bytes.Buffer
	services := map[string]string{} // Go name → tag
	for _, o := range ops {
		if t, ok := services[o.service]; ok && t != o.tag {
			return nil, fmt.Errorf("tags %q and %q both become service %s", t, o.tag, o.service)
		}
		services[o.service] = o.tag
	}
	names := make([]string, 0, len(services))
	for s := range services {
		names = append(names, s)
	}
	sort.Strings(names)

	fmt.Fprintf(&body, "// SchemaVersion is the authentik API version the client was generated from.\nconst SchemaVersion = %q\n\n", g.doc.Info.Version)
	body.WriteString(`// Client calls authentik's API. Its fields group the operations by the
// schema's tags (the first word of each operationId); New creates one.
type Client struct {
`)
	for _, s := range names {
		fmt.Fprintf(&body, "\t// %s holds the operations tagged %q.\n\t%s *%sService\n", s, services[s], s, s)
	}
	body.WriteString("\n\tt *transport\n}\n\n// initServices points every service at c.\nfunc (c *Client) initServices() {\n")
	for _, s := range names {
		fmt.Fprintf(&body, "\tc.%s = &%sService{c: c}\n", s, s)
	}
	body.WriteString("}\n\n")
	for _, s := range names {
		fmt.Fprintf(&body, "// %[1]sService holds the operations tagged %[2]q; use it as Client.%[1]s.\ntype %[1]sService struct{ c *Client }\n\n", s, services[s])
	}

	for _, o := range ops {
		if err := g.writeOp(&body, o); err != nil {
			return nil, fmt.Errorf("%s: %w", o.id, err)
		}
	}

	body.WriteString("// operations lists every operation of the schema, sorted by ID.\nvar operations = []Operation{\n")
	for _, o := range ops {
		fmt.Fprintf(&body, "\t{ID: %q, Method: %q, Path: %q, Service: %q, Name: %q, Paginated: %t},\n",
			o.id, o.method, o.path, o.service, o.name, g.isPaginated(o))
	}
	body.WriteString("}\n")
	return g.file(body.Bytes())
}

// isPaginated reports whether an operation returns one page of a list.
func (g *generator) isPaginated(o *op) bool {
	if o.result.kind != resultObject {
		return false
	}
	for _, name := range g.doc.Components.Schemas.Keys {
		if g.goNames[name] == o.result.typ {
			_, ok := g.paginated(g.doc.Components.Schemas.Values[name])
			return ok
		}
	}
	return false
}

func (g *generator) writeOp(w *bytes.Buffer, o *op) error {
	var args []string
	pathExpr := []string{}
	rest := o.path
	argNames := map[string]bool{}
	for _, p := range o.pathParams {
		arg := unexported(p.Name)
		if argNames[arg] {
			return fmt.Errorf("path parameters share the argument name %s", arg)
		}
		argNames[arg] = true
		before, after, _ := strings.Cut(rest, "{"+p.Name+"}")
		pathExpr = append(pathExpr, fmt.Sprintf("%q", before))
		if p.Schema != nil && p.Schema.Type == "integer" {
			g.imports["strconv"] = true
			args = append(args, arg+" int")
			pathExpr = append(pathExpr, "strconv.Itoa("+arg+")")
		} else {
			g.imports["net/url"] = true
			args = append(args, arg+" string")
			pathExpr = append(pathExpr, "url.PathEscape("+arg+")")
		}
		rest = after
	}
	if rest != "" || len(pathExpr) == 0 {
		pathExpr = append(pathExpr, fmt.Sprintf("%q", rest))
	}
	if o.body != "" {
		args = append(args, "body "+o.body)
	}
	if len(o.queryParams) > 0 {
		if _, clash := g.doc.Components.Schemas.Values[paramsType(o)]; clash {
			return fmt.Errorf("parameter struct %s clashes with a component", paramsType(o))
		}
		if err := g.writeParams(w, o); err != nil {
			return err
		}
		args = append(args, "params *"+paramsType(o))
	}

	var ret string
	switch o.result.kind {
	case resultNone:
		ret = "error"
	case resultObject:
		ret = "(*" + o.result.typ + ", error)"
	case resultSlice:
		ret = "([]" + o.result.typ + ", error)"
	case resultRaw:
		ret = "([]byte, error)"
	}

	fmt.Fprintf(w, "// %s calls %s: %s %s.\n", o.name, o.id, o.method, o.path)
	if doc := strings.TrimSpace(o.spec.Summary + "\n\n" + o.spec.Description); doc != "" {
		w.WriteString("//\n")
		writeComment(w, doc)
	}
	if o.result.kind == resultRaw {
		w.WriteString("//\n// The response body is returned as it is, without decoding.\n")
	}
	if o.multipart {
		w.WriteString("//\n// The body is sent as multipart/form-data; its io.Reader fields are\n// streamed as files.\n")
	}
	if o.spec.Deprecated {
		w.WriteString("//\n// Deprecated: the schema marks this operation deprecated.\n")
	}
	fmt.Fprintf(w, "func (s *%sService) %s(%s) %s {\n", o.service, o.name, strings.Join(append([]string{"ctx context.Context"}, args...), ", "), ret)

	req := []string{fmt.Sprintf("op: %q", o.id), fmt.Sprintf("method: %q", o.method), "path: " + strings.Join(pathExpr, " + ")}
	if len(o.queryParams) > 0 {
		req = append(req, "query: params")
	}
	if o.body != "" {
		req = append(req, "body: body")
		if o.multipart {
			req = append(req, "multipart: true")
		}
	}
	switch o.result.kind {
	case resultNone:
		fmt.Fprintf(w, "\treturn s.c.send(ctx, &request{%s})\n}\n\n", strings.Join(req, ", "))
	case resultObject:
		fmt.Fprintf(w, "\tout := new(%s)\n\tif err := s.c.send(ctx, &request{%s, out: out}); err != nil {\n\t\treturn nil, err\n\t}\n\treturn out, nil\n}\n\n",
			o.result.typ, strings.Join(req, ", "))
	case resultSlice, resultRaw:
		elem := o.result.typ
		if o.result.kind == resultRaw {
			elem = "byte"
			req = append(req, "raw: true")
		}
		fmt.Fprintf(w, "\tvar out []%s\n\tif err := s.c.send(ctx, &request{%s, out: &out}); err != nil {\n\t\treturn nil, err\n\t}\n\treturn out, nil\n}\n\n",
			elem, strings.Join(req, ", "))
	}
	return nil
}

func (g *generator) writeParams(w *bytes.Buffer, o *op) error {
	fmt.Fprintf(w, "// %s holds the query parameters of %s; nil fields are not sent.\ntype %s struct {\n", paramsType(o), o.id, paramsType(o))
	seen := map[string]string{}
	for i, p := range o.queryParams {
		t, err := g.queryType(p)
		if err != nil {
			return err
		}
		name := exported(p.Name)
		if other, dup := seen[name]; dup {
			return fmt.Errorf("query parameters %q and %q both become field %s", other, p.Name, name)
		}
		seen[name] = p.Name
		doc := p.Description
		if vals := enumValues(p.Schema); vals != "" {
			doc = strings.TrimSpace(doc + "\n\nOne of " + vals + ".")
		}
		if doc != "" {
			if i > 0 {
				w.WriteString("\n")
			}
			writeComment(w, doc)
		}
		fmt.Fprintf(w, "\t%s %s `query:%q`\n", name, t, p.Name)
	}
	w.WriteString("}\n\n")
	return nil
}

// enumValues lists the allowed values of an inline enum parameter.
func enumValues(s *schema) string {
	if s.Type == "array" && s.Items != nil {
		s = s.Items
	}
	if len(s.Enum) == 0 {
		return ""
	}
	q := make([]string, len(s.Enum))
	for i, v := range s.Enum {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

// file wraps a generated body in the header, package clause and imports,
// and formats it.
func (g *generator) file(body []byte) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by pkg/client/gen from authentik's %s schema. DO NOT EDIT.\n\npackage client\n\n", g.doc.Info.Version)
	if len(g.imports) > 0 {
		imps := make([]string, 0, len(g.imports))
		for p := range g.imports {
			imps = append(imps, p)
		}
		sort.Strings(imps)
		b.WriteString("import (\n")
		for _, p := range imps {
			fmt.Fprintf(&b, "\t%q\n", p)
		}
		b.WriteString(")\n\n")
	}
	b.Write(body)
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format generated code: %w", err)
	}
	return out, nil
}
