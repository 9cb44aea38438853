// Package blueprints embeds the blueprints akserver ships: its own
// recreation of authentik 2023.10's default and system blueprints, and
// documented examples.
//
//   - default/ holds the default flows with their stages, prompts, policies
//     and bindings, the default tenant, and the default notification
//     transports and rules.
//   - system/ holds the bootstrap blueprint (admin group, akadmin, API token
//     from the environment) and the managed property mappings of OAuth2,
//     proxy, SAML and SCIM providers and LDAP sources.
//   - example/ holds blueprints labelled instantiate "false": listed as
//     available, never applied unless an instance is created for them.
//
// akserver applies default/ and system/ at first start, before it reports
// ready, and through discovery afterwards, so a fresh server has the same
// objects (slugs, names, managed ids) as a fresh authentik. The file paths
// are authentik's, because blueprint instances and metaapplyblueprint
// entries refer to blueprints by path.
//
// The package has no logic of its own; its tests check every file against
// the registry and the API schema (models, writable fields, values,
// !KeyOf/!Find references, metaapplyblueprint paths), compile and run
// the expressions, and compare the result with the reference list of
// authentik's default objects.
package blueprints
