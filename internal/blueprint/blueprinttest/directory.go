package blueprinttest

import (
	"fmt"
	"strings"
)

// Directory writes the blueprint of a company directory like
// goauthentik/benchmark's gen-blueprint.py, the load of the bulk-apply
// benchmarks: groups nested ten to a parent through !KeyOf, and users
// with attributes, each in three groups (by !KeyOf), without passwords
// (a password costs one pbkdf2 hash of 600,000 iterations, which would
// measure the hash, not the apply).
func Directory(users, groups int) string {
	var b strings.Builder
	b.Grow(groups*130 + users*260)
	b.WriteString("version: 1\nmetadata:\n  name: Synthetic directory\nentries:\n")
	for i := 0; i < groups; i++ {
		fmt.Fprintf(&b, "  - model: authentik_core.group\n    id: g%d\n    identifiers:\n      name: Group %04d\n    attrs:\n      attributes:\n        kind: team\n", i, i)
		if i > 0 {
			fmt.Fprintf(&b, "      parent: !KeyOf g%d\n", (i-1)/10)
		}
	}
	for i := 0; i < users; i++ {
		fmt.Fprintf(&b, "  - model: authentik_core.user\n    identifiers:\n      username: user%05d\n    attrs:\n"+
			"      name: User %d\n      email: user%05d@example.com\n      is_active: true\n      path: users/bench\n"+
			"      attributes:\n        employee_number: E%d\n        title: Engineer\n"+
			"      groups:\n        - !KeyOf g%d\n        - !KeyOf g%d\n        - !KeyOf g%d\n",
			i, i, i, i, i%groups, (i*7)%groups, (i*13)%groups)
	}
	return b.String()
}
