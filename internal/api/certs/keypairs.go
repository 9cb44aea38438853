package certs

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/events"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

const keypairsPath = "/crypto/certificatekeypairs/"

// jwtManagedKey marks the pair authentik signs its internal JWTs with; the
// pair API never shows it.
const jwtManagedKey = "goauthentik.io/crypto/jwt-managed"

// eventApp is the module authentik records secret_view events from.
const eventApp = "authentik.crypto.api"

type keypairs struct{ s *api.Server }

func (k *keypairs) model() *registry.Model {
	m, ok := k.s.Engine.Registry.Model(keypairModel)
	if !ok {
		panic("registry: no model " + keypairModel)
	}
	return m
}

// generate serves POST /crypto/certificatekeypairs/generate/: build a
// self-signed pair named after its common name and store it like any
// created pair (validation, audit event), answering 200 as authentik does.
func (k *keypairs) generate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	body, err := api.DecodeBody(r)
	if err != nil {
		return err
	}
	req, err := k.generationRequest(body)
	if err != nil {
		return err
	}
	m := k.model()
	// Refuse a taken name before spending a second on an RSA key.
	var taken int64
	err = k.s.Engine.Store.View(ctx, func(tx store.Tx) error {
		taken, err = tx.Count(ctx, store.Query{Table: m.Table, Where: store.Eq(column(m, "name"), req.CommonName)})
		return err
	})
	if err != nil {
		return fmt.Errorf("look up certificate-key pair %q: %w", req.CommonName, err)
	}
	if taken > 0 {
		return engine.Invalid("common_name", nameTaken(m))
	}
	pair, err := Build(req, k.s.Engine.Now())
	if err != nil {
		return fmt.Errorf("generate certificate %q: %w", req.CommonName, err)
	}
	ep, ok := k.s.Engine.Registry.Endpoint(keypairsPath)
	if !ok {
		return fmt.Errorf("registry: no endpoint %s", keypairsPath)
	}
	obj, err := k.s.Engine.Create(ctx, ep, engine.Object{
		"name": req.CommonName, "certificate_data": pair.Certificate, "key_data": pair.PrivateKey,
	})
	if err != nil {
		// A pair of the same name created meanwhile: report it on the
		// field the client sent.
		if v, ok := engine.AsValidation(err); ok && len(v.Fields["name"]) > 0 {
			return engine.Invalid("common_name", nameTaken(m))
		}
		return err
	}
	api.WriteJSON(w, http.StatusOK, obj)
	return nil
}

// nameTaken is the unique-name message in the engine's wording.
func nameTaken(m *registry.Model) string {
	vn := m.VerboseName
	if vn != "" {
		vn = strings.ToLower(vn[:1]) + vn[1:]
	}
	return vn + " with this name already exists."
}

// generationRequest validates a CertificateGenerationRequest body. alg is
// not part of authentik 2023.10's schema (it came later); it is honoured
// when sent, and RSA is the default as in authentik.
func (k *keypairs) generationRequest(body engine.Object) (Request, error) {
	if verr := k.s.Engine.Validate("CertificateGenerationRequest", body); !verr.Empty() {
		return Request{}, verr
	}
	verr := &engine.ValidationError{}
	// DRF's CharField trims surrounding whitespace.
	req := Request{CommonName: strings.TrimSpace(body["common_name"].(string)), Alg: AlgRSA}
	if req.CommonName == "" {
		verr.Add("common_name", "This field may not be blank.")
	}
	if san, ok := body["subject_alt_name"].(string); ok && strings.TrimSpace(san) != "" {
		for _, n := range strings.Split(strings.TrimSpace(san), ",") {
			if !validDNSName(strings.TrimSpace(n)) {
				verr.Add("subject_alt_name", fmt.Sprintf("%q is not a valid DNS name.", strings.TrimSpace(n)))
				continue
			}
			req.SANs = append(req.SANs, n)
		}
	}
	days := body["validity_days"].(float64)
	maxDays := math.Floor(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).Sub(k.s.Engine.Now()).Hours() / 24)
	switch {
	case days < 0:
		// The certificate would end before it starts.
		verr.Add("validity_days", "Ensure this value is greater than or equal to 0.")
	case days > maxDays:
		verr.Add("validity_days", fmt.Sprintf("Ensure this value is less than or equal to %d.", int64(maxDays)))
	default:
		req.ValidityDays = int(days)
	}
	if raw, given := body["alg"]; given {
		s, _ := raw.(string)
		switch Alg(strings.ToLower(s)) {
		case AlgRSA:
			req.Alg = AlgRSA
		case AlgECDSA:
			req.Alg = AlgECDSA
		default:
			verr.Add("alg", fmt.Sprintf("%q is not a valid choice.", fmt.Sprint(raw)))
		}
	}
	if !verr.Empty() {
		return Request{}, verr
	}
	return req, nil
}

// viewCertificate serves GET .../view_certificate/.
func (k *keypairs) viewCertificate(w http.ResponseWriter, r *http.Request) error {
	return k.view(w, r, "certificate_data", "certificate")
}

// viewPrivateKey serves GET .../view_private_key/.
func (k *keypairs) viewPrivateKey(w http.ResponseWriter, r *http.Request) error {
	return k.view(w, r, "key_data", "private_key")
}

// view answers one PEM half of a pair as {"data": ...}, or as a file with
// ?download, and records the access as a secret_view event either way.
func (k *keypairs) view(w http.ResponseWriter, r *http.Request, field, kind string) error {
	ctx := r.Context()
	m := k.model()
	row, err := k.load(ctx, m, chi.URLParam(r, "kp_uuid"))
	if err != nil {
		return err
	}
	secret := map[string]any{
		"app": m.App(), "model_name": m.ModelName(),
		"pk":   strings.ReplaceAll(fmt.Sprint(row[m.PKColumn]), "-", ""),
		"name": k.s.Engine.DisplayName(m, row),
	}
	if err := k.s.Events.Record(ctx, events.SecretView, eventApp, map[string]any{"secret": secret, "type": kind}); err != nil {
		return fmt.Errorf("record secret_view: %w", err)
	}
	data, _ := row[column(m, field)].(string)
	if r.URL.Query().Has("download") {
		name, _ := row[column(m, "name")].(string)
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s_%s.pem"`, name, kind))
		w.WriteHeader(http.StatusOK)
		_, err := w.Write([]byte(data))
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"data": data})
	return nil
}

// load reads a pair by its pk as the pair API sees it (not the JWT pair).
func (k *keypairs) load(ctx context.Context, m *registry.Model, lookup string) (store.Row, error) {
	id, err := uuid.Parse(lookup)
	if err != nil {
		return nil, &engine.NotFoundError{Detail: "Not found."}
	}
	var rows []store.Row
	err = k.s.Engine.Store.View(ctx, func(tx store.Tx) error {
		rows, err = tx.Select(ctx, store.Query{Table: m.Table, Where: store.Eq(m.PKColumn, id.String()), Limit: 1})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load certificate-key pair %s: %w", lookup, err)
	}
	if len(rows) == 0 {
		return nil, &engine.NotFoundError{Detail: "Not found."}
	}
	if managed, _ := rows[0][column(m, "managed")].(string); managed == jwtManagedKey {
		return nil, &engine.NotFoundError{Detail: "Not found."}
	}
	return rows[0], nil
}
