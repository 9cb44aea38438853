package resource

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Models calls the API by model (blueprint) name rather than by
// resource: the shape of the blueprint engine's Target (List, Create,
// Update, Delete of "authentik_flows.flow" objects), so akctl's plan and
// apply can run over HTTP with this as their target. Objects are the
// API's JSON decoded with json.Number numbers; pk values are what the
// endpoint's detail path takes (a slug for flows, the pk otherwise).
type Models struct {
	Client  *Client
	Catalog *Catalog
}

// UnknownModelError is a model no endpoint creates.
type UnknownModelError struct{ Model string }

func (e *UnknownModelError) Error() string {
	return fmt.Sprintf("no API endpoint serves model %q", e.Model)
}

func (m *Models) resource(model string) (*Resource, error) {
	r, ok := m.Catalog.ForModel(model)
	if !ok {
		return nil, &UnknownModelError{Model: model}
	}
	return r, nil
}

func decodeObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("decode object: %w", err)
	}
	return obj, nil
}

// List returns every object of a model, reading large pages.
func (m *Models) List(ctx context.Context, model string) ([]map[string]any, error) {
	r, err := m.resource(model)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	err = m.Client.Walk(ctx, r, url.Values{"page_size": {"1000"}}, true, func(p *Page) error {
		for _, raw := range p.Results {
			obj, err := decodeObject(raw)
			if err != nil {
				return err
			}
			out = append(out, obj)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", model, err)
	}
	return out, nil
}

// Create creates an object.
func (m *Models) Create(ctx context.Context, model string, attrs map[string]any) (map[string]any, error) {
	r, err := m.resource(model)
	if err != nil {
		return nil, err
	}
	raw, err := m.Client.Create(ctx, r, attrs)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", model, err)
	}
	return decodeObject(raw)
}

// Update changes the given attributes of an object (a PATCH).
func (m *Models) Update(ctx context.Context, model string, pk any, attrs map[string]any) (map[string]any, error) {
	r, err := m.resource(model)
	if err != nil {
		return nil, err
	}
	raw, err := m.Client.Patch(ctx, r, fmt.Sprint(pk), attrs)
	if err != nil {
		return nil, fmt.Errorf("update %s %v: %w", model, pk, err)
	}
	return decodeObject(raw)
}

// Delete deletes an object.
func (m *Models) Delete(ctx context.Context, model string, pk any) error {
	r, err := m.resource(model)
	if err != nil {
		return err
	}
	if err := m.Client.Delete(ctx, r, fmt.Sprint(pk)); err != nil {
		return fmt.Errorf("delete %s %v: %w", model, pk, err)
	}
	return nil
}
