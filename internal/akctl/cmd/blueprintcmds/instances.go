package blueprintcmds

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"

	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/pkg/client"
)

// Instance statuses the server reports (BlueprintInstanceStatusEnum).
const (
	statusSuccessful = "successful"
	statusError      = "error"
)

// instancesByName reads the BlueprintInstances of the given names: one
// filtered request for one name, one listing of all instances for more
// (a plan's request count stays independent of the number of files).
func instancesByName(ctx context.Context, c *client.Client, names []string) (map[string]*client.BlueprintInstance, error) {
	out := map[string]*client.BlueprintInstance{}
	if len(names) == 0 {
		return out, nil
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	size := 1000
	params := func(page int) *client.ManagedBlueprintsListParams {
		p := &client.ManagedBlueprintsListParams{Page: &page, PageSize: &size}
		if len(names) == 1 {
			p.Name = &names[0]
		}
		return p
	}
	for in, err := range client.All(ctx, func(page int) (*client.PaginatedBlueprintInstanceList, error) {
		return c.Managed.BlueprintsList(ctx, params(page))
	}) {
		if err != nil {
			return nil, fmt.Errorf("list blueprint instances: %w", err)
		}
		if want[in.Name] {
			if _, dup := out[in.Name]; dup {
				return nil, fmt.Errorf("several blueprint instances are named %q; rename or delete all but one (akctl get blueprintinstances)", in.Name)
			}
			in := in
			out[in.Name] = &in
		}
	}
	return out, nil
}

// ownedBy collects the ownership records of instances (model:pk).
func ownedBy(ins map[string]*client.BlueprintInstance) []string {
	var out []string
	for _, in := range ins {
		out = append(out, in.ManagedModels...)
	}
	return out
}

// storeInstance stores a blueprint's text and context in the instance of
// its name (path emptied), creating it when needed; writing them makes
// the server refresh the instance's managed_models. An instance already
// holding the same text and context is left alone unless force is set
// (objects changed, so the ownership record must be recomputed). It
// reports whether it wrote.
func storeInstance(ctx context.Context, c *client.Client, existing *client.BlueprintInstance, name string, content []byte, bpContext map[string]any, force bool) (*client.BlueprintInstance, bool, error) {
	text := string(content)
	ctxValue := bpContext
	if ctxValue == nil {
		ctxValue = map[string]any{}
	}
	empty := ""
	if existing == nil {
		enabled := true
		in, err := c.Managed.BlueprintsCreate(ctx, client.BlueprintInstanceRequest{Name: name, Path: &empty, Content: &text, Context: ctxValue, Enabled: &enabled})
		if err != nil {
			return nil, false, fmt.Errorf("create blueprint instance %q: %w", name, err)
		}
		return in, true, nil
	}
	if !force && sameInstance(existing, text, ctxValue) {
		return existing, false, nil
	}
	in, err := c.Managed.BlueprintsPartialUpdate(ctx, existing.PK, client.PatchedBlueprintInstanceRequest{Path: &empty, Content: &text, Context: ctxValue})
	if err != nil {
		return nil, false, fmt.Errorf("update blueprint instance %q: %w", name, err)
	}
	return in, true, nil
}

func sameInstance(in *client.BlueprintInstance, text string, ctxValue map[string]any) bool {
	if in.Path != nil && *in.Path != "" {
		return false
	}
	if in.Content == nil || *in.Content != text {
		return false
	}
	have, _ := in.Context.(map[string]any)
	if have == nil {
		have = map[string]any{}
	}
	norm, err := jsonRoundTrip(ctxValue)
	return err == nil && reflect.DeepEqual(have, norm)
}

// applyInstance runs the instance's apply action (synchronous: the server
// plans and applies in one transaction) and returns the instance as the
// server left it.
func applyInstance(ctx context.Context, c *client.Client, in *client.BlueprintInstance, prune bool) (*client.BlueprintInstance, error) {
	var q url.Values
	if prune {
		q = url.Values{"prune": {"true"}}
	}
	out := &client.BlueprintInstance{}
	if err := c.Do(ctx, "POST", "/managed/blueprints/"+url.PathEscape(in.PK)+"/apply/", q, nil, out); err != nil {
		return nil, fmt.Errorf("apply blueprint instance %q: %w", in.Name, err)
	}
	return out, nil
}

// failureMessages are the messages of the instance's last failed apply,
// from its system task record (kept only for failures).
func failureMessages(ctx context.Context, c *client.Client, name string) ([]string, error) {
	task, err := c.Admin.SystemTasksRetrieve(ctx, blueprint.InstanceTaskName(name))
	if err != nil {
		if client.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	var out []string
	for _, m := range task.Messages {
		switch v := m.(type) {
		case string:
			out = append(out, v)
		case map[string]any:
			// authentik's LogEvent: {"event": "...", ...}
			if ev, ok := v["event"].(string); ok {
				out = append(out, ev)
			} else {
				out = append(out, fmt.Sprint(v))
			}
		default:
			out = append(out, fmt.Sprint(v))
		}
	}
	return out, nil
}

// contentValidation extracts the server's validation messages about an
// instance's content (its dry run of the blueprint), one per line.
func contentValidation(err error) []string {
	var api *client.APIError
	if !errors.As(err, &api) || api.StatusCode != 400 {
		return nil
	}
	var out []string
	for _, m := range api.Fields["content"] {
		m = strings.TrimPrefix(m, blueprint.InstanceInvalidPrefix)
		out = append(out, strings.Split(m, "\n")...)
	}
	return out
}
