// Package clamav is the malware scanner of uploads: a client of the ClamAV
// daemon (clamd) speaking its INSTREAM command over TCP or a Unix socket.
// It implements forms.Scanner. A daemon that cannot be reached, or answers
// with an error (a stream over its StreamMaxLength, say), fails the scan:
// the upload is refused as "try again later", never let through unscanned.
package clamav

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/forms"
)

// Scanner talks to one clamd.
type Scanner struct {
	Network string // "tcp" or "unix"
	Address string // host:port or the socket path
	// Timeout bounds one scan (connect, send, verdict); default 30 s.
	Timeout time.Duration
}

// New parses tcp://host:port or unix:/path/clamd.ctl.
func New(addr string) (*Scanner, error) {
	u, err := url.Parse(addr)
	if err != nil {
		return nil, fmt.Errorf("clamd address %q: %w", addr, err)
	}
	switch u.Scheme {
	case "tcp":
		if u.Host == "" {
			return nil, fmt.Errorf("clamd address %q: no host:port", addr)
		}
		return &Scanner{Network: "tcp", Address: u.Host, Timeout: 30 * time.Second}, nil
	case "unix":
		p := u.Path
		if p == "" {
			p = u.Opaque
		}
		if p == "" {
			return nil, fmt.Errorf("clamd address %q: no socket path", addr)
		}
		return &Scanner{Network: "unix", Address: p, Timeout: 30 * time.Second}, nil
	}
	return nil, fmt.Errorf("clamd address %q: want tcp://host:port or unix:/path", addr)
}

const chunk = 64 << 10

func (s *Scanner) dial(ctx context.Context) (net.Conn, error) {
	t := s.Timeout
	if t <= 0 {
		t = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, t)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, s.Network, s.Address)
	if err != nil {
		return nil, err
	}
	if err := c.SetDeadline(time.Now().Add(t)); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Ping checks that clamd answers (PONG).
func (s *Scanner) Ping(ctx context.Context) error {
	c, err := s.dial(ctx)
	if err != nil {
		return fmt.Errorf("clamd ping: %w", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("zPING\x00")); err != nil {
		return fmt.Errorf("clamd ping: %w", err)
	}
	reply, err := readReply(c)
	if err != nil {
		return fmt.Errorf("clamd ping: %w", err)
	}
	if reply != "PONG" {
		return fmt.Errorf("clamd ping: unexpected reply %q", reply)
	}
	return nil
}

// Scan streams r to clamd and returns its verdict.
func (s *Scanner) Scan(ctx context.Context, r io.Reader) (forms.Verdict, error) {
	c, err := s.dial(ctx)
	if err != nil {
		return forms.Verdict{}, fmt.Errorf("clamd: %w", err)
	}
	defer c.Close()
	w := bufio.NewWriterSize(c, chunk+4)
	if _, err := w.WriteString("zINSTREAM\x00"); err != nil {
		return forms.Verdict{}, fmt.Errorf("clamd: %w", err)
	}
	buf := make([]byte, chunk)
	var size [4]byte
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			binary.BigEndian.PutUint32(size[:], uint32(n))
			w.Write(size[:])
			if _, err := w.Write(buf[:n]); err != nil {
				return forms.Verdict{}, fmt.Errorf("clamd: %w", err)
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return forms.Verdict{}, fmt.Errorf("clamd: read upload: %w", rerr)
		}
	}
	w.Write([]byte{0, 0, 0, 0})
	if err := w.Flush(); err != nil {
		return forms.Verdict{}, fmt.Errorf("clamd: %w", err)
	}
	reply, err := readReply(c)
	if err != nil {
		return forms.Verdict{}, fmt.Errorf("clamd: %w", err)
	}
	return parseReply(reply)
}

// parseReply reads "stream: OK", "stream: NAME FOUND" or "... ERROR".
func parseReply(reply string) (forms.Verdict, error) {
	body := strings.TrimSpace(strings.TrimPrefix(reply, "stream:"))
	switch {
	case body == "OK":
		return forms.Verdict{Clean: true}, nil
	case strings.HasSuffix(body, " FOUND"):
		return forms.Verdict{Signature: strings.TrimSuffix(body, " FOUND")}, nil
	}
	return forms.Verdict{}, fmt.Errorf("clamd answered %q", reply)
}

// readReply reads up to the terminating NUL (or EOF), at most 4 KB.
func readReply(c net.Conn) (string, error) {
	br := bufio.NewReader(io.LimitReader(c, 4096))
	b, err := br.ReadBytes(0)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	if len(b) == 0 {
		return "", errors.New("no reply")
	}
	return strings.TrimSpace(string(bytes.TrimSuffix(b, []byte{0}))), nil
}
