// Package policies is authentik's policy engine: it decides whether a
// request passes the policy bindings of a target (a flow, a flow-stage
// binding, an application, a source, a notification rule: any
// PolicyBindingModel), and it runs property mappings.
//
// A target's enabled bindings run in order, each bound to a policy, a
// group (the user is a member, directly or through a parent) or a user.
// A binding's result is negated if asked, replaced by its failure_result
// when the policy raises (with a policy_exception event), and cached for
// five minutes per binding, session and user, as authentik does. The
// results combine by the target's policy_engine_mode: "all" must pass, or
// "any" one; a target without bindings passes.
//
// Unlike authentik, bindings run in the calling goroutine rather than in
// forked processes: an expression that changes the flow plan's context
// (the initial-setup flow does) changes it for the caller, and a binding's
// timeout cancels the policy instead of abandoning it.
//
// The policy kinds (dummy, expression, event matcher, password, password
// expiry, reputation) read their configuration rows from the store;
// expressions run in package expression, with the users and groups it
// needs read through this package's Directory over the store.
//
// Performance (go test -bench, 2-core VM, SQLite): one expression policy
// with a group check runs in 40-120 µs; a flow with ten bindings (six
// expression policies, two group, two user bindings) in 0.55-0.8 ms with
// results computed, 1.4-3.5 ms cold (bindings, policy rows and memberships
// read from the store), 10-40 µs from the result cache. Two in-process
// caches make the warm numbers possible: a target's bindings and policy
// rows, and each user's group memberships, both dropped on local writes
// and reread after ConfigTTL, which bounds how stale another replica's
// writes can be.
package policies
