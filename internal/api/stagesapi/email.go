package stagesapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/api/coreapi"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/notify"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// EmailTemplateDir is the folder of custom email templates
// (AUTHENTIK_EMAIL__TEMPLATE_DIR, authentik's default /templates): every
// readable .html file below it is offered as a template.
var EmailTemplateDir = envOr("AUTHENTIK_EMAIL__TEMPLATE_DIR", "/templates")

// GlobalEmail is the global email configuration (AUTHENTIK_EMAIL__*) that
// email stages with use_global_settings send through. It is the settings
// the notification email transport uses, so the server configures one
// place; a nil pointer or an empty host means none is configured.
var GlobalEmail = &notify.Defaults.Email

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

// builtinTemplates are the templates authentik ships.
var builtinTemplates = []templateChoice{
	{"email/password_reset.html", "Password Reset"},
	{"email/account_confirmation.html", "Account Confirmation"},
}

type templateChoice struct{ path, label string }

// templateChoices lists the built-in templates, then the custom ones by
// path.
func templateChoices() []templateChoice {
	out := append([]templateChoice(nil), builtinTemplates...)
	var custom []templateChoice
	_ = filepath.WalkDir(EmailTemplateDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(d.Name(), ".html") {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			// authentik skips (and logs) unreadable files too.
			return nil
		}
		f.Close()
		rel, err := filepath.Rel(EmailTemplateDir, path)
		if err != nil {
			return nil
		}
		rel = filepath.ToSlash(rel)
		custom = append(custom, templateChoice{rel, "Custom Template: " + rel})
		return nil
	})
	sort.Slice(custom, func(i, j int) bool { return custom[i].path < custom[j].path })
	return append(out, custom...)
}

func (h *handler) emailTemplates(w http.ResponseWriter, r *http.Request) error {
	if _, err := api.Caller(r); err != nil {
		return err
	}
	out := []any{}
	for _, c := range templateChoices() {
		out = append(out, map[string]any{"name": c.path, "description": c.label, "component": "", "model_name": ""})
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

// emailData is what an email template may show.
type emailData struct {
	URL      string
	Username string
	Name     string
	Email    string
	Expires  time.Time
}

// Built-in templates, in our own words; they carry the same information as
// authentik's (the link, the user, the expiry).
var builtinBodies = map[string]*template.Template{
	"email/password_reset.html": template.Must(template.New("reset").Parse(`<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>Password reset</title></head>
<body style="font-family: sans-serif; color: #151515;">
<h1 style="font-size: 18px;">Password reset</h1>
<p>Hello {{if .Name}}{{.Name}}{{else}}{{.Username}}{{end}},</p>
<p>A password reset was requested for your account. Use the link below to choose a new password.</p>
<p><a href="{{.URL}}">Reset password</a></p>
<p>The link is valid until {{.Expires.UTC.Format "2006-01-02 15:04 MST"}}. If you did not ask for this, you can ignore this email.</p>
</body>
</html>
`)),
	"email/account_confirmation.html": template.Must(template.New("confirm").Parse(`<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>Confirm your account</title></head>
<body style="font-family: sans-serif; color: #151515;">
<h1 style="font-size: 18px;">Confirm your account</h1>
<p>Hello {{if .Name}}{{.Name}}{{else}}{{.Username}}{{end}},</p>
<p>Use the link below to confirm your account.</p>
<p><a href="{{.URL}}">Confirm account</a></p>
<p>The link is valid until {{.Expires.UTC.Format "2006-01-02 15:04 MST"}}.</p>
</body>
</html>
`)),
}

var (
	djangoVar  = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_.]+)\s*\}\}`)
	djangoTags = regexp.MustCompile(`(?s)\{%.*?%\}|\{#.*?#\}`)
	htmlTags   = regexp.MustCompile(`(?s)<style.*?</style>|<[^>]+>`)
	blankLines = regexp.MustCompile(`\n\s*\n+`)
)

// errUnknownTemplate reports a template that is neither built in nor in
// the custom folder.
var errUnknownTemplate = errors.New("unknown email template")

// renderEmail renders a template to HTML. Custom templates are Django
// templates; akgo substitutes their variables (url, expires and the
// user's username, name and email) and drops template tags, which covers
// the variables authentik passes to email templates but not Django's
// control flow.
func renderEmail(name string, d emailData) (string, error) {
	if t, ok := builtinBodies[name]; ok {
		var b bytes.Buffer
		if err := t.Execute(&b, d); err != nil {
			return "", fmt.Errorf("render %s: %w", name, err)
		}
		return b.String(), nil
	}
	path := filepath.Join(EmailTemplateDir, filepath.FromSlash(name))
	if rel, err := filepath.Rel(EmailTemplateDir, path); err != nil || strings.HasPrefix(rel, "..") || !strings.HasSuffix(name, ".html") {
		return "", fmt.Errorf("%w %q", errUnknownTemplate, name)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%w %q: %v", errUnknownTemplate, name, err)
	}
	vars := map[string]string{"url": d.URL, "expires": d.Expires.UTC().Format("2006-01-02 15:04 MST"),
		"user.username": d.Username, "user.name": d.Name, "user.email": d.Email, "user": d.Username}
	out := djangoTags.ReplaceAllString(string(raw), "")
	out = djangoVar.ReplaceAllStringFunc(out, func(m string) string {
		return html.EscapeString(vars[djangoVar.FindStringSubmatch(m)[1]])
	})
	return out, nil
}

