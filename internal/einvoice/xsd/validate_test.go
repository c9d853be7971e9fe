package xsd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ublInvoice is a minimal schema-valid UBL invoice; the tests replace
// parts of it to produce one kind of violation each.
const ublInvoice = `<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
 xmlns:ext="urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <!--EXT-->
  <cbc:ID>R-1</cbc:ID>
  <cbc:IssueDate>2024-02-29</cbc:IssueDate>
  <cac:AccountingSupplierParty><cac:Party><cac:PartyIdentification><cbc:ID schemeID="0088">4000001000005</cbc:ID></cac:PartyIdentification></cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party/></cac:AccountingCustomerParty>
  <cac:LegalMonetaryTotal><cbc:PayableAmount currencyID="EUR">100.00</cbc:PayableAmount></cac:LegalMonetaryTotal>
  <cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount><cac:Item><cbc:Name>Gebühr</cbc:Name></cac:Item></cac:InvoiceLine>
</Invoice>`

const ciiInvoice = `<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext><ram:TestIndicator><udt:Indicator>true</udt:Indicator></ram:TestIndicator></rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument><ram:ID>R-1</ram:ID><ram:IssueDateTime><udt:DateTimeString format="102">20240229</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement/>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode></ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>`

func TestValidate(t *testing.T) {
	ubl := func(old, new string) string {
		if !strings.Contains(ublInvoice, old) {
			t.Fatalf("test document lacks %q", old)
		}
		return strings.Replace(ublInvoice, old, new, 1)
	}
	cii := func(old, new string) string {
		if !strings.Contains(ciiInvoice, old) {
			t.Fatalf("test document lacks %q", old)
		}
		return strings.Replace(ciiInvoice, old, new, 1)
	}
	tests := []struct {
		name   string
		schema Schema
		doc    string
		want   []string // sorted unique codes; nil = valid
	}{
		{"valid UBL", UBLInvoice, ublInvoice, nil},
		{"valid CII", CII, ciiInvoice, nil},
		{"missing required element", UBLInvoice, ubl("<cbc:IssueDate>2024-02-29</cbc:IssueDate>", ""), []string{"cvc-complex-type.2.4.a"}},
		{"content incomplete", UBLInvoice, ubl("<cbc:PayableAmount currencyID=\"EUR\">100.00</cbc:PayableAmount>", ""), []string{"cvc-complex-type.2.4.b"}},
		{"wrong order", UBLInvoice, ubl("<cbc:ID>R-1</cbc:ID>\n  <cbc:IssueDate>2024-02-29</cbc:IssueDate>", "<cbc:IssueDate>2024-02-29</cbc:IssueDate><cbc:ID>R-1</cbc:ID>"), []string{"cvc-complex-type.2.4.a"}},
		{"too many occurrences", UBLInvoice, ubl("<cbc:ID>R-1</cbc:ID>", "<cbc:ID>R-1</cbc:ID><cbc:ID>R-2</cbc:ID>"), []string{"cvc-complex-type.2.4.a"}},
		{"nothing more expected", UBLInvoice, ubl("4000001000005</cbc:ID>", "4000001000005</cbc:ID><cbc:ID>x</cbc:ID>"), []string{"cvc-complex-type.2.4.d"}},
		{"unknown element", UBLInvoice, ubl("<cbc:Name>Gebühr</cbc:Name>", "<cbc:Name>Gebühr</cbc:Name><cbc:Colour>red</cbc:Colour>"), []string{"cvc-complex-type.2.4.a"}},
		{"bad decimal", UBLInvoice, ubl(">100.00</cbc:PayableAmount>", ">100,00</cbc:PayableAmount>"), []string{"cvc-complex-type.2.2", "cvc-datatype-valid.1.2.1"}},
		{"empty decimal", UBLInvoice, ubl(">100.00</cbc:PayableAmount>", "></cbc:PayableAmount>"), []string{"cvc-complex-type.2.2", "cvc-datatype-valid.1.2.1"}},
		{"decimal with spaces is collapsed", UBLInvoice, ubl(">100.00</cbc:PayableAmount>", ">\n 100.00 \n</cbc:PayableAmount>"), nil},
		{"no leap day", UBLInvoice, ubl("2024-02-29", "2023-02-29"), []string{"cvc-complex-type.2.2", "cvc-datatype-valid.1.2.1"}},
		{"date with time zone", UBLInvoice, ubl("2024-02-29", "2024-02-29+01:00"), nil},
		{"missing required attribute", UBLInvoice, ubl(`<cbc:PayableAmount currencyID="EUR">`, `<cbc:PayableAmount>`), []string{"cvc-complex-type.4"}},
		{"unexpected attribute", UBLInvoice, ubl(`<cbc:PayableAmount currencyID="EUR">`, `<cbc:PayableAmount currencyID="EUR" colour="red">`), []string{"cvc-complex-type.3.2.2"}},
		{"foreign attribute not allowed", UBLInvoice, ubl(`<cbc:PayableAmount currencyID="EUR">`, `<cbc:PayableAmount xmlns:f="urn:f" f:x="1" currencyID="EUR">`), []string{"cvc-complex-type.3.2.2"}},
		{"text in element-only content", UBLInvoice, ubl("<cac:Party/>", "<cac:Party>some text</cac:Party>"), []string{"cvc-complex-type.2.3"}},
		{"element in simple content", UBLInvoice, ubl("<cbc:ID>1</cbc:ID>", "<cbc:ID>1<cbc:Note>x</cbc:Note></cbc:ID>"), []string{"cvc-complex-type.2.2"}},
		{"schemaLocation is ignored", UBLInvoice, ubl("<cbc:ID>R-1</cbc:ID>", `<cbc:ID xsi:schemaLocation="urn:x nowhere.xsd">R-1</cbc:ID>`), nil},
		{"unknown xsi attribute", UBLInvoice, ubl("<cbc:ID>R-1</cbc:ID>", `<cbc:ID xsi:colour="red">R-1</cbc:ID>`), []string{"cvc-complex-type.3.2.2"}},
		{"xsi:type unknown", UBLInvoice, ubl("<cbc:ID>R-1</cbc:ID>", `<cbc:ID xsi:type="cbc:NoSuchType">R-1</cbc:ID>`), []string{"cvc-elt.4.2"}},
		{"xsi:type not derived", UBLInvoice, ubl("<cbc:ID>R-1</cbc:ID>", `<cbc:ID xsi:type="cbc:AmountType">R-1</cbc:ID>`), []string{"cvc-complex-type.2.2", "cvc-complex-type.4", "cvc-datatype-valid.1.2.1", "cvc-elt.4.3"}}, // still checked against the named type, as Xerces does
		{"xsi:type same type", UBLInvoice, ubl("<cbc:ID>R-1</cbc:ID>", `<cbc:ID xsi:type="cbc:IDType">R-1</cbc:ID>`), nil},
		{"xsi:nil not nillable", UBLInvoice, ubl("<cbc:ID>R-1</cbc:ID>", `<cbc:ID xsi:nil="true">R-1</cbc:ID>`), []string{"cvc-elt.3.1"}},
		{"xsi:nil not boolean", UBLInvoice, ubl("<cbc:ID>R-1</cbc:ID>", `<cbc:ID xsi:nil="yes">R-1</cbc:ID>`), []string{"cvc-attribute.3", "cvc-datatype-valid.1.2.1", "cvc-elt.3.1"}},
		{"extension content lax unknown", UBLInvoice, ubl("<!--EXT-->", `<ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent><f:Any xmlns:f="urn:foreign" a="1"><f:Deep>x</f:Deep></f:Any></ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions>`), nil},
		{"extension content lax known", UBLInvoice, ubl("<!--EXT-->", `<ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent><cbc:PayableAmount>1</cbc:PayableAmount></ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions>`), []string{"cvc-complex-type.4"}},
		{"extension content from own namespace", UBLInvoice, ubl("<!--EXT-->", `<ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent><ext:UBLExtensions/></ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions>`), []string{"cvc-complex-type.2.4.a", "cvc-complex-type.2.4.b"}}, // the unexpected element is still checked against its global declaration
		{"extension content twice", UBLInvoice, ubl("<!--EXT-->", `<ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent><f:A xmlns:f="urn:f"/><f:B xmlns:f="urn:f"/></ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions>`), []string{"cvc-complex-type.2.4.d"}},
		{"XML signature in extension", UBLInvoice, ubl("<!--EXT-->", signature("AAECAw==")), nil},
		{"XML signature, digest not base64", UBLInvoice, ubl("<!--EXT-->", signature("not base64!")), []string{"cvc-datatype-valid.1.2.1", "cvc-type.3.1.3"}},
		{"undeclared root", UBLInvoice, `<Foo/>`, []string{"cvc-elt.1.a"}},
		{"credit note against invoice schema", UBLInvoice, `<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"/>`, []string{"cvc-elt.1.a"}},
		{"CII boolean", CII, cii("<udt:Indicator>true</udt:Indicator>", "<udt:Indicator>yes</udt:Indicator>"), []string{"cvc-datatype-valid.1.2.1", "cvc-type.3.1.3"}},
		{"CII boolean 0", CII, cii("<udt:Indicator>true</udt:Indicator>", "<udt:Indicator>0</udt:Indicator>"), nil},
		{"CII choice both", CII, cii("<udt:Indicator>true</udt:Indicator>", "<udt:Indicator>true</udt:Indicator><udt:IndicatorString>x</udt:IndicatorString>"), []string{"cvc-complex-type.2.4.d"}},
		{"CII choice none", CII, cii("<udt:Indicator>true</udt:Indicator>", ""), []string{"cvc-complex-type.2.4.b"}},
		{"CII local element unqualified", CII, cii("<ram:ID>R-1</ram:ID>", "<ID>R-1</ID>"), []string{"cvc-complex-type.2.4.a"}},
		{"CII token is not checked", CII, cii(">EUR<", "> E U R <"), nil},
		{"not well-formed", UBLInvoice, ubl("</Invoice>", "</Invoic>"), []string{CodeNotWellFormed}},
		{"unclosed", UBLInvoice, ubl("</Invoice>", ""), []string{CodeNotWellFormed}},
		{"unbound prefix", UBLInvoice, ubl("<cbc:ID>R-1</cbc:ID>", "<x:ID>R-1</x:ID>"), []string{CodeNotWellFormed}},
		{"duplicate attribute", UBLInvoice, ubl(`currencyID="EUR">100.00</cbc:PayableAmount>`, `currencyID="EUR" currencyID="EUR">100.00</cbc:PayableAmount>`), []string{CodeNotWellFormed}},
		{"second root", UBLInvoice, ublInvoice + "<Invoice/>", []string{CodeNotWellFormed}},
		{"text after root", UBLInvoice, ublInvoice + "x", []string{CodeNotWellFormed}},
		{"empty input", UBLInvoice, "", []string{CodeNotWellFormed}},
		{"undefined entity", UBLInvoice, ubl("R-1", "&x;"), []string{CodeNotWellFormed}},
		{"doctype with entities", UBLInvoice, `<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Invoice>&b;</Invoice>`, []string{CodeDoctype}},
		{"too deep", UBLInvoice, ubl("<!--EXT-->", `<ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent>`+strings.Repeat("<f:a xmlns:f='urn:f'>", 300)+strings.Repeat("</f:a>", 300)+`</ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions>`), []string{CodeLimit}},
		{"bad schema value", Schema(9), ublInvoice, []string{CodeUnknownSchema}},
		{"latin-1", UBLInvoice, strings.Replace(strings.Replace(ublInvoice, "UTF-8", "ISO-8859-1", 1), "Gebühr", "Geb\xfchr", 1), nil},
		{"byte order mark", UBLInvoice, "\xef\xbb\xbf" + ublInvoice, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := Validate([]byte(tt.doc), tt.schema)
			if diff := cmp.Diff(tt.want, codeSet(errs)); diff != "" {
				t.Errorf("codes (-want +got):\n%s\nerrors: %v", diff, errs)
			}
		})
	}
}

