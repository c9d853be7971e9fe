package einvoice

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func ptr(s string) *string { return &s }

// summary is the comparable core of a verdict.
type summary struct {
	Syntax     string
	Scenario   *string
	Wellformed bool
	XSDValid   bool
	Accept     bool
	Errors     []string
	Warnings   []string
	Infos      []string
}

func summarize(v Verdict) summary {
	return summary{v.Syntax, v.Scenario, v.Wellformed, v.XSDValid, v.Accept, v.Errors, v.Warnings, v.Infos}
}

func TestValidate(t *testing.T) {
	ubl := readTestdata(t, "ubl-invoice.xml")
	cii := readTestdata(t, "cii.xml")
	cn := readTestdata(t, "ubl-creditnote.xml")
	none := []string{}
	tmp32 := []string{"BR-DE-TMP-32"} // no delivery date: information only
	tests := []struct {
		name string
		data []byte
		want summary
	}{
		{"valid UBL invoice", ubl, summary{SyntaxUBLInvoice, ptr("EN16931 XRechnung (UBL Invoice)"), true, true, true, none, none, tmp32}},
		{"valid CII invoice", cii, summary{SyntaxCII, ptr("EN16931 XRechnung (CII)"), true, true, true, none, none, tmp32}},
		{"valid UBL credit note", cn, summary{SyntaxUBLCreditNote, ptr("EN16931 XRechnung (UBL CreditNote)"), true, true, true, none, none, none}},
		{
			"missing buyer reference fires BR-DE-15",
			bytes.Replace(ubl, []byte("<cbc:BuyerReference>04011000-12347-94<"), []byte("<cbc:BuyerReference> <"), 1),
			summary{SyntaxUBLInvoice, ptr("EN16931 XRechnung (UBL Invoice)"), true, true, false, []string{"BR-DE-15", "PEPPOL-EN16931-R008"}, none, tmp32},
		},
		{
			"wrong line total fires BR-CO-10",
			bytes.Replace(ubl, []byte(`<cbc:LineExtensionAmount currencyID="EUR">170.28<`), []byte(`<cbc:LineExtensionAmount currencyID="EUR">170.29<`), 1),
			summary{SyntaxUBLInvoice, ptr("EN16931 XRechnung (UBL Invoice)"), true, true, false, []string{"BR-CO-10", "BR-CO-13"}, none, tmp32},
		},
		{
			"EN 16931 without XRechnung uses the CEN rules only",
			bytes.Replace(ubl, []byte("urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"), []byte("urn:cen.eu:en16931:2017"), 1),
			summary{SyntaxUBLInvoice, ptr("EN16931 (UBL Invoice)"), true, true, true, none, none, none},
		},
		{
			"unknown specification identifier",
			bytes.Replace(ubl, []byte("urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"), []byte("urn:example"), 1),
			summary{SyntaxUBLInvoice, nil, true, true, false, none, none, none},
		},
		{
			"schema-invalid invoice is rejected without rules",
			bytes.Replace(ubl, []byte("<cbc:ID>"), []byte("<cbc:Unknown>x</cbc:Unknown><cbc:ID>"), 1),
			summary{SyntaxUBLInvoice, ptr("EN16931 XRechnung (UBL Invoice)"), true, false, false, none, none, none},
		},
		{"not XML", []byte("hello"), summary{SyntaxUnknown, nil, false, false, false, none, none, none}},
		{"empty", nil, summary{SyntaxUnknown, nil, false, false, false, none, none, none}},
		{"unknown root", []byte(`<a xmlns="urn:x"/>`), summary{SyntaxUnknown, nil, true, false, false, none, none, none}},
		{"truncated", ubl[:len(ubl)/2], summary{SyntaxUnknown, nil, false, false, false, none, none, none}},
		{
			"entity expansion is refused",
			[]byte(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol2;</Invoice>`),
			summary{SyntaxUnknown, nil, false, false, false, none, none, none},
		},
		{
			"undefined entity",
			[]byte(`<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&x;</Invoice>`),
			summary{SyntaxUnknown, nil, false, false, false, none, none, none},
		},
		{
			"deep nesting",
			[]byte(strings.Repeat("<a>", MaxDepth+1) + strings.Repeat("</a>", MaxDepth+1)),
			summary{SyntaxUnknown, nil, false, false, false, none, none, none},
		},
		{"too large", make([]byte, MaxSize+1), summary{SyntaxUnknown, nil, false, false, false, none, none, none}},
		{"broken PDF", []byte("%PDF-1.7\n garbage"), summary{SyntaxUnknown, nil, false, false, false, none, none, none}},
		{"XML mentioning a PDF header", []byte(`<?xml version="1.0"?><!-- %PDF-1.4 --><a xmlns="urn:x"/>`), summary{SyntaxUnknown, nil, true, false, false, none, none, none}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Validate("f.xml", tt.data)
			if diff := cmp.Diff(tt.want, summarize(got)); diff != "" {
				t.Errorf("verdict mismatch (-want +got):\n%s", diff)
			}
			if !got.Accept && got.Reason == "" && len(got.Errors) == 0 {
				t.Errorf("rejection without a reason or rule: %+v", got)
			}
			if got.Messages == nil {
				t.Error("Messages is nil")
			}
		})
	}
}

func TestValidateMessages(t *testing.T) {
	ubl := readTestdata(t, "ubl-invoice.xml")
	data := bytes.Replace(ubl, []byte("<cbc:BuyerReference>04011000-12347-94<"), []byte("<cbc:BuyerReference> <"), 1)
	got := Validate("f.xml", data)
	var msgs []Message
	for _, m := range got.Messages {
		if m.ID == "BR-DE-15" {
			msgs = append(msgs, m)
		}
	}
	want := []Message{{
		ID:       "BR-DE-15",
		Level:    LevelError,
		Text:     `[BR-DE-15] Das Element "Buyer reference" (BT-10) muss übermittelt werden.`,
		TextDE:   germanText["BR-DE-15"],
		Location: "/ubl:Invoice[1]",
	}}
	if diff := cmp.Diff(want, msgs, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}

func TestValidateZUGFeRDProfiles(t *testing.T) {
	cii := readTestdata(t, "cii.xml")
	for _, id := range []string{"urn:factur-x.eu:1p0:minimum", "urn:factur-x.eu:1p0:basicwl", "urn:zugferd.de:2p0:minimum"} {
		t.Run(id, func(t *testing.T) {
			data := bytes.Replace(cii, []byte("urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"), []byte(id), 1)
			got := Validate("f.xml", data)
			if got.Scenario != nil || got.Accept {
				t.Fatalf("scenario %v accept %v, want null and rejected", got.Scenario, got.Accept)
			}
			if len(got.Messages) == 0 || got.Messages[len(got.Messages)-1].ID != "PROFILE-NOT-EN16931" {
				t.Errorf("messages %+v, want a PROFILE-NOT-EN16931 message", got.Messages)
			}
			if !strings.Contains(got.Reason, "not a full invoice") {
				t.Errorf("reason %q does not say the profile is not a full invoice", got.Reason)
			}
		})
	}
}

func FuzzValidate(f *testing.F) {
	for _, name := range []string{"ubl-invoice.xml", "cii.xml", "ubl-creditnote.xml"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>`))
	f.Add([]byte("%PDF-1.4\n1 0 obj << >> endobj"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v := Validate("fuzz.xml", data)
		if v.Errors == nil || v.Warnings == nil || v.Infos == nil || v.Messages == nil {
			t.Fatalf("nil slice in verdict %+v", v)
		}
		if v.Accept && (!v.Wellformed || !v.XSDValid || v.Scenario == nil || len(v.Errors) > 0) {
			t.Fatalf("accepted inconsistent verdict %+v", v)
		}
	})
}
