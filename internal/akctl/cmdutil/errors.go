package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/akgo/akgo/internal/akctl/config"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/internal/akctl/resource"
	"github.com/akgo/akgo/pkg/client"
)

// UsageError is a wrong command line.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// MarkUsage wraps err as a UsageError (nil stays nil).
func MarkUsage(err error) error {
	if err == nil {
		return nil
	}
	var u *UsageError
	if errors.As(err, &u) {
		return err
	}
	return &UsageError{Err: err}
}

// ErrCancelled is returned when the user declines a confirmation.
var ErrCancelled = errors.New("cancelled")

// ConnectionError is a request that never reached the server. The
// Factory's transport wraps every transport failure in one, with the
// connection it was trying.
type ConnectionError struct {
	Conn *config.Connection
	Err  error
}

func (e *ConnectionError) Error() string {
	return fmt.Sprintf("cannot connect to %s: %v", e.Conn.Describe(), e.Err)
}
func (e *ConnectionError) Unwrap() error { return e.Err }

// ExitCodeError makes a command exit with a code it chose itself instead
// of the one Report would derive: akctl plan and diff follow kubectl
// diff (1 means "there are changes", 2 any error). Err is reported as
// usual (message and hints); a nil Err exits without a message.
type ExitCodeError struct {
	Code ExitCode
	Err  error
}

func (e *ExitCodeError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}
func (e *ExitCodeError) Unwrap() error { return e.Err }

// NotConfiguredError is a command that needs a server when none is set.
type NotConfiguredError struct{ ConfigPath string }

func (e *NotConfiguredError) Error() string {
	return "no server configured: pass --url and --token, set AUTHENTIK_URL and AUTHENTIK_TOKEN, or create a context with `akctl config set-context NAME --url URL --token TOKEN` (configuration file: " + e.ConfigPath + ")"
}

// Report turns an error into its exit code and the message printed on
// stderr. It is the only place that decides either.
func Report(err error, conn *config.Connection) (ExitCode, string) {
	if err == nil {
		return ExitOK, ""
	}
	var (
		usage   *UsageError
		nf      *resource.NotFoundError
		amb     *resource.AmbiguousError
		keyFmt  *resource.KeyFormatError
		unknown *resource.UnknownResourceError
		unsup   *resource.UnsupportedError
		ctxErr  *config.UnknownContextError
		connErr *ConnectionError
		apiErr  *client.APIError
		notConf *NotConfiguredError
		jqErr   *output.JQError
	)
	var codeErr *ExitCodeError
	if errors.As(err, &codeErr) {
		if codeErr.Err == nil {
			return codeErr.Code, ""
		}
		_, msg := Report(codeErr.Err, conn)
		return codeErr.Code, msg
	}
	switch {
	case errors.Is(err, ErrCancelled):
		return ExitCancelled, err.Error()
	case errors.Is(err, context.Canceled):
		return ExitInterrupted, "interrupted"
	case errors.As(err, &usage), errors.As(err, &unknown), errors.As(err, &unsup), errors.As(err, &amb), errors.As(err, &keyFmt), errors.As(err, &notConf), errors.As(err, &jqErr):
		return ExitUsage, err.Error()
	case errors.As(err, &nf):
		return ExitNotFound, err.Error() + fmt.Sprintf("\nhint: `akctl get %s` lists them; objects are named by id or natural key (`akctl api-resources -o wide`)", nf.Resource)
	case errors.As(err, &ctxErr):
		return ExitNotFound, err.Error()
	case errors.As(err, &connErr):
		return ExitConnection, connectionMessage(err, connErr)
	case errors.As(err, &apiErr):
		return apiReport(err, apiErr, conn)
	case errors.Is(err, context.DeadlineExceeded):
		return ExitConnection, err.Error() + "\nhint: the server did not answer in time; is it overloaded or unreachable? check `akctl config view`"
	}
	return ExitError, err.Error()
}

