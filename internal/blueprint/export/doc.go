// Package export writes live objects as a portable blueprint: objects in
// the same export reference each other with !KeyOf, objects outside it
// with !Find by natural key (managed id, slug, name, username, ...), and
// never by raw primary key, so an export applies to another installation
// (authentik's own exporter writes raw pks, issue #6064). Secrets are left
// out unless asked for, and fields still at their model default are left
// out unless a full export is asked for.
//
// It reads through blueprint.Target's List only, so akserver (the store
// target, for /flows/instances/{slug}/export/) and akctl (over HTTP) share
// it.
package export
