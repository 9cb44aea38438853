// Package certs owns the HTTP side of authentik's certificate-key pairs and
// enterprise licence:
//
//   - generating self-signed pairs (crypto_certificatekeypairs_generate),
//     viewing and downloading their PEM data (recorded as secret_view
//     events), and the PEM checks every save of a pair goes through;
//   - the "authentik Self-signed Certificate" akserver creates at first
//     start (EnsureSelfSigned);
//   - the licence summary, forecast and install id actions.
//
// What makes a licence key acceptable, who counts as a licensed user and
// how licences add up are internal/licensing's rules, shared with the
// licence model hook; this package only adds what the summary needs over
// time, the last moment the licences covered the users.
package certs
