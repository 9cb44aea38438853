package apispec

import (
	"reflect"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// compact returns a deep copy of doc, so that what the server keeps of the
// schema lies in memory allocated for it alone.
//
// Parsing allocates about a hundred times more than it keeps, and what it
// keeps is spread one object here and there over pages that otherwise
// hold the parser's garbage: the 2.6 MB trimmed document kept about 12 MB
// of heap pages in use, which the runtime can never hand back to the
// operating system. A copy made after the parse fills fresh pages densely
// and leaves the parser's pages wholly free. Equal strings (property
// names, formats, enum values) share one copy.
func compact(doc *openapi3.T) *openapi3.T {
	c := &copier{ptrs: map[ptrKey]reflect.Value{}, strs: map[string]string{}}
	var out *openapi3.T
	c.fill(reflect.ValueOf(&out).Elem(), reflect.ValueOf(doc))
	return out
}

type ptrKey struct {
	p uintptr
	t reflect.Type
}

// copier deep-copies exported fields; a pointer or map reached twice is
// copied once, so shared schemas stay shared and cycles end. It writes
// into its destinations in place: a temporary per value would be garbage
// on the very pages the copy is meant to fill.
type copier struct {
	ptrs map[ptrKey]reflect.Value
	strs map[string]string
}

var (
	pathsType     = reflect.TypeFor[openapi3.Paths]()
	schemaRefType = reflect.TypeFor[openapi3.SchemaRef]()
)

// fill sets dst, which is settable, to a deep copy of src.
func (c *copier) fill(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.String:
		dst.SetString(c.intern(src.String()))
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		key := ptrKey{uintptr(src.UnsafePointer()), src.Type()}
		if done, ok := c.ptrs[key]; ok {
			dst.Set(done)
			return
		}
		out := reflect.New(src.Type().Elem())
		c.ptrs[key] = out
		dst.Set(out)
		c.fill(out.Elem(), src.Elem())
	case reflect.Struct:
		switch src.Type() {
		case pathsType:
			// Paths keeps its map unexported: rebuild it.
			old := src.Addr().Interface().(*openapi3.Paths)
			p := dst.Addr().Interface().(*openapi3.Paths)
			c.fill(reflect.ValueOf(&p.Extensions).Elem(), reflect.ValueOf(old.Extensions))
			for path, item := range old.Map() {
				var copied *openapi3.PathItem
				c.fill(reflect.ValueOf(&copied).Elem(), reflect.ValueOf(item))
				p.Set(c.intern(path), copied)
			}
			return
		case schemaRefType:
			// A schema reference's unexported fields only serve the loader
			// (the reference's URL, OpenAPI 3.1 siblings).
		default:
			dst.Set(src)
		}
		for i := range src.NumField() {
			if src.Type().Field(i).IsExported() {
				c.fill(dst.Field(i), src.Field(i))
			}
		}
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		out := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			c.fill(out.Index(i), src.Index(i))
		}
		dst.Set(out)
	case reflect.Array:
		for i := range src.Len() {
			c.fill(dst.Index(i), src.Index(i))
		}
	case reflect.Map:
		if src.IsNil() {
			return
		}
		key := ptrKey{uintptr(src.UnsafePointer()), src.Type()}
		if done, ok := c.ptrs[key]; ok {
			dst.Set(done)
			return
		}
		out := reflect.MakeMapWithSize(src.Type(), src.Len())
		c.ptrs[key] = out
		dst.Set(out)
		k, v := reflect.New(src.Type().Key()).Elem(), reflect.New(src.Type().Elem()).Elem()
		for it := src.MapRange(); it.Next(); {
			k.SetZero()
			v.SetZero()
			c.fill(k, it.Key())
			c.fill(v, it.Value())
			out.SetMapIndex(k, v)
		}
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		e := reflect.New(src.Elem().Type()).Elem()
		c.fill(e, src.Elem())
		dst.Set(e)
	default:
		dst.Set(src)
	}
}

func (c *copier) intern(s string) string {
	is, ok := c.strs[s]
	if !ok {
		is = strings.Clone(s)
		c.strs[is] = is
	}
	return is
}
