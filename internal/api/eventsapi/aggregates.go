package eventsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// eventActions are authentik's EventAction choices in declaration order,
// with the labels Django derives from the member names (hence "Invite
// Used" for invitation_used and "Custom Prefix" for custom_).
var eventActions = []struct{ value, label string }{
	{"login", "Login"},
	{"login_failed", "Login Failed"},
	{"logout", "Logout"},
	{"user_write", "User Write"},
	{"suspicious_request", "Suspicious Request"},
	{"password_set", "Password Set"},
	{"secret_view", "Secret View"},
	{"secret_rotate", "Secret Rotate"},
	{"invitation_used", "Invite Used"},
	{"authorize_application", "Authorize Application"},
	{"source_linked", "Source Linked"},
	{"impersonation_started", "Impersonation Started"},
	{"impersonation_ended", "Impersonation Ended"},
	{"flow_execution", "Flow Execution"},
	{"policy_execution", "Policy Execution"},
	{"policy_exception", "Policy Exception"},
	{"property_mapping_exception", "Property Mapping Exception"},
	{"system_task_execution", "System Task Execution"},
	{"system_task_exception", "System Task Exception"},
	{"system_exception", "System Exception"},
	{"configuration_error", "Configuration Error"},
	{"model_created", "Model Created"},
	{"model_updated", "Model Updated"},
	{"model_deleted", "Model Deleted"},
	{"email_sent", "Email Sent"},
	{"update_available", "Update Available"},
	{"custom_", "Custom Prefix"},
}

// typeCreate is the API's TypeCreate.
type typeCreate struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Component   string `json:"component"`
	ModelName   string `json:"model_name"`
}

