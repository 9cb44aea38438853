package expression

import (
	"context"
	"testing"
)

// BenchmarkRunPolicy is one evaluation of a typical expression policy
// (compiled program cached, groups from the directory).
func BenchmarkRunPolicy(b *testing.B) {
	d, admin, _ := newFixture()
	ev := newEvaluator(d)
	src := `if request.user.attributes.get("disabled", False):
    ak_message("disabled")
    return False
return ak_is_group_member(request.user, name="admins") or "prompt_data" in context`
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		req := &Request{User: admin, Context: map[string]any{"prompt_data": map[string]any{}}}
		out, err := ev.Run(context.Background(), Call{Source: src, Vars: policyVars(req)})
		if err != nil || !out.Truth() {
			b.Fatal(err)
		}
	}
}
