package sqldb

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/store"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Time
		bad  bool
	}{
		{"fixed width", "2024-02-29T13:14:15.123456Z", time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC), false},
		{"RFC 3339 with offset", "2024-02-29T13:14:15+02:00", time.Date(2024, 2, 29, 11, 14, 15, 0, time.UTC), false},
		{"nanoseconds are truncated", "2024-02-29T13:14:15.123456789Z", time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC), false},
		{"impossible date", "2023-02-29T13:14:15.000000Z", time.Time{}, true},
		{"garbage", "yesterday", time.Time{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTime(tc.in)
			if (err != nil) != tc.bad {
				t.Fatalf("err %v", err)
			}
			if !tc.bad && (!got.Equal(tc.want) || got.Location() != time.UTC) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			if !tc.bad && FormatTime(got) != got.Format(TimeLayout) {
				t.Fatal("format mismatch")
			}
		})
	}
}

func TestCanonical(t *testing.T) {
	type myString string
	tests := []struct {
		name string
		ct   store.ColumnType
		in   any
		want any
		err  error // nil: any error is acceptable when wantErr
		bad  bool
	}{
		{"named string", store.TypeText, myString("x"), "x", nil, false},
		{"uint overflow", store.TypeInt, uint64(1 << 63), nil, nil, true},
		{"integral float", store.TypeInt, 3.0, int64(3), nil, false},
		{"json.Number int", store.TypeInt, json.Number("12"), int64(12), nil, false},
		{"uuid bytes", store.TypeUUID, [16]byte{0xab, 15: 1}, "ab000000-0000-0000-0000-000000000001", nil, false},
		{"uuid malformed", store.TypeUUID, "0b5d6f3e-2c1a-4e8b-9f00-aaaaaaaaaaaz", nil, errInvalidUUID, true},
		{"uuid canonical", store.TypeUUID, "0b5d6f3e-2c1a-4e8b-9f00-aaaaaaaaaaaf", "0b5d6f3e-2c1a-4e8b-9f00-aaaaaaaaaaaf", nil, false},
		{"uuid upper case", store.TypeUUID, "0B5D6F3E-2C1A-4E8B-9F00-AAAAAAAAAAAF", "0b5d6f3e-2c1a-4e8b-9f00-aaaaaaaaaaaf", nil, false},
		{"uuid plain hex", store.TypeUUID, "0b5d6f3e2c1a4e8b9f00aaaaaaaaaaaf", "0b5d6f3e-2c1a-4e8b-9f00-aaaaaaaaaaaf", nil, false},
		{"uuid hyphen misplaced", store.TypeUUID, "0b5d6f3e2-c1a-4e8b-9f00-aaaaaaaaaaaf", nil, errInvalidUUID, true},
		{"json keeps html characters", store.TypeJSON, map[string]string{"a": "<&>"}, `{"a":"<&>"}`, nil, false},
		{"json raw is compacted", store.TypeJSON, json.RawMessage(" [ 1 , 2 ] "), `[1,2]`, nil, false},
		{"nil pointer is NULL", store.TypeText, (*string)(nil), nil, nil, false},
		{"NaN rejected", store.TypeFloat, nan(), nil, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := canonical(tc.ct, tc.in)
			if (err != nil) != tc.bad || (tc.err != nil && !errors.Is(err, tc.err)) {
				t.Fatalf("err %v", err)
			}
			if !tc.bad && got != tc.want {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func nan() float64 { z := 0.0; return z / z }

func TestRewriteQuestionMarks(t *testing.T) {
	ph := func(n int) string { return "$" + string(rune('0'+n)) }
	tests := []struct{ name, in, want string }{
		{"plain", "a = ? AND b = ?", "a = $1 AND b = $2"},
		{"string literal", "a = '?' AND b = ?", "a = '?' AND b = $1"},
		{"escaped quote", "a = 'it''s ?' AND b = ?", "a = 'it''s ?' AND b = $1"},
		{"identifier", `"we?ird" = ?`, `"we?ird" = $1`},
		{"line comment", "-- why?\nx = ?", "-- why?\nx = $1"},
		{"block comment", "/* ? */ x = ?", "/* ? */ x = $1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RewriteQuestionMarks(tc.in, ph); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
