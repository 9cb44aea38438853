package blueprint_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/internal/blueprint/blueprinttest"
)

// directory generates a company directory like goauthentik/benchmark's
// gen-blueprint.py: groups nested ten to a parent by !KeyOf, users in
// groups by !KeyOf, each with a password.
func directory(users, groups int) string {
	var b strings.Builder
	b.Grow(users * 260)
	b.WriteString("version: 1\nmetadata:\n  name: benchmark directory\nentries:\n")
	for i := 0; i < groups; i++ {
		fmt.Fprintf(&b, "  - model: authentik_core.group\n    id: group-%d\n    identifiers:\n      name: group-%d\n    attrs:\n      attributes: {department: d%d}\n", i, i, i%25)
		if i > 0 {
			fmt.Fprintf(&b, "      parent: !KeyOf group-%d\n", (i-1)/10)
		}
	}
	for i := 0; i < users; i++ {
		fmt.Fprintf(&b, "  - model: authentik_core.user\n    identifiers:\n      username: user-%d\n    attrs:\n      name: User %d\n      email: user-%d@example.com\n      password: password-%d\n      groups: [!KeyOf group-%d]\n      attributes: {employee: %d}\n", i, i, i, i, i%groups, i)
	}
	return b.String()
}

const benchUsers, benchGroups = 25000, 2500

func BenchmarkParseDirectory(b *testing.B) {
	src := []byte(directory(benchUsers, benchGroups))
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := blueprint.Parse("directory.yaml", src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlanDirectoryCreate plans the whole directory against an empty
// target: 27,500 creates.
func BenchmarkPlanDirectoryCreate(b *testing.B) {
	bp := mustParse(b, "directory.yaml", directory(benchUsers, benchGroups))
	b.ResetTimer()
	for b.Loop() {
		p, err := blueprint.Plan(context.Background(), blueprinttest.New(), []*blueprint.Blueprint{bp}, blueprint.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if p.Summary().Create != benchUsers+benchGroups {
			b.Fatalf("summary %+v", p.Summary())
		}
	}
}

// BenchmarkPlanDirectoryNoop re-plans the applied directory: 27,500
// no-ops, two lists.
func BenchmarkPlanDirectoryNoop(b *testing.B) {
	bp := mustParse(b, "directory.yaml", directory(benchUsers, benchGroups))
	mem := blueprinttest.New()
	p, err := blueprint.Plan(context.Background(), mem, []*blueprint.Blueprint{bp}, blueprint.Options{})
	if err != nil {
		b.Fatal(err)
	}
	res, err := blueprint.Apply(context.Background(), mem, p)
	if err != nil {
		b.Fatal(err)
	}
	opts := blueprint.Options{Owned: res.Managed}
	b.ResetTimer()
	for b.Loop() {
		p, err := blueprint.Plan(context.Background(), mem, []*blueprint.Blueprint{bp}, opts)
		if err != nil {
			b.Fatal(err)
		}
		if p.HasChanges() || p.Lists != 2 {
			b.Fatalf("summary %+v, %d lists", p.Summary(), p.Lists)
		}
	}
}
