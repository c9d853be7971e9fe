// Package mailtest runs a real SMTP server inside a test process, so tests
// receive the real message a user would get.
package mailtest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Received is one delivered message.
type Received struct {
	From string
	To   []string
	Raw  []byte
	Msg  *mail.Message
	Body string // the text (of a multipart message: its first text/plain part)
	// Attachments of a multipart message, decoded.
	Attachments []Attachment
}

// Attachment is a decoded part of a multipart message other than its text.
type Attachment struct {
	Filename, ContentType string
	Data                  []byte
}

func decodePart(h interface{ Get(string) string }, r io.Reader) []byte {
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, _ := io.ReadAll(r)
	return b
}

// readParts fills the text and attachments of a multipart message.
func (rec *Received) readParts(boundary string, body io.Reader) {
	mr := multipart.NewReader(body, boundary)
	for {
		p, err := mr.NextPart()
		if err != nil {
			return
		}
		ct, params, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if strings.HasPrefix(ct, "multipart/") {
			rec.readParts(params["boundary"], p)
			continue
		}
		data := decodePart(p.Header, p)
		if ct == "text/plain" && p.FileName() == "" && rec.Body == "" {
			rec.Body = strings.ReplaceAll(string(data), "\r\n", "\n")
			continue
		}
		rec.Attachments = append(rec.Attachments, Attachment{Filename: p.FileName(), ContentType: ct, Data: data})
	}
}

// Server is an in-process SMTP server on 127.0.0.1.
type Server struct {
	Addr string
	Host string
	Port int

	mu   sync.Mutex
	msgs []Received
	cond *sync.Cond
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{}
	s.cond = sync.NewCond(&s.mu)
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	s.Host = "127.0.0.1"
	s.Port = ln.Addr().(*net.TCPAddr).Port
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// Messages returns what arrived so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Wait blocks until n messages arrived or the timeout passed.
func (s *Server) Wait(n int, timeout time.Duration) ([]Received, error) {
	deadline := time.Now().Add(timeout)
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.msgs) < n {
		if time.Now().After(deadline) {
			return append([]Received(nil), s.msgs...), errors.New("mailtest: timeout waiting for messages")
		}
		go func() { time.Sleep(20 * time.Millisecond); s.cond.Broadcast() }()
		s.cond.Wait()
	}
	return append([]Received(nil), s.msgs...), nil
}

// WaitFor blocks until a message for recipient whose body contains substr
// has arrived (other mail of the installation, such as the demo's own
// notifications, does not count), or the timeout passed.
func (s *Server) WaitFor(recipient, substr string, timeout time.Duration) (Received, error) {
	deadline := time.Now().Add(timeout)
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		for _, m := range s.msgs {
			for _, to := range m.To {
				if strings.EqualFold(to, recipient) && strings.Contains(m.Body, substr) {
					return m, nil
				}
			}
		}
		if time.Now().After(deadline) {
			return Received{}, errors.New("mailtest: timeout waiting for a message to " + recipient)
		}
		go func() { time.Sleep(20 * time.Millisecond); s.cond.Broadcast() }()
		s.cond.Wait()
	}
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s    *Server
	from string
	to   []string
}

func (x *session) Reset()                                      { x.from, x.to = "", nil }
func (x *session) Logout() error                               { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error { x.from = from; return nil }
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error   { x.to = append(x.to, to); return nil }
func (x *session) AuthPlain(username, password string) error   { return nil }
func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	rec := Received{From: x.from, To: x.to, Raw: raw}
	if m, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		rec.Msg = m
		if ct, params, err := mime.ParseMediaType(m.Header.Get("Content-Type")); err == nil && strings.HasPrefix(ct, "multipart/") {
			rec.readParts(params["boundary"], m.Body)
		} else {
			rec.Body = strings.ReplaceAll(string(decodePart(m.Header, m.Body)), "\r\n", "\n")
		}
	}
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, rec)
	x.s.mu.Unlock()
	x.s.cond.Broadcast()
	return nil
}
