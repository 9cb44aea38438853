// Package cmdutil owns what every akctl command shares: the Factory
// (streams, configuration, API client, resource catalog, built lazily so
// that parsing tests and `akctl config` never need a server), the named
// exit codes, the error types commands return, and Report, the one place
// where an error becomes an exit code and a message.
//
// Commands return errors; they never print "error:" or choose an exit
// status themselves. Errors from pkg/client (*client.APIError), from the
// resource layer (not found, ambiguous) and from the connection (wrapped
// by the Factory's transport with the URL and context) are recognised
// here with errors.As, through any wrapping the commands add.
package cmdutil
