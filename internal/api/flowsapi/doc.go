// Package flowsapi owns the flow actions that read or write a flow as a
// whole: the Mermaid diagram of its stages and policies
// (flows_instances_diagram), the link that executes it for the caller
// (flows_instances_execute), and its export and import as a blueprint
// (flows_instances_export, flows_instances_import; the exporter and the
// blueprint engine do the work, this package puts them on the wire).
// The diagram text is a compatibility surface: the admin UI renders it
// with mermaid.js, so its lines, node ids and labels follow authentik's.
package flowsapi
