package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// The expectations below are PostgreSQL's. When AKGO_TEST_POSTGRES_URL is
// set they are checked against a real server too, so the Go
// reimplementation cannot drift from the operator it imitates.

var containsCases = []struct {
	name      string
	doc, tmpl string
	want      bool
}{
	{"equal scalars", `1`, `1`, true},
	{"numbers compare numerically", `1.0`, `1`, true},
	{"exponent form", `{"a":100}`, `{"a":1e2}`, true},
	{"different scalars", `"a"`, `"b"`, false},
	{"array contains bare scalar at top", `["a","b"]`, `"a"`, true},
	{"scalar does not contain array", `"a"`, `["a"]`, false},
	{"object key subset", `{"a":1,"b":2}`, `{"a":1}`, true},
	{"object missing key", `{"a":1}`, `{"b":1}`, false},
	{"object wrong value", `{"a":1}`, `{"a":2}`, false},
	{"empty object in object", `{"a":1}`, `{}`, true},
	{"empty object in array", `[1]`, `{}`, false},
	{"empty array in object", `{"a":1}`, `[]`, false},
	{"null values", `{"a":null}`, `{"a":null}`, true},
	{"null is not false", `{"a":false}`, `{"a":null}`, false},
	{"nested object subset", `{"a":{"b":1,"c":2}}`, `{"a":{"c":2}}`, true},
	{"nested kinds must match", `{"a":["x"]}`, `{"a":"x"}`, false},
	{"nested array subset", `{"a":[1,2,3]}`, `{"a":[3,1]}`, true},
	{"array order and duplicates ignored", `[1,2]`, `[2,2,1]`, true},
	{"array element missing", `[1,2]`, `[3]`, false},
	{"arrays are not flattened", `[1,[2,3]]`, `[2]`, false},
	{"nested array element", `[1,[2,3]]`, `[[3]]`, true},
	{"object inside array", `[{"a":1,"b":2},{"c":3}]`, `[{"b":2}]`, true},
	{"object spread over elements", `[{"a":1},{"b":2}]`, `[{"a":1,"b":2}]`, false},
	{"booleans", `{"t":true}`, `{"t":true}`, true},
	{"strings are case-sensitive", `{"k":"V"}`, `{"k":"v"}`, false},
	{"unicode", `{"k":"é"}`, `{"k":"\u00e9"}`, true},
}

var pathCases = []struct {
	name string
	doc  string
	path []string
	want any // string, or nil for SQL NULL
}{
	{"string", `{"a":"x"}`, []string{"a"}, "x"},
	{"number", `{"a":1.50}`, []string{"a"}, "1.50"},
	{"number with exponent", `{"a":1e2}`, []string{"a"}, "100"},
	{"bool", `{"a":true}`, []string{"a"}, "true"},
	{"json null is SQL NULL", `{"a":null}`, []string{"a"}, nil},
	{"missing key", `{"a":1}`, []string{"b"}, nil},
	{"nested", `{"a":{"b":{"c":"d"}}}`, []string{"a", "b", "c"}, "d"},
	{"array index", `{"a":[10,20]}`, []string{"a", "1"}, "20"},
	{"negative index", `{"a":[10,20]}`, []string{"a", "-1"}, "20"},
	{"index out of range", `{"a":[10]}`, []string{"a", "5"}, nil},
	{"index into object is a key", `{"0":"zero"}`, []string{"0"}, "zero"},
	{"key into array", `[1]`, []string{"a"}, nil},
	{"through a scalar", `{"a":1}`, []string{"a", "b"}, nil},
	{"empty path is the document", `"s"`, []string{}, "s"},
	{"array result", `{"a":[1]}`, []string{"a"}, "[1]"},
}

func TestJSONContains(t *testing.T) {
	for _, tc := range containsCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := jsonContainsFunc([]driver.Value{tc.doc, tc.tmpl})
			if err != nil {
				t.Fatal(err)
			}
			if got != boolInt(tc.want) {
				t.Fatalf("%s @> %s = %v, want %v", tc.doc, tc.tmpl, got, tc.want)
			}
		})
	}
	t.Run("NULL operand", func(t *testing.T) {
		if got, err := jsonContainsFunc([]driver.Value{nil, `{}`}); got != nil || err != nil {
			t.Fatalf("got %v, %v", got, err)
		}
	})
}

func TestJSONText(t *testing.T) {
	for _, tc := range pathCases {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := json.Marshal(tc.path)
			got, err := jsonTextFunc([]driver.Value{tc.doc, string(p)})
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("%s #>> %v = %#v, want %#v", tc.doc, tc.path, got, tc.want)
			}
		})
	}
}

func boolInt(b bool) driver.Value {
	if b {
		return int64(1)
	}
	return int64(0)
}

func TestJSONCasesMatchPostgres(t *testing.T) {
	url := os.Getenv("AKGO_TEST_POSTGRES_URL")
	if url == "" {
		t.Skip("set AKGO_TEST_POSTGRES_URL to run PostgreSQL tests")
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for _, tc := range containsCases {
		t.Run("contains/"+tc.name, func(t *testing.T) {
			var got bool
			if err := db.QueryRowContext(ctx, "SELECT $1::jsonb @> $2::jsonb", tc.doc, tc.tmpl).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("PostgreSQL says %s @> %s = %v, the case says %v", tc.doc, tc.tmpl, got, tc.want)
			}
		})
	}
	for _, tc := range pathCases {
		t.Run("path/"+tc.name, func(t *testing.T) {
			var got sql.NullString
			if err := db.QueryRowContext(ctx, "SELECT $1::jsonb #>> $2::text[]", tc.doc, tc.path).Scan(&got); err != nil {
				t.Fatal(err)
			}
			var gv any
			if got.Valid {
				gv = got.String
			}
			if gv != tc.want {
				t.Fatalf("PostgreSQL says %s #>> %v = %#v, the case says %#v", tc.doc, tc.path, gv, tc.want)
			}
		})
	}
}
