package notify

import (
	"crypto/tls"
	"time"
)

// EmailSettings is authentik's global email configuration
// (AUTHENTIK_EMAIL__*), which the email transport sends through.
type EmailSettings struct {
	Host     string
	Port     int
	Username string
	Password string
	// UseTLS upgrades the connection with STARTTLS; UseSSL speaks TLS from
	// the first byte (SMTPS). authentik refuses neither combination, but
	// UseSSL wins when both are set since STARTTLS inside TLS is meaningless.
	UseTLS  bool
	UseSSL  bool
	Timeout time.Duration
	From    string
	// TLSConfig overrides the TLS client configuration (trusted roots,
	// server name). Nil verifies the server against the system roots with
	// Host as the server name.
	TLSConfig *tls.Config
}

// Settings tunes delivery. A Dispatcher copies Defaults when it is built,
// so changing Defaults affects dispatchers created afterwards only.
type Settings struct {
	Email EmailSettings
	// WebhookTimeout bounds one webhook request. authentik sets none; an
	// unbounded request would pin a worker on a silent receiver.
	WebhookTimeout time.Duration
	// RetryDelays are the waits before each retry of a failed delivery
	// (authentik's task retries three times with exponential backoff).
	RetryDelays []time.Duration
	// CommitWait is how long a queued event may stay invisible before it
	// is taken for rolled back and dropped.
	CommitWait time.Duration
	// Workers is the number of concurrent delivery workers.
	Workers int
}

// Defaults are authentik's defaults (email on localhost:25 without TLS,
// from authentik@localhost, 10 s timeout).
var Defaults = Settings{
	Email: EmailSettings{
		Host:    "localhost",
		Port:    25,
		Timeout: 10 * time.Second,
		From:    "authentik@localhost",
	},
	WebhookTimeout: 10 * time.Second,
	RetryDelays:    []time.Duration{time.Second, 2 * time.Second, 4 * time.Second},
	CommitWait:     30 * time.Second,
	Workers:        4,
}
