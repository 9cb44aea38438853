package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/akgo/akgo/internal/store"
)

// testInsertLater checks InsertLater: whether the backend runs the INSERT
// at once or sends it with the transaction's next statement, every later
// statement of the transaction sees the row, a failing INSERT fails the
// transaction with the store's error type, a rollback leaves nothing, and
// nothing held back ever runs in another transaction.
func testInsertLater(t *testing.T, open Opener) {
	const carol = "0b5d6f3e-2c1a-4e8b-9f00-cccccccccccc"
	account := func(id, name string) store.Row {
		return store.Row{"id": id, "username": name, "realm": "later"}
	}
	errRollback := errors.New("roll back")
	tests := []struct {
		name string
		fn   func(ctx context.Context, tx store.Tx) error
		// wantErr: the transaction's error; unique: it must be a
		// *store.UniqueError.
		wantErr, unique bool
		// want are the usernames stored afterwards.
		want []string
	}{
		{name: "committed, with nothing after it", fn: func(ctx context.Context, tx store.Tx) error {
			return tx.InsertLater(ctx, "accounts", account(alice, "alice"))
		}, want: []string{"alice"}},
		{name: "seen by the next select", fn: func(ctx context.Context, tx store.Tx) error {
			if err := tx.InsertLater(ctx, "accounts", account(alice, "alice")); err != nil {
				return err
			}
			if err := tx.InsertLater(ctx, "accounts", account(bob, "bob")); err != nil {
				return err
			}
			n, err := tx.Count(ctx, store.Query{Table: "accounts"})
			if err == nil && n != 2 {
				err = errors.New("the transaction's count does not see its held-back rows")
			}
			return err
		}, want: []string{"alice", "bob"}},
		{name: "seen by a ReadMany and by a write", fn: func(ctx context.Context, tx store.Tx) error {
			if err := tx.InsertLater(ctx, "accounts", account(alice, "alice")); err != nil {
				return err
			}
			res, err := tx.ReadMany(ctx, []store.Read{{Query: store.Query{Table: "accounts"}, Count: true}, {Query: store.Query{Table: "accounts"}}})
			if err != nil {
				return err
			}
			if res[0].N != 1 || len(res[1].Rows) != 1 {
				return errors.New("ReadMany does not see the held-back row")
			}
			if err := tx.InsertLater(ctx, "accounts", account(bob, "bob")); err != nil {
				return err
			}
			n, err := tx.UpdateWhere(ctx, "accounts", store.Eq("username", "bob"), store.Row{"email": "b@example.com"})
			if err == nil && n != 1 {
				err = errors.New("the update does not see the held-back row")
			}
			return err
		}, want: []string{"alice", "bob"}},
		{name: "a duplicate fails the next statement", fn: func(ctx context.Context, tx store.Tx) error {
			if err := tx.InsertLater(ctx, "accounts", account(alice, "alice")); err != nil {
				return err
			}
			if err := tx.InsertLater(ctx, "accounts", account(bob, "alice")); err != nil {
				return err
			}
			_, err := tx.Count(ctx, store.Query{Table: "accounts"})
			return err
		}, wantErr: true, unique: true},
		{name: "a duplicate fails the commit", fn: func(ctx context.Context, tx store.Tx) error {
			if err := tx.InsertLater(ctx, "accounts", account(alice, "alice")); err != nil {
				return err
			}
			return tx.InsertLater(ctx, "accounts", account(bob, "alice"))
		}, wantErr: true, unique: true},
		{name: "rolled back unsent", fn: func(ctx context.Context, tx store.Tx) error {
			if err := tx.InsertLater(ctx, "accounts", account(carol, "carol")); err != nil {
				return err
			}
			return errRollback
		}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := migrated(t, open)
			ctx := t.Context()
			err := s.Update(ctx, func(tx store.Tx) error { return tc.fn(ctx, tx) })
			if (err != nil) != tc.wantErr {
				t.Fatalf("Update: %v, want error %v", err, tc.wantErr)
			}
			var ue *store.UniqueError
			if tc.unique && !errors.As(err, &ue) {
				t.Fatalf("Update: %v (%T), want a *store.UniqueError", err, err)
			}
			// The pool's connections serve other transactions afterwards,
			// and nothing held back by the failed one runs in them.
			for range 3 {
				update(t, s, func(tx store.Tx) error {
					_, err := tx.Count(ctx, store.Query{Table: "accounts"})
					return err
				})
			}
			var got []string
			for _, r := range selectRows(t, s, store.Query{Table: "accounts", OrderBy: []store.Order{{Column: "username"}}}) {
				got = append(got, r["username"].(string))
			}
			if len(got) != len(tc.want) {
				t.Fatalf("stored %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("stored %v, want %v", got, tc.want)
				}
			}
		})
	}
	t.Run("refused in a read transaction", func(t *testing.T) {
		s := migrated(t, open)
		err := s.View(t.Context(), func(tx store.Tx) error {
			return tx.InsertLater(t.Context(), "accounts", account(alice, "alice"))
		})
		if !errors.Is(err, store.ErrReadOnly) {
			t.Fatalf("View: %v, want ErrReadOnly", err)
		}
	})
}
