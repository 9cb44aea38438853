package client_test

import (
	"context"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/akgo/akgo/pkg/client"
)

// schemaOp is what the test reads of one schema operation, independently
// of the generator.
type schemaOp struct {
	id, method, path string
	pathParams       int
	hasQuery         bool
	hasBody          bool
}

func loadSchemaOps(t *testing.T) []schemaOp {
	t.Helper()
	data, err := os.ReadFile("../../internal/apispec/authentik.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `yaml:"operationId"`
			Parameters  []struct {
				In string `yaml:"in"`
			} `yaml:"parameters"`
			RequestBody *struct{} `yaml:"requestBody"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var ops []schemaOp
	for path, methods := range doc.Paths {
		for method, op := range methods {
			o := schemaOp{id: op.OperationID, method: strings.ToUpper(method), path: path, hasBody: op.RequestBody != nil}
			for _, p := range op.Parameters {
				switch p.In {
				case "path":
					o.pathParams++
				case "query":
					o.hasQuery = true
				}
			}
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].id < ops[j].id })
	return ops
}

// TestEveryOperationHasAMethod walks the schema's operations and checks
// each against the operation table and, by reflection, the Client: the
// method exists on its service with the arguments the schema implies.
func TestEveryOperationHasAMethod(t *testing.T) {
	ops := loadSchemaOps(t)
	if len(ops) != 692 {
		t.Errorf("schema has %d operations, want authentik 2023.10's 692", len(ops))
	}
	table := client.Operations()
	if len(table) != len(ops) {
		t.Errorf("operation table has %d entries, schema %d", len(table), len(ops))
	}
	c, err := client.New("http://127.0.0.1:1", "")
	if err != nil {
		t.Fatal(err)
	}
	cv := reflect.ValueOf(c).Elem()
	ctxType := reflect.TypeFor[context.Context]()
	errType := reflect.TypeFor[error]()
	pagerType := reflect.TypeFor[client.PageInfoer]()
	for _, want := range ops {
		t.Run(want.id, func(t *testing.T) {
			got, ok := client.LookupOperation(want.id)
			if !ok {
				t.Fatal("not in the operation table")
			}
			if got.Method != want.method || got.Path != want.path {
				t.Errorf("table says %s %s, schema %s %s", got.Method, got.Path, want.method, want.path)
			}
			svc := cv.FieldByName(got.Service)
			if !svc.IsValid() || svc.IsNil() {
				t.Fatalf("Client has no service %s", got.Service)
			}
			m := svc.MethodByName(got.Name)
			if !m.IsValid() {
				t.Fatalf("%s has no method %s", got.Service, got.Name)
			}
			mt := m.Type()
			wantIn := 1 + want.pathParams
			if want.hasBody {
				wantIn++
			}
			if want.hasQuery {
				wantIn++
			}
			if mt.NumIn() != wantIn || mt.In(0) != ctxType {
				t.Errorf("%s.%s takes %s, want ctx + %d path parameters, body %t, query %t", got.Service, got.Name, mt, want.pathParams, want.hasBody, want.hasQuery)
			}
			if want.hasQuery && (mt.In(mt.NumIn()-1).Kind() != reflect.Pointer || !strings.HasSuffix(mt.In(mt.NumIn()-1).Elem().Name(), "Params")) {
				t.Errorf("last argument %s is not a *Params struct", mt.In(mt.NumIn()-1))
			}
			if mt.NumOut() == 0 || mt.Out(mt.NumOut()-1) != errType {
				t.Errorf("%s.%s does not return an error", got.Service, got.Name)
			}
			if got.Paginated && !mt.Out(0).Implements(pagerType) {
				t.Errorf("paginated operation returns %s, which is not a PageInfoer", mt.Out(0))
			}
		})
	}
	if _, ok := client.LookupOperation("no_such_operation"); ok {
		t.Error("LookupOperation found an operation that does not exist")
	}
}
