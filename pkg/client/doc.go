// Package client is a typed Go client for authentik's API (version
// SchemaVersion, 2023.10.x), for akgo and for authentik itself: it uses only
// the documented API.
//
// It owns two halves. The generated half (types.gen.go, operations.gen.go,
// written by ./gen from authentik's OpenAPI schema) has a Go type per
// schema component and a method per operation. The hand-written half is
// the transport they share: base URL, token, user agent, timeouts,
// cancellation, retries, errors and pagination. It imports nothing from
// akgo's internal packages, so any program can use it.
//
//	c, err := client.New("https://authentik.example.com", token)
//	flows, err := c.Flows.InstancesList(ctx, &client.FlowsInstancesListParams{
//		Designation: client.Ptr("authentication"),
//	})
//	user, err := c.Core.UsersPartialUpdate(ctx, 7, client.PatchedUserRequest{
//		Name: client.Ptr("Jane"),
//	})
//
// # Names
//
// The names follow the schema predictably:
//
//   - An operation's first tag is its service, a field of Client; the rest
//     of its operationId is its method: flows_instances_list is
//     c.Flows.InstancesList, core_users_partial_update is
//     c.Core.UsersPartialUpdate.
//   - snake_case becomes CamelCase with Go's initialisms (ID, UUID, URL,
//     PK, LDAP, SAML, OAuth2, ...): user_uuid is UserUUID, the oauth2 tag
//     is the OAuth2 service, propertymappings is Propertymappings.
//   - A component schema keeps its name (Flow, PatchedUserRequest);
//     modelRequest is ModelRequest. An object declared inside a property
//     is named after its parent and the property
//     (AuthenticatedSessionUserAgent).
//   - An enum is a string type with one constant per value, named type +
//     value: FlowDesignationEnumAuthentication.
//   - Query parameters are a struct named after the operation plus
//     Params (FlowsInstancesListParams), passed as a pointer (nil for
//     none). Path parameters are arguments in path order (int for
//     integers, string otherwise), then the body, then the parameters.
//
// Operations and LookupOperation list the operations with these names, for
// tools that work on them generically; Client.Do calls any path.
//
// # Fields
//
// JSON names are exactly the schema's property names. How a field is
// represented depends on whether the schema requires it and allows null,
// so that a request sends exactly the fields that were set (a PATCH
// changes only those):
//
//	required, not nullable   T               always sent
//	required, nullable       *T              nil is sent as null
//	optional, not nullable   *T              nil is not sent (omitempty)
//	                         []T, map[K]V    nil is not sent, empty is (omitzero)
//	optional, nullable       Nullable[T]     unset, null or a value (omitzero)
//
// Untyped values (the schema's {}) are any, left out when nil; to send
// null there, use json.RawMessage("null"). Slices and maps are never
// wrapped in a pointer: nil already means absent. Dates are time.Time.
// Ptr, NewNullable and Null build values.
//
// Two rules follow authentik's responses where they differ from its
// schema: a read-only nested object (group_obj, user_obj, provider_obj,
// ...) is a *T even when required, because authentik sends null for an
// unset relation; and Device.pk is a json.Number, because a mobile
// device's UUID key is sent as a 128-bit integer (the generator's quirks
// table lists such cases).
//
// A polymorphic schema (oneOf with a discriminator, such as ChallengeTypes)
// is a wrapper around its raw JSON with Discriminator, Value (decode the
// variant the discriminator names), As<Variant> and Set methods. Schemas
// that allow properties they do not name (PromptChallengeResponseRequest,
// whose fields are the prompt stage's) keep them in AdditionalProperties.
//
// Operations that upload files (multipart/form-data) take a struct whose
// file fields are io.Readers, streamed rather than buffered; the file
// name is the reader's Name() (an *os.File, or NamedReader). Responses
// that are not JSON (a flow export, the schema) are returned as []byte.
//
// # Errors, retries, pagination
//
// A response with a non-2xx status is an *APIError holding the status,
// authentik's "detail", and a ValidationError's field messages (Fields)
// and non_field_errors (NonField); IsNotFound, IsValidation and
// IsForbidden test for the common cases. Other errors (network, context)
// are returned wrapped, so errors.Is(err, context.Canceled) works.
//
// Idempotent calls (GET, HEAD, PUT, DELETE, OPTIONS) that get 429, 502,
// 503 or 504 are retried with exponential backoff and jitter, honouring
// Retry-After (see RetryPolicy). POST and PATCH are never retried: they
// may have taken effect.
//
// All and Pages walk a paginated list one page at a time with Go's
// range-over-func iterators.
//
// # Generation
//
// go generate ./... regenerates the *.gen.go files from
// internal/apispec/authentik.yml; CI fails when they differ from the
// committed ones. Edit ./gen, never the output.
package client

//go:generate go run ./gen -schema ../../internal/apispec/authentik.yml
