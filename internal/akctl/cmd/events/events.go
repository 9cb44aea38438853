// Package events implements `akctl events tail`: follow the event log.
package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/internal/akctl/resource"
)

// NewCmdEvents builds `akctl events`.
func NewCmdEvents(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "The event log: follow it",
		Long:  "Commands for events beyond get/describe (akctl get events --ordering -created, ...).",
	}
	cmd.AddCommand(NewCmdTail(f, nil))
	return cmd
}

// TailOptions are the parsed command line of `events tail`.
type TailOptions struct {
	IO        *iostreams.IOStreams
	Resources func() (*resource.Client, error)
	Events    *resource.Resource
	// Query holds the event filters.
	Query    url.Values
	Interval time.Duration
	// Lines is how many past events to print first.
	Lines  int
	Output output.Options
	// Sleep waits between polls (tests replace it).
	Sleep func(context.Context, time.Duration) error
}

// pollPage is how many events one poll reads; pollPages bounds the pages
// read when more events than that arrived between two polls.
const (
	pollPage  = 100
	pollPages = 10
	seenMax   = 5000
)

// NewCmdTail builds `akctl events tail`.
func NewCmdTail(f *cmdutil.Factory, runF func(context.Context, *TailOptions) error) *cobra.Command {
	opts := &TailOptions{IO: f.IOStreams, Resources: f.Resources, Sleep: sleep}
	var action, username, app, clientIP string
	cmd := &cobra.Command{
		Use:   "tail",
		Short: "Print new events as they happen (Ctrl-C stops)",
		Long: `Print the last events, then poll the server and print new events as
they are recorded, oldest first. Ctrl-C stops (exit status 0).

On a terminal events are aligned columns; piped, tab-separated rows.
-o json prints one JSON object per line (JSON Lines), -o yaml one
document per event.`,
		Example: `  akctl events tail
  akctl events tail --action login_failed -n 0
  akctl events tail -o json | jq .context`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			events, err := f.Catalog().Lookup("events")
			if err != nil {
				return err
			}
			opts.Events = events
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.MarkUsage(err)
			}
			if opts.Output.JQ != "" {
				return cmdutil.Usagef("--jq is not supported by events tail; use -o json and pipe to jq")
			}
			if opts.Interval < 100*time.Millisecond {
				return cmdutil.Usagef("--interval must be at least 100ms")
			}
			if opts.Lines < 0 || opts.Lines > 1000 {
				return cmdutil.Usagef("--lines must be between 0 and 1000")
			}
			opts.Query = url.Values{}
			for k, v := range map[string]string{"action": action, "username": username, "context_authorized_app": app, "client_ip": clientIP} {
				if v != "" {
					opts.Query.Set(k, v)
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return tailRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&action, "action", "", "only events with this `action` (login, model_created, ...)")
	cmd.Flags().StringVar(&username, "user", "", "only events of this `username`")
	cmd.Flags().StringVar(&app, "app", "", "only events of this authorized application (`pk`)")
	cmd.Flags().StringVar(&clientIP, "client-ip", "", "only events from this `address`")
	cmd.Flags().DurationVar(&opts.Interval, "interval", 2*time.Second, "time between polls")
	cmd.Flags().IntVarP(&opts.Lines, "lines", "n", 10, "number of past events to print first")
	output.AddFlags(cmd, &opts.Output, output.Table, output.Wide, output.JSON, output.YAML)
	return cmd
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// tailer prints events and remembers which were printed.
type tailer struct {
	o      *TailOptions
	rc     *resource.Client
	seen   map[string]bool
	order  []string
	widths []int
	header bool
}

func tailRun(ctx context.Context, o *TailOptions) error {
	rc, err := o.Resources()
	if err != nil {
		return err
	}
	t := &tailer{o: o, rc: rc, seen: map[string]bool{}}
	first, err := t.fetch(ctx, max(o.Lines, 1))
	if err != nil {
		return stopped(ctx, err)
	}
	// The first poll sets the starting point; only the last Lines are
	// printed.
	for _, e := range first {
		t.remember(e.pk)
	}
	if o.Lines > 0 {
		if err := t.print(first); err != nil {
			return err
		}
	}
	for {
		if err := o.Sleep(ctx, o.Interval); err != nil {
			return stopped(ctx, err)
		}
		news, err := t.poll(ctx)
		if err != nil {
			return stopped(ctx, err)
		}
		if err := t.print(news); err != nil {
			return err
		}
	}
}

// stopped turns the end of the context (Ctrl-C) into a clean exit.
func stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, ctx.Err())) {
		return nil
	}
	return err
}

