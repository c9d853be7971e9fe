package inbox

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// Mail is what the inbox reads of a received e-mail.
type Mail struct {
	From      string // the sender's address (Reply-To when given)
	MessageID string
	Subject   string
	// Automatic is set for auto-replies, bounces and list mail (never
	// answered, so two robots cannot mail each other forever).
	Automatic   bool
	Attachments []MailAttachment
}

// MailAttachment is one file of the message that may be an invoice.
type MailAttachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Limits of ParseMail on untrusted messages.
const (
	MaxMailSize  = 30 << 20
	maxMailParts = 50
	maxMailDepth = 5
)

// ErrMail is wrapped by every refusal of ParseMail.
var ErrMail = errors.New("unreadable e-mail")

// ParseMail reads a MIME message (RFC 5322 / 2045): its sender and every
// part that is an XML or PDF file (by media type, file name or content);
// text parts are ignored. It is bounded (MaxMailSize, 50 parts, depth 5)
// and never panics.
func ParseMail(raw []byte) (*Mail, error) {
	if len(raw) > MaxMailSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrMail, MaxMailSize)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMail, err)
	}
	m := &Mail{MessageID: strings.Trim(strings.TrimSpace(msg.Header.Get("Message-Id")), "<>")}
	dec := new(mime.WordDecoder)
	if s, err := dec.DecodeHeader(msg.Header.Get("Subject")); err == nil {
		m.Subject = clip(s, 200)
	}
	from := msg.Header.Get("Reply-To")
	if from == "" {
		from = msg.Header.Get("From")
	}
	if a, err := mail.ParseAddress(from); err == nil {
		m.From = strings.ToLower(a.Address)
	}
	h := msg.Header
	as := strings.ToLower(h.Get("Auto-Submitted"))
	m.Automatic = as != "" && as != "no" || h.Get("X-Autoreply") != "" || h.Get("List-Id") != "" || h.Get("Precedence") == "bulk" ||
		strings.Contains(strings.ToLower(m.From), "mailer-daemon") || strings.HasPrefix(strings.ToLower(m.From), "noreply") ||
		strings.HasPrefix(strings.ToLower(m.From), "no-reply") || h.Get("Return-Path") == "<>"
	parts := 0
	err = walkPart(textproto(h), msg.Body, 0, &parts, func(a MailAttachment) { m.Attachments = append(m.Attachments, a) })
	if err != nil {
		return nil, err
	}
	return m, nil
}

type header interface{ Get(string) string }

func textproto(h mail.Header) header { return h }

func walkPart(h header, body io.Reader, depth int, parts *int, emit func(MailAttachment)) error {
	*parts++
	if *parts > maxMailParts || depth > maxMailDepth {
		return fmt.Errorf("%w: too many or too deeply nested parts", ErrMail)
	}
	ctype := h.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ctype)
	if ctype == "" || err != nil {
		mt, params = "text/plain", map[string]string{}
	}
	if strings.HasPrefix(mt, "multipart/") {
		if params["boundary"] == "" {
			return fmt.Errorf("%w: multipart without boundary", ErrMail)
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%w: %v", ErrMail, err)
			}
			if err := walkPart(p.Header, p, depth+1, parts, emit); err != nil {
				return err
			}
		}
	}
	name := ""
	if _, dp, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil {
		name = dp["filename"]
	}
	if name == "" {
		name = params["name"]
	}
	if d, err := new(mime.WordDecoder).DecodeHeader(name); err == nil {
		name = d
	}
	lname := strings.ToLower(name)
	candidate := mt == "application/xml" || mt == "text/xml" || mt == "application/pdf" || mt == "application/octet-stream" ||
		strings.HasSuffix(lname, ".xml") || strings.HasSuffix(lname, ".pdf")
	if !candidate || mt == "message/rfc822" {
		return nil
	}
	var r io.Reader = body
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, newlineStripper{body})
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxMailSize+1))
	if err != nil {
		return fmt.Errorf("%w: attachment %q: %v", ErrMail, safeName(name), err)
	}
	if len(data) > MaxMailSize {
		return fmt.Errorf("%w: attachment too large", ErrMail)
	}
	if mt == "application/octet-stream" && !strings.HasSuffix(lname, ".xml") && !strings.HasSuffix(lname, ".pdf") {
		if _, err := sniff(data, ""); err != nil {
			return nil
		}
	}
	emit(MailAttachment{Name: safeName(name), ContentType: mt, Data: data})
	return nil
}

// newlineStripper drops CR, LF and spaces from base64 text.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		j := 0
		for _, c := range p[:k] {
			if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}
