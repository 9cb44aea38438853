package notifytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Message is one mail the sink accepted.
type Message struct {
	From string
	To   []string
	Data string
	// TLS reports whether the mail came over TLS; Username whom it
	// authenticated as ("" without AUTH).
	TLS      bool
	Username string
}

// Options configures a sink.
type Options struct {
	// StartTLS offers STARTTLS; Implicit speaks TLS from the first byte.
	StartTLS bool
	Implicit bool
	// Username and Password, when set, are the only accepted credentials
	// and AUTH is required before MAIL.
	Username, Password string
	// RejectRecipients answers every RCPT with 550.
	RejectRecipients bool
}

// Sink is a running SMTP server on 127.0.0.1.
type Sink struct {
	Host string
	Port int

	opts     Options
	ln       net.Listener
	tlsCfg   *tls.Config
	roots    *x509.CertPool
	received chan Message
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]bool
}

// Start runs a sink until the test ends.
func Start(t testing.TB, opts Options) *Sink {
	t.Helper()
	s := &Sink{opts: opts, received: make(chan Message, 100), conns: map[net.Conn]bool{}}
	cert, roots, err := selfSigned()
	if err != nil {
		t.Fatalf("smtp sink certificate: %v", err)
	}
	s.tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.roots = roots
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtp sink listen: %v", err)
	}
	if opts.Implicit {
		ln = tls.NewListener(ln, s.tlsCfg)
	}
	s.ln = ln
	addr := ln.Addr().(*net.TCPAddr)
	s.Host, s.Port = "127.0.0.1", addr.Port
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.Close)
	return s
}

// ClientTLS is a client configuration that trusts the sink's certificate.
func (s *Sink) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: s.roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// Wait returns the next accepted message, failing the test after timeout.
func (s *Sink) Wait(t testing.TB, timeout time.Duration) Message {
	t.Helper()
	select {
	case m := <-s.received:
		return m
	case <-time.After(timeout):
		t.Fatalf("smtp sink: no message within %v", timeout)
	}
	return Message{}
}

// Pending returns how many accepted messages nobody has waited for yet.
func (s *Sink) Pending() int { return len(s.received) }

// Close stops the sink and drops open sessions.
func (s *Sink) Close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Sink) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.session(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

func (s *Sink) session(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	tp := textproto.NewConn(c)
	_, secure := c.(*tls.Conn)
	var msg Message
	user := ""
	reply := func(code int, text string) bool { return tp.PrintfLine("%d %s", code, text) == nil }
	if !reply(220, "akgo-sink ESMTP") {
		return
	}
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			lines := []string{"akgo-sink"}
			if s.opts.StartTLS && !secure {
				lines = append(lines, "STARTTLS")
			}
			if s.opts.Username != "" {
				lines = append(lines, "AUTH PLAIN")
			}
			lines = append(lines, "8BITMIME")
			for i, l := range lines {
				sep := "-"
				if i == len(lines)-1 {
					sep = " "
				}
				if tp.PrintfLine("250%s%s", sep, l) != nil {
					return
				}
			}
		case "HELO":
			reply(250, "akgo-sink")
		case "STARTTLS":
			if !s.opts.StartTLS || secure {
				reply(502, "not offered")
				continue
			}
			reply(220, "ready to start TLS")
			tc := tls.Server(c, s.tlsCfg)
			if tc.Handshake() != nil {
				return
			}
			c, secure = tc, true
			tp = textproto.NewConn(tc)
			msg, user = Message{}, ""
		case "AUTH":
			mech, initial, _ := strings.Cut(arg, " ")
			if !strings.EqualFold(mech, "PLAIN") || s.opts.Username == "" {
				reply(504, "unsupported mechanism")
				continue
			}
			if initial == "" {
				reply(334, "")
				if initial, err = tp.ReadLine(); err != nil {
					return
				}
			}
			raw, _ := base64.StdEncoding.DecodeString(initial)
			parts := strings.Split(string(raw), "\x00")
			if len(parts) == 3 && parts[1] == s.opts.Username && parts[2] == s.opts.Password {
				user = parts[1]
				reply(235, "authenticated")
			} else {
				reply(535, "authentication failed")
			}
		case "MAIL":
			if s.opts.Username != "" && user == "" {
				reply(530, "authentication required")
				continue
			}
			msg = Message{From: address(arg), TLS: secure, Username: user}
			reply(250, "ok")
		case "RCPT":
			if s.opts.RejectRecipients {
				reply(550, "mailbox unavailable")
				continue
			}
			msg.To = append(msg.To, address(arg))
			reply(250, "ok")
		case "DATA":
			if len(msg.To) == 0 {
				reply(503, "need RCPT first")
				continue
			}
			reply(354, "end data with <CR><LF>.<CR><LF>")
			data, err := io.ReadAll(tp.DotReader())
			if err != nil {
				return
			}
			msg.Data = string(data)
			s.received <- msg
			msg = Message{}
			reply(250, "queued")
		case "RSET":
			msg = Message{}
			reply(250, "ok")
		case "NOOP":
			reply(250, "ok")
		case "QUIT":
			reply(221, "bye")
			return
		default:
			reply(502, "command not implemented")
		}
	}
}

// address extracts the mailbox of "FROM:<a@b> SIZE=..." / "TO:<a@b>".
func address(arg string) string {
	if i := strings.IndexByte(arg, '<'); i >= 0 {
		if j := strings.IndexByte(arg[i:], '>'); j > 0 {
			return arg[i+1 : i+j]
		}
	}
	_, a, _ := strings.Cut(arg, ":")
	return strings.TrimSpace(a)
}

// selfSigned makes a certificate for 127.0.0.1 and a pool trusting it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "akgo smtp sink"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

// Addr is host:port of the sink.
func (s *Sink) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }
