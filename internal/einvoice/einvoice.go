package einvoice

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rathaus/rathaus/internal/einvoice/schematron"
	"github.com/rathaus/rathaus/internal/einvoice/xpath"
	"github.com/rathaus/rathaus/internal/einvoice/xsd"
)

// Limits on untrusted input.
const (
	MaxSize  = 20 << 20 // bytes of XML or PDF
	MaxDepth = 200      // element nesting
	maxNodes = 2 << 20
)

// Syntax values of a Verdict.
const (
	SyntaxUBLInvoice    = "ubl-invoice"
	SyntaxUBLCreditNote = "ubl-creditnote"
	SyntaxCII           = "cii"
	SyntaxUnknown       = "unknown"
)

// Levels of a Message.
const (
	LevelError       = "error"
	LevelWarning     = "warning"
	LevelInformation = "information"
)

// Verdict is the judgement of one document, with the field names of the
// reference verdict files.
type Verdict struct {
	File       string  `json:"file"`
	Syntax     string  `json:"syntax"`
	Scenario   *string `json:"scenario"`
	Wellformed bool    `json:"wellformed"`
	XSDValid   bool    `json:"xsd_valid"`
	Accept     bool    `json:"accept"`
	// Errors, Warnings and Infos are the sorted unique rule ids that fired
	// with that effective level (never nil).
	Errors   []string `json:"errors"`
	Warnings []string `json:"warnings"`
	Infos    []string `json:"infos"`
	// Attachment is the name of the XML file embedded in a PDF.
	Attachment string `json:"attachment,omitempty"`
	// Reason says why a document was rejected before the rules ran.
	Reason string `json:"reason,omitempty"`
	// ProcessingErrors are failures of a rule set at run time; they make
	// the verdict a rejection, as in the reference pipeline.
	ProcessingErrors []string  `json:"processing_errors,omitempty"`
	Messages         []Message `json:"messages"`
}

// Message is one fired rule or schema violation.
type Message struct {
	ID       string `json:"id"`
	Level    string `json:"level"`
	Text     string `json:"text"`
	TextDE   string `json:"text_de,omitempty"`
	Location string `json:"location"`
}

func newVerdict(name string) Verdict {
	return Verdict{File: name, Syntax: SyntaxUnknown, Errors: []string{}, Warnings: []string{}, Infos: []string{}, Messages: []Message{}}
}

var pdfMagic = []byte("%PDF-")

// Validate judges one document (XML, or a ZUGFeRD / Factur-X PDF with an
// embedded XML invoice, recognised by its content) as the official KoSIT
// pipeline does. It never panics; every problem of the input is a
// rejection with a reason.
func Validate(name string, data []byte) (v Verdict) {
	v = newVerdict(name)
	defer func() {
		if r := recover(); r != nil {
			v.Accept = false
			v.ProcessingErrors = append(v.ProcessingErrors, fmt.Sprint("internal error: ", r))
			v.Reason = "internal error while validating"
		}
	}()
	if len(data) > MaxSize {
		v.Reason = fmt.Sprintf("file larger than %d bytes", MaxSize)
		return v
	}
	// A PDF may have bytes before its header (within the first KiB); an
	// XML document starts with '<' after an optional byte order mark.
	head := bytes.TrimLeft(bytes.TrimPrefix(data[:min(len(data), 1024)], []byte{0xEF, 0xBB, 0xBF}), " \t\r\n")
	if !bytes.HasPrefix(head, []byte("<")) && bytes.Contains(head, pdfMagic) {
		return validatePDF(v, data)
	}
	validateXML(&v, data)
	return v
}

// ValidateXML judges an XML document.
func ValidateXML(name string, data []byte) Verdict {
	v := newVerdict(name)
	if len(data) > MaxSize {
		v.Reason = fmt.Sprintf("file larger than %d bytes", MaxSize)
		return v
	}
	validateXML(&v, data)
	return v
}

const (
	nsInvoice    = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
	nsCreditNote = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
	nsCII        = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
)

func syntaxOf(root *xpath.Node) (string, xsd.Schema) {
	switch {
	case root.Space == nsInvoice && root.Local == "Invoice":
		return SyntaxUBLInvoice, xsd.UBLInvoice
	case root.Space == nsCreditNote && root.Local == "CreditNote":
		return SyntaxUBLCreditNote, xsd.UBLCreditNote
	case root.Space == nsCII && root.Local == "CrossIndustryInvoice":
		return SyntaxCII, xsd.CII
	}
	return SyntaxUnknown, 0
}

func parse(data []byte) (*xpath.Document, error) {
	return xpath.Parse(data, xpath.Limits{MaxDepth: MaxDepth, MaxNodes: maxNodes})
}

