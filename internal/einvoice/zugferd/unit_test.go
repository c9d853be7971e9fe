package zugferd

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExtract(t *testing.T) {
	bomb := deflate(make([]byte, MaxXMLSize+1024))
	tests := []struct {
		name     string
		pdf      []byte
		wantName string
		wantXML  string
		wantErr  error
	}{
		{"name tree and AF", simplePDF("factur-x.xml"), "factur-x.xml", testXML, nil},
		{"name is case-insensitive", simplePDF("ZUGFeRD-invoice.xml"), "ZUGFeRD-invoice.xml", testXML, nil},
		{"octal escapes in name", simplePDF(`factur\055x\056xml`), "factur-x.xml", testXML, nil},
		{"object stream, xref stream, UTF-16 name, nested name tree", objStmPDF(), "zugferd-invoice.xml", testXML, nil},
		{"AF only", buildPDF([]pdfObj{
			{1, "<< /Type /Catalog /AF [2 0 R] >>"},
			{2, "<< /Type /Filespec /F (xrechnung.xml) /EF << /F 3 0 R >> >>"},
			{3, streamObj("/Type /EmbeddedFile /Filter /ASCIIHexDecode", []byte(strings.ToUpper(hexOf(testXML))+">"))},
		}, "/Root 1 0 R"), "xrechnung.xml", testXML, nil},
		{"indirect length", buildPDF([]pdfObj{
			{1, "<< /Type /Catalog /AF [2 0 R] >>"},
			{2, "<< /Type /Filespec /F (factur-x.xml) /EF << /F 3 0 R >> >>"},
			{3, "<< /Length 4 0 R >>\nstream\n" + testXML + "\nendstream"},
			{4, "139"},
		}, "/Root 1 0 R"), "factur-x.xml", testXML, nil},
		{"no trailer: catalog found by type", bytes.Split(simplePDF("factur-x.xml"), []byte("xref\n"))[0], "factur-x.xml", testXML, nil},
		{"other XML name but invoice content", simplePDF("invoice.xml"), "invoice.xml", testXML, nil},
		{"other XML that is no invoice", buildPDF([]pdfObj{
			{1, "<< /Type /Catalog /AF [2 0 R] >>"},
			{2, "<< /Type /Filespec /F (metadata.xml) /EF << /F 3 0 R >> >>"},
			{3, streamObj("", []byte("<x/>"))},
		}, "/Root 1 0 R"), "", "", ErrNoAttachment},
		{"no attachment", buildPDF([]pdfObj{
			{1, "<< /Type /Catalog /Pages 2 0 R >>"},
			{2, "<< /Type /Pages /Kids [] /Count 0 >>"},
		}, "/Root 1 0 R"), "", "", ErrNoAttachment},
		{"cyclic name tree", buildPDF([]pdfObj{
			{1, "<< /Type /Catalog /Names << /EmbeddedFiles 2 0 R >> >>"},
			{2, "<< /Kids [3 0 R] >>"},
			{3, "<< /Kids [2 0 R 3 0 R] >>"},
		}, "/Root 1 0 R"), "", "", ErrNoAttachment},
		{"reference cycle", buildPDF([]pdfObj{
			{1, "<< /Type /Catalog /AF 2 0 R >>"},
			{2, "3 0 R"},
			{3, "2 0 R"},
		}, "/Root 1 0 R"), "", "", ErrNoAttachment},
		{"zip bomb", buildPDF([]pdfObj{
			{1, "<< /Type /Catalog /AF [2 0 R] >>"},
			{2, "<< /Type /Filespec /F (factur-x.xml) /EF << /F 3 0 R >> >>"},
			{3, streamObj("/Filter /FlateDecode", bomb)},
		}, "/Root 1 0 R"), "", "", ErrInvalidPDF},
		{"unsupported filter", buildPDF([]pdfObj{
			{1, "<< /Type /Catalog /AF [2 0 R] >>"},
			{2, "<< /Type /Filespec /F (factur-x.xml) /EF << /F 3 0 R >> >>"},
			{3, streamObj("/Filter /JBIG2Decode", []byte("xx"))},
		}, "/Root 1 0 R"), "", "", ErrInvalidPDF},
		{"broken flate data", buildPDF([]pdfObj{
			{1, "<< /Type /Catalog /AF [2 0 R] >>"},
			{2, "<< /Type /Filespec /F (factur-x.xml) /EF << /F 3 0 R >> >>"},
			{3, streamObj("/Filter /FlateDecode", []byte("not deflate at all"))},
		}, "/Root 1 0 R"), "", "", ErrInvalidPDF},
		{"encrypted", buildPDF([]pdfObj{
			{1, "<< /Type /Catalog >>"},
			{2, "<< /Filter /Standard /V 2 >>"},
		}, "/Root 1 0 R /Encrypt 2 0 R"), "", "", ErrInvalidPDF},
		{"not a PDF", []byte("<xml/>"), "", "", ErrInvalidPDF},
		{"empty", nil, "", "", ErrInvalidPDF},
		{"header only", []byte("%PDF-1.4\n"), "", "", ErrInvalidPDF},
		{"too large", append([]byte("%PDF-1.4\n"), make([]byte, MaxPDFSize)...), "", "", ErrInvalidPDF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			att, err := Extract(tt.pdf)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(Attachment{Name: tt.wantName, XML: []byte(tt.wantXML)}, att, cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) })); diff != "" {
				t.Errorf("attachment (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHostileStructure: inputs built to make a naive reader loop or work
// quadratically must end with an error quickly.
func TestHostileStructure(t *testing.T) {
	// two object streams that claim to hold each other
	a := "2 0 1 0 " + "<< /Type /Catalog >>"
	b := "1 0 2 0 " + "<< /Type /Catalog >>"
	cyclic := buildPDF([]pdfObj{
		{1, streamObj("/Type /ObjStm /N 2 /First 8", []byte(a))},
		{2, streamObj("/Type /ObjStm /N 2 /First 8", []byte(b))},
	}, "/Root 1 0 R")
	// many streams without endstream
	many := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("1 0 obj << /Length 99 >> stream\n"), 100_000)...)
	// deeply nested arrays
	deep := append([]byte("%PDF-1.7\n1 0 obj "), bytes.Repeat([]byte("["), 100_000)...)
	// many objects starting unterminated strings
	strs := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("1 0 obj ("), 200_000)...)
	for name, pdf := range map[string][]byte{"cyclic object streams": cyclic, "streams without end": many, "deep nesting": deep, "unterminated strings": strs} {
		t.Run(name, func(t *testing.T) {
			_, err := Extract(pdf)
			if !errors.Is(err, ErrInvalidPDF) && !errors.Is(err, ErrNoAttachment) {
				t.Errorf("error = %v, want ErrInvalidPDF or ErrNoAttachment", err)
			}
		})
	}
}