func TestErrorPosition(t *testing.T) {
	doc := strings.Replace(ublInvoice, ">100.00</cbc:LineExtensionAmount>", ">x</cbc:LineExtensionAmount>", 1)
	errs := Validate([]byte(doc), UBLInvoice)
	if len(errs) == 0 {
		t.Fatal("no error")
	}
	got := Error{Line: errs[0].Line, Path: errs[0].Path, Code: errs[0].Code}
	want := Error{Line: 13, Path: "/Invoice/cac:InvoiceLine[1]/cbc:LineExtensionAmount[1]", Code: "cvc-datatype-valid.1.2.1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first error (-want +got):\n%s", diff)
	}
}

func TestSimpleTypes(t *testing.T) {
	maxLen3 := builtins["token"].derive()
	maxLen3.minLen, maxLen3.maxLen = 1, 3
	enum := builtins["token"].derive()
	enum.enums = []string{"A", "B"}
	pat := builtins["string"].derive()
	re, err := compilePattern([]string{`[A-Z]{2}\d+`, `\i\c*`})
	if err != nil {
		t.Fatal(err)
	}
	pat.patterns = append(pat.patterns, re)
	digits := builtins["decimal"].derive()
	digits.totalDigits, digits.fracDigits = 5, 2
	list := newSimple(qname{}, primAnySimple, wsCollapse)
	list.variety = varList
	list.item = builtins["integer"]
	list.maxLen = 2
	union := newSimple(qname{}, primAnySimple, wsCollapse)
	union.variety = varUnion
	union.members = []*simpleType{builtins["date"], builtins["boolean"]}

	tests := []struct {
		typ   *simpleType
		value string
		want  string // code, "" when valid
	}{
		{builtins["decimal"], "1", ""},
		{builtins["decimal"], "-1.5", ""},
		{builtins["decimal"], "+.5", ""},
		{builtins["decimal"], "1.", ""},
		{builtins["decimal"], ".", "cvc-datatype-valid.1.2.1"},
		{builtins["decimal"], "1e3", "cvc-datatype-valid.1.2.1"},
		{builtins["decimal"], "1 000", "cvc-datatype-valid.1.2.1"},
		{builtins["integer"], "1.0", "cvc-datatype-valid.1.2.1"},
		{builtins["positiveInteger"], "0", "cvc-minInclusive-valid"},
		{builtins["byte"], "128", "cvc-maxInclusive-valid"},
		{builtins["double"], "-1.5E-3", ""},
		{builtins["double"], "INF", ""},
		{builtins["boolean"], "TRUE", "cvc-datatype-valid.1.2.1"},
		{builtins["date"], "2024-13-01", "cvc-datatype-valid.1.2.1"},
		{builtins["date"], "2000-02-29Z", ""},
		{builtins["date"], "1900-02-29", "cvc-datatype-valid.1.2.1"},
		{builtins["date"], "20240101", "cvc-datatype-valid.1.2.1"},
		{builtins["date"], "0000-01-01", "cvc-datatype-valid.1.2.1"},
		{builtins["date"], "12024-01-01", ""},
		{builtins["dateTime"], "2024-01-01T10:00:00.5+14:00", ""},
		{builtins["dateTime"], "2024-01-01T24:00:00", ""},
		{builtins["dateTime"], "2024-01-01T24:00:01", "cvc-datatype-valid.1.2.1"},
		{builtins["dateTime"], "2024-01-01", "cvc-datatype-valid.1.2.1"},
		{builtins["time"], "10:00", "cvc-datatype-valid.1.2.1"},
		{builtins["duration"], "P1Y2M3DT4H5M6.5S", ""},
		{builtins["duration"], "PT", "cvc-datatype-valid.1.2.1"},
		{builtins["gYear"], "2024", ""},
		{builtins["gMonthDay"], "--02-30", "cvc-datatype-valid.1.2.1"},
		{builtins["base64Binary"], "SGVsbG8=", ""},
		{builtins["base64Binary"], "SGVsbG8", "cvc-datatype-valid.1.2.1"},
		{builtins["base64Binary"], "SGVs\nbG8=", ""},
		{builtins["hexBinary"], "0aF", "cvc-datatype-valid.1.2.1"},
		{builtins["anyURI"], "https://example.org/a b", ""},
		{builtins["anyURI"], "http://x/%zz", "cvc-datatype-valid.1.2.1"},
		{builtins["anyURI"], "1http://x", "cvc-datatype-valid.1.2.1"},
		{builtins["anyURI"], "urn:", "cvc-datatype-valid.1.2.1"},
		{builtins["anyURI"], ":x", "cvc-datatype-valid.1.2.1"},
		{builtins["anyURI"], "0088:4000001000005", "cvc-datatype-valid.1.2.1"},
		{builtins["anyURI"], "a[1]", "cvc-datatype-valid.1.2.1"},
		{builtins["anyURI"], "http://x/a[1]", "cvc-datatype-valid.1.2.1"},
		{builtins["anyURI"], "#a#b", "cvc-datatype-valid.1.2.1"},
		{builtins["anyURI"], "urn:x:a[1]", ""},
		{builtins["anyURI"], "http://[::1]/x?q=[1]#f", ""},
		{builtins["anyURI"], "mailto:rechnung@example.de", ""},
		{builtins["anyURI"], "../a/b.xml", ""},
		{builtins["anyURI"], "http://münchen.de/ä ö", ""},
		{builtins["language"], "de-DE", ""},
		{builtins["language"], "de_DE", "cvc-pattern-valid"},
		{builtins["NCName"], "a:b", "cvc-datatype-valid.1.2.1"},
		{builtins["ID"], "1abc", "cvc-datatype-valid.1.2.1"},
		{builtins["normalizedString"], "a\tb", ""},
		{maxLen3, "C62", ""},
		{maxLen3, "  C62 ", ""},
		{maxLen3, "C620", "cvc-maxLength-valid"},
		{maxLen3, "", "cvc-minLength-valid"},
		{enum, " B ", ""},
		{enum, "C", "cvc-enumeration-valid"},
		{pat, "DE123", ""},
		{pat, "_x1", ""},
		{pat, "1x", "cvc-pattern-valid"},
		{digits, "123.45", ""},
		{digits, "1.234", "cvc-fractionDigits-valid"},
		{digits, "1234.56", "cvc-totalDigits-valid"},
		{digits, "0012.300", ""},
		{list, "1 2", ""},
		{list, "1 2 3", "cvc-maxLength-valid"},
		{list, "1 x", "cvc-datatype-valid.1.2.1"},
		{union, "false", ""},
		{union, "x", "cvc-datatype-valid.1.2.3"},
	}
	for _, tt := range tests {
		got := ""
		if e := tt.typ.validate(tt.value); e != nil {
			got = e.code
		}
		if got != tt.want {
			t.Errorf("%s %q: got %q, want %q", primLabel(tt.typ.prim), tt.value, got, tt.want)
		}
	}
}

