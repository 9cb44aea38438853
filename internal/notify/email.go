package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"
)

// EmailMessage is a rendered email.
type EmailMessage struct {
	From    string
	To      []string
	Subject string
	Text    string
	HTML    string
}

// pair is one line of the email's key/value table.
type pair struct{ Key, Value string }

var emailHTML = template.Must(template.New("notification").Parse(`<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body style="font-family: sans-serif; color: #151515;">
<h1 style="font-size: 18px;">{{.Title}}</h1>
<p>{{.Body}}</p>
{{- if .Pairs}}
<table style="border-collapse: collapse;">
{{- range .Pairs}}
<tr><th style="text-align: left; padding-right: 12px;">{{.Key}}</th><td>{{.Value}}</td></tr>
{{- end}}
</table>
{{- end}}
</body>
</html>
`))

// NotificationEmail renders the email authentik's email transport sends:
// the subject names the event's action (or starts the body when there is
// no event), and the event's text context is listed under the body.
func NotificationEmail(n *Notification, from string) (*EmailMessage, error) {
	subject := "authentik Notification: "
	var pairs []pair
	if n.Event != nil {
		subject += n.Event.Action
		for _, k := range JSONBKeys(n.Event.Context) {
			if v, ok := n.Event.Context[k].(string); ok {
				pairs = append(pairs, pair{k, v})
			}
		}
	} else {
		subject += truncRunes(n.Body, 75)
	}
	if n.User.Email == "" {
		return nil, &TransportError{Msg: fmt.Sprintf("user %s has no email address", n.User.Username), Final: true}
	}
	var html bytes.Buffer
	if err := emailHTML.Execute(&html, map[string]any{"Title": subject, "Body": n.Body, "Pairs": pairs}); err != nil {
		return nil, fmt.Errorf("render notification email: %w", err)
	}
	var text strings.Builder
	text.WriteString(subject + "\n\n" + n.Body + "\n")
	if len(pairs) > 0 {
		text.WriteString("\n")
		for _, p := range pairs {
			text.WriteString(p.Key + ": " + p.Value + "\n")
		}
	}
	return &EmailMessage{From: from, To: []string{n.User.Email}, Subject: subject, Text: text.String(), HTML: html.String()}, nil
}

// Bytes renders the message as RFC 5322 text with a plain and an HTML
// alternative.
func (m *EmailMessage) Bytes(now time.Time) ([]byte, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, part := range []struct{ ctype, content string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(part.content)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	header := func(k, v string) { out.WriteString(k + ": " + v + "\r\n") }
	header("From", m.From)
	header("To", strings.Join(m.To, ", "))
	// Q-encoding also neutralises line breaks in the subject.
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", messageID(now))
	header("MIME-Version", "1.0")
	header("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	out.WriteString("\r\n")
	out.Write(body.Bytes())
	return out.Bytes(), nil
}

func messageID(now time.Time) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "<" + strconv.FormatInt(now.UnixNano(), 10) + "." + hex.EncodeToString(b) + "@" + localName() + ">"
}

func localName() string {
	if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsAny(h, " \r\n") {
		return h
	}
	return "localhost"
}

// SendMail delivers a message through the SMTP server of the settings.
// The whole conversation is bounded by the settings' timeout and by ctx.
func SendMail(ctx context.Context, cfg EmailSettings, m *EmailMessage, now time.Time) error {
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return &TransportError{Msg: fmt.Sprintf("invalid sender address %q", m.From), Final: true, Err: err}
	}
	var rcpts []string
	for _, to := range m.To {
		a, err := mail.ParseAddress(to)
		if err != nil {
			return &TransportError{Msg: fmt.Sprintf("invalid recipient address %q", to), Final: true, Err: err}
		}
		rcpts = append(rcpts, a.Address)
	}
	data, err := m.Bytes(now)
	if err != nil {
		return fmt.Errorf("render email: %w", err)
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	tlsCfg := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tlsCfg = cfg.TLSConfig.Clone()
		if tlsCfg.ServerName == "" {
			tlsCfg.ServerName = cfg.Host
		}
	}
	dialer := &net.Dialer{}
	var conn net.Conn
	if cfg.UseSSL {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: tlsCfg}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		// A refused certificate is a configuration problem, not an outage.
		return &TransportError{Msg: fmt.Sprintf("SMTP server %s could not be reached: %v", addr, err), Unreachable: unreachable(err), Err: err}
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if err := converse(conn, cfg, tlsCfg, from.Address, rcpts, data); err != nil {
		conn.Close()
		return smtpError(addr, err)
	}
	return nil
}

func converse(conn net.Conn, cfg EmailSettings, tlsCfg *tls.Config, from string, rcpts []string, data []byte) error {
	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello(localName()); err != nil {
		return err
	}
	if cfg.UseTLS && !cfg.UseSSL {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("the server does not offer STARTTLS")
		}
		if err := c.StartTLS(tlsCfg); err != nil {
			return err
		}
	}
	if cfg.Username != "" {
		// net/smtp refuses to send a password over an unencrypted
		// connection to another host; that is deliberate.
		if err := c.Auth(smtp.PlainAuth("", cfg.Username, cfg.Password, cfg.Host)); err != nil {
			return err
		}
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, r := range rcpts {
		if err := c.Rcpt(r); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// smtpError separates a server that refused the mail from one that went
// away or never answered.
func smtpError(addr string, err error) error {
	var pe *textproto.Error
	if errors.As(err, &pe) {
		return &TransportError{Msg: fmt.Sprintf("SMTP server %s refused the mail: %d %s", addr, pe.Code, pe.Msg), Err: err}
	}
	if unreachable(err) {
		return &TransportError{Msg: fmt.Sprintf("SMTP server %s stopped answering: %v", addr, err), Unreachable: true, Err: err}
	}
	return &TransportError{Msg: fmt.Sprintf("SMTP conversation with %s failed: %v", addr, err), Err: err}
}
