package client

import (
	"fmt"
	"io"
	"mime/multipart"
	"net/url"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// encodeQuery turns a generated *XParams struct (fields tagged
// `query:"name"`) or url.Values into query values. Nil pointers and nil
// slices are left out; slices repeat the parameter (the schema's
// style=form, explode=true).
func encodeQuery(params any) (url.Values, error) {
	switch p := params.(type) {
	case nil:
		return nil, nil
	case url.Values:
		return p, nil
	}
	v := reflect.ValueOf(params)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil, fmt.Errorf("query parameters of type %T", params)
	}
	q := url.Values{}
	t := v.Type()
	for i := range t.NumField() {
		name := t.Field(i).Tag.Get("query")
		if name == "" {
			continue
		}
		vals, err := formValues(v.Field(i))
		if err != nil {
			return nil, fmt.Errorf("query parameter %s: %w", name, err)
		}
		for _, s := range vals {
			q.Add(name, s)
		}
	}
	return q, nil
}

// formValues formats a query or form value; nil pointers and slices give
// none.
func formValues(v reflect.Value) ([]string, error) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, nil
		}
		return formValues(v.Elem())
	case reflect.Slice:
		out := make([]string, 0, v.Len())
		for i := range v.Len() {
			s, err := formScalar(v.Index(i))
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := formScalar(v)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func formScalar(v reflect.Value) (string, error) {
	if t, ok := v.Interface().(time.Time); ok {
		return t.Format(time.RFC3339Nano), nil
	}
	switch v.Kind() {
	case reflect.String:
		return v.String(), nil
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'f', -1, 64), nil
	}
	return "", fmt.Errorf("cannot format a %s as a form value", v.Type())
}

// writeMultipart writes a generated request struct as multipart/form-data:
// field names come from the json tags, io.Reader fields become file parts
// (streamed, not buffered), nil fields are left out.
func writeMultipart(mw *multipart.Writer, body any) error {
	v := reflect.ValueOf(body)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return fmt.Errorf("multipart body of type %T", body)
	}
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		f := v.Field(i)
		if r, ok := f.Interface().(io.Reader); ok && r != nil {
			part, err := mw.CreateFormFile(name, fileName(r, name))
			if err != nil {
				return fmt.Errorf("multipart field %s: %w", name, err)
			}
			if _, err := io.Copy(part, r); err != nil {
				return fmt.Errorf("multipart field %s: %w", name, err)
			}
			continue
		}
		vals, err := formValues(f)
		if err != nil {
			return fmt.Errorf("multipart field %s: %w", name, err)
		}
		for _, s := range vals {
			if err := mw.WriteField(name, s); err != nil {
				return fmt.Errorf("multipart field %s: %w", name, err)
			}
		}
	}
	return nil
}

// fileName is the name an uploaded file is sent with: authentik keeps it
// (an icon's extension decides how it is served), so a reader with a
// Name method (*os.File, NamedReader) supplies its base name.
func fileName(r io.Reader, field string) string {
	if n, ok := r.(interface{ Name() string }); ok && n.Name() != "" {
		return filepath.Base(n.Name())
	}
	return field
}

// NamedReader gives an in-memory upload a file name, for example
// FileUploadRequest{File: client.NamedReader("icon.png", bytes.NewReader(png))}.
func NamedReader(name string, r io.Reader) io.Reader { return namedReader{r, name} }

type namedReader struct {
	io.Reader
	name string
}

func (n namedReader) Name() string { return n.name }
