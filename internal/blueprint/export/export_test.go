package export_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/blueprint/export"
	"github.com/akgo/akgo/internal/blueprint/storetarget"
	"github.com/akgo/akgo/internal/store"
)

// flowFixture builds a flow with every kind of part a flow export holds,
// and returns the pks that must not appear in a portable export.
func flowFixture(t *testing.T, h *apitest.Harness) []string {
	t.Helper()
	post := func(path string, body map[string]any) map[string]any {
		t.Helper()
		return h.Do(http.MethodPost, path, body).Expect(t, http.StatusCreated).Object()
	}
	group := post("/core/groups/", map[string]any{"name": "exp-admins"})
	flow := post("/flows/instances/", map[string]any{"name": "Export me", "slug": "exp-flow", "title": "Export me", "designation": "authentication"})
	enroll := post("/flows/instances/", map[string]any{"name": "Enroll", "slug": "exp-enroll", "title": "Enroll", "designation": "enrollment"})
	sources := h.Do(http.MethodGet, "/sources/all/?slug=authentik-built-in", nil).Expect(t, http.StatusOK).Object()["results"].([]any)
	builtIn := sources[0].(map[string]any)["pk"]
	pw := post("/stages/password/", map[string]any{"name": "exp-pw", "backends": []any{"authentik.core.auth.InbuiltBackend"}})
	ident := post("/stages/identification/", map[string]any{"name": "exp-ident", "user_fields": []any{"username"},
		"enrollment_flow": enroll["pk"], "password_stage": pw["pk"], "sources": []any{builtIn}})
	policy := post("/policies/expression/", map[string]any{"name": "exp-policy", "expression": "return True"})
	flowPolicy := post("/policies/expression/", map[string]any{"name": "exp-flow-policy", "expression": "return request.user.is_authenticated"})
	prompt := post("/stages/prompt/prompts/", map[string]any{"name": "exp-prompt", "field_key": "nickname", "label": "Nickname", "type": "text"})
	prompts := post("/stages/prompt/stages/", map[string]any{"name": "exp-prompts", "fields": []any{prompt["pk"]}, "validation_policies": []any{policy["pk"]}})
	var bindings []map[string]any
	for i, s := range []map[string]any{ident, pw, prompts} {
		bindings = append(bindings, post("/flows/bindings/", map[string]any{"target": flow["pk"], "stage": s["pk"], "order": (i + 1) * 10}))
	}
	post("/policies/bindings/", map[string]any{"target": flow["policybindingmodel_ptr_id"], "policy": flowPolicy["pk"], "order": 0})
	post("/policies/bindings/", map[string]any{"target": bindings[0]["policybindingmodel_ptr_id"], "group": group["pk"], "order": 1})
	var pks []string
	for _, o := range []map[string]any{group, flow, enroll, pw, ident, policy, flowPolicy, prompt, prompts, bindings[0], bindings[1], bindings[2]} {
		pks = append(pks, fmt.Sprint(o["pk"]))
	}
	return append(pks, fmt.Sprint(builtIn), fmt.Sprint(flow["policybindingmodel_ptr_id"]))
}

// entry is an exported entry, decoded enough to check it.
type entry struct {
	model, id   string
	identifiers *yaml.Node
	attrs       *yaml.Node
}

func parse(t *testing.T, data []byte) (*yaml.Node, []entry) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("export is not YAML: %v\n%s", err, data)
	}
	root := doc.Content[0]
	var out []entry
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "entries" {
			continue
		}
		for _, e := range root.Content[i+1].Content {
			var en entry
			for j := 0; j+1 < len(e.Content); j += 2 {
				switch v := e.Content[j+1]; e.Content[j].Value {
				case "model":
					en.model = v.Value
				case "id":
					en.id = v.Value
				case "identifiers":
					en.identifiers = v
				case "attrs":
					en.attrs = v
				}
			}
			out = append(out, en)
		}
	}
	return root, out
}

// get returns the value of a mapping key (nil when absent).
func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// keyOfs collects every !KeyOf target under n.
func keyOfs(n *yaml.Node, out *[]string) {
	if n == nil {
		return
	}
	if n.Tag == "!KeyOf" {
		*out = append(*out, n.Value)
	}
	for _, c := range n.Content {
		keyOfs(c, out)
	}
}

