// Package notifytest provides a local SMTP sink for tests of the email
// transport, so they never reach a real mail server. It speaks enough SMTP
// for net/smtp (EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP,
// QUIT), optionally over implicit TLS with a self-signed certificate the
// test trusts, and can refuse recipients or credentials to exercise the
// failure paths.
package notifytest
