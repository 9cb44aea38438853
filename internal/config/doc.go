// Package config owns the process configuration of the server: which
// settings exist, their flag and environment names, their defaults and how
// they are validated. Everything else receives a finished Config value and
// never reads flags or the environment itself, so the whole surface an
// operator can turn is listed in one place and tested in isolation.
//
// Environment names follow authentik's AUTHENTIK_ prefix and double
// underscore nesting (AUTHENTIK_LISTEN__HTTP, AUTHENTIK_STORAGE__MEDIA__FILE__PATH)
// so that deployments written for authentik keep working. The environment is
// passed in as a lookup function rather than read from os.Environ so tests
// are hermetic and can run in parallel.
//
// Precedence is flag, then environment, then default. Validation happens
// here, at startup, so a typo in a database URL or log level fails loudly
// before anything listens or migrates.
package config