type event struct {
	pk  string
	raw json.RawMessage
}

// fetch reads the newest n events, newest first.
func (t *tailer) fetch(ctx context.Context, n int) ([]event, error) {
	q := url.Values{}
	for k, v := range t.o.Query {
		q[k] = v
	}
	q.Set("ordering", "-created")
	q.Set("page_size", strconv.Itoa(n))
	page, err := t.rc.ListPage(ctx, t.o.Events, q)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	return decode(page.Results)
}

func decode(results []json.RawMessage) ([]event, error) {
	out := make([]event, 0, len(results))
	for _, raw := range results {
		var head struct {
			PK string `json:"pk"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return nil, fmt.Errorf("decode event: %w", err)
		}
		out = append(out, event{pk: head.PK, raw: raw})
	}
	return out, nil
}

// poll returns the events recorded since the last poll, newest first:
// pages are read until an event already printed comes up.
func (t *tailer) poll(ctx context.Context) ([]event, error) {
	var news []event
	q := url.Values{}
	for k, v := range t.o.Query {
		q[k] = v
	}
	q.Set("ordering", "-created")
	q.Set("page_size", strconv.Itoa(pollPage))
	for n := 1; n <= pollPages; n++ {
		q.Set("page", strconv.Itoa(n))
		page, err := t.rc.ListPage(ctx, t.o.Events, q)
		if err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		evs, err := decode(page.Results)
		if err != nil {
			return nil, err
		}
		reachedSeen := false
		for _, e := range evs {
			if t.seen[e.pk] {
				// Newest first: everything after a printed event is older.
				reachedSeen = true
				break
			}
			news = append(news, e)
		}
		if reachedSeen || page.Pagination.Next == 0 {
			break
		}
	}
	for _, e := range news {
		t.remember(e.pk)
	}
	return news, nil
}

func (t *tailer) remember(pk string) {
	if t.seen[pk] {
		return
	}
	t.seen[pk] = true
	t.order = append(t.order, pk)
	if len(t.order) > seenMax {
		delete(t.seen, t.order[0])
		t.order = t.order[1:]
	}
}

// print writes events oldest first.
func (t *tailer) print(newestFirst []event) error {
	evs := slices.Clone(newestFirst)
	slices.Reverse(evs)
	w := t.o.IO.Out
	for _, e := range evs {
		switch t.o.Output.Format {
		case output.JSON:
			var buf bytes.Buffer
			if err := json.Compact(&buf, e.raw); err != nil {
				return err
			}
			buf.WriteByte('\n')
			if _, err := w.Write(buf.Bytes()); err != nil {
				return err
			}
		case output.YAML:
			n, err := output.YAMLNode(e.raw)
			if err != nil {
				return err
			}
			fmt.Fprintln(w, "---")
			if err := output.EncodeYAML(w, n); err != nil {
				return err
			}
		default:
			if err := t.row(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// row prints one event as a table row: aligned on a terminal (widths
// fixed by the header and the first rows, since a tail never ends),
// tab-separated otherwise.
func (t *tailer) row(e event) error {
	v, err := output.Decode(e.raw)
	if err != nil {
		return err
	}
	obj, _ := v.(map[string]any)
	wide := t.o.Output.Format == output.Wide
	var headers, cells []string
	for _, c := range t.o.Events.Columns {
		if c.Wide && !wide {
			continue
		}
		headers = append(headers, c.Header)
		cells = append(cells, strings.ReplaceAll(c.Cell(obj), "\t", " "))
	}
	w := t.o.IO.Out
	if !t.o.IO.IsStdoutTTY() {
		_, err := fmt.Fprintln(w, strings.Join(cells, "\t"))
		return err
	}
	if t.widths == nil {
		t.widths = make([]int, len(headers))
		for i, h := range headers {
			t.widths[i] = max(len(h), len(cells[i]), 12)
		}
	}
	if !t.header {
		t.header = true
		fmt.Fprintln(w, t.o.IO.ColorScheme().Bold(pad(headers, t.widths)))
	}
	_, err = fmt.Fprintln(w, pad(cells, t.widths))
	return err
}

func pad(cells []string, widths []int) string {
	var b strings.Builder
	for i, c := range cells {
		if i == len(cells)-1 {
			b.WriteString(c)
			break
		}
		b.WriteString(c)
		b.WriteString(strings.Repeat(" ", max(widths[i]-len(c), 0)+3))
	}
	return strings.TrimRight(b.String(), " ")
}
