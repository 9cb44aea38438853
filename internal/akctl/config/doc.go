// Package config owns akctl's configuration: the file of named contexts
// (server URL, API token, optional CA file or insecure flag) and how one
// connection is resolved from flags, environment and the current context.
//
// The file lives at $AKCTL_CONFIG, else $XDG_CONFIG_HOME/akctl/config.yaml,
// else ~/.config/akctl/config.yaml:
//
//	current-context: prod
//	contexts:
//	  - name: prod
//	    url: https://authentik.example.com
//	    token: ...
//	    ca-file: /etc/ssl/internal-ca.pem
//	  - name: local
//	    url: http://127.0.0.1:9000
//	    token: ...
//	    insecure: true
//
// Contexts are a list rather than a map because viper folds map keys to
// lower case and context names are the user's. The file holds tokens, so it
// is written with mode 0600.
//
// A connection's values are taken, each on its own, from the first of:
// the flags (--url, --token, --context), the environment (AUTHENTIK_URL,
// AUTHENTIK_TOKEN, AUTHENTIK_INSECURE: the names authentik's Terraform
// provider reads), the context. Resolve uses viper for that precedence
// and records where each value came from, so errors can say which setting
// to fix.
package config