// actions lists every event action; the UI fills its action pickers from
// it (value in component, label in name).
func (h *handlers) actions(w http.ResponseWriter, r *http.Request) error {
	out := make([]typeCreate, 0, len(eventActions))
	for _, a := range eventActions {
		out = append(out, typeCreate{Name: a.label, Component: a.value})
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

// coordinate is the API's Coordinate: x in milliseconds since the epoch.
type coordinate struct {
	X int64 `json:"x_cord"`
	Y int64 `json:"y_cord"`
}

// eventModel returns the event model; the registry is generated, so its
// absence is a build defect.
func (h *handlers) eventModel() *registry.Model {
	m, ok := h.s.Engine.Registry.Model("authentik_events.event")
	if !ok {
		panic("eventsapi: registry lacks authentik_events.event")
	}
	return m
}

// visible limits events to those the caller may view, as authentik's
// get_objects_for_user(view_event) does (nil: all of them).
func visible(ctx context.Context, m *registry.Model) (store.Cond, error) {
	p, ok := api.PrincipalFrom(ctx)
	if !ok {
		return nil, api.Errorf(http.StatusForbidden, "Authentication credentials were not provided.")
	}
	const perm = "authentik_events.view_event"
	switch {
	case p.Superuser:
		return nil, nil
	case p.Subject == nil:
		// No permissions were loaded: nothing is visible.
		return store.FalseCond{}, nil
	case p.Subject.Has(perm):
		return nil, nil
	}
	pks := p.Subject.ObjectPKs(perm)
	if len(pks) == 0 {
		return store.FalseCond{}, nil
	}
	vals := make([]any, 0, len(pks))
	for _, pk := range pks {
		if v, ok := engine.ParsePK(m, pk); ok {
			vals = append(vals, v)
		}
	}
	return store.InCond{Column: m.PKColumn, Values: vals}, nil
}

// eventsPer counts the events matching cond per unit of age over the last
// `since`, as authentik's get_events_per does: points+1 coordinates spaced
// since/points apart from one step in the future back in time, the
// coordinate i steps back showing the events whose age in whole units is
// i. (The spacing and the unit differ, so the counts stop well before the
// oldest coordinate; that is authentik's shape and its charts expect it.)
func (h *handlers) eventsPer(ctx context.Context, cond store.Cond, since, unit time.Duration, points int) ([]coordinate, error) {
	m := h.eventModel()
	created := col(m, "created")
	now := h.s.Engine.Now().UTC()
	from := store.NowUTC(now.Add(-since))
	counts := map[int64]int64{}
	err := h.s.Engine.Store.View(ctx, func(tx store.Tx) error {
		rows, err := tx.Select(ctx, store.Query{Table: m.Table, Columns: []string{created},
			Where: store.And(cond, store.CmpCond{Column: created, Op: ">=", Value: from})})
		if err != nil {
			return fmt.Errorf("count events: %w", err)
		}
		for _, r := range rows {
			if t, ok := r[created].(time.Time); ok {
				// PostgreSQL's EXTRACT(DAY FROM interval) truncates toward
				// zero, and so does integer division.
				counts[int64(now.Sub(t)/unit)]++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	step := since / time.Duration(points)
	out := make([]coordinate, 0, points+1)
	for i := 1; i > -points; i-- {
		at := now.Add(step * time.Duration(i))
		out = append(out, coordinate{X: at.Unix() * 1000, Y: counts[int64(-i)]})
	}
	return out, nil
}

const day = 24 * time.Hour

// perMonth counts the caller's visible events of one action (login by
// default) per day over the last four weeks, narrowed by ?query, a JSON
// object of Django lookups ({"user__pk": 5}).
func (h *handlers) perMonth(w http.ResponseWriter, r *http.Request) error {
	m := h.eventModel()
	q := r.URL.Query()
	action := q.Get("action")
	if _, set := q["action"]; !set {
		action = "login"
	}
	conds := []store.Cond{store.Eq(col(m, "action"), action)}
	if raw, set := q["query"]; set {
		c, err := h.lookupQuery(m, raw[len(raw)-1])
		if err != nil {
			return err
		}
		conds = append(conds, c)
	}
	scope, err := visible(r.Context(), m)
	if err != nil {
		return err
	}
	conds = append(conds, scope)
	out, err := h.eventsPer(r.Context(), store.And(conds...), 4*7*day, day, 30)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

// volume counts the events the list endpoint would show for the same
// filters and search, per day over the last week.
func (h *handlers) volume(w http.ResponseWriter, r *http.Request) error {
	m := h.eventModel()
	cond, err := h.listCond(r.Context(), m, r.URL.Query())
	if err != nil {
		return err
	}
	scope, err := visible(r.Context(), m)
	if err != nil {
		return err
	}
	out, err := h.eventsPer(r.Context(), store.And(cond, scope), 7*day, day, 7*3)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

// listCond applies the /events/events/ list filters and search to the
// volume query: the filter hooks registered for the volume path, the
// registry's plain field filters otherwise, like the list endpoint does.
func (h *handlers) listCond(ctx context.Context, m *registry.Model, params url.Values) (store.Cond, error) {
	e := h.s.Engine
	ep, ok := e.Registry.Endpoint("/events/events/")
	if !ok {
		return nil, fmt.Errorf("eventsapi: registry lacks /events/events/")
	}
	verr := &engine.ValidationError{}
	var conds []store.Cond
	for _, f := range ep.Filters {
		vals := params[f.Param]
		if len(vals) == 0 || vals[len(vals)-1] == "" {
			continue
		}
		var c store.Cond
		var err error
		if hook, ok := e.Hooks.Filters["/events/events/volume/:"+f.Param]; ok {
			c, err = hook(ctx, m, vals)
		} else {
			c, err = e.PathCond(m, f.Path, f.Lookup, f.Kind, vals[len(vals)-1:])
			if err == nil && c == nil {
				err = fmt.Errorf("eventsapi: filter %s does not resolve on %s", f.Param, m.Name)
			}
		}
		if err != nil {
			if v, ok := engine.AsValidation(err); ok {
				for k, msgs := range v.Fields {
					for _, msg := range msgs {
						verr.Add(k, msg)
					}
				}
				continue
			}
			return nil, err
		}
		conds = append(conds, c)
	}
	if !verr.Empty() {
		return nil, verr
	}
	if s := strings.TrimSpace(params.Get("search")); s != "" {
		var or store.OrCond
		for _, p := range m.Search {
			c, err := e.PathCond(m, p, "icontains", registry.KindString, []string{s})
			if err == nil && c != nil {
				or = append(or, c)
			}
		}
		if len(or) == 0 {
			conds = append(conds, store.FalseCond{})
		} else {
			conds = append(conds, or)
		}
	}
	if len(conds) == 0 {
		return nil, nil
	}
	return store.And(conds...), nil
}

// jsonFields are the event's JSON columns, whose keys a lookup path walks.
var jsonFields = map[string]bool{"user": true, "context": true, "tenant": true}

// lookupQuery turns per_month's ?query into a condition. Keys are Django
// lookup paths: a stored field with an optional lookup
// ("created__gte", "action__icontains"), or a JSON field followed by keys
// ("context__authorized_application__pk"), matched by JSON equality.
func (h *handlers) lookupQuery(m *registry.Model, raw string) (store.Cond, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.UseNumber()
	var q any
	if err := dec.Decode(&q); err != nil || dec.More() {
		return nil, engine.Invalid("query", "Value must be valid JSON.")
	}
	obj, ok := q.(map[string]any)
	if !ok {
		return nil, engine.Invalid("query", "Expected a JSON object of field lookups.")
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var conds []store.Cond
	for _, k := range keys {
		c, err := h.lookupCond(m, k, obj[k])
		if err != nil {
			return nil, err
		}
		conds = append(conds, c)
	}
	if len(conds) == 0 {
		return nil, nil
	}
	return store.And(conds...), nil
}

var lookups = map[string]bool{"exact": true, "iexact": true, "contains": true, "icontains": true, "startswith": true,
	"istartswith": true, "in": true, "gt": true, "gte": true, "lt": true, "lte": true, "isnull": true}

func (h *handlers) lookupCond(m *registry.Model, key string, v any) (store.Cond, error) {
	parts := strings.Split(key, "__")
	if jsonFields[parts[0]] {
		f, _ := m.Field(parts[0])
		path := parts[1:]
		if n := len(path); n > 0 && lookups[path[n-1]] {
			if path[n-1] != "exact" {
				return nil, engine.Invalid("query", fmt.Sprintf("Unsupported lookup '%s' on JSON key %s.", path[n-1], key))
			}
			path = path[:n-1]
		}
		// JSON containment along the key path is JSON equality for the
		// scalars the UI sends, type included (5 is not "5").
		var doc any = v
		for i := len(path) - 1; i >= 0; i-- {
			doc = map[string]any{path[i]: doc}
		}
		return store.JSONContainsCond{Column: f.Column, Value: doc}, nil
	}
	lookup := "exact"
	field := parts[0]
	switch {
	case len(parts) == 2 && lookups[parts[1]]:
		lookup = parts[1]
	case len(parts) > 1:
		return nil, engine.Invalid("query", fmt.Sprintf("Cannot resolve keyword '%s' into field.", key))
	}
	if _, ok := m.Field(field); !ok && field != "pk" {
		return nil, engine.Invalid("query", fmt.Sprintf("Cannot resolve keyword '%s' into field.", field))
	}
	if v == nil && lookup == "exact" {
		lookup, v = "isnull", true
	}
	var vals []string
	if list, ok := v.([]any); ok && lookup == "in" {
		for _, x := range list {
			vals = append(vals, scalarText(x))
		}
		if len(vals) == 0 {
			return store.FalseCond{}, nil
		}
	} else {
		vals = []string{scalarText(v)}
	}
	c, err := h.s.Engine.PathCond(m, field, lookup, registry.KindString, vals)
	if err != nil {
		if ve, ok := engine.AsValidation(err); ok {
			return nil, engine.Invalid("query", fieldMessages(key, ve))
		}
		return nil, err
	}
	if c == nil {
		return nil, engine.Invalid("query", fmt.Sprintf("Cannot resolve keyword '%s' into field.", field))
	}
	return c, nil
}

// fieldMessages flattens a lookup's validation error into one message
// naming the lookup key.
func fieldMessages(key string, ve *engine.ValidationError) string {
	var msgs []string
	for _, list := range ve.Fields {
		msgs = append(msgs, list...)
	}
	msgs = append(msgs, ve.NonField...)
	sort.Strings(msgs)
	return key + ": " + strings.Join(msgs, " ")
}

func scalarText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// topPerUser ranks the applications users authorized most often: per
// application, how many events and how many distinct users.
func (h *handlers) topPerUser(w http.ResponseWriter, r *http.Request) error {
	m := h.eventModel()
	q := r.URL.Query()
	action := q.Get("action")
	if _, set := q["action"]; !set {
		action = "login"
	}
	topN := 15
	if s, set := q["top_n"]; set {
		n, err := strconv.Atoi(strings.TrimSpace(s[len(s)-1]))
		if err != nil || n < 0 {
			return engine.Invalid("top_n", "A valid non-negative integer is required.")
		}
		topN = n
	}
	scope, err := visible(r.Context(), m)
	if err != nil {
		return err
	}
	ctxCol, userCol := col(m, "context"), col(m, "user")
	// authentik excludes events whose authorized_application is null and
	// would then fail on the ones without the key; only events that name
	// an application as an object are counted here.
	cond := store.And(store.Eq(col(m, "action"), action), scope,
		store.JSONContainsCond{Column: ctxCol, Value: map[string]any{"authorized_application": map[string]any{}}})
	type group struct {
		app    json.RawMessage
		events int64
		users  map[string]bool
	}
	groups := map[string]*group{}
	err = h.s.Engine.Store.View(r.Context(), func(tx store.Tx) error {
		rows, err := tx.Select(r.Context(), store.Query{Table: m.Table, Columns: []string{ctxCol, userCol}, Where: cond})
		if err != nil {
			return fmt.Errorf("load events: %w", err)
		}
		for _, row := range rows {
			var c struct {
				App json.RawMessage `json:"authorized_application"`
			}
			var u struct {
				PK json.RawMessage `json:"pk"`
			}
			if err := json.Unmarshal(rawJSON(row[ctxCol]), &c); err != nil || len(c.App) == 0 {
				continue
			}
			_ = json.Unmarshal(rawJSON(row[userCol]), &u)
			key, err := canonical(c.App)
			if err != nil {
				continue
			}
			g := groups[key]
			if g == nil {
				g = &group{app: json.RawMessage(key), users: map[string]bool{}}
				groups[key] = g
			}
			g.events++
			if len(u.PK) > 0 && string(u.PK) != "null" {
				g.users[strings.Trim(string(u.PK), `"`)] = true
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	list := make([]*group, 0, len(groups))
	for _, g := range groups {
		list = append(list, g)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].events != list[j].events {
			return list[i].events > list[j].events
		}
		return string(list[i].app) < string(list[j].app)
	})
	if len(list) > topN {
		list = list[:topN]
	}
	type entry struct {
		Application json.RawMessage `json:"application"`
		Counted     int64           `json:"counted_events"`
		Unique      int             `json:"unique_users"`
	}
	out := make([]entry, 0, len(list))
	for _, g := range list {
		out = append(out, entry{Application: g.app, Counted: g.events, Unique: len(g.users)})
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

func rawJSON(v any) []byte {
	switch x := v.(type) {
	case json.RawMessage:
		return x
	case []byte:
		return x
	case string:
		return []byte(x)
	}
	return []byte("null")
}

// canonical re-encodes a JSON value with sorted keys, so the same
// application groups together whatever order the backend stored it in.
func canonical(raw json.RawMessage) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// col returns the column of a stored field of a generated model.
func col(m *registry.Model, field string) string {
	return m.MustColumn(field)
}