func connectionMessage(err error, c *ConnectionError) string {
	msg := fmt.Sprintf("cannot connect to %s: %v", c.Conn.Describe(), rootCause(c.Err))
	if what := connectionWhat(err, c); what != "" {
		msg = what + ": " + msg
	}
	return msg + "\nhint: is akserver running at that address? check `akctl config view`"
}

// requestPrefix is what pkg/client puts before a transport error
// ("GET /core/users/: "); net/http adds `Get "URL": `.
var requestPrefix = regexp.MustCompile(`(^|: )(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /\S*: ([A-Z][a-z]+ "[^"]*": )?$`)

// connectionWhat is what the command was doing ("list users"), without
// the request and URL the connection message repeats.
func connectionWhat(err error, c *ConnectionError) string {
	prefix, found := strings.CutSuffix(err.Error(), c.Error())
	if !found {
		return ""
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		prefix = strings.TrimSuffix(prefix, fmt.Sprintf("%s %q: ", ue.Op, ue.URL))
	}
	prefix = requestPrefix.ReplaceAllString(prefix, "")
	return strings.TrimSuffix(prefix, ": ")
}

// rootCause drops url.Error's "Get \"...\":" prefix, which repeats the URL.
func rootCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// apiReport formats an API error: what failed (the wrapping the command
// added), the status, and the server's messages field by field.
func apiReport(err error, e *client.APIError, conn *config.Connection) (ExitCode, string) {
	what := strings.TrimSuffix(strings.TrimSuffix(err.Error(), e.Error()), ": ")
	if what == "" || what == err.Error() {
		what = e.Method + " " + e.Path
	}
	var b strings.Builder
	code := ExitError
	switch {
	case e.StatusCode == 400:
		code = ExitValidation
		fmt.Fprintf(&b, "%s: the server rejected the request (400):", what)
	case e.StatusCode == 401 || e.StatusCode == 403:
		code = ExitPermission
		fmt.Fprintf(&b, "%s: permission denied (%d)", what, e.StatusCode)
	case e.StatusCode == 404:
		code = ExitNotFound
		fmt.Fprintf(&b, "%s: not found (404)", what)
	case e.StatusCode >= 500:
		code = ExitServer
		fmt.Fprintf(&b, "%s: server error (%d)", what, e.StatusCode)
	default:
		fmt.Fprintf(&b, "%s: %d", what, e.StatusCode)
	}
	lines := []string{}
	if e.Detail != "" {
		lines = append(lines, e.Detail)
	}
	lines = append(lines, e.NonField...)
	fields := make([]string, 0, len(e.Fields))
	for f := range e.Fields {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		lines = append(lines, f+": "+strings.Join(e.Fields[f], " "))
	}
	if len(lines) == 0 && len(e.Body) > 0 && code != ExitValidation {
		body := strings.TrimSpace(string(e.Body))
		if len(body) > 300 {
			body = body[:300] + "..."
		}
		lines = append(lines, body)
	}
	switch {
	case code == ExitValidation:
		for _, l := range lines {
			b.WriteString("\n  " + l)
		}
	case len(lines) > 0:
		b.WriteString(": " + strings.Join(lines, "; "))
	}
	if code == ExitPermission {
		where := "the token"
		if conn != nil {
			switch conn.TokenSource {
			case config.SourceFlag:
				where = "the token given with --token"
			case config.SourceEnv:
				where = "the token in " + config.EnvToken
			case config.SourceContext:
				where = fmt.Sprintf("the token of context %q", conn.Context)
			default:
				where = "no token was given, and the request"
			}
		}
		b.WriteString("\nhint: " + where + " may be invalid, expired or lack the permission; check `akctl config view`")
	}
	return code, b.String()
}

// PrintError writes a reported message to stderr: "error: " in red on a
// terminal, then the message.
func PrintError(ios *iostreams.IOStreams, msg string) {
	cs := ios.ErrColorScheme()
	fmt.Fprintf(ios.ErrOut, "%s %s\n", cs.Red("error:"), msg)
}
