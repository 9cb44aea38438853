package cmdutil

// ExitCode is akctl's process exit status. docs/cli.md documents the
// values; scripts depend on them, so they never change meaning.
type ExitCode int

const (
	// ExitOK: the command did what was asked.
	ExitOK ExitCode = 0
	// ExitError: any failure without a more specific code.
	ExitError ExitCode = 1
	// ExitUsage: the command line is wrong (unknown command, flag,
	// resource, parameter, bad value); nothing was sent to the server.
	ExitUsage ExitCode = 2
	// ExitNotFound: an object, resource or context does not exist (404).
	ExitNotFound ExitCode = 3
	// ExitPermission: the token is missing, invalid or lacks a
	// permission (401, 403).
	ExitPermission ExitCode = 4
	// ExitValidation: the server rejected the data (400, field errors).
	ExitValidation ExitCode = 5
	// ExitConnection: the server could not be reached (DNS, refused,
	// TLS, timeout).
	ExitConnection ExitCode = 6
	// ExitServer: the server failed (5xx) or answered unexpectedly.
	ExitServer ExitCode = 7
	// ExitCancelled: the user declined a confirmation.
	ExitCancelled ExitCode = 8
	// ExitInterrupted: interrupted by a signal (Ctrl-C), 128+SIGINT.
	ExitInterrupted ExitCode = 130
)

// ExitCodes lists the codes with their meaning, for the documentation.
var ExitCodes = []struct {
	Code    ExitCode
	Name    string
	Meaning string
}{
	{ExitOK, "ok", "the command succeeded"},
	{ExitError, "error", "a failure without a more specific code"},
	{ExitUsage, "usage", "wrong command line: unknown command, flag, resource or parameter, a value of the wrong type; nothing was sent"},
	{ExitNotFound, "not found", "the object, resource or context does not exist (HTTP 404)"},
	{ExitPermission, "permission denied", "the token is missing, invalid or lacks a permission (HTTP 401/403)"},
	{ExitValidation, "validation", "the server rejected the data (HTTP 400); the messages are printed field by field"},
	{ExitConnection, "connection", "the server could not be reached (refused, DNS, TLS, timeout)"},
	{ExitServer, "server", "the server failed (HTTP 5xx) or sent an unexpected answer"},
	{ExitCancelled, "cancelled", "a confirmation was declined"},
	{ExitInterrupted, "interrupted", "interrupted by Ctrl-C (SIGINT)"},
}
