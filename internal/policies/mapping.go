package policies

import (
	"context"
	"fmt"

	"github.com/akgo/akgo/internal/expression"
	"github.com/akgo/akgo/internal/store"
)

// MappingRequest is what a property mapping is evaluated for: the user
// (may be nil), the HTTP request and the mapping-specific variables
// (provider, token, ldap, dn, source, group, ...), which are also the
// request's context.
type MappingRequest struct {
	User *expression.User
	HTTP *expression.HTTPRequest
	Vars map[string]any
	// DryRun records no event when the expression fails (previews).
	DryRun bool
}

// Mapping is a property mapping's name and expression.
type Mapping struct {
	PK         string
	Name       string
	Expression string
}

// LoadMapping reads a property mapping of any kind; nil when it does not
// exist.
func (e *Engine) LoadMapping(ctx context.Context, pk string) (*Mapping, error) {
	m, err := e.model("authentik_core.propertymapping")
	if err != nil {
		return nil, err
	}
	var out *Mapping
	err = e.Core.Store.View(ctx, func(tx store.Tx) error {
		rows, err := tx.Select(ctx, store.Query{Table: m.Table, Where: store.Eq(m.PKColumn, pk), Limit: 1})
		if err != nil || len(rows) == 0 {
			return err
		}
		r := record{m, rows[0]}
		out = &Mapping{PK: r.str("pk"), Name: r.str("name"), Expression: r.str("expression")}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load property mapping %s: %w", pk, err)
	}
	return out, nil
}

// MappingError is a property mapping whose expression failed
// (PropertyMappingExpressionException); its message is the expression's.
type MappingError struct {
	Mapping string
	Err     error
}

func (e *MappingError) Error() string { return e.Err.Error() }
func (e *MappingError) Unwrap() error { return e.Err }

// EvaluateMapping runs a mapping as authentik's PropertyMappingEvaluator
// does. A failing expression records a property_mapping_exception event
// and returns a *MappingError.
func (e *Engine) EvaluateMapping(ctx context.Context, m *Mapping, req MappingRequest) (*expression.Outcome, error) {
	ctxVars := map[string]any{}
	for k, v := range req.Vars {
		ctxVars[k] = v
	}
	user := req.User
	if user == nil {
		// authentik's evaluator starts from an unsaved, empty User.
		user = &expression.User{}
	}
	preq := &expression.Request{User: user, HTTP: req.HTTP, Obj: m.Name, Context: ctxVars}
	vars := map[string]any{"request": preq}
	for k, v := range req.Vars {
		vars[k] = v
	}
	if req.User != nil {
		vars["user"] = req.User
	}
	out, err := e.Expressions.Run(ctx, expression.Call{Source: m.Expression, Filename: m.Name, Vars: vars, Request: preq})
	if err != nil && !req.DryRun {
		r := &Request{User: req.User, HTTP: req.HTTP}
		e.record(ctx, r, ActionPropertyMappingException, "authentik.core.expression.evaluator", map[string]any{
			"expression": m.Expression, "message": exceptionMessage(err),
		})
	}
	if err != nil {
		return nil, &MappingError{Mapping: m.Name, Err: err}
	}
	return out, nil
}
