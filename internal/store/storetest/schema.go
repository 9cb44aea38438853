package storetest

import "github.com/akgo/akgo/internal/store"

// The suite's schema exercises every column type, each ON DELETE action,
// single and composite unique constraints, a UUID primary key and a later
// AddColumn.

func col(name string, t store.ColumnType) store.Column { return store.Column{Name: name, Type: t} }

func nullable(name string, t store.ColumnType) store.Column {
	return store.Column{Name: name, Type: t, Nullable: true}
}

func child(name string, parent store.Column) store.CreateTable {
	return store.CreateTable{Table: store.Table{
		Name: name, PK: []string{"id"}, AutoIncrement: true,
		Columns: []store.Column{col("id", store.TypeInt), col("label", store.TypeText), parent},
	}}
}

func parentRef(onDelete store.OnDelete) *store.ForeignKey {
	return &store.ForeignKey{Table: "parents", Column: "id", OnDelete: onDelete}
}

var v1 = store.Migration{Version: 1, Name: "initial", Steps: []store.Step{
	// items is created before accounts, which it references: foreign keys
	// must not depend on the order of tables within a migration.
	store.CreateTable{Table: store.Table{
		Name: "items", PK: []string{"id"}, AutoIncrement: true,
		Columns: []store.Column{
			col("id", store.TypeInt),
			col("name", store.TypeText),
			nullable("tags", store.TypeJSON),
			nullable("attrs", store.TypeJSON),
			nullable("score", store.TypeFloat),
			nullable("rank", store.TypeInt),
			{Name: "active", Type: store.TypeBool, Default: false},
			{Name: "owner", Type: store.TypeUUID, Nullable: true, Ref: &store.ForeignKey{Table: "accounts", Column: "id", OnDelete: store.SetNull}},
			nullable("created", store.TypeTime),
		},
		Indexes: [][]string{{"name"}, {"rank", "score"}},
	}},
	store.CreateTable{Table: store.Table{
		Name: "kinds", PK: []string{"id"}, AutoIncrement: true,
		Columns: []store.Column{
			col("id", store.TypeInt),
			nullable("t", store.TypeText),
			nullable("i", store.TypeInt),
			nullable("f", store.TypeFloat),
			nullable("b", store.TypeBool),
			nullable("u", store.TypeUUID),
			nullable("ts", store.TypeTime),
			nullable("j", store.TypeJSON),
			nullable("by", store.TypeBytes),
			{Name: "dt", Type: store.TypeText, Default: "it's"},
			{Name: "di", Type: store.TypeInt, Default: int64(7)},
			{Name: "df", Type: store.TypeFloat, Default: 1.5},
			{Name: "db", Type: store.TypeBool, Default: true},
			{Name: "dj", Type: store.TypeJSON, Default: map[string]any{"a": []int{1}}},
			{Name: "dts", Type: store.TypeTime, Default: "2020-01-02T03:04:05.123456Z"},
		},
	}},
	store.CreateTable{Table: store.Table{
		Name: "accounts", PK: []string{"id"},
		Columns: []store.Column{
			col("id", store.TypeUUID),
			col("username", store.TypeText),
			col("realm", store.TypeText),
			nullable("email", store.TypeText),
		},
		Unique: [][]string{{"username"}, {"realm", "email"}},
	}},
	store.CreateTable{Table: store.Table{
		Name: "parents", PK: []string{"id"}, AutoIncrement: true,
		Columns: []store.Column{col("id", store.TypeInt), col("name", store.TypeText)},
		Unique:  [][]string{{"name"}},
	}},
	child("child_cascade", store.Column{Name: "parent_id", Type: store.TypeInt, Ref: parentRef(store.Cascade)}),
	child("child_setnull", store.Column{Name: "parent_id", Type: store.TypeInt, Nullable: true, Ref: parentRef(store.SetNull)}),
	child("child_setdefault", store.Column{Name: "parent_id", Type: store.TypeInt, Default: int64(1), Ref: parentRef(store.SetDefault)}),
	child("child_restrict", store.Column{Name: "parent_id", Type: store.TypeInt, Ref: parentRef(store.Restrict)}),
	// A composite primary key without auto increment.
	store.CreateTable{Table: store.Table{
		Name: "pairs", PK: []string{"a", "b"},
		Columns: []store.Column{col("a", store.TypeText), col("b", store.TypeInt), nullable("v", store.TypeText)},
	}},
	// shares is a many-to-many table: its two columns are the set.
	store.CreateTable{Table: store.Table{
		Name: "shares", PK: []string{"item", "account"},
		Columns: []store.Column{
			{Name: "item", Type: store.TypeInt, Ref: &store.ForeignKey{Table: "items", Column: "id", OnDelete: store.Cascade}},
			{Name: "account", Type: store.TypeUUID, Ref: &store.ForeignKey{Table: "accounts", Column: "id", OnDelete: store.Cascade}},
		},
	}},
}}

// v2 adds columns after the fact and seeds the default parent that
// child_setdefault falls back to. Re-running it would violate
// parents.name's unique constraint, so it also proves migrations run once.
var v2 = store.Migration{Version: 2, Name: "additions", Steps: []store.Step{
	store.AddColumn{Table: "items", Column: nullable("note", store.TypeText)},
	store.AddColumn{Table: "items", Column: store.Column{Name: "level", Type: store.TypeInt, Default: int64(3)}},
	store.AddColumn{Table: "items", Column: store.Column{Name: "parent_id", Type: store.TypeInt, Nullable: true, Ref: parentRef(store.Cascade)}},
	store.RawSQL{
		"sqlite":   {"INSERT INTO parents (name) VALUES ('default')"},
		"postgres": {"INSERT INTO parents (name) VALUES ('default')"},
	},
}}

// Migrations is the suite's schema.
var Migrations = []store.Migration{v1, v2}
