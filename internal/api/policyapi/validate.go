package policyapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/expression"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// installValidation checks, before every write, the expression of each
// model that has one (expression policies and every property mapping
// kind), as authentik's serializers validate_expression: an expression
// that does not compile is a 400 on "expression" and nothing is written.
func installValidation(e *engine.Engine) {
	for _, m := range e.Registry.Models {
		f, ok := m.Field("expression")
		if !ok || !f.Stored() || f.Kind != registry.KindString || m.Abstract {
			continue
		}
		col := f.Column
		e.Hooks.BeforeWrite[m.Name] = append(e.Hooks.BeforeWrite[m.Name], func(_ context.Context, _ store.Tx, m *registry.Model, _, row store.Row, _ engine.Object) error {
			src, ok := row[col].(string)
			if !ok {
				return nil
			}
			err := expression.Compile(src)
			var se *expression.SyntaxError
			switch {
			case err == nil:
				return nil
			case errors.As(err, &se):
				return engine.Invalid("expression", se.Error())
			}
			return fmt.Errorf("compile expression of %s: %w", m.Name, err)
		})
	}
}
