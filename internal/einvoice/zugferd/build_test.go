package zugferd

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
)

// pdfObj is one object of a test PDF: its number and body (without the
// "N 0 obj" / "endobj" frame).
type pdfObj struct {
	num  int
	body string
}

// buildPDF writes a PDF with a classic xref table and the given trailer
// dictionary entries.
func buildPDF(objs []pdfObj, trailer string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := map[int]int{}
	maxNum := 0
	for _, o := range objs {
		offs[o.num] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", o.num, o.body)
		maxNum = max(maxNum, o.num)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", maxNum+1)
	for i := 1; i <= maxNum; i++ {
		if off, ok := offs[i]; ok {
			fmt.Fprintf(&b, "%010d 00000 n \n", off)
		} else {
			b.WriteString("0000000000 00000 f \n")
		}
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n", maxNum+1, trailer, xref)
	return b.Bytes()
}

func deflate(data []byte) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func streamObj(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

const testXML = `<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>`

// simplePDF embeds testXML as name in an EmbeddedFiles name tree, with
// /AF as well, Flate-compressed.
func simplePDF(attName string) []byte {
	return buildPDF([]pdfObj{
		{1, "<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 4 0 R >> /AF [5 0 R] >>"},
		{2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
		{3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"},
		{4, "<< /Names [(" + attName + ") 5 0 R] >>"},
		{5, "<< /Type /Filespec /F (" + attName + ") /UF (" + attName + ") /AFRelationship /Alternative /EF << /F 6 0 R /UF 6 0 R >> >>"},
		{6, streamObj("/Type /EmbeddedFile /Subtype /text#2Fxml /Filter /FlateDecode", deflate([]byte(testXML)))},
	}, "/Root 1 0 R")
}

// objStmPDF puts the catalog, name tree and file specification into a
// compressed object stream, with an xref stream instead of a table.
func objStmPDF() []byte {
	objs := []string{
		"<< /Type /Catalog /Names << /EmbeddedFiles 4 0 R >> >>",
		"<< /Kids [7 0 R] >>",
		"<< /Type /Filespec /F <FEFF007A007500670066006500720064002D0069006E0076006F006900630065002E0078006D006C> /EF << /F 6 0 R >> >>",
		"<< /Limits [(a) (z)] /Names [(zugferd-invoice.xml) 5 0 R] >>",
	}
	nums := []int{1, 4, 5, 7}
	var header, body strings.Builder
	for i, o := range objs {
		fmt.Fprintf(&header, "%d %d ", nums[i], body.Len())
		body.WriteString(o)
		body.WriteString("\n")
	}
	content := header.String() + body.String()
	first := len(header.String())
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	b.WriteString("6 0 obj\n" + streamObj("/Type /EmbeddedFile", []byte(testXML)) + "\nendobj\n")
	b.WriteString("8 0 obj\n" + streamObj(fmt.Sprintf("/Type /ObjStm /N %d /First %d /Filter /FlateDecode", len(objs), first), deflate([]byte(content))) + "\nendobj\n")
	// xref stream: its offsets are deliberately wrong, the reader must not need them
	xr := []byte{1, 0, 0, 0, 1, 0, 0, 0}
	b.WriteString("9 0 obj\n" + streamObj("/Type /XRef /Size 10 /W [1 2 1] /Root 1 0 R", xr) + "\nendobj\n")
	b.WriteString("startxref\n12345\n%%EOF\n")
	return b.Bytes()
}
