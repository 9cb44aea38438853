package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"

	"github.com/akgo/akgo/internal/akctl/apiop"
	"github.com/akgo/akgo/pkg/client"
)

// callMultipart calls an operation that uploads files through its
// generated method, which streams multipart/form-data (Client.Do only
// sends JSON). The method is found by the names client.Operations gives
// it; its body struct is filled field by field from the request.
func callMultipart(ctx context.Context, c *client.Client, req *apiop.Request) ([]byte, error) {
	cop, ok := client.LookupOperation(req.Op.ID)
	if !ok {
		return nil, fmt.Errorf("the client has no operation %s", req.Op.ID)
	}
	svc := reflect.ValueOf(c).Elem().FieldByName(cop.Service)
	if !svc.IsValid() {
		return nil, fmt.Errorf("the client has no service %s", cop.Service)
	}
	m := svc.MethodByName(cop.Name)
	if !m.IsValid() {
		return nil, fmt.Errorf("the client has no method %s.%s", cop.Service, cop.Name)
	}
	mt := m.Type()
	args := []reflect.Value{reflect.ValueOf(ctx)}
	i := 1
	for _, p := range req.Op.Params {
		if p.In != apiop.InPath {
			continue
		}
		v := req.PathValues[p.Name]
		switch mt.In(i).Kind() {
		case reflect.Int:
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("path parameter %s: %w", p.Name, err)
			}
			args = append(args, reflect.ValueOf(n))
		default:
			args = append(args, reflect.ValueOf(v))
		}
		i++
	}
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	body := reflect.New(mt.In(i)).Elem()
	for j := range body.NumField() {
		sf := body.Type().Field(j)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if path, ok := req.Files[name]; ok {
			f, err := os.Open(path)
			if err != nil {
				return nil, fmt.Errorf("upload %s: %w", name, err)
			}
			files = append(files, f)
			body.Field(j).Set(reflect.ValueOf(io.Reader(f)))
			continue
		}
		v, ok := req.Body[name]
		if !ok {
			continue
		}
		data, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", name, err)
		}
		if err := json.Unmarshal(data, body.Field(j).Addr().Interface()); err != nil {
			return nil, fmt.Errorf("field %s: %w", name, err)
		}
	}
	args = append(args, body)
	i++
	if i < mt.NumIn() {
		// Query parameters: none of the upload operations has any.
		args = append(args, reflect.Zero(mt.In(i)))
	}
	out := m.Call(args)
	if err, _ := out[len(out)-1].Interface().(error); err != nil {
		return nil, err
	}
	if len(out) == 1 {
		return nil, nil
	}
	return json.Marshal(out[0].Interface())
}
