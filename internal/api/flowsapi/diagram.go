package flowsapi

import (
	"fmt"
	"strings"
)

// Node is a stage or policy as the diagram labels it: its model's verbose
// name and its own name.
type Node struct {
	Kind string
	Name string
}

// Policy is a policy binding drawn in the diagram (bindings without a
// policy, i.e. group or user bindings, are not drawn).
type Policy struct {
	Node
	Order int
}

// Stage is one stage binding with the policies bound to it.
type Stage struct {
	Node
	Policies []Policy
}

// FlowGraph is everything the diagram shows of a flow, in binding order.
type FlowGraph struct {
	Name           string
	Authentication string
	Policies       []Policy
	Stages         []Stage
}

// Mermaid node shapes, as [open, close] around the quoted label.
var (
	shapeBox        = [2]string{"[", "]"}
	shapeSubroutine = [2]string{"[[", "]]"}
	shapeStadium    = [2]string{"([", "])"}
	shapeHexagon    = [2]string{"{{", "}}"}
)

// element is one node, optionally reached by an edge from each of its
// sources. edge nil means no edge; "" an unlabelled edge.
type element struct {
	id      string
	label   string
	edge    *string
	sources []*element
	shape   [2]string
}

func edge(label string) *string { return &label }

// String renders the element. Mermaid reads a line that starts with an
// edge ("--> x") as continuing from the node declared on the line before,
// which is how a stage without policies chains onto its predecessor.
func (e *element) String() string {
	node := e.id + e.shape[0] + `"` + strings.ReplaceAll(e.label, `"`, "#quot;") + `"` + e.shape[1]
	if e.edge != nil {
		if *e.edge == "" {
			node = "--> " + node
		} else {
			node = "--" + *e.edge + "--> " + node
		}
	}
	if len(e.sources) == 0 {
		return node
	}
	lines := make([]string, len(e.sources))
	for i, s := range e.sources {
		lines[i] = s.id + " " + node
	}
	return strings.Join(lines, "\n")
}

func done(edgeLabel string, sources ...*element) *element {
	return &element{id: "done", label: "End of the flow", edge: edge(edgeLabel), sources: sources, shape: shapeSubroutine}
}

func policyLabel(p Policy) string { return "Policy (" + p.Kind + ")\n" + p.Name }

// Diagram renders the flow as a Mermaid top-down graph: the authentication
// requirement, the flow's own policies, then each stage behind the
// policies of its binding, with "Policy denied" edges skipping a stage
// whose policies fail.
func Diagram(f FlowGraph) string {
	var out []fmt.Stringer
	if f.Authentication != "" && f.Authentication != "none" {
		auth := &element{id: "flow_auth_requirement", label: "Flow authentication requirement\n" + f.Authentication, shape: shapeBox}
		out = append(out, auth,
			done("Requirement not fulfilled", auth),
			&element{id: "flow_start", label: "placeholder", edge: edge("Requirement fulfilled"), sources: []*element{auth}, shape: shapeBox})
	}
	pre := &element{id: "flow_pre", label: "Pre-flow policies", shape: shapeSubroutine}
	var flowPolicies []*element
	for i, p := range f.Policies {
		flowPolicies = append(flowPolicies, &element{id: fmt.Sprintf("flow_policy_%d", i), label: policyLabel(p),
			edge: edge(fmt.Sprintf("Binding %d", p.Order)), sources: []*element{pre}, shape: shapeHexagon})
	}
	start := &element{id: "flow_start", label: "Flow\n" + f.Name, sources: flowPolicies, shape: shapeSubroutine}
	if len(flowPolicies) > 0 {
		out = append(out, pre)
		for _, p := range flowPolicies {
			out = append(out, p)
		}
		out = append(out, done("Policy denied", flowPolicies...))
		start.edge = edge("")
	}
	out = append(out, start)
	stages, rest := stageElements(f.Stages, start)
	for _, s := range stages {
		out = append(out, s)
	}
	for _, r := range rest {
		out = append(out, r)
	}
	if len(stages) == 0 {
		out = append(out, done("", start))
	}
	lines := make([]string, 0, len(out)+1)
	lines = append(lines, "graph TD")
	for _, e := range out {
		lines = append(lines, e.String())
	}
	return strings.Join(lines, "\n")
}

// stageElements returns the stage nodes and, separately, the policy nodes,
// the deny edges and the end node that follow them in the output.
func stageElements(bindings []Stage, start *element) (stages, rest []*element) {
	parents := []*element{start}
	for i, b := range bindings {
		var policies []*element
		for j, p := range b.Policies {
			policies = append(policies, &element{id: fmt.Sprintf("stage_%d_policy_%d", i, j), label: policyLabel(p),
				edge: edge(""), sources: parents, shape: shapeHexagon})
		}
		rest = append(rest, policies...)
		passed := ""
		if len(policies) > 0 {
			passed = "Policy passed"
		}
		st := &element{id: fmt.Sprintf("stage_%d", i), label: "Stage (" + b.Kind + ")\n" + b.Name, edge: edge(passed), sources: policies, shape: shapeStadium}
		stages = append(stages, st)
		parents = []*element{st}
		// A denied policy skips its stage: the previous stage's policies
		// also lead to this one. Only known once this stage exists.
		if i > 0 {
			for _, src := range stages[i-1].sources {
				rest = append(rest, &element{id: st.id, label: st.label, edge: edge("Policy denied"), sources: []*element{src}, shape: st.shape})
			}
		}
	}
	if len(stages) > 0 {
		rest = append(rest, done("", stages[len(stages)-1]))
	}
	return stages, rest
}
