package policyapi

import (
	"context"
	"errors"
	"net/http"
	"reflect"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/expression"
	"github.com/akgo/akgo/internal/policies"
)

// choiceTypes are the prompt types whose placeholder lists the choices.
var choiceTypes = map[string]bool{"radio-button-group": true, "dropdown": true}

// prompt is a Prompt as the preview reads it from a PromptRequest.
type prompt struct {
	name, fieldKey, label, typ, placeholder, initialValue, subText string
	required, placeholderExpr, initialValueExpr                    bool
	order                                                          int64
}

func promptFrom(body engine.Object) prompt {
	str := func(k string) string { s, _ := body[k].(string); return s }
	flag := func(k string, def bool) bool {
		if b, ok := body[k].(bool); ok {
			return b
		}
		return def
	}
	order, _ := body["order"].(float64)
	return prompt{name: str("name"), fieldKey: str("field_key"), label: str("label"), typ: str("type"),
		placeholder: str("placeholder"), initialValue: str("initial_value"), subText: str("sub_text"),
		required: flag("required", true), placeholderExpr: flag("placeholder_expression", false),
		initialValueExpr: flag("initial_value_expression", false), order: int64(order)}
}

// previewPrompt serves POST /stages/prompt/prompts/preview/: the prompt
// as the prompt stage's challenge would show it to the caller, with
// placeholder, initial value and choice expressions evaluated. An
// expression that fails is a 400, as authentik's dry run raises it.
func (h *handler) previewPrompt(w http.ResponseWriter, r *http.Request) error {
	if err := api.Require(r.Context(), permAddPrompt, ""); err != nil {
		return err
	}
	body, err := api.DecodeBody(r)
	if err != nil {
		return err
	}
	// Previewing never saves: authentik names the prompt randomly and
	// ignores the stages it belongs to.
	body["name"] = engine.RandomString(40, engine.Alphanumeric)
	delete(body, "promptstage_set")
	if verr := h.s.Engine.Validate("PromptRequest", body); !verr.Empty() {
		return verr
	}
	user, err := h.caller(r)
	if err != nil {
		return err
	}
	p := promptFrom(body)
	ev := &promptEvaluator{h: h, ctx: r.Context(), p: p, req: policies.MappingRequest{User: user, HTTP: httpRequest(r, user),
		Vars: map[string]any{"prompt_context": map[string]any{}}}}
	field, err := ev.field()
	if err != nil {
		var me *policies.MappingError
		if errors.As(err, &me) {
			return engine.Invalid("", me.Error())
		}
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"type": "native", "component": "ak-stage-prompt", "fields": []any{field}})
	return nil
}

// promptEvaluator computes a prompt's challenge field as authentik's
// PromptStageView.get_prompt_challenge_fields does, for an empty prompt
// context.
type promptEvaluator struct {
	h   *handler
	ctx context.Context
	p   prompt
	req policies.MappingRequest
}

// eval runs one of the prompt's expressions. dryRun raises errors; other
// runs fall back as authentik does (and record the failure).
func (e *promptEvaluator) eval(src string, dryRun bool) (any, error) {
	req := e.req
	req.DryRun = dryRun
	out, err := e.h.pe.EvaluateMapping(e.ctx, &policies.Mapping{Name: e.p.name, Expression: src}, req)
	if err != nil {
		return nil, err
	}
	return out.Value(), nil
}

// choices is Prompt.get_choices: nil for types without choices.
func (e *promptEvaluator) choices(dryRun bool) ([]any, error) {
	if !choiceTypes[e.p.typ] {
		return nil, nil
	}
	var raw any = e.p.placeholder
	if e.p.placeholderExpr {
		v, err := e.eval(e.p.placeholder, dryRun)
		switch {
		case err != nil && dryRun:
			return nil, err
		case err == nil:
			raw = v
		}
	}
	if list, ok := raw.([]any); ok {
		return list, nil
	}
	return []any{raw}, nil
}

func (e *promptEvaluator) placeholder() (any, error) {
	if choiceTypes[e.p.typ] {
		return "", nil
	}
	if e.p.placeholderExpr {
		return e.eval(e.p.placeholder, true)
	}
	return e.p.placeholder, nil
}

func (e *promptEvaluator) initialValue() (any, error) {
	var value any = e.p.initialValue
	if e.p.initialValueExpr {
		v, err := e.eval(e.p.initialValue, true)
		if err != nil {
			return nil, err
		}
		value = v
	}
	if choiceTypes[e.p.typ] {
		// The initial value must be one of the choices (errors here are
		// not raised, as in authentik).
		choices, _ := e.choices(false)
		if len(choices) == 0 {
			return "", nil
		}
		for _, c := range choices {
			if reflect.DeepEqual(c, value) {
				return value, nil
			}
		}
		return choices[0], nil
	}
	return value, nil
}

// field is the StagePrompt of the challenge.
func (e *promptEvaluator) field() (map[string]any, error) {
	choices, err := e.choices(true)
	if err != nil {
		return nil, err
	}
	placeholder, err := e.placeholder()
	if err != nil {
		return nil, err
	}
	initial, err := e.initialValue()
	if err != nil {
		return nil, err
	}
	var rendered any
	if len(choices) > 0 {
		list := make([]string, len(choices))
		for i, c := range choices {
			list[i] = expression.PyStr(c)
		}
		rendered = list
	}
	return map[string]any{
		"field_key": e.p.fieldKey, "label": e.p.label, "type": e.p.typ, "required": e.p.required,
		"placeholder": expression.PyStr(placeholder), "initial_value": expression.PyStr(initial),
		"order": e.p.order, "sub_text": e.p.subText, "choices": rendered,
	}, nil
}
