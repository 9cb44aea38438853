// Package flowsapi owns the flow actions that read a flow as a whole: the
// Mermaid diagram of its stages and policies (flows_instances_diagram),
// and the link that executes it for the caller (flows_instances_execute).
// The diagram text is a compatibility surface: the admin UI renders it
// with mermaid.js, so its lines, node ids and labels follow authentik's.
package flowsapi
