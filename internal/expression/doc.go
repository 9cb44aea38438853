// Package expression evaluates authentik's Python expressions (expression
// policies, property mappings, prompt placeholders) with go.starlark.net.
//
// authentik wraps an expression's source in "def handler(<context>):",
// exec()s it and calls the handler. This package does the same with a
// Starlark function after a source pre-pass that rewrites the Python the
// shipped blueprints use and Starlark lacks: imports of authentik
// constants and CONFIG, single-statement try/except, yield (collected into
// a returned list), f-strings, "is"/"is not", implicit string
// concatenation, raise/assert, and statement-level list.reverse()/sort().
//
// The globals authentik offers (ak_is_group_member, ak_user_by,
// regex_match, ak_message, ak_logger, ip_address, CONFIG, ...) are
// builtins; the objects an expression receives (User, Group,
// PolicyRequest, HttpRequest, FlowPlan) are host values over plain Go
// structs. Data that lives in the database is read through the Directory
// interface the caller implements, so this package knows nothing of HTTP
// or SQL. Dicts handed in as Go maps are written back after the run, so an
// expression can change request.context or a flow plan's context as in
// authentik.
//
// Each run is bounded by a timeout (Starlark thread cancellation) and a
// step budget, and compiled programs are cached by source.
//
// What remains different from Python, because Starlark is not Python:
// strings are not iterable (use .elems()), type(x) returns a name, there
// are no chained comparisons (a < b < c), set literals, classes, with,
// del or global; "is" compares by equality; a try block holds a single
// statement and one except clause (which catches every error); a
// generator is a list built while the expression runs; imports are
// limited to CONFIG, authentik's constants, re, json and ipaddress, and
// anything else is rejected when the expression is saved; requests (HTTP
// from expressions) is not available. Expressions outside this subset fail
// as authentik's own failing expressions do: the binding's failure_result
// and a policy_exception event.
package expression
