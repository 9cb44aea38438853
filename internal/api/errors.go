package api

import (
	"errors"
	"log/slog"
	"net/http"
	"sync"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/engine/jsonenc"
)

// HTTPError is an error with a status and a {"detail": ...} body.
type HTTPError struct {
	Status int
	Detail string
}

func (e *HTTPError) Error() string { return e.Detail }

// Errorf builds an HTTPError.
func Errorf(status int, detail string) error { return &HTTPError{Status: status, Detail: detail} }

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		// The same bytes as json.NewEncoder(w).Encode(v), without
		// reflection (see jsonenc); nothing is written when it fails.
		buf := jsonBufs.Get().(*[]byte)
		if b, err := jsonenc.Append((*buf)[:0], v); err == nil {
			b = append(b, '\n')
			_, _ = w.Write(b)
			*buf = b
		}
		if cap(*buf) <= 1<<20 {
			jsonBufs.Put(buf)
		}
	}
}

// jsonBufs recycles response buffers; a list page is tens of kilobytes.
var jsonBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// WriteJSON is writeJSON for custom action packages.
func WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

// WriteError turns any error into authentik's error shapes. It is the only
// place errors become HTTP responses.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if v, ok := engine.AsValidation(err); ok {
		body := map[string]any{}
		for k, msgs := range v.Fields {
			body[k] = msgs
		}
		if len(v.NonField) > 0 {
			body["non_field_errors"] = v.NonField
		}
		writeJSON(w, http.StatusBadRequest, body)
		return
	}
	var nf *engine.NotFoundError
	if errors.As(err, &nf) {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": nf.Detail})
		return
	}
	var he *HTTPError
	if errors.As(err, &he) {
		writeJSON(w, he.Status, map[string]string{"detail": he.Detail})
		return
	}
	if r.Context().Err() != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"detail": "request cancelled"})
		return
	}
	if log != nil {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, http.StatusInternalServerError, map[string]string{"detail": "internal server error"})
}
