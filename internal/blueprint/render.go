package blueprint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// RenderOptions tune the plan renderers.
type RenderOptions struct {
	// Color adds ANSI colours (the caller decides, e.g. from a TTY check).
	Color bool
	// ShowNoop also lists entries that change nothing (no-ops, skips).
	ShowNoop bool
	// ShowSensitive prints secret values instead of "(sensitive)".
	ShowSensitive bool
}

const (
	textSensitive = "(sensitive)"
	textUnknown   = "(known after apply)"
	textUnread    = "(not readable)"
)

type painter struct{ on bool }

func (p painter) paint(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p painter) green(s string) string  { return p.paint("32", s) }
func (p painter) yellow(s string) string { return p.paint("33", s) }
func (p painter) red(s string) string    { return p.paint("31", s) }
func (p painter) dim(s string) string    { return p.paint("2", s) }
func (p painter) bold(s string) string   { return p.paint("1", s) }

// valueText renders a value compactly as JSON (unknowns and secrets as
// words).
func valueText(v any) string {
	if _, ok := v.(*Unknown); ok {
		return textUnknown
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jsonSafe(v)); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// jsonSafe replaces unknowns (anywhere in a value) by their text.
func jsonSafe(v any) any {
	switch x := v.(type) {
	case *Unknown:
		return textUnknown
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, it := range x {
			out[k] = jsonSafe(it)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = jsonSafe(it)
		}
		return out
	}
	return v
}

func (fc FieldChange) newText(o RenderOptions) string {
	switch {
	case fc.Sensitive && !o.ShowSensitive:
		return textSensitive
	case fc.Unknown:
		if _, pure := fc.New.(*Unknown); pure {
			return textUnknown
		}
		return valueText(fc.New) // a list or mapping holding unknowns
	}
	return valueText(fc.New)
}

func (fc FieldChange) oldText(o RenderOptions) string {
	switch {
	case fc.OldUnknown:
		return textUnread
	case fc.Sensitive && !o.ShowSensitive:
		return textSensitive
	}
	return valueText(fc.Old)
}

// where locates a change in its file: "file.yaml:12 entries[3] (id x)".
func (c *Change) where() string {
	e := c.Entry
	return e.File + ":" + strconv.Itoa(e.Line) + " " + e.label()
}

func (c *Change) title() string {
	s := c.Model
	if c.Name != "" {
		s += " " + strconv.Quote(c.Name)
	}
	switch {
	case c.PK != nil:
		s += " (pk " + pkString(c.PK) + ")"
	case c.PKUnknown && c.Action != ActionCreate:
		s += " (pk known after apply)"
	}
	return s
}

// RenderText writes the plan the way terraform does: "+" creates, "~"
// updates with their field changes, "-" deletes, and a summary line.
func RenderText(w io.Writer, p *PlanResult, o RenderOptions) error {
	pt := painter{o.Color}
	var b strings.Builder
	for _, c := range p.Changes {
		switch c.Action {
		case ActionCreate:
			fmt.Fprintf(&b, "  %s %s  %s\n", pt.green("+"), pt.bold(c.title()), pt.dim("# "+c.where()))
			writeFields(&b, c.Fields, o, pt)
		case ActionUpdate:
			fmt.Fprintf(&b, "  %s %s  %s\n", pt.yellow("~"), pt.bold(c.title()), pt.dim("# "+c.where()))
			writeFields(&b, c.Fields, o, pt)
		case ActionDelete:
			fmt.Fprintf(&b, "  %s %s  %s\n", pt.red("-"), pt.bold(c.title()), pt.dim("# "+c.where()+", state absent"))
		case ActionApplyBlueprint:
			if o.ShowNoop {
				fmt.Fprintf(&b, "  %s applies blueprint %s  %s\n", pt.dim("="), c.Blueprint, pt.dim("# "+c.where()))
			}
		default:
			if o.ShowNoop {
				fmt.Fprintf(&b, "  %s %s  %s\n", pt.dim("="), c.title(), pt.dim("# "+c.where()+": "+string(c.Action)+", "+c.Reason))
			}
		}
	}
	for _, pr := range p.Prunes {
		title := pr.Model
		if pr.Name != "" {
			title += " " + strconv.Quote(pr.Name)
		}
		title += " (pk " + pkString(pr.PK) + ")"
		if pr.Delete {
			fmt.Fprintf(&b, "  %s %s  %s\n", pt.red("-"), pt.bold(title), pt.dim("# pruned: owned, no longer declared"))
		} else {
			fmt.Fprintf(&b, "  %s %s  %s\n", pt.dim("#"), title, pt.dim("# owned, no longer declared; prune would delete it"))
		}
	}
	s := p.Summary()
	if s.Create+s.Update+s.Delete == 0 {
		b.WriteString("No changes: the live objects match the blueprints.\n")
	} else if b.Len() > 0 {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Plan: %d to create, %d to update, %d to delete.\n", s.Create, s.Update, s.Delete)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeFields(b *strings.Builder, fields []FieldChange, o RenderOptions, pt painter) {
	width := 0
	for _, f := range fields {
		width = max(width, len(f.Field))
	}
	for _, f := range fields {
		name := f.Field + strings.Repeat(" ", width-len(f.Field))
		if f.Create {
			fmt.Fprintf(b, "      %s %s = %s\n", pt.green("+"), name, f.newText(o))
			continue
		}
		fmt.Fprintf(b, "      %s %s = %s → %s\n", pt.yellow("~"), name, f.oldText(o), f.newText(o))
	}
}

// RenderDiff writes the plan as a unified diff of each object's fields,
// live state against the blueprints (for akctl diff).
func RenderDiff(w io.Writer, p *PlanResult, o RenderOptions) error {
	pt := painter{o.Color}
	var b strings.Builder
	header := func(from, to, where string) {
		b.WriteString(pt.bold("--- "+from) + "\n" + pt.bold("+++ "+to) + "\n")
		b.WriteString(pt.paint("36", "@@ "+where+" @@") + "\n")
	}
	for _, c := range p.Changes {
		ref := c.Model + "/" + c.Name
		switch c.Action {
		case ActionCreate:
			header("/dev/null", "blueprint/"+ref, c.where())
			for _, f := range c.Fields {
				b.WriteString(pt.green("+"+f.Field+": "+f.newText(o)) + "\n")
			}
		case ActionUpdate:
			header("live/"+ref, "blueprint/"+ref, c.where())
			for _, f := range c.Fields {
				b.WriteString(pt.red("-"+f.Field+": "+f.oldText(o)) + "\n")
				b.WriteString(pt.green("+"+f.Field+": "+f.newText(o)) + "\n")
			}
		case ActionDelete:
			header("live/"+ref, "/dev/null", c.where())
			writeLive(&b, c.Model, c.es.obj, o, pt)
		}
	}
	for _, pr := range p.Prunes {
		if !pr.Delete {
			continue
		}
		ref := pr.Model + "/" + pr.Name
		header("live/"+ref, "/dev/null", "pruned: owned, no longer declared")
		var obj *vobj
		if vm, ok := p.pl.store.models[pr.Model]; ok {
			obj = vm.byPK[canon(pr.PK)]
		}
		writeLive(&b, pr.Model, obj, o, pt)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeLive lists a live object's writable fields as removed lines.
func writeLive(b *strings.Builder, model string, obj *vobj, o RenderOptions, pt painter) {
	if obj == nil || obj.raw == nil {
		return
	}
	mi := info(model)
	for _, k := range sortedKeys(obj.raw) {
		if mi != nil && !mi.writable[k] {
			continue
		}
		v := valueText(normalize(obj.raw[k]))
		if mi.sensitive(k) && !o.ShowSensitive {
			v = textSensitive
		}
		b.WriteString(pt.red("-"+k+": "+v) + "\n")
	}
}

// JSON is the plan's machine-readable form (akctl -o json): changes in
// apply order, prunes and the summary; secrets and unknowns are flagged
// and their values left out.
func (p *PlanResult) JSON(o RenderOptions) ([]byte, error) {
	index := map[*Change]int{}
	for i, c := range p.Changes {
		index[c] = i
	}
	type jfield struct {
		Field      string `json:"field"`
		Old        any    `json:"old,omitempty"`
		New        any    `json:"new,omitempty"`
		Create     bool   `json:"create,omitempty"`
		OldUnknown bool   `json:"old_unreadable,omitempty"`
		Sensitive  bool   `json:"sensitive,omitempty"`
		Unknown    bool   `json:"known_after_apply,omitempty"`
	}
	type jchange struct {
		File      string   `json:"file"`
		Line      int      `json:"line"`
		Entry     int      `json:"entry"`
		ID        string   `json:"id,omitempty"`
		Model     string   `json:"model"`
		State     string   `json:"state"`
		Action    Action   `json:"action"`
		PK        any      `json:"pk,omitempty"`
		Name      string   `json:"name,omitempty"`
		Reason    string   `json:"reason,omitempty"`
		Blueprint string   `json:"blueprint,omitempty"`
		DependsOn []int    `json:"depends_on,omitempty"`
		Fields    []jfield `json:"fields,omitempty"`
	}
	type jprune struct {
		Model  string `json:"model"`
		PK     any    `json:"pk"`
		Name   string `json:"name,omitempty"`
		Delete bool   `json:"delete"`
	}
	out := struct {
		Files   []string  `json:"files"`
		Changes []jchange `json:"changes"`
		Prunes  []jprune  `json:"prunes"`
		Summary struct {
			Create int `json:"create"`
			Update int `json:"update"`
			Delete int `json:"delete"`
			Noop   int `json:"noop"`
		} `json:"summary"`
	}{Files: p.Files, Changes: []jchange{}, Prunes: []jprune{}}
	for _, c := range p.Changes {
		if !o.ShowNoop && (c.Action == ActionSkip || c.Action == ActionNoop || c.Action == ActionApplyBlueprint) {
			continue
		}
		jc := jchange{File: c.Entry.File, Line: c.Entry.Line, Entry: c.Entry.Index, ID: c.Entry.ID, Model: c.Model, State: c.State,
			Action: c.Action, PK: c.PK, Name: c.Name, Reason: c.Reason, Blueprint: c.Blueprint}
		for _, d := range c.DependsOn {
			jc.DependsOn = append(jc.DependsOn, index[d])
		}
		for _, f := range c.Fields {
			jf := jfield{Field: f.Field, Create: f.Create, OldUnknown: f.OldUnknown, Sensitive: f.Sensitive, Unknown: f.Unknown}
			hide := f.Sensitive && !o.ShowSensitive
			if !hide && !f.Create && !f.OldUnknown {
				jf.Old = jsonSafe(f.Old)
			}
			if !hide && !f.Unknown {
				jf.New = f.New
			} else if !hide {
				if _, pure := f.New.(*Unknown); !pure {
					jf.New = jsonSafe(f.New)
				}
			}
			jc.Fields = append(jc.Fields, jf)
		}
		out.Changes = append(out.Changes, jc)
	}
	for _, pr := range p.Prunes {
		out.Prunes = append(out.Prunes, jprune{Model: pr.Model, PK: pr.PK, Name: pr.Name, Delete: pr.Delete})
	}
	s := p.Summary()
	out.Summary.Create, out.Summary.Update, out.Summary.Delete, out.Summary.Noop = s.Create, s.Update, s.Delete, s.Noop
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// RenderResult writes what an apply did, one line per write, and a
// summary (for akctl apply).
func RenderResult(w io.Writer, r *Result, o RenderOptions) error {
	pt := painter{o.Color}
	var b strings.Builder
	for _, er := range r.Entries {
		var title, where string
		if er.Change != nil {
			title, where = er.Change.title(), er.Change.where()
			if er.Change.Action == ActionCreate && er.PK != nil {
				title += " (pk " + pkString(er.PK) + ")"
			}
		} else if er.Prune != nil {
			title, where = er.Prune.Model+" "+strconv.Quote(er.Prune.Name)+" (pk "+pkString(er.Prune.PK)+")", "pruned"
		}
		switch er.Status {
		case StatusCreated:
			fmt.Fprintf(&b, "  %s %s: created  %s\n", pt.green("+"), title, pt.dim("# "+where))
		case StatusUpdated:
			fmt.Fprintf(&b, "  %s %s: updated  %s\n", pt.yellow("~"), title, pt.dim("# "+where))
		case StatusDeleted:
			fmt.Fprintf(&b, "  %s %s: deleted  %s\n", pt.red("-"), title, pt.dim("# "+where))
		case StatusFailed:
			fmt.Fprintf(&b, "  %s %s: failed  %s\n", pt.red("!"), title, pt.dim("# "+where))
			for _, e := range AsErrors(er.Err) {
				fmt.Fprintf(&b, "      %s\n", e.Error())
			}
		default:
			if o.ShowNoop {
				fmt.Fprintf(&b, "  %s %s: %s  %s\n", pt.dim("="), title, er.Status, pt.dim("# "+where))
			}
		}
	}
	state := "Apply complete"
	if !r.Complete {
		state = "Apply stopped at a failure; the writes before it were made"
	}
	fmt.Fprintf(&b, "%s: %d created, %d updated, %d deleted.\n", state, r.Created, r.Updated, r.Deleted)
	_, err := io.WriteString(w, b.String())
	return err
}
