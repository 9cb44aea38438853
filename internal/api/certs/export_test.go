package certs

// UseSmallRSAKeys makes generated RSA keys 2048 bits until the returned
// function restores authentik's size: a 4096-bit key takes a second or
// more, and the HTTP tests only need some RSA key. TestBuild checks the
// real size.
func UseSmallRSAKeys() (restore func()) {
	saved := rsaBits
	rsaBits = 2048
	return func() { rsaBits = saved }
}
