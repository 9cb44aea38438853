package sqldb

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/akgo/akgo/internal/store"
)

// BatchQueryer is a driver connection that can send several independent
// queries in one round trip (PostgreSQL's pipeline). ReadMany uses it when
// the connection offers it and runs the reads one by one otherwise.
//
// QueryBatch runs queries[i] with args[i] (the values sqldb's builder
// binds, as QueryContext receives them) inside the connection's current
// transaction and returns, per query, its rows, each as the driver values
// the connection's QueryContext rows would give for it. An error fails
// the whole batch.
type BatchQueryer interface {
	QueryBatch(ctx context.Context, queries []string, args [][]any) ([][][]driver.Value, error)
}

// ReadMany runs the reads in one round trip when the connection is a
// BatchQueryer and one after the other otherwise; the results are those
// Select and Count would give.
func (t *tx) ReadMany(ctx context.Context, reads []store.Read) ([]store.ReadResult, error) {
	out := make([]store.ReadResult, len(reads))
	if len(reads) < 2 || t.s.noBatches.Load() {
		for i, r := range reads {
			var err error
			if r.Count {
				out[i].N, err = t.Count(ctx, r.Query)
			} else {
				out[i].Rows, err = t.Select(ctx, r.Query)
			}
			if err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if err := t.begin(false); err != nil {
		return nil, err
	}
	// Finding folds writes nothing: a builder without newBuilder's buffer.
	folds, err := (&builder{d: t.s.d, sch: t.sch}).folds(reads)
	if err != nil {
		return nil, err
	}
	out, err = t.readBatch(ctx, reads, folds)
	switch {
	case errors.Is(err, errNoBatch):
		// A connection that cannot batch after all: one by one.
		t.s.noBatches.Store(true)
		return t.ReadMany(ctx, reads)
	case errors.Is(err, errSeveral):
		return t.readBatch(ctx, reads, nil)
	case err != nil:
		return nil, err
	}
	return out, nil
}

// errSeveral: the lookup the folded reads were nested in found more than
// one row, for which they do not give what they give on their own.
var errSeveral = errors.New("store: folded lookup found several rows")

// readBatch sends the reads in one round trip, those of folds inside the
// first read's statement.
func (t *tx) readBatch(ctx context.Context, reads []store.Read, folds []fold) ([]store.ReadResult, error) {
	out := make([]store.ReadResult, len(reads))
	folded := make([]bool, len(reads))
	for _, f := range folds {
		folded[f.read] = true
	}
	var (
		queries []string
		args    [][]any
		sent    []int
	)
	cols := make([][]*store.Column, len(reads))
	for i := range reads {
		if folded[i] {
			continue
		}
		b := t.newBuilder()
		if i == 0 && len(folds) > 0 {
			b.buf.Grow(512 * len(folds))
			b.nest = func() error { return b.nested(folds, reads) }
		}
		var err error
		if reads[i].Count {
			err = b.count(reads[i].Query)
		} else {
			cols[i], err = b.query(&reads[i].Query)
		}
		if err != nil {
			return nil, err
		}
		queries, args, sent = append(queries, b.buf.String()), append(args, b.args), append(sent, i)
	}
	var results [][][]driver.Value
	err := t.conn.Raw(func(dc any) error {
		bq, ok := dc.(BatchQueryer)
		if !ok {
			return errNoBatch
		}
		var err error
		results, err = bq.QueryBatch(ctx, queries, args)
		return err
	})
	if err != nil {
		if errors.Is(err, errNoBatch) {
			return nil, err
		}
		return nil, t.fail(err)
	}
	if len(results) != len(queries) {
		return nil, t.fail(fmt.Errorf("store: batch of %d reads returned %d results", len(queries), len(results)))
	}
	for j, i := range sent {
		r, res := reads[i], results[j]
		if r.Count {
			if len(res) != 1 || len(res[0]) != 1 {
				return nil, t.fail(fmt.Errorf("store: count of %s returned no single value", r.Query.Table))
			}
			n, ok := res[0][0].(int64)
			if !ok {
				return nil, t.fail(fmt.Errorf("store: count of %s returned %T", r.Query.Table, res[0][0]))
			}
			out[i].N = n
			continue
		}
		nested := 0
		if i == 0 {
			nested = len(folds)
			if nested > 0 && len(res) > 1 {
				return nil, errSeveral
			}
		}
		rows := make([]store.Row, len(res))
		raw := make([]any, len(cols[i]))
		for k, vals := range res {
			if len(vals) != len(raw)+nested {
				return nil, t.fail(fmt.Errorf("store: read of %s returned %d columns, want %d", r.Query.Table, len(vals), len(raw)+nested))
			}
			for c := range raw {
				raw[c] = vals[c]
			}
			row, err := decodeRow(r.Query.Table, cols[i], raw)
			if err != nil {
				return nil, err
			}
			rows[k] = row
		}
		out[i].Rows = rows
		for fi := range nested {
			f := folds[fi]
			out[f.read].Rows = []store.Row{}
			if len(res) == 1 {
				var err error
				if out[f.read].Rows, err = f.unfold(rows[0][f.outer.Name], res[0][len(raw)+fi]); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

var errNoBatch = errors.New("connection cannot batch")

// ExecDeferrer is a driver connection that can hold a statement back and
// send it in one round trip with the next statement it is given (or the
// transaction's COMMIT), in order, reporting its error as that
// statement's (PostgreSQL's pipeline). A ROLLBACK drops what is held.
type ExecDeferrer interface {
	DeferExec(query string, args []any) error
}

// deferExec hands an INSERT to the connection when it is an ExecDeferrer
// (deferred false: it is not, and the caller runs the statement).
func (t *tx) deferExec(query string, args []any) (deferred bool, err error) {
	err = t.conn.Raw(func(dc any) error {
		d, ok := dc.(ExecDeferrer)
		if !ok {
			return nil
		}
		deferred = true
		return d.DeferExec(query, args)
	})
	if err == nil && !deferred {
		t.s.noDefer.Store(true)
	}
	return deferred, err
}
