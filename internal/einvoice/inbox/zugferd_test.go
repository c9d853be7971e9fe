package inbox

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/rathaus/rathaus/internal/platform/leitweg"
)

// hybridPDF wraps an invoice XML into a minimal ZUGFeRD / Factur-X PDF:
// the XML as embedded file factur-x.xml in the EmbeddedFiles name tree and
// /AF, Flate-compressed, as the standard's producers write it.
func hybridPDF(xml []byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(xml)
	zw.Close()
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 4 0 R >> /AF [5 0 R] >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
		"<< /Names [(factur-x.xml) 5 0 R] >>",
		"<< /Type /Filespec /F (factur-x.xml) /UF (factur-x.xml) /AFRelationship /Alternative /EF << /F 6 0 R /UF 6 0 R >> >>",
		fmt.Sprintf("<< /Type /EmbeddedFile /Subtype /text#2Fxml /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream", z.Len(), z.Bytes()),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, x)
	return b.Bytes()
}

// TestZUGFeRDPDF: a hybrid PDF (here with the CII invoice of the
// XRechnung test suite) is judged by its embedded XML, read from the CII
// syntax, routed, and the PDF kept as the original.
func TestZUGFeRDPDF(t *testing.T) {
	xml, err := os.ReadFile("../testdata/cii.xml")
	if err != nil {
		t.Fatal(err)
	}
	each(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		// The tenant is the test suite's public body (the operator sets its
		// Leitweg-ID); route that Leitweg-ID to the Bauamt.
		buyer := between(string(xml), "<ram:BuyerReference>", "</ram:BuyerReference>")
		if !leitweg.Valid(buyer) {
			t.Fatalf("test invoice's Leitweg-ID %q", buyer)
		}
		if _, err := w.s.Identity.SetLeitwegID(ctx, w.system, w.t.ID, buyer); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.SetRoute(ctx, w.clerkA, w.t.ID, buyer, w.unit); err != nil {
			t.Fatal(err)
		}
		pdf := hybridPDF(xml)
		inv, err := w.s.Submit(ctx, w.clerkA, w.t.ID, Submission{Channel: ChannelUpload, Data: pdf, ContentType: "application/pdf", Name: "rechnung.pdf"})
		if err != nil {
			t.Fatal(err)
		}
		if inv.Original.Type != TypePDF || inv.Hash != sha(pdf) || inv.Unit != w.unit || inv.Document.Syntax != "cii" {
			t.Errorf("pdf invoice %+v", inv)
		}
		_, orig, err := w.s.Original(ctx, w.clerkB, w.t.ID, inv.Ref)
		if err != nil || !bytes.Equal(orig, pdf) {
			t.Errorf("original not kept: %v", err)
		}
		if len(Terms(inv.Document)) < 5 {
			t.Errorf("readable view of the PDF's invoice has %d groups", len(Terms(inv.Document)))
		}
		// A PDF whose embedded invoice breaks the rules is refused like XML.
		bad := strings.Replace(string(xml), "<ram:BuyerReference>"+buyer+"</ram:BuyerReference>", "", 1)
		if _, err := w.s.Submit(ctx, w.clerkA, w.t.ID, Submission{Channel: ChannelUpload, Data: hybridPDF([]byte(bad)), ContentType: "application/pdf"}); err == nil {
			t.Error("PDF with a rejected invoice accepted")
		}
	})
}

func between(s, a, b string) string {
	_, rest, _ := strings.Cut(s, a)
	v, _, _ := strings.Cut(rest, b)
	return v
}
