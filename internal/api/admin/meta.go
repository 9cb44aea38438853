package admin

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/akgo/akgo/internal/api"
)

// app is the App schema: a Django app or model and its verbose name.
type app struct {
	Name  string `json:"name"`
	Label string `json:"label"`
}

// apps lists the authentik Django apps sorted by dotted name, as authentik's
// AppsViewSet does.
func apps(s *api.Server, w http.ResponseWriter) error {
	list, err := enumChoices(s, "AppEnum")
	if err != nil {
		return err
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	api.WriteJSON(w, http.StatusOK, list)
	return nil
}

// models lists the models in authentik's registration order.
func models(s *api.Server, w http.ResponseWriter) error {
	list, err := enumChoices(s, "ModelEnum")
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, list)
	return nil
}

// enumChoices reads an enum of the schema with the labels drf-spectacular
// wrote into its description ("* `value` - label" per line).
func enumChoices(s *api.Server, schema string) ([]app, error) {
	sch, ok := s.Engine.Spec.Schema(schema)
	if !ok {
		return nil, fmt.Errorf("schema %s not found", schema)
	}
	labels := map[string]string{}
	for _, line := range strings.Split(sch.Description, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "* `")
		if !ok {
			continue
		}
		value, label, ok := strings.Cut(rest, "` - ")
		if ok {
			labels[value] = label
		}
	}
	out := make([]app, 0, len(sch.Enum))
	for _, v := range sch.Enum {
		name := fmt.Sprint(v)
		label, ok := labels[name]
		if !ok {
			return nil, fmt.Errorf("schema %s: no label for %s", schema, name)
		}
		out = append(out, app{Name: name, Label: label})
	}
	return out, nil
}