func hexOf(s string) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(digits[s[i]>>4])
		b.WriteByte(digits[s[i]&15])
	}
	return b.String()
}

// TestTruncated cuts a valid PDF at every length: the result is either
// the attachment or an error, never a panic.
func TestTruncated(t *testing.T) {
	for _, pdf := range [][]byte{simplePDF("factur-x.xml"), objStmPDF()} {
		for n := 0; n <= len(pdf); n++ {
			att, err := Extract(pdf[:n])
			if err == nil && !bytes.Equal(att.XML, []byte(testXML)) {
				t.Fatalf("cut at %d: wrong XML %q", n, att.XML)
			}
			if err != nil && !errors.Is(err, ErrInvalidPDF) && !errors.Is(err, ErrNoAttachment) {
				t.Fatalf("cut at %d: unexpected error kind %v", n, err)
			}
		}
	}
}

func TestPredictor(t *testing.T) {
	tests := []struct {
		name string
		cols int64
		in   []byte
		want []byte
	}{
		// rows of 3 bytes: PNG Sub on row 1, Up on row 2
		{"sub, up", 3, []byte{1, 1, 1, 1, 2, 1, 1, 1}, []byte{1, 2, 3, 2, 3, 4}},
		// rows of 2 bytes: None, Average, Paeth
		{"none, average, paeth", 2, []byte{0, 10, 20, 3, 5, 5, 4, 1, 1}, []byte{10, 20, 10, 20, 11, 21}},
		// a trailing partial row is dropped
		{"partial row", 2, []byte{0, 1, 2, 0, 3}, []byte{1, 2}},
	}
	for _, tt := range tests {
		got, err := unpredict(tt.in, dict{"Predictor": int64(12), "Columns": tt.cols})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
