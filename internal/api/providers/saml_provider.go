package providers

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/modelhooks"
	"github.com/akgo/akgo/internal/store"
)

// maxMetadataSize bounds an uploaded SP metadata document.
const maxMetadataSize = 10 << 20

// samlProviderMetadata serves GET /providers/saml/{id}/metadata/: the IdP
// metadata of one provider, signed with its signing keypair when that has
// a private key. Anyone may read it (SPs fetch it unauthenticated). A
// provider without an application has no endpoints, so the metadata is
// empty, as in authentik; ?download returns the XML as an attachment.
func (h *handlers) samlProviderMetadata(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	force := q.Get("force_binding")
	if force != "" && force != bindingPost && force != bindingRedirect {
		return engine.Invalid("force_binding", fmt.Sprintf("%q is not a valid choice.", force))
	}
	m := h.model("authentik_providers_saml.samlprovider")
	kps := h.model("authentik_crypto.certificatekeypair")
	apps := h.model("authentik_core.application")
	var provider, app, kp store.Row
	err := h.s.Engine.Store.View(ctx, func(tx store.Tx) error {
		var err error
		if provider, err = findRow(ctx, tx, m, "pk", chi.URLParam(r, "id")); err != nil {
			return err
		}
		if app, err = h.applicationOf(ctx, tx, provider[m.PKColumn]); err != nil {
			return err
		}
		kp, err = byPK(ctx, tx, kps, provider[col(m, "signing_kp")])
		return err
	})
	if err != nil {
		return err
	}
	base := engine.BaseURLFrom(ctx)
	downloadURL := fmt.Sprintf("%s/api/v3/providers/saml/%v/metadata/?download", base, provider[m.PKColumn])
	if app == nil {
		api.WriteJSON(w, http.StatusOK, map[string]any{"metadata": "", "download_url": downloadURL})
		return nil
	}
	name := str(provider[col(m, "name")])
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s-%v", name, provider[m.PKColumn])))
	prefix := base + "/application/saml/" + str(app[col(apps, "slug")]) + "/"
	md := idpMetadata{
		ID:       "_" + hex.EncodeToString(sum[:]),
		EntityID: str(provider[col(m, "issuer")]),
		SSO:      map[string]string{bindingRedirect: prefix + "sso/binding/redirect/", bindingPost: prefix + "sso/binding/post/"},
		SLO:      map[string]string{bindingRedirect: prefix + "slo/binding/redirect/", bindingPost: prefix + "slo/binding/post/"},

		ForceBinding:            force,
		WantAuthnRequestsSigned: provider[col(m, "verification_kp")] != nil,
		SignatureAlg:            str(provider[col(m, "signature_algorithm")]),
		DigestAlg:               str(provider[col(m, "digest_algorithm")]),
	}
	if kp != nil {
		md.Cert, md.Key = h.keypair(kp, "provider "+name)
	}
	xml, err := md.build()
	if errors.Is(err, errCannotSign) {
		// xmlsec would fail the request; serving the metadata unsigned keeps
		// SPs working and the log says why.
		h.s.Log.Warn("SAML metadata served unsigned", "provider", name, "err", err)
		md.Key = nil
		xml, err = md.build()
	}
	if err != nil {
		return err
	}
	if _, download := q["download"]; download {
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+"_authentik_meta.xml"))
		w.WriteHeader(http.StatusOK)
		_, err := io.WriteString(w, xml)
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"metadata": xml, "download_url": downloadURL})
	return nil
}

// keypair decodes a CertificateKeyPair row: its certificate (nil when it
// does not parse) and private key (nil when it has none or it does not
// parse, which is logged: the metadata then goes out unsigned).
func (h *handlers) keypair(kp store.Row, owner string) (*x509.Certificate, crypto.Signer) {
	kps := h.model("authentik_crypto.certificatekeypair")
	cert, ok := modelhooks.ParseCertificate(str(kp[col(kps, "certificate_data")]))
	if !ok {
		h.s.Log.Warn("keypair certificate does not parse", "owner", owner, "keypair", kp[kps.PKColumn])
		return nil, nil
	}
	data := str(kp[col(kps, "key_data")])
	if strings.TrimSpace(data) == "" {
		return cert, nil
	}
	key, err := parsePrivateKey(data)
	if err != nil {
		h.s.Log.Warn("keypair private key does not parse", "owner", owner, "keypair", kp[kps.PKColumn], "err", err)
		return cert, nil
	}
	return cert, key
}

