package resource

import (
	"context"
	"fmt"

	"github.com/akgo/akgo/internal/registry"
)

// ResolveRefs replaces names in a request body's references with primary
// keys: a foreign key or many-to-many value that is not shaped like the
// target's primary key ("default-authentication-flow" for a flow's UUID)
// is looked up by the target's natural key. Values that already look
// like keys are left for the server to check.
func (c *Client) ResolveRefs(ctx context.Context, cat *Catalog, r *Resource, body map[string]any) error {
	for name, v := range body {
		f, ok := r.Model.Field(name)
		if !ok || (f.Ref == "" && f.M2M == "") {
			continue
		}
		model := f.Ref
		if model == "" {
			model = f.M2M
		}
		target, ok := cat.ForModel(model)
		if !ok {
			continue
		}
		switch t := v.(type) {
		case string:
			pk, err := c.refPK(ctx, target, t)
			if err != nil {
				return fmt.Errorf("field %s: %w", name, err)
			}
			body[name] = pk
		case []any:
			for i, e := range t {
				s, isStr := e.(string)
				if !isStr {
					continue
				}
				pk, err := c.refPK(ctx, target, s)
				if err != nil {
					return fmt.Errorf("field %s: %w", name, err)
				}
				t[i] = pk
			}
		}
	}
	return nil
}

// refPK returns the primary key of the object a reference value names.
func (c *Client) refPK(ctx context.Context, target *Resource, v string) (any, error) {
	if target.looksLikePK(v) || target.NaturalKeyField() == "" || target.PKField == "" {
		return v, nil
	}
	obj, err := c.Resolve(ctx, target, v)
	if err != nil {
		return nil, err
	}
	pk := obj.Map[target.PKField]
	if target.Model.PKKind != registry.KindInt {
		return fmt.Sprint(pk), nil
	}
	return pk, nil
}