func TestConcurrent(t *testing.T) {
	done := make(chan []Error)
	for i := 0; i < 8; i++ {
		go func() {
			s := []Schema{UBLInvoice, CII}[i%2]
			doc := []string{strings.Replace(ublInvoice, "<cbc:ID>R-1</cbc:ID>", `<cbc:ID xsi:type="cbc:IDType">R-1</cbc:ID>`, 1), ciiInvoice}[i%2]
			done <- Validate([]byte(doc), s)
		}()
	}
	for i := 0; i < 8; i++ {
		if errs := <-done; len(errs) != 0 {
			t.Errorf("concurrent validation: %v", errs)
		}
	}
}

// signature returns UBL extensions carrying an XML signature, which the
// lax wildcard of ExtensionContent validates with the embedded xmldsig
// and UBL signature schemas.
func signature(digest string) string {
	return `<ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent>
<sig:UBLDocumentSignatures xmlns:sig="urn:oasis:names:specification:ubl:schema:xsd:CommonSignatureComponents-2"
 xmlns:sac="urn:oasis:names:specification:ubl:schema:xsd:SignatureAggregateComponents-2"
 xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
 <sac:SignatureInformation>
  <cbc:ID>urn:oasis:names:specification:ubl:signature:1</cbc:ID>
  <ds:Signature Id="sig1">
   <ds:SignedInfo>
    <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2006/12/xml-c14n11"/>
    <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
    <ds:Reference URI="">
     <ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms>
     <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
     <ds:DigestValue>` + digest + `</ds:DigestValue>
    </ds:Reference>
   </ds:SignedInfo>
   <ds:SignatureValue>AAECAw==</ds:SignatureValue>
  </ds:Signature>
 </sac:SignatureInformation>
</sig:UBLDocumentSignatures>
</ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions>`
}