// samlImportMetadata serves POST /providers/saml/import_metadata/: a
// multipart form (name, authorization_flow, file) whose SP metadata becomes
// a new SAML provider, with the SP's signing certificate as a new
// verification keypair when the SP signs its requests. Everything happens
// in one transaction, so a refused import leaves nothing behind.
func (h *handlers) samlImportMetadata(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := api.Require(ctx, "authentik_providers_saml.add_samlprovider", ""); err != nil {
		return err
	}
	if err := api.Require(ctx, "authentik_crypto.add_certificatekeypair", ""); err != nil {
		return err
	}
	form, err := readMultipart(w, r, maxMetadataSize)
	if err != nil {
		return err
	}
	verr := &engine.ValidationError{}
	name := strings.TrimSpace(formValue(form, "name"))
	if name == "" {
		verr.Add("name", requiredOrBlank(form, "name"))
	}
	flowPK := formValue(form, "authorization_flow")
	if flowPK == "" {
		verr.Add("authorization_flow", "This field is required.")
	}
	data, err := formFile(form, "file", maxMetadataSize)
	if err != nil {
		verr.Add("file", err.Error())
	}
	if !verr.Empty() {
		return verr
	}
	err = h.s.Engine.Store.Update(ctx, func(tx store.Tx) error {
		// The form is checked before the document, as authentik's
		// serializer runs before its parser.
		if err := h.checkAuthorizationFlow(ctx, tx, flowPK); err != nil {
			return err
		}
		sp, err := parseSPMetadata(data)
		if errors.Is(err, errInvalidXML) {
			return engine.Invalid("file", "Invalid XML Syntax")
		}
		if err != nil {
			return engine.Invalid("file", "Failed to import Metadata: "+err.Error())
		}
		return h.createImportedProvider(ctx, tx, name, flowPK, sp)
	})
	if err != nil {
		return err
	}
	h.s.Auth.Forget()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// checkAuthorizationFlow accepts only flows designated for authorization,
// the queryset authentik's import serializer offers.
func (h *handlers) checkAuthorizationFlow(ctx context.Context, tx store.Tx, pk string) error {
	flows := h.model("authentik_flows.flow")
	row, err := findRow(ctx, tx, flows, "pk", pk)
	var nf *engine.NotFoundError
	if errors.As(err, &nf) || err == nil && str(row[col(flows, "designation")]) != "authorization" {
		return engine.Invalid("authorization_flow", fmt.Sprintf("Invalid pk \"%s\" - object does not exist.", pk))
	}
	return err
}

// createImportedProvider creates the provider (and the verification
// keypair) through the engine, so the writes are validated and audited
// like API creates.
func (h *handlers) createImportedProvider(ctx context.Context, tx store.Tx, name, flowPK string, sp spDescriptor) error {
	kps := h.model("authentik_crypto.certificatekeypair")
	mappings := h.model("authentik_providers_saml.samlpropertymapping")
	body := engine.Object{
		"name": name, "authorization_flow": flowPK,
		"acs_url": sp.ACSLocation, "issuer": sp.EntityID, "sp_binding": sp.ACSBinding,
	}
	if sp.SigningCertPEM != "" && sp.AuthnRequestsSigned {
		kp, err := h.s.Engine.CreateTx(ctx, tx, h.endpoint("/crypto/certificatekeypairs/"), engine.Object{
			"name": "Provider " + name + " - SAML Signing Certificate", "certificate_data": sp.SigningCertPEM,
		})
		if err != nil {
			return fmt.Errorf("create verification keypair: %w", err)
		}
		body["verification_kp"] = kp["pk"]
	}
	if sp.WantAssertionsSigned {
		rows, err := tx.Select(ctx, store.Query{Table: kps.Table, Columns: []string{kps.PKColumn},
			Where:   store.NotCond{Cond: store.Eq(col(kps, "key_data"), "")},
			OrderBy: []store.Order{{Column: kps.PKColumn}}, Limit: 1})
		if err != nil {
			return fmt.Errorf("find a signing keypair: %w", err)
		}
		if len(rows) > 0 {
			body["signing_kp"] = rows[0][kps.PKColumn]
		}
	}
	// authentik's managed SAML mappings are sane defaults for most SPs.
	rows, err := tx.Select(ctx, store.Query{Table: mappings.Table, Columns: []string{mappings.PKColumn},
		Where: store.NullCond{Column: col(mappings, "managed"), IsNull: false}, OrderBy: []store.Order{{Column: col(mappings, "name")}}})
	if err != nil {
		return fmt.Errorf("load managed SAML mappings: %w", err)
	}
	pms := make([]any, 0, len(rows))
	for _, row := range rows {
		pms = append(pms, row[mappings.PKColumn])
	}
	body["property_mappings"] = pms
	if _, err := h.s.Engine.CreateTx(ctx, tx, h.endpoint("/providers/saml/"), body); err != nil {
		return err
	}
	return nil
}

// readMultipart parses a multipart/form-data body of at most limit bytes
// of files (plus room for the other fields).
func readMultipart(w http.ResponseWriter, r *http.Request, limit int64) (*multipart.Form, error) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return nil, engine.Invalid("", fmt.Sprintf("Unsupported media type %q in request: send multipart/form-data.", r.Header.Get("Content-Type")))
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+1<<20)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, engine.Invalid("file", fmt.Sprintf("The upload is larger than %d MiB.", limit>>20))
		}
		return nil, engine.Invalid("", "Multipart form parse error - "+err.Error())
	}
	return r.MultipartForm, nil
}

func formValue(form *multipart.Form, key string) string {
	if vs := form.Value[key]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// requiredOrBlank is DRF's message for a missing or an empty field.
func requiredOrBlank(form *multipart.Form, key string) string {
	if _, given := form.Value[key]; given {
		return "This field may not be blank."
	}
	return "This field is required."
}

// formFile reads one uploaded file, with DRF's messages for a missing or
// empty file.
func formFile(form *multipart.Form, key string, limit int64) ([]byte, error) {
	files := form.File[key]
	if len(files) == 0 {
		return nil, errors.New("No file was submitted.")
	}
	fh := files[0]
	if fh.Size == 0 {
		return nil, errors.New("The submitted file is empty.")
	}
	if fh.Size > limit {
		return nil, fmt.Errorf("The upload is larger than %d MiB.", limit>>20)
	}
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("The submitted file could not be read: %v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("The submitted file could not be read: %v", err)
	}
	return data, nil
}
