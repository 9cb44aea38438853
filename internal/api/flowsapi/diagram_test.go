package flowsapi

import "testing"

func TestDiagram(t *testing.T) {
	expr := func(name string, order int) Policy {
		return Policy{Node: Node{"Expression Policy", name}, Order: order}
	}
	stage := func(kind, name string, ps ...Policy) Stage { return Stage{Node: Node{kind, name}, Policies: ps} }
	cases := []struct {
		name string
		flow FlowGraph
		want string
	}{
		{
			name: "empty flow ends at the start",
			flow: FlowGraph{Name: "Empty", Authentication: "none"},
			want: "graph TD\nflow_start[[\"Flow\nEmpty\"]]\nflow_start --> done[[\"End of the flow\"]]",
		},
		{
			name: "stages without policies chain onto each other",
			flow: FlowGraph{Name: "Two", Authentication: "none", Stages: []Stage{stage("Dummy Stage", "a"), stage("Deny Stage", "b")}},
			want: "graph TD\nflow_start[[\"Flow\nTwo\"]]\n--> stage_0([\"Stage (Dummy Stage)\na\"])\n--> stage_1([\"Stage (Deny Stage)\nb\"])\nstage_1 --> done[[\"End of the flow\"]]",
		},
		{
			name: "authentication requirement and flow policies",
			flow: FlowGraph{Name: "Guarded", Authentication: "require_superuser",
				Policies: []Policy{expr("p1", 10), expr("p2", 20)}, Stages: []Stage{stage("Dummy Stage", "s")}},
			want: "graph TD\n" +
				"flow_auth_requirement[\"Flow authentication requirement\nrequire_superuser\"]\n" +
				"flow_auth_requirement --Requirement not fulfilled--> done[[\"End of the flow\"]]\n" +
				"flow_auth_requirement --Requirement fulfilled--> flow_start[\"placeholder\"]\n" +
				"flow_pre[[\"Pre-flow policies\"]]\n" +
				"flow_pre --Binding 10--> flow_policy_0{{\"Policy (Expression Policy)\np1\"}}\n" +
				"flow_pre --Binding 20--> flow_policy_1{{\"Policy (Expression Policy)\np2\"}}\n" +
				"flow_policy_0 --Policy denied--> done[[\"End of the flow\"]]\n" +
				"flow_policy_1 --Policy denied--> done[[\"End of the flow\"]]\n" +
				"flow_policy_0 --> flow_start[[\"Flow\nGuarded\"]]\n" +
				"flow_policy_1 --> flow_start[[\"Flow\nGuarded\"]]\n" +
				"--> stage_0([\"Stage (Dummy Stage)\ns\"])\n" +
				"stage_0 --> done[[\"End of the flow\"]]",
		},
		{
			name: "quotes are escaped for mermaid",
			flow: FlowGraph{Name: `say "hi"`, Authentication: "none"},
			want: "graph TD\nflow_start[[\"Flow\nsay #quot;hi#quot;\"]]\nflow_start --> done[[\"End of the flow\"]]",
		},
		{
			name: "two policies on a stage both skip it when denied",
			flow: FlowGraph{Name: "F", Authentication: "none", Stages: []Stage{
				stage("Dummy Stage", "a", expr("x", 0), expr("y", 1)), stage("Dummy Stage", "b")}},
			want: "graph TD\nflow_start[[\"Flow\nF\"]]\n" +
				"stage_0_policy_0 --Policy passed--> stage_0([\"Stage (Dummy Stage)\na\"])\n" +
				"stage_0_policy_1 --Policy passed--> stage_0([\"Stage (Dummy Stage)\na\"])\n" +
				"--> stage_1([\"Stage (Dummy Stage)\nb\"])\n" +
				"flow_start --> stage_0_policy_0{{\"Policy (Expression Policy)\nx\"}}\n" +
				"flow_start --> stage_0_policy_1{{\"Policy (Expression Policy)\ny\"}}\n" +
				"stage_0_policy_0 --Policy denied--> stage_1([\"Stage (Dummy Stage)\nb\"])\n" +
				"stage_0_policy_1 --Policy denied--> stage_1([\"Stage (Dummy Stage)\nb\"])\n" +
				"stage_1 --> done[[\"End of the flow\"]]",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Diagram(tc.flow); got != tc.want {
				t.Errorf("diagram mismatch\n got: %q\nwant: %q", got, tc.want)
			}
		})
	}
}