func validateXML(v *Verdict, data []byte) {
	doc, err := parse(data)
	if err != nil {
		v.Reason = "not well-formed XML: " + err.Error()
		if errors.Is(err, xpath.ErrDTD) {
			v.Reason = "document type declarations (DTD, entities) are not allowed"
		}
		v.Messages = append(v.Messages, Message{ID: "XML", Level: LevelError, Text: v.Reason, Location: "/"})
		return
	}
	v.Wellformed = true
	root := doc.Element()
	syntax, schema := syntaxOf(root)
	v.Syntax = syntax
	if schema != 0 {
		xerrs := xsd.Validate(data, schema)
		v.XSDValid = len(xerrs) == 0
		for _, e := range xerrs {
			loc := e.Path
			if loc == "" {
				loc = fmt.Sprintf("line %d, column %d", e.Line, e.Col)
			}
			v.Messages = append(v.Messages, Message{ID: e.Code, Level: LevelError, Text: e.Msg, Location: loc})
		}
	}
	sc, err := selectScenario(doc)
	if err != nil {
		v.ProcessingErrors = append(v.ProcessingErrors, err.Error())
		return
	}
	if sc == nil {
		v.Reason = noScenarioReason(doc, syntax)
		id := "NO-SCENARIO"
		if syntax != SyntaxUnknown && zugferdProfile(specificationID(doc)) != "" {
			id = "PROFILE-NOT-EN16931"
		}
		v.Messages = append(v.Messages, Message{ID: id, Level: LevelError, Text: v.Reason, TextDE: germanText[id], Location: "/"})
		return
	}
	v.Scenario = &sc.Name
	if !v.XSDValid {
		v.Reason = "not valid against the XML Schema of " + sc.schema.String() + "; the rules were not run"
		return
	}
	runRules(v, doc, sc)
}

func runRules(v *Verdict, doc *xpath.Document, sc *scenario) {
	errs, warns, infos := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, file := range sc.ruleSets {
		s, err := ruleSet(file)
		if err != nil {
			v.ProcessingErrors = append(v.ProcessingErrors, err.Error())
			continue
		}
		res := s.Run(doc)
		if len(res.Errors) > 0 {
			// The reference's stylesheet stops at the first dynamic
			// error and reports nothing for this rule set.
			v.ProcessingErrors = append(v.ProcessingErrors, fmt.Sprintf("%s: %v", file, res.Errors[0]))
			continue
		}
		for _, f := range res.Firings {
			level := flagLevel(f.Check.Flag)
			if l, ok := sc.levels[f.Check.ID]; ok {
				level = l
			}
			switch level {
			case LevelError:
				errs[f.Check.ID] = true
			case LevelWarning:
				warns[f.Check.ID] = true
			default:
				level = LevelInformation
				infos[f.Check.ID] = true
			}
			v.Messages = append(v.Messages, Message{ID: f.Check.ID, Level: level, Text: f.Text, TextDE: germanText[f.Check.ID], Location: f.Node.Path()})
		}
	}
	v.Errors, v.Warnings, v.Infos = sortedKeys(errs), sortedKeys(warns), sortedKeys(infos)
	if len(v.ProcessingErrors) > 0 {
		v.Reason = "a rule set could not be evaluated on this document (see processing_errors); without its result the document is rejected"
	}
	v.Accept = len(v.Errors) == 0 && len(v.ProcessingErrors) == 0
}

// flagLevel maps a schematron flag to a report level.
func flagLevel(flag string) string {
	switch strings.ToLower(flag) {
	case "fatal", "error":
		return LevelError
	case "warning", "warn":
		return LevelWarning
	}
	return LevelInformation
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func noScenarioReason(doc *xpath.Document, syntax string) string {
	if syntax == SyntaxUnknown {
		r := doc.Element()
		return fmt.Sprintf("unknown document type {%s}%s: not a UBL Invoice, UBL CreditNote or CII invoice", r.Space, r.Local)
	}
	id := specificationID(doc)
	if p := zugferdProfile(id); p != "" {
		return fmt.Sprintf("ZUGFeRD/Factur-X profile %s (%q) is not a full invoice under EN 16931; no validation scenario applies", p, id)
	}
	return fmt.Sprintf("specification identifier %q matches no validation scenario (XRechnung 3.0 or EN 16931)", id)
}

func specificationID(doc *xpath.Document) string {
	root := doc.Element()
	for _, c := range root.Children {
		if c.Kind != xpath.ElementNode {
			continue
		}
		if c.Local == "CustomizationID" {
			return c.StringValue()
		}
		if c.Local == "ExchangedDocumentContext" {
			for _, g := range c.Children {
				if g.Kind == xpath.ElementNode && g.Local == "GuidelineSpecifiedDocumentContextParameter" {
					for _, id := range g.Children {
						if id.Kind == xpath.ElementNode && id.Local == "ID" {
							return id.StringValue()
						}
					}
				}
			}
		}
	}
	return ""
}

// zugferdProfile names the ZUGFeRD / Factur-X profiles that are not full
// EN 16931 invoices (MINIMUM and BASIC WL), from their guideline id.
func zugferdProfile(id string) string {
	l := strings.ToLower(id)
	switch {
	case strings.Contains(l, "factur-x.eu:1p0:minimum") || strings.Contains(l, "zugferd.de:2p0:minimum") || strings.HasSuffix(l, ":minimum"):
		return "MINIMUM"
	case strings.Contains(l, "basicwl"):
		return "BASIC WL"
	}
	return ""
}

// runSchema runs one embedded rule set alone (for the CEN unit tests).
func runSchema(file string, doc *xpath.Document) (schematron.Result, error) {
	s, err := ruleSet(file)
	if err != nil {
		return schematron.Result{}, err
	}
	return s.Run(doc), nil
}
