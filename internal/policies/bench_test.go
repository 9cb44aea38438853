package policies

import (
	"fmt"
	"testing"

	"github.com/akgo/akgo/internal/expression"
)

// benchPolicy is the shape of a typical expression policy: attribute and
// group checks on the request user and a context lookup.
const benchPolicy = `if request.user.attributes.get("disabled", False):
    ak_message("disabled")
    return False
return ak_is_group_member(request.user, name="bench-group") or "prompt_data" in context`

func benchFixture(b testing.TB, bindings int) (*fixture, string, *expression.User) {
	f := newFixture(b, "sqlite")
	user := f.user("bench-user")
	group := f.group("bench-group", "", user.PK)
	target := f.flow("all")
	for i := 0; i < bindings; i++ {
		switch i % 5 {
		case 3:
			f.bind(target, i, map[string]any{"group": group})
		case 4:
			f.bind(target, i, map[string]any{"user": float64(user.PK)})
		default:
			f.bind(target, i, map[string]any{"policy": f.expressionPolicy(fmt.Sprintf("%s\n# %d", benchPolicy, i))})
		}
	}
	return f, target, user
}

// BenchmarkExpressionPolicy is one expression policy, run as a binding
// would run it (policy row already loaded).
func BenchmarkExpressionPolicy(b *testing.B) {
	f, _, user := benchFixture(b, 0)
	pk := f.expressionPolicy(benchPolicy)
	p, err := f.pe.policyByPK(f.ctx, pk)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := f.pe.runPolicy(f.ctx, p, &Request{User: user, Context: map[string]any{}})
		if err != nil || !res.Passing {
			b.Fatalf("%v %v", res, err)
		}
	}
}

// BenchmarkEvaluateOneBinding is a target with one expression binding,
// uncached: load the binding and policy, evaluate.
func BenchmarkEvaluateOneBinding(b *testing.B) {
	f, target, user := benchFixture(b, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := f.pe.Evaluate(f.ctx, target, &Request{User: user, Context: map[string]any{}, NoCache: true})
		if err != nil || !res.Passing {
			b.Fatalf("%v %v", res, err)
		}
	}
}

// BenchmarkEvaluateFlow10Bindings is a flow with ten bindings (six
// expression policies, two group and two user bindings): cold (bindings,
// policy rows and memberships read from the store every time), uncached
// (results computed, rows reused) and cached (results reused).
func BenchmarkEvaluateFlow10Bindings(b *testing.B) {
	f, target, user := benchFixture(b, 10)
	for _, mode := range []string{"cold", "uncached", "cached"} {
		cached := mode == "cached"
		b.Run(mode, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if mode == "cold" {
					f.pe.configs.clear()
					f.pe.Directory.Forget()
				}
				res, err := f.pe.Evaluate(f.ctx, target, &Request{User: user, Context: map[string]any{}, SessionKey: "s", NoCache: !cached})
				if err != nil || !res.Passing || len(res.Sources) != 10 {
					b.Fatalf("%+v %v", res, err)
				}
			}
		})
	}
}
