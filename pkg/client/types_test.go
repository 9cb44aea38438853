package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRequestBodiesSendOnlyWhatIsSet(t *testing.T) {
	login := time.Date(2023, 10, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		body any
		want string
	}{
		{name: "empty patch is empty", body: PatchedUserRequest{}, want: `{}`},
		{name: "set fields only", body: PatchedUserRequest{Name: Ptr("Jane"), IsActive: Ptr(false)},
			want: `{"name":"Jane","is_active":false}`},
		{name: "explicit null", body: PatchedUserRequest{LastLogin: Null[time.Time]()}, want: `{"last_login":null}`},
		{name: "nullable value", body: PatchedUserRequest{LastLogin: NewNullable(login)}, want: `{"last_login":"2023-10-04T12:00:00Z"}`},
		{name: "empty slice is sent, nil is not", body: PatchedUserRequest{Groups: []string{}}, want: `{"groups":[]}`},
		{name: "empty map is sent", body: PatchedUserRequest{Attributes: map[string]any{}}, want: `{"attributes":{}}`},
		{name: "required fields are always sent", body: GroupRequest{Name: "admins"}, want: `{"name":"admins"}`},
		{name: "required nullable field sends null when nil", body: FlowStageBindingRequest{Target: "t", Stage: "s", Order: 1},
			want: `{"target":"t","stage":"s","order":1}`},
		{name: "enum", body: PatchedFlowRequest{Designation: Ptr(FlowDesignationEnumEnrollment)}, want: `{"designation":"enrollment"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestNullableDecoding(t *testing.T) {
	tests := []struct {
		name      string
		json      string
		wantSet   bool
		wantNull  bool
		wantValue string
	}{
		{name: "absent stays unset", json: `{}`},
		{name: "null", json: `{"parent":null}`, wantSet: true, wantNull: true},
		{name: "value", json: `{"parent":"0b5e4b43"}`, wantSet: true, wantValue: "0b5e4b43"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var g PatchedGroupRequest
			if err := json.Unmarshal([]byte(tt.json), &g); err != nil {
				t.Fatal(err)
			}
			v, ok := g.Parent.Get()
			if g.Parent.IsSet() != tt.wantSet || g.Parent.IsNull() != tt.wantNull || v != tt.wantValue || ok != (tt.wantValue != "") {
				t.Errorf("got %s (set %t, null %t)", g.Parent, g.Parent.IsSet(), g.Parent.IsNull())
			}
			// What was read is written back the same way.
			back, err := json.Marshal(g)
			if err != nil {
				t.Fatal(err)
			}
			if string(back) != tt.json {
				t.Errorf("round trip: %s, want %s", back, tt.json)
			}
		})
	}
	var bad Nullable[int]
	if err := json.Unmarshal([]byte(`"x"`), &bad); err == nil {
		t.Error("a string decoded into Nullable[int]")
	}
}

func TestPolymorphic(t *testing.T) {
	raw := `{"type":"native","component":"ak-stage-identification","user_fields":["username"],"password_fields":false,"primary_action":"Log in","show_source_labels":false,"flow_designation":"authentication"}`
	var ch ChallengeTypes
	if err := json.Unmarshal([]byte(raw), &ch); err != nil {
		t.Fatal(err)
	}
	if d, err := ch.Discriminator(); err != nil || d != "ak-stage-identification" {
		t.Errorf("Discriminator = %q, %v", d, err)
	}
	v, err := ch.Value()
	if err != nil {
		t.Fatal(err)
	}
	id, ok := v.(*IdentificationChallenge)
	if !ok || id.PrimaryAction != "Log in" {
		t.Fatalf("Value = %#v, want an *IdentificationChallenge", v)
	}
	if again, err := ch.AsIdentificationChallenge(); err != nil || again.PrimaryAction != "Log in" {
		t.Errorf("AsIdentificationChallenge = %+v, %v", again, err)
	}
	if out, _ := json.Marshal(ch); string(out) != raw {
		t.Errorf("re-encoded as %s", out)
	}

	tests := []struct {
		name    string
		variant any
		want    string
		wantErr bool
	}{
		{name: "discriminator filled in", variant: IdentificationChallengeResponseRequest{UIDField: "jane"},
			want: `{"component":"ak-stage-identification","uid_field":"jane"}`},
		{name: "pointer variant, discriminator kept", variant: &PasswordChallengeResponseRequest{Component: Ptr("ak-stage-password"), Password: "pw"},
			want: `{"component":"ak-stage-password","password":"pw"}`},
		{name: "not a variant", variant: Flow{}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req FlowChallengeResponseRequest
			err := req.Set(tt.variant)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Set(%T) succeeded", tt.variant)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got, want any
			_ = json.Unmarshal(req.Raw, &got)
			_ = json.Unmarshal([]byte(tt.want), &want)
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				t.Errorf("Set stored %s, want %s", req.Raw, tt.want)
			}
		})
	}

	var empty ChallengeTypes
	if _, err := empty.Value(); !errors.Is(err, errNoValue) {
		t.Errorf("Value of an empty wrapper: %v", err)
	}
	if out, _ := json.Marshal(empty); string(out) != "null" {
		t.Errorf("empty wrapper encodes as %s", out)
	}
	unknown := ChallengeTypes{Raw: json.RawMessage(`{"component":"ak-stage-unknown"}`)}
	if _, err := unknown.Value(); err == nil || !strings.Contains(err.Error(), "ak-stage-unknown") {
		t.Errorf("Value of an unknown component: %v", err)
	}
}

func TestAdditionalProperties(t *testing.T) {
	// A prompt stage's response names its fields after the prompts.
	in := `{"component":"ak-stage-prompt","email":"jane@example.com","age":42}`
	var r PromptChallengeResponseRequest
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if r.Component == nil || *r.Component != "ak-stage-prompt" || r.AdditionalProperties["email"] != "jane@example.com" || len(r.AdditionalProperties) != 2 {
		t.Fatalf("decoded %+v", r)
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"age":42,"component":"ak-stage-prompt","email":"jane@example.com"}` {
		t.Errorf("encoded %s", out)
	}
	// A named property wins over an extra of the same name.
	clash := PromptChallengeResponseRequest{Component: Ptr("ak-stage-prompt"), AdditionalProperties: map[string]any{"component": "x"}}
	if out, _ := json.Marshal(clash); string(out) != `{"component":"ak-stage-prompt"}` {
		t.Errorf("encoded %s", out)
	}
}

func TestMultipartUpload(t *testing.T) {
	type part struct{ field, file, content string }
	var got []part
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = nil
		_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil {
			t.Errorf("content type: %v", err)
			return
		}
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Errorf("multipart: %v", err)
				return
			}
			data, _ := io.ReadAll(p)
			got = append(got, part{p.FormName(), p.FileName(), string(data)})
		}
		_, _ = io.WriteString(w, `{"success":true,"logs":[]}`)
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "t")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "flow.yaml")
	if err := os.WriteFile(path, []byte("version: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()

	tests := []struct {
		name string
		body FileUploadRequest
		want []part
	}{
		{name: "file named after the os.File", body: FileUploadRequest{File: file},
			want: []part{{"file", "flow.yaml", "version: 1\n"}}},
		{name: "named in-memory reader and a flag", body: FileUploadRequest{File: NamedReader("b.yaml", strings.NewReader("x")), Clear: Ptr(true)},
			want: []part{{"file", "b.yaml", "x"}, {"clear", "", "true"}}},
		{name: "unnamed reader gets the field name", body: FileUploadRequest{File: strings.NewReader("y")},
			want: []part{{"file", "file", "y"}}},
		{name: "no file", body: FileUploadRequest{Clear: Ptr(false)}, want: []part{{"clear", "", "false"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.Flows.InstancesImportCreate(context.Background(), tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Success {
				t.Errorf("result %+v", res)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("parts %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("part %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestRawResponses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") == "application/json" {
			t.Errorf("raw call asked for JSON")
		}
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = io.WriteString(w, "version: 1\nentries: []\n")
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "t")
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Flows.InstancesExportRetrieve(context.Background(), "default-authentication-flow")
	if err != nil || string(got) != "version: 1\nentries: []\n" {
		t.Errorf("export = %q, %v", got, err)
	}
}