// plainText is the text alternative of an HTML email.
func plainText(body string) string {
	text := html.UnescapeString(htmlTags.ReplaceAllString(body, ""))
	return strings.TrimSpace(blankLines.ReplaceAllString(text, "\n\n")) + "\n"
}

// stageEmailSettings are the SMTP settings and sender an email stage uses.
func (h *handler) stageEmailSettings(stage store.Row) (notify.EmailSettings, string, error) {
	m := h.e.Registry.MustModel("authentik_stages_email.emailstage")
	str := func(f string) string { s, _ := stage[m.MustColumn(f)].(string); return s }
	num := func(f string) int64 { n, _ := stage[m.MustColumn(f)].(int64); return n }
	flag := func(f string) bool { b, _ := stage[m.MustColumn(f)].(bool); return b }
	if flag("use_global_settings") {
		if GlobalEmail == nil || GlobalEmail.Host == "" {
			return notify.EmailSettings{}, "", engine.Invalid("email_stage", "The email stage uses the global email settings, but none are configured.")
		}
		return *GlobalEmail, GlobalEmail.From, nil
	}
	return notify.EmailSettings{Host: str("host"), Port: int(num("port")), Username: str("username"), Password: str("password"),
		UseTLS: flag("use_tls"), UseSSL: flag("use_ssl"), Timeout: time.Duration(num("timeout")) * time.Second}, str("from_address"), nil
}

// recoveryEmail sends the user a recovery link through an email stage's
// SMTP settings. authentik answers 404 for every refusal; akgo answers 404
// for a missing user or stage and a 400 that says what is wrong otherwise.
func (h *handler) recoveryEmail(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := chi.URLParam(r, "id")
	if err := api.Require(ctx, "authentik_core.reset_user_password", id); err != nil {
		return err
	}
	stageID := r.URL.Query().Get("email_stage")
	if stageID == "" {
		return engine.Invalid("email_stage", "This field is required.")
	}
	p, err := api.Caller(r)
	if err != nil {
		return err
	}
	um := h.e.Registry.MustModel("authentik_core.user")
	sm := h.e.Registry.MustModel("authentik_stages_email.emailstage")
	var (
		msg      *notify.EmailMessage
		settings notify.EmailSettings
		tokenPK  any
	)
	err = h.e.Store.Update(ctx, func(tx store.Tx) error {
		user, err := h.rowByPK(ctx, tx, um, id)
		if err != nil {
			return err
		}
		stage, err := h.rowByPK(ctx, tx, sm, stageID)
		if err != nil {
			return err
		}
		if !p.Subject.HasOn("authentik_stages_email.view_emailstage", engine.PKText(stage[sm.PKColumn])) {
			return notFound()
		}
		email, _ := user[um.MustColumn("email")].(string)
		if email == "" {
			return engine.Invalid("", "The user has no email address.")
		}
		var from string
		if settings, from, err = h.stageEmailSettings(stage); err != nil {
			return err
		}
		rt, err := coreapi.RecoveryLink(ctx, tx, h.e, r, user)
		if err != nil {
			return err
		}
		tokenPK = rt.TokenPK
		tmpl, _ := stage[sm.MustColumn("template")].(string)
		body, err := renderEmail(tmpl, emailData{URL: rt.Link, Username: fmt.Sprint(user[um.MustColumn("username")]),
			Name: fmt.Sprint(user[um.MustColumn("name")]), Email: email, Expires: rt.Expires})
		if errors.Is(err, errUnknownTemplate) {
			return engine.Invalid("email_stage", fmt.Sprintf("Invalid template '%s' specified.", tmpl))
		}
		if err != nil {
			return err
		}
		subject, _ := stage[sm.MustColumn("subject")].(string)
		msg = &notify.EmailMessage{From: from, To: []string{email}, Subject: subject, HTML: body, Text: plainText(body)}
		return nil
	})
	if err != nil {
		return err
	}
	if err := notify.SendMail(ctx, settings, msg, h.e.Now()); err != nil {
		// The link was never delivered: take its token back.
		tm := h.e.Registry.MustModel("authentik_core.token")
		if derr := h.e.Store.Update(ctx, func(tx store.Tx) error {
			_, err := tx.DeleteWhere(ctx, tm.Table, store.Eq(tm.PKColumn, tokenPK))
			return err
		}); derr != nil {
			h.s.Log.Warn("could not delete the undelivered recovery token", "err", derr)
		}
		// An unreachable or refusing mail server is the stage's
		// configuration problem as far as the caller can tell: a 400 with
		// the reason (the schema declares no 503 here).
		if te, ok := notify.AsTransportError(err); ok {
			return engine.Invalid("", te.Msg)
		}
		return fmt.Errorf("send recovery email: %w", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rowByPK loads a row by the text of its pk; a malformed pk is missing.
func (h *handler) rowByPK(ctx context.Context, tx store.Tx, m *registry.Model, id string) (store.Row, error) {
	pk, ok := engine.ParsePK(m, id)
	if !ok {
		return nil, notFound()
	}
	rows, err := tx.Select(ctx, store.Query{Table: m.Table, Where: store.Eq(m.PKColumn, pk), Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("load %s %s: %w", m.Name, id, err)
	}
	if len(rows) == 0 {
		return nil, notFound()
	}
	return rows[0], nil
}
