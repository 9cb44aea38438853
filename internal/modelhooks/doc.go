// Package modelhooks owns the model-specific behaviour that the generic
// engine cannot derive from the schema and overlay: values authentik's
// models generate on save (token keys, OAuth2 client credentials, expiry
// dates, user uuids) and read-only fields computed from other data
// (certificate fingerprints, a group's num_pk, a flow's stages, the
// application a provider is assigned to, ...). Register installs them all.
// Fields that need a query have a batch form (computeBatch), so a list page
// runs one query per field rather than one per row.
package modelhooks
