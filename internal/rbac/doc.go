// Package rbac owns who may do what: Django-style permissions per model
// ("authentik_flows.change_flow" and authentik's extra ones), granted to
// roles (through the role's Django group) or directly to users, globally or
// on one object (django-guardian's object permissions), plus superusers,
// who may do everything. The API asks it before every operation; it keeps
// the rules in one place so lists, detail views and custom actions agree.
package rbac
