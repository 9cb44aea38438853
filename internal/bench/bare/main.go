// Command bare is the baseline of scripts/bench: a github.com/go-chi/chi/v5
// router with no database that answers the benchmarked request paths with
// response bytes captured from akserver, so that comparing its throughput
// with akserver's shows what the engine (auth, query, serialisation) costs
// on top of Go's HTTP stack and chi routing.
//
// Usage:
//
//	bare -listen 127.0.0.1:19200 -dir DIR -slug SLUG [-token TOKEN]
//
// DIR holds the captured bodies:
//
//	retrieve.json    GET /api/v3/flows/instances/SLUG/ (other slugs: 404)
//	flows-list.json  GET /api/v3/flows/instances/   (any query string)
//	users-list.json  GET /api/v3/core/users/        (any query string)
//
// Each is served with Content-Type: application/json, as akserver does.
// With -token, requests without "Authorization: Bearer TOKEN" get 403, a
// string comparison standing in for akserver's (cached) token check.
//
// For profiling, AKBENCH_PPROF=127.0.0.1:6060 additionally serves
// net/http/pprof on that address (bench builds only; akserver has no such
// switch).
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"

	"github.com/go-chi/chi/v5"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:19200", "address to serve on")
	dir := flag.String("dir", "", "folder with the captured response bodies")
	slug := flag.String("slug", "", "slug of the captured flow")
	token := flag.String("token", "", "expected bearer token (empty: no check)")
	flag.Parse()

	load := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(*dir, name))
		if err != nil {
			log.Fatalf("bare: %v", err)
		}
		return data
	}
	retrieve, flows, users := load("retrieve.json"), load("flows-list.json"), load("users-list.json")

	r := chi.NewRouter()
	r.Get("/-/health/ready/", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	r.Group(func(r chi.Router) {
		if *token != "" {
			want := "Bearer " + *token
			r.Use(func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
					if req.Header.Get("Authorization") != want {
						w.WriteHeader(http.StatusForbidden)
						return
					}
					next.ServeHTTP(w, req)
				})
			})
		}
		r.Get("/api/v3/flows/instances/{slug}/", func(w http.ResponseWriter, req *http.Request) {
			if chi.URLParam(req, "slug") != *slug {
				writeJSON(w, http.StatusNotFound, []byte(`{"detail":"Not found."}`))
				return
			}
			writeJSON(w, http.StatusOK, retrieve)
		})
		r.Get("/api/v3/flows/instances/", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, flows) })
		r.Get("/api/v3/core/users/", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, users) })
	})

	if addr := os.Getenv("AKBENCH_PPROF"); addr != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		go func() { log.Println(http.ListenAndServe(addr, mux)) }()
	}
	fmt.Fprintf(os.Stderr, "bare: serving on %s\n", *listen)
	log.Fatal(http.ListenAndServe(*listen, r))
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	// Like akserver, leave the framing to net/http: small bodies get a
	// Content-Length, large ones are sent chunked.
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
