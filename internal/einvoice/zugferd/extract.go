package zugferd

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Attachment is the embedded invoice XML of a hybrid PDF.
type Attachment struct {
	Name string // file name as given in the PDF's file specification
	XML  []byte // the decoded attachment, not checked for well-formedness
}

// ErrNoAttachment means the PDF is readable but embeds no invoice XML.
var ErrNoAttachment = errors.New("PDF has no embedded invoice XML")

// ErrInvalidPDF wraps every reason why a file cannot be read as a PDF.
var ErrInvalidPDF = errors.New("invalid PDF")

// Limits on hostile input.
const (
	MaxPDFSize     = 64 << 20  // bytes of PDF input
	MaxXMLSize     = 32 << 20  // bytes of one decompressed attachment
	MaxDecodeTotal = 128 << 20 // bytes decompressed per Extract call
	maxTreeNodes   = 10000     // name tree nodes visited
)

// invoiceNames are the attachment names of the hybrid formats (compared
// case-insensitively). When a PDF embeds several (ZUGFeRD 1 and 2 side by
// side), the first in document order wins: name tree order, then /AF.
var invoiceNames = []string{"factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml"}

func isInvoiceName(n string) bool {
	return slices.Contains(invoiceNames, strings.ToLower(n))
}

// Extract finds the embedded invoice XML of a ZUGFeRD, Factur-X or
// XRechnung hybrid PDF. See the package documentation for the rules.
func Extract(pdf []byte) (att Attachment, err error) {
	defer func() {
		// Last resort: a bug on hostile input must not crash the caller.
		if r := recover(); r != nil {
			att, err = Attachment{}, fmt.Errorf("%w: reader failure: %v", ErrInvalidPDF, r)
		}
	}()
	if len(pdf) > MaxPDFSize {
		return Attachment{}, fmt.Errorf("%w: file larger than %d bytes", ErrInvalidPDF, MaxPDFSize)
	}
	d, err := open(pdf, MaxDecodeTotal)
	if err != nil {
		return Attachment{}, fmt.Errorf("%w: %v", ErrInvalidPDF, err)
	}
	for _, t := range d.trailers() {
		if t["Encrypt"] != nil {
			return Attachment{}, fmt.Errorf("%w: encrypted PDFs are not supported", ErrInvalidPDF)
		}
	}
	specs := d.fileSpecs()
	var fallback *fileSpec
	for i := range specs {
		fs := &specs[i]
		if isInvoiceName(fs.name) {
			return d.extract(fs)
		}
		if fallback == nil && strings.HasSuffix(strings.ToLower(fs.name), ".xml") {
			fallback = fs
		}
	}
	if fallback != nil {
		// An XML attachment under another name counts only when it is an
		// invoice document (CII or UBL).
		if att, err := d.extract(fallback); err == nil && looksLikeInvoice(att.XML) {
			return att, nil
		}
	}
	return Attachment{}, ErrNoAttachment
}

func looksLikeInvoice(x []byte) bool {
	head := x[:min(len(x), 4096)]
	for _, ns := range []string{
		"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
		"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
		"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
		"urn:ferd:CrossIndustryDocument:invoice:1p0",
	} {
		if bytes.Contains(head, []byte(ns)) {
			return true
		}
	}
	return false
}

type fileSpec struct {
	name string
	ef   any // the embedded file stream (reference or stream)
}

