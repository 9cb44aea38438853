package engine

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/akgo/akgo/internal/registry"
)

// stepKind is how project fills one property.
type stepKind uint8

const (
	stepHook      stepKind = iota // a compute hook
	stepPK                        // the pk
	stepRef                       // a stored relation rendered as its nested object
	stepStored                    // a stored column
	stepNestedSet                 // a many-to-many set rendered as nested objects
	stepSet                       // a many-to-many set of pks
	stepComputed                  // component, verbose_name, X_obj or the type's zero value
)

// projStep fills one property of every object of a page.
type projStep struct {
	name string
	kind stepKind
	// prop is the property's schema; for stepRef the schema nested
	// renders (the property itself or an allOf wrapping its $ref).
	prop *openapi3.Schema
	f    *registry.Field
	hook BatchComputeFunc
	// pq is the hook's PageQuery form, when it has one.
	pq *PageQuery
	// intText: an integer column the schema declares as a string.
	intText bool
}

// projPlan is what project does for one (schema, model), decided once:
// which properties, in which way, from which columns. Deciding it took a
// walk of the schema's property map and up to eight hook lookups per
// property on every projection.
type projPlan struct {
	size  int // the schema's property count, to size each object
	steps []projStep
	// cols are the columns the steps read, in table order; nil when a
	// hook without declared reads may read any column.
	cols []string
	// hooks is the hook count the plan was made with: a hook registered
	// later makes a new plan.
	hooks int
}

type planKey struct{ schema, model string }

func (h *Hooks) count() int {
	return len(h.Compute) + len(h.ComputeBatch) + len(h.Reads) + len(h.PageQueries)
}

// projection returns the plan of schemaName for rows of m.
func (e *Engine) projection(schemaName string, m *registry.Model) (*projPlan, error) {
	k := planKey{schemaName, m.Name}
	if v, ok := e.plans.Load(k); ok {
		if p := v.(*projPlan); p.hooks == e.Hooks.count() {
			return p, nil
		}
	}
	p, err := e.newPlan(schemaName, m)
	if err != nil {
		return nil, err
	}
	e.plans.Store(k, p)
	return p, nil
}

// newPlan makes the decisions project used to make per property: the
// checks and their order are those of the original loop.
func (e *Engine) newPlan(schemaName string, m *registry.Model) (*projPlan, error) {
	sch, ok := e.Spec.Schema(schemaName)
	if !ok {
		return nil, fmt.Errorf("schema %s not found", schemaName)
	}
	p := &projPlan{size: len(sch.Properties), hooks: e.Hooks.count()}
	need := map[string]bool{m.PKColumn: true, ModelColumn: true}
	if m.ParentColumn != "" {
		need[m.ParentColumn] = true
	}
	all := false
	// A fixed order; the hooks never depended on one (map order was random).
	for _, name := range slices.Sorted(maps.Keys(sch.Properties)) {
		pref := sch.Properties[name]
		prop := pref.Value
		if prop.WriteOnly {
			continue
		}
		f, _ := m.Field(name)
		s := projStep{name: name, prop: prop, f: f}
		if hook, key := e.Hooks.computeKey(schemaName, m.Name, f, name); hook != nil && (f == nil || !f.Hidden) {
			s.kind, s.hook = stepHook, hook
			if pq, ok := e.Hooks.PageQueries[key]; ok {
				s.pq = &pq
			}
			reads, declared := e.Hooks.Reads[key]
			if !declared {
				all = true
			}
			for _, r := range reads {
				rf, ok := m.Field(r)
				if !ok || !rf.Stored() {
					all = true
					continue
				}
				need[rf.Column] = true
			}
			p.steps = append(p.steps, s)
			continue
		}
		if name == "pk" || name == m.PKColumn {
			s.kind = stepPK
			p.steps = append(p.steps, s)
			continue
		}
		if f != nil && f.Hidden {
			continue
		}
		if f != nil && f.Stored() && f.Ref != "" && f.Computed == "" && (isObjectRef(prop) || pref.Ref != "" && prop.Type.Is("object")) {
			// A relation the serializer nests (Invitation.created_by,
			// Notification.event): render it through its schema.
			s.kind = stepRef
			if !isObjectRef(prop) {
				s.prop = &openapi3.Schema{AllOf: openapi3.SchemaRefs{pref}, Nullable: prop.Nullable}
			}
			need[f.Column] = true
			p.steps = append(p.steps, s)
			continue
		}
		if f != nil && f.Stored() && f.Computed == "" {
			s.kind = stepStored
			s.intText = f.Kind == registry.KindInt && prop.Type.Is("string")
			need[f.Column] = true
			p.steps = append(p.steps, s)
			continue
		}
		if _, isM2M := e.joinOf(m, f); isM2M {
			s.kind = stepSet
			if nestedItems(prop) {
				// A set the serializer nests (Prompt.promptstage_set).
				s.kind = stepNestedSet
			}
			p.steps = append(p.steps, s)
			continue
		}
		s.kind = stepComputed
		if base, ok := strings.CutSuffix(name, "_obj"); ok {
			if rf, ok := m.Field(base); ok && rf.Stored() {
				need[rf.Column] = true
			}
		}
		p.steps = append(p.steps, s)
	}
	if t := e.table(m); t != nil && !all {
		for _, c := range t.Columns {
			if need[c.Name] {
				p.cols = append(p.cols, c.Name)
			}
		}
	}
	return p, nil
}

// selectColumns are the columns a list of m projected onto schemaName
// needs (nil: all of them).
func (e *Engine) selectColumns(schemaName string, m *registry.Model) []string {
	p, err := e.projection(schemaName, m)
	if err != nil {
		return nil // project reports the error
	}
	return p.cols
}
