package forms

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image/jpeg"
	"image/png"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/rathaus/rathaus/internal/platform/fault"
)

// Upload is a file as received (multipart part or page upload), before it
// is checked and stored.
type Upload struct {
	Field string // path of the file field
	Name  string // the name the client gave; shown, never trusted for the type
	Data  []byte
}

// Scanner checks an upload for malware before it is stored. Implementations
// must be safe for concurrent use; a scanner that cannot be reached fails
// the upload (nothing is stored) rather than letting it through.
type Scanner interface {
	Scan(ctx context.Context, r io.Reader) (Verdict, error)
}

// Verdict is a scanner's answer.
type Verdict struct {
	Clean     bool
	Signature string // the malware found, when not clean
}

// Sniff decides an upload's media type from its content: PDF, JPEG or PNG
// with a well-formed header, or "" for anything else.
func Sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("%PDF-")):
		// A PDF ends with %%EOF (allowing trailing white space or junk of
		// up to 1 KB, as real writers leave).
		tail := b[max(0, len(b)-1024):]
		if bytes.Contains(tail, []byte("%%EOF")) {
			return "application/pdf"
		}
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		if c, err := png.DecodeConfig(bytes.NewReader(b)); err == nil && c.Width > 0 && c.Height > 0 {
			return "image/png"
		}
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		if c, err := jpeg.DecodeConfig(bytes.NewReader(b)); err == nil && c.Width > 0 && c.Height > 0 {
			return "image/jpeg"
		}
	}
	return ""
}

var extTypes = map[string]string{".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}

// CleanName keeps a safe display name: the base name, printable, at most
// 200 characters.
func CleanName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == '/' {
			return -1
		}
		return r
	}, name)
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "")
	}
	name = strings.TrimSpace(name)
	if r := []rune(name); len(r) > 200 {
		name = string(r[:200])
	}
	if name == "" || name == "." {
		name = "datei"
	}
	return name
}

// checkUpload sniffs, sizes and scans one upload. It returns the file (not
// yet stored) or a validation error at the field.
func (s *Service) checkUpload(ctx context.Context, up Upload, maxSize int64) (File, error) {
	f := File{Field: up.Field, Name: CleanName(up.Name), Size: int64(len(up.Data))}
	if len(up.Data) == 0 {
		return f, fault.Invalid(up.Field, "file_empty")
	}
	if maxSize > 0 && f.Size > maxSize {
		return f, fault.Invalid(up.Field, "file_too_large", "max", HumanSize(maxSize))
	}
	f.MediaType = Sniff(up.Data)
	if f.MediaType == "" {
		return f, fault.Invalid(up.Field, "file_type", "allowed", acceptNames(MediaTypes))
	}
	// A name that claims another of our types is a disguise (an image
	// named .pdf): refused, so the name never misleads a case worker.
	if t, ok := extTypes[strings.ToLower(path.Ext(f.Name))]; ok && t != f.MediaType {
		return f, fault.Invalid(up.Field, "file_type", "allowed", acceptNames([]string{t}))
	}
	if s.Scanner != nil {
		v, err := s.Scanner.Scan(ctx, bytes.NewReader(up.Data))
		if err != nil {
			return f, fmt.Errorf("scan upload: %v: %w", err, fault.ErrUnavailable)
		}
		if !v.Clean {
			return f, fault.Invalid(up.Field, "file_infected")
		}
	}
	h := sha256.Sum256(up.Data)
	f.SHA256 = hex.EncodeToString(h[:])
	return f, nil
}