// TestHostile: inputs built to make a naive validator slow end quickly,
// with a limit error or a normal result.
func TestHostile(t *testing.T) {
	ext := func(inner string) string {
		return strings.Replace(ublInvoice, "<!--EXT-->", `<ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent>`+inner+`</ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions>`, 1)
	}
	var manyAttrs, manyNames, manyNS strings.Builder
	manyAttrs.WriteString(`<f:a xmlns:f="urn:f"`)
	for i := range 100_000 {
		fmt.Fprintf(&manyAttrs, " a%d='1'", i)
	}
	manyAttrs.WriteString("/>")
	manyNames.WriteString(`<f:a xmlns:f="urn:f">`)
	for i := range 100_000 {
		fmt.Fprintf(&manyNames, "<f:n%d/>", i)
	}
	manyNames.WriteString("</f:a>")
	for i := range 150 {
		fmt.Fprintf(&manyNS, "<f:a xmlns:f='urn:f'")
		for j := range 20 {
			fmt.Fprintf(&manyNS, " xmlns:p%d='urn:%d'", j, i)
		}
		manyNS.WriteString(">")
	}
	for range 150 {
		manyNS.WriteString("</f:a>")
	}
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"many attributes", ext(manyAttrs.String()), []string{CodeLimit}},
		{"many distinct child names", ext(manyNames.String()), nil},
		{"many namespace declarations", ext(manyNS.String()), []string{CodeLimit}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, codeSet(Validate([]byte(tt.doc), UBLInvoice))); diff != "" {
				t.Errorf("codes (-want +got):\n%s", diff)
			}
		})
	}
}
