package blueprintcmds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/pkg/client"
)

// ProblemLine formats one located problem the way compilers do, so
// editors can jump to it: "file:line: entry N (id) model field: message".
// Entries are numbered from 0, as entries[N] in plans.
func ProblemLine(e *blueprint.Error) string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	var where []string
	if e.Entry >= 0 {
		w := "entry " + strconv.Itoa(e.Entry)
		if e.ID != "" {
			w += " (" + e.ID + ")"
		}
		where = append(where, w)
	}
	if e.Model != "" {
		where = append(where, e.Model)
	}
	if e.Field != "" {
		where = append(where, e.Field)
	}
	if len(where) > 0 {
		b.WriteString(strings.Join(where, " ") + ": ")
	}
	msg := e.Msg
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	b.WriteString(msg)
	return b.String()
}

// infrastructure returns the error behind err that is about reaching the
// server rather than about the blueprint (no connection, a token without
// permission, an interruption), so it is reported with akctl's usual
// message, hint and exit code; nil when there is none.
func infrastructure(err error) error {
	var conn *cmdutil.ConnectionError
	var api *client.APIError
	switch {
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.As(err, &conn):
		return conn
	case errors.As(err, &api) && (api.StatusCode == 401 || api.StatusCode == 403):
		return api
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	}
	return nil
}

// problemsError is blueprint problems already printed on stderr; its
// message is the summary Report prints after them.
type problemsError struct {
	n    int
	what string
	// exact, when set, is the whole message.
	exact bool
}

func (e *problemsError) Error() string {
	if e.exact {
		return e.what
	}
	switch e.n {
	case 0:
		return e.what
	case 1:
		return e.what + ": 1 problem (above)"
	}
	return fmt.Sprintf("%s: %d problems (above)", e.what, e.n)
}

// problems prints the located blueprint problems of err on w, one per
// line, and returns a summary error naming what failed; infrastructure
// errors and errors that are not about a blueprint come back unchanged.
func problems(w io.Writer, err error, what string) error {
	pe, err := printProblems(w, err)
	if pe == nil {
		return err
	}
	pe.what = what
	return pe
}

// printProblems prints err's located problems and returns them as a
// problemsError without a message; other errors come back as the second
// result.
func printProblems(w io.Writer, err error) (*problemsError, error) {
	if err == nil {
		return nil, nil
	}
	if infra := infrastructure(err); infra != nil {
		return nil, infra
	}
	var es blueprint.Errors
	var e *blueprint.Error
	if !errors.As(err, &es) && !errors.As(err, &e) {
		return nil, err
	}
	list := blueprint.AsErrors(err)
	for _, p := range list {
		fmt.Fprintln(w, ProblemLine(p))
	}
	return &problemsError{n: len(list)}, nil
}

// diffExit maps a plan or diff error to kubectl diff's exit code 2,
// keeping an interruption 130.
func diffExit(err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	return &cmdutil.ExitCodeError{Code: 2, Err: err}
}