func exportFlow(t *testing.T, h *apitest.Harness, slug string, opts export.Options) *export.Result {
	t.Helper()
	var res *export.Result
	err := h.App.Store.View(context.Background(), func(tx store.Tx) error {
		var err error
		res, err = export.New(storetarget.New(h.App.Engine, tx), h.App.Registry, h.App.Engine.Spec, opts).Flow(context.Background(), slug)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestFlowExport(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			pks := flowFixture(t, h)
			if testing.Verbose() {
				t.Logf("%s", exportFlow(t, h, "exp-flow", export.Options{}).YAML)
			}
			fixed := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
			res := exportFlow(t, h, "exp-flow", export.Options{Now: func() time.Time { return fixed }})
			text := string(res.YAML)
			if len(res.Warnings) > 0 {
				t.Errorf("warnings: %v", res.Warnings)
			}
			for _, pk := range pks {
				if strings.Contains(text, pk) {
					t.Errorf("export contains the raw pk %s:\n%s", pk, text)
				}
			}
			root, entries := parse(t, res.YAML)
			if v := get(root, "version"); v == nil || v.Value != "1" {
				t.Errorf("version = %v", v)
			}
			meta := get(root, "metadata")
			if name := get(meta, "name"); name == nil || name.Value != "authentik Export - 2024-01-02 03:04:05" {
				t.Errorf("metadata.name = %v", name)
			}
			if l := get(get(meta, "labels"), export.LabelGenerated); l == nil || l.Value != "true" {
				t.Errorf("generated label missing")
			}
			counts := map[string]int{}
			seen := map[string]bool{}
			for _, e := range entries {
				counts[e.model]++
				var refs []string
				keyOfs(e.identifiers, &refs)
				keyOfs(e.attrs, &refs)
				for _, r := range refs {
					if !seen[r] {
						t.Errorf("entry %s references %s before it is declared", e.id, r)
					}
				}
				seen[e.id] = true
			}
			want := map[string]int{"authentik_flows.flow": 1, "authentik_stages_identification.identificationstage": 1,
				"authentik_stages_password.passwordstage": 1, "authentik_stages_prompt.promptstage": 1, "authentik_stages_prompt.prompt": 1,
				"authentik_policies_expression.expressionpolicy": 2, "authentik_flows.flowstagebinding": 3, "authentik_policies.policybinding": 2}
			for m, n := range want {
				if counts[m] != n {
					t.Errorf("%d %s entries, want %d", counts[m], m, n)
				}
			}
			if len(entries) != 12 {
				t.Errorf("%d entries, want 12", len(entries))
			}
			byID := map[string]entry{}
			for _, e := range entries {
				byID[e.id] = e
			}
			flow := byID["flow-exp-flow"]
			if s := get(flow.identifiers, "slug"); s == nil || s.Value != "exp-flow" {
				t.Errorf("flow identifiers = %v", flow.identifiers)
			}
			if get(flow.attrs, "compatibility_mode") != nil {
				t.Errorf("default-valued field exported without Full")
			}
			ident := byID["identificationstage-exp-ident"]
			if f := get(ident.attrs, "enrollment_flow"); f == nil || f.Tag != "!Find" || !strings.Contains(nodeText(f), "exp-enroll") {
				t.Errorf("enrollment_flow = %s, want !Find by slug", nodeText(f))
			}
			if s := get(ident.attrs, "sources"); s == nil || len(s.Content) != 1 || s.Content[0].Tag != "!Find" || !strings.Contains(nodeText(s), "goauthentik.io/sources/inbuilt") {
				t.Errorf("sources = %s", nodeText(s))
			}
			if p := get(ident.attrs, "password_stage"); p == nil || p.Tag != "!KeyOf" || p.Value != "passwordstage-exp-pw" {
				t.Errorf("password_stage = %s, want !KeyOf passwordstage-exp-pw", nodeText(p))
			}
			var groupBinding bool
			for _, e := range entries {
				if g := get(e.attrs, "group"); e.model == "authentik_policies.policybinding" && g != nil {
					groupBinding = g.Tag == "!Find" && strings.Contains(nodeText(g), "exp-admins")
					if tg := get(e.identifiers, "target"); tg == nil || tg.Tag != "!KeyOf" {
						t.Errorf("group binding target = %s", nodeText(tg))
					}
				}
			}
			if !groupBinding {
				t.Errorf("group binding does not find the group by name:\n%s", text)
			}

			full := exportFlow(t, h, "exp-flow", export.Options{Full: true})
			_, fentries := parse(t, full.YAML)
			for _, e := range fentries {
				if e.id == "flow-exp-flow" && get(e.attrs, "compatibility_mode") == nil {
					t.Errorf("Full export left out a default-valued field")
				}
			}
		})
	}
}

func nodeText(n *yaml.Node) string {
	if n == nil {
		return "<nil>"
	}
	b, _ := yaml.Marshal(n)
	return strings.TrimSpace(string(b))
}

func TestModelsExportSecrets(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	flow := h.Do(http.MethodPost, "/flows/instances/", map[string]any{"name": "Authz", "slug": "exp-authz", "title": "Authz", "designation": "authorization"}).Expect(t, http.StatusCreated).Object()
	h.Do(http.MethodPost, "/providers/oauth2/", map[string]any{"name": "exp-oauth", "authorization_flow": flow["pk"], "client_secret": "very-secret-value"}).Expect(t, http.StatusCreated)
	run := func(opts export.Options) string {
		var res *export.Result
		err := h.App.Store.View(context.Background(), func(tx store.Tx) error {
			var err error
			res, err = export.New(storetarget.New(h.App.Engine, tx), h.App.Registry, h.App.Engine.Spec, opts).
				Models(context.Background(), []string{"authentik_providers_oauth2.oauth2provider"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return string(res.YAML)
	}
	cases := []struct {
		name    string
		opts    export.Options
		secrets bool
	}{
		{"secrets left out", export.Options{}, false},
		{"secrets asked for", export.Options{Secrets: true}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := run(tc.opts)
			if got := strings.Contains(text, "very-secret-value"); got != tc.secrets {
				t.Errorf("client secret exported: %v, want %v\n%s", got, tc.secrets, text)
			}
			if !strings.Contains(text, "authorization_flow: !Find [authentik_flows.flow, [slug, exp-authz]]") {
				t.Errorf("authorization_flow not found by slug:\n%s", text)
			}
		})
	}
	t.Run("unknown and base models are refused", func(t *testing.T) {
		for _, m := range []string{"authentik_nope.nothing", "authentik_flows.stage"} {
			err := h.App.Store.View(context.Background(), func(tx store.Tx) error {
				_, err := export.New(storetarget.New(h.App.Engine, tx), h.App.Registry, h.App.Engine.Spec, export.Options{}).Models(context.Background(), []string{m})
				return err
			})
			if err == nil {
				t.Errorf("export of %s succeeded", m)
			}
		}
	})
}