// fileSpecs lists the embedded files: the EmbeddedFiles name tree first
// (in tree order), then the catalog's /AF array, then, when neither gives
// any, every file specification dictionary in the file.
func (d *document) fileSpecs() []fileSpec {
	var out []fileSpec
	seen := map[any]bool{}
	add := func(key string, v any) {
		if r, ok := v.(ref); ok {
			if seen[r] {
				return
			}
			seen[r] = true
		}
		if fs, ok := d.fileSpec(key, v); ok {
			out = append(out, fs)
		}
	}
	cat := d.catalog()
	if cat != nil {
		if names := d.dictOf(cat["Names"]); names != nil {
			visited := map[ref]bool{}
			count := 0
			d.walkNameTree(names["EmbeddedFiles"], visited, &count, 0, add)
		}
		for _, v := range d.arrayOf(cat["AF"]) {
			add("", v)
		}
	}
	if len(out) > 0 {
		return out
	}
	// No catalog or nothing reachable from it: look at every object.
	nums := make([]int, 0, len(d.index))
	for n := range d.index {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	for _, n := range nums {
		v, err := d.direct(n)
		if err != nil {
			continue
		}
		if dc, ok := v.(dict); ok && dc["EF"] != nil {
			add("", ref{n, 0})
		}
	}
	return out
}

func (d *document) walkNameTree(node any, visited map[ref]bool, count *int, depth int, add func(string, any)) {
	if r, ok := node.(ref); ok {
		if visited[r] {
			return
		}
		visited[r] = true
	}
	*count++
	if *count > maxTreeNodes || depth > maxNesting {
		return
	}
	n := d.dictOf(node)
	if n == nil {
		return
	}
	names := d.arrayOf(n["Names"])
	for i := 0; i+1 < len(names); i += 2 {
		k, _ := d.resolve(names[i])
		key, _ := k.([]byte)
		add(textString(key), names[i+1])
	}
	for _, kid := range d.arrayOf(n["Kids"]) {
		d.walkNameTree(kid, visited, count, depth+1, add)
	}
}

func (d *document) catalog() dict {
	for _, t := range d.trailers() {
		if c := d.dictOf(t["Root"]); c != nil {
			return c
		}
	}
	// no usable trailer: the last object of type Catalog
	var cat dict
	best := -1
	for n, e := range d.index {
		v, err := d.direct(n)
		if err != nil {
			continue
		}
		if dc, ok := v.(dict); ok && dc["Type"] == name("Catalog") && e.order > best {
			cat, best = dc, e.order
		}
	}
	return cat
}

// fileSpec reads a file specification: its name (/UF, else /F, else the
// name tree key) and embedded file stream (/EF /F or /UF).
func (d *document) fileSpec(key string, v any) (fileSpec, bool) {
	fs := d.dictOf(v)
	if fs == nil {
		return fileSpec{}, false
	}
	ef := d.dictOf(fs["EF"])
	if ef == nil {
		return fileSpec{}, false
	}
	stream := ef["F"]
	if stream == nil {
		stream = ef["UF"]
	}
	if stream == nil {
		return fileSpec{}, false
	}
	nm := ""
	for _, k := range []name{"UF", "F"} {
		if s, err := d.resolve(fs[k]); err == nil {
			if b, ok := s.([]byte); ok && len(b) > 0 {
				nm = textString(b)
				break
			}
		}
	}
	if nm == "" {
		nm = key
	}
	return fileSpec{name: nm, ef: stream}, true
}

func (d *document) extract(fs *fileSpec) (Attachment, error) {
	v, err := d.resolve(fs.ef)
	if err != nil {
		return Attachment{}, fmt.Errorf("%w: attachment %s: %v", ErrInvalidPDF, fs.name, err)
	}
	s, ok := v.(*stream)
	if !ok {
		return Attachment{}, fmt.Errorf("%w: attachment %s is not a stream", ErrInvalidPDF, fs.name)
	}
	saved := d.budget
	if d.budget > MaxXMLSize {
		d.budget = MaxXMLSize
	}
	data, err := d.decode(s)
	d.budget = saved - int64(len(data))
	if err != nil {
		return Attachment{}, fmt.Errorf("%w: attachment %s: %v", ErrInvalidPDF, fs.name, err)
	}
	return Attachment{Name: fs.name, XML: data}, nil
}

// textString decodes a PDF text string: UTF-16BE or UTF-8 with a byte
// order mark, else PDFDocEncoding (taken as Latin-1, which agrees for the
// characters of file names in practice).
func textString(b []byte) string {
	if len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF {
		b = b[2:]
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
		return string(utf16.Decode(u))
	}
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return string(b[3:])
	}
	if utf8.Valid(b) {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}
