package inbox

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// mailWith writes a multipart message with the files as base64
// attachments.
func mailWith(from, msgID string, files map[string][]byte, extra string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Lieferant <%s>\r\nTo: rechnung@musterstadt.example\r\nSubject: =?utf-8?q?Rechnung_M=C3=A4rz?=\r\nMessage-ID: <%s>\r\n%sMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n", from, msgID, extra)
	b.WriteString("--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nAnbei unsere Rechnung.\r\n")
	for name, data := range files {
		ct := "application/xml"
		if strings.HasSuffix(name, ".pdf") {
			ct = "application/pdf"
		}
		fmt.Fprintf(&b, "--XX\r\nContent-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", ct, name, name)
		enc := base64.StdEncoding.EncodeToString(data)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
	}
	b.WriteString("--XX--\r\n")
	return b.Bytes()
}

func TestParseMail(t *testing.T) {
	xml := SampleXML(DefaultSample("RE-M-1"))
	m, err := ParseMail(mailWith("Rechnung@Schmidt.example", "abc@schmidt.example", map[string][]byte{"re.xml": xml}, ""))
	if err != nil {
		t.Fatal(err)
	}
	if m.From != "rechnung@schmidt.example" || m.MessageID != "abc@schmidt.example" || m.Subject != "Rechnung März" || m.Automatic {
		t.Errorf("header %+v", m)
	}
	if len(m.Attachments) != 1 || !bytes.Equal(m.Attachments[0].Data, xml) || m.Attachments[0].Name != "re.xml" {
		t.Fatalf("attachments %+v", len(m.Attachments))
	}
	auto, _ := ParseMail(mailWith("a@b.example", "x@y", nil, "Auto-Submitted: auto-replied\r\n"))
	if !auto.Automatic {
		t.Error("auto-reply not recognised")
	}
	for _, bad := range [][]byte{[]byte("no header at all"), []byte("From: a@b\r\nContent-Type: multipart/mixed\r\n\r\nx"), bytes.Repeat([]byte("x"), MaxMailSize+1)} {
		if _, err := ParseMail(bad); !errors.Is(err, ErrMail) {
			t.Errorf("%.30q: %v", bad, err)
		}
	}
	// Nested parts beyond the limits are refused.
	var deep strings.Builder
	deep.WriteString("From: a@b.example\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n")
	for i := 0; i < 8; i++ {
		fmt.Fprintf(&deep, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i, i+1)
	}
	if _, err := ParseMail([]byte(deep.String())); !errors.Is(err, ErrMail) {
		t.Errorf("deep nesting: %v", err)
	}
}

func FuzzParseMail(f *testing.F) {
	f.Add(mailWith("a@b.example", "id@x", map[string][]byte{"r.xml": []byte("<x/>")}, ""))
	f.Add([]byte("From: a@b\r\nContent-Type: text/plain\r\n\r\nhello"))
	f.Add([]byte("From: a@b\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n%PDF=\r\n--q--"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := ParseMail(raw)
		if err != nil {
			if !errors.Is(err, ErrMail) {
				t.Fatalf("error of another kind: %v", err)
			}
			return
		}
		if len(m.Attachments) > maxMailParts {
			t.Fatalf("%d attachments", len(m.Attachments))
		}
	})
}

func FuzzReadUpload(f *testing.F) {
	f.Add("multipart/form-data; boundary=B", []byte("--B\r\nContent-Disposition: form-data; name=\"invoice\"; filename=\"a.xml\"\r\nContent-Type: application/xml\r\n\r\n<x/>\r\n--B--\r\n"))
	f.Add("multipart/form-data; boundary=B", []byte("--B\r\nContent-Disposition: form-data; name=\"number\"\r\n\r\n12\r\n--B--\r\n"))
	f.Add("text/plain", []byte("x"))
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		_, _, data, values, err := ReadUpload(bytes.NewReader(body), ctype, "invoice", 1<<16)
		if err != nil {
			return
		}
		if len(data) > 1<<16 || len(values) > 51 {
			t.Fatalf("limits exceeded: %d bytes, %d values", len(data), len(values))
		}
	})
}
