package camt

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/platform/datasets"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseMinimal(t *testing.T) {
	doc, err := ParseBytes(readTestdata(t, "camt053.v2.minimal.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Type != "camt.053.001.02" || doc.MessageID != "CAMT053RIB000000000001" || doc.CreatedAt != "2015-03-10T18:43:50+00:00" {
		t.Errorf("header: %+v", doc)
	}
	if len(doc.Statements) != 1 {
		t.Fatalf("%d statements", len(doc.Statements))
	}
	st := doc.Statements[0]
	wantBal := []Balance{
		{Type: "OPBD", Amount: "18.15", Currency: "EUR", CreditDebit: "CRDT", Date: "2014-12-30"},
		{Type: "CLBD", Amount: "27.00", Currency: "SEK", CreditDebit: "DBIT", Date: "2014-12-31"},
		{Type: "OPAV", Amount: "35.00", Currency: "CHF", CreditDebit: "CRDT", Date: "2014-12-30"},
		{Type: "CLAV", Amount: "2700", Currency: "JPY", CreditDebit: "DBIT", Date: "2014-12-31"},
	}
	if diff := cmp.Diff(wantBal, st.Balances); diff != "" {
		t.Errorf("balances (-want +got):\n%s", diff)
	}
	if st.Account.IBAN != "NL26VAYB8060476890" {
		t.Errorf("account %+v", st.Account)
	}
	e := st.Entries[0]
	if e.Amount != "8.85" || e.Currency != "EUR" || e.CreditDebit != "CRDT" || e.Status != "BOOK" || e.BookingDate != "2014-12-31" || e.ValueDate != "2015-01-02" {
		t.Errorf("entry %+v", e)
	}
	d := e.Details[0]
	if got := d.Remittance.CreditorReferences(); len(got) != 1 || got[0] != "4654654654654654" {
		t.Errorf("creditor references %v", got)
	}
	if d.Parties[0].Role != RoleDebtor || d.Parties[0].Name != "NAME NAME" || d.Parties[0].Account.IBAN != "NL56AGDH9619008421" {
		t.Errorf("debtor %+v", d.Parties[0])
	}
	if d.Parties[1].Role != RoleCreditor || d.Parties[1].Identification.Other[0].Issuer != "KBO-BCE" {
		t.Errorf("creditor %+v", d.Parties[1])
	}
}

// Amounts are kept as written: more decimals than the currency has, and
// trailing zeros.
func TestParseKeepsDecimals(t *testing.T) {
	doc, err := ParseBytes(readTestdata(t, "camt053.v2.five.decimals.xml"))
	if err != nil {
		t.Fatal(err)
	}
	e := doc.Statements[0].Entries[0]
	if e.Amount != "8.850" || e.Money().Value().String() != "8.85" {
		t.Errorf("amount %q (%s)", e.Amount, e.Money().Value())
	}
	src := strings.Replace(string(readTestdata(t, "camt053.v2.five.decimals.xml")), `<Amt Ccy="EUR">8.850</Amt>`, `<Amt Ccy="USD">8.85501</Amt>`, 1)
	doc, err = ParseBytes([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if e := doc.Statements[0].Entries[0]; e.Amount != "8.85501" || e.Currency != "USD" {
		t.Errorf("five decimals in USD: %q %s", e.Amount, e.Currency)
	}
}

// A transaction's own credit/debit indicator is kept as written, also
// where the oracle reports the entry's (camt054.v4: DBIT batch, CRDT
// transactions).
func TestTransactionIndicatorAsWritten(t *testing.T) {
	doc, err := ParseBytes(readTestdata(t, "camt054.v4.xml"))
	if err != nil {
		t.Fatal(err)
	}
	e := doc.Statements[0].Entries[0]
	if e.CreditDebit != "DBIT" || len(e.Details) != 3 {
		t.Fatalf("entry %s with %d details", e.CreditDebit, len(e.Details))
	}
	for i, d := range e.Details {
		if d.CreditDebit != "CRDT" {
			t.Errorf("detail %d: %s, want CRDT as written", i, d.CreditDebit)
		}
	}
	if e.Batches[0].PaymentInformationID != "UXC06170000006PI00001" {
		t.Errorf("batch %+v", e.Batches)
	}
}

func TestParseV8Notification(t *testing.T) {
	doc, err := ParseBytes(readTestdata(t, "camt054.v8-with-UETR.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Kind() != "camt.054" || len(doc.Statements) != 1 {
		t.Fatalf("%s %d", doc.Kind(), len(doc.Statements))
	}
	e := doc.Statements[0].Entries[0]
	if e.Status != "BOOK" || e.Amount != "200000" || e.Currency != "SEK" || e.Details[0].References.UETR != "255ae394-9965-4438-ac86-f406feada396" {
		t.Errorf("entry %+v", e)
	}
}

func TestParseRefuses(t *testing.T) {
	minimal := string(readTestdata(t, "camt053.v2.minimal.xml"))
	repl := func(old, new string) []byte {
		if !strings.Contains(minimal, old) {
			t.Fatalf("mutant base lacks %q", old)
		}
		return []byte(strings.Replace(minimal, old, new, 1))
	}
	cases := []struct {
		name string
		in   []byte
		kind error
		path string // a problem at this path (ErrInvalid)
	}{
		{"wrong file (no statement)", readTestdata(t, "camt053.v2.wrong.xml"), ErrInvalid, "BkToCstmrStmt/Stmt"},
		{"empty", nil, ErrMalformed, ""},
		{"not xml", []byte("MsgId;Amount\n1;8.85"), ErrMalformed, ""},
		{"truncated", []byte(minimal[:len(minimal)/2]), ErrMalformed, ""},
		{"other root", []byte(`<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>`), ErrMalformed, ""},
		{"unknown version", repl("camt.053.001.02", "camt.053.001.05"), ErrUnknownVersion, ""},
		{"camt.052", repl("camt.053.001.02", "camt.052.001.02"), ErrUnknownVersion, ""},
		{"negative amount", repl(`<Amt Ccy="EUR">8.85</Amt>`, `<Amt Ccy="EUR">-8.85</Amt>`), ErrInvalid, "BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt"},
		{"comma amount", repl(`<Amt Ccy="EUR">8.85</Amt>`, `<Amt Ccy="EUR">8,85</Amt>`), ErrInvalid, "BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt"},
		{"six decimals", repl(`<Amt Ccy="EUR">8.85</Amt>`, `<Amt Ccy="EUR">8.850001</Amt>`), ErrInvalid, "BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt"},
		{"no currency", repl(`<Amt Ccy="EUR">8.85</Amt>`, `<Amt>8.85</Amt>`), ErrInvalid, "BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt/@Ccy"},
		{"lower-case currency", repl(`<Amt Ccy="EUR">8.85</Amt>`, `<Amt Ccy="eur">8.85</Amt>`), ErrInvalid, "BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt/@Ccy"},
		{"bad indicator", repl("<CdtDbtInd>CRDT</CdtDbtInd>\n                <RvslInd>", "<CdtDbtInd>CREDIT</CdtDbtInd>\n                <RvslInd>"), ErrInvalid, "BkToCstmrStmt/Stmt[1]/Ntry[1]/CdtDbtInd"},
		{"bad status", repl("<Sts>BOOK</Sts>", "<Sts>DONE</Sts>"), ErrInvalid, "BkToCstmrStmt/Stmt[1]/Ntry[1]/Sts"},
		{"no status", repl("<Sts>BOOK</Sts>", ""), ErrInvalid, "BkToCstmrStmt/Stmt[1]/Ntry[1]/Sts"},
		{"bad date", repl("<Dt>2014-12-31</Dt>\n                </BookgDt>", "<Dt>2014-02-30</Dt>\n                </BookgDt>"), ErrInvalid, "BkToCstmrStmt/Stmt[1]/Ntry[1]/BookgDt/Dt"},
		{"no message id", repl("<MsgId>CAMT053RIB000000000001</MsgId>", ""), ErrInvalid, "BkToCstmrStmt/GrpHdr/MsgId"},
		{"long message id", repl("<MsgId>CAMT053RIB000000000001</MsgId>", "<MsgId>"+strings.Repeat("X", 36)+"</MsgId>"), ErrInvalid, "BkToCstmrStmt/GrpHdr/MsgId"},
		{"bad IBAN", repl("<IBAN>NL26VAYB8060476890</IBAN>", "<IBAN>nl26 VAYB</IBAN>"), ErrInvalid, "BkToCstmrStmt/Stmt[1]/Acct/Id/IBAN"},
		{"no balance", []byte(strings.NewReplacer("<Bal>", "<!--", "</Bal>", "-->").Replace(minimal)), ErrInvalid, "BkToCstmrStmt/Stmt[1]/Bal"},
		{"no bank transaction code", []byte(strings.Replace(minimal, "<BkTxCd>\n                    <Prtry>\n                        <Cd>544</Cd>\n                    </Prtry>\n                </BkTxCd>\n                <NtryDtls>", "<NtryDtls>", 1)), ErrInvalid, "BkToCstmrStmt/Stmt[1]/Ntry[1]/BkTxCd"},
		{"text after root", append([]byte(minimal), []byte("<x/>")...), ErrMalformed, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := ParseBytes(tc.in)
			if err == nil {
				t.Fatalf("accepted: %+v", doc)
			}
			if doc != nil {
				t.Error("a refused message returned a document")
			}
			if !errors.Is(err, tc.kind) {
				t.Fatalf("error %v, want kind %v", err, tc.kind)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("not an *Error: %T", err)
			}
			if tc.path != "" {
				found := false
				for _, p := range ce.Problems {
					found = found || p.Path == tc.path
				}
				if !found {
					t.Errorf("no problem at %s: %v", tc.path, ce.Problems)
				}
			}
		})
	}
}

func TestParseLatin1(t *testing.T) {
	src := strings.Replace(string(readTestdata(t, "camt053.v2.minimal.xml")), `encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1)
	src = strings.Replace(src, "<Nm>NAME NAME</Nm>", "<Nm>M\xfcller</Nm>", 1)
	doc, err := ParseBytes([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.Statements[0].Entries[0].Details[0].Parties[0].Name; got != "Müller" {
		t.Errorf("name %q", got)
	}
}

// TestDatasetCamtXmllint holds our verdicts to xmllint with the official
// schemas: every data set file and mutants of the minimal ones.
func TestDatasetCamtXmllint(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if datasets.Required() {
			t.Fatal("xmllint missing (apt-get install libxml2-utils)")
		}
		t.Skip("xmllint not installed")
	}
	dir := camtDataDir(t)
	schemas := filepath.Join(filepath.Dir(dir), "schemas")
	files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	type sample struct {
		name string
		data []byte
	}
	var samples []sample
	for _, f := range files {
		b, _ := os.ReadFile(f)
		samples = append(samples, sample{filepath.Base(f), b})
	}
	mutate := func(base string, pairs ...string) {
		b, _ := os.ReadFile(filepath.Join(dir, base))
		for i := 0; i+1 < len(pairs); i += 2 {
			if !bytes.Contains(b, []byte(pairs[i])) {
				t.Fatalf("%s lacks %q", base, pairs[i])
			}
			b = bytes.Replace(b, []byte(pairs[i]), []byte(pairs[i+1]), 1)
		}
		samples = append(samples, sample{base + " with " + strings.Join(pairs, " → "), b})
	}
	mutate("camt053.v2.minimal.xml", `<Amt Ccy="EUR">8.85</Amt>`, `<Amt Ccy="EUR">-8.85</Amt>`)
	mutate("camt053.v2.minimal.xml", `<Amt Ccy="EUR">8.85</Amt>`, `<Amt Ccy="EUR">8.850001</Amt>`)
	mutate("camt053.v2.minimal.xml", `<Amt Ccy="EUR">8.85</Amt>`, `<Amt Ccy="EUR">8.8500000</Amt>`)
	mutate("camt053.v2.minimal.xml", `<Amt Ccy="EUR">8.85</Amt>`, `<Amt Ccy="EU">8.85</Amt>`)
	mutate("camt053.v2.minimal.xml", "<Sts>BOOK</Sts>", "<Sts>XXXX</Sts>")
	mutate("camt053.v2.minimal.xml", "<Dt>2015-01-02</Dt>", "<Dt>2015-13-02</Dt>")
	mutate("camt053.v2.minimal.xml", "<IBAN>NL26VAYB8060476890</IBAN>", "<IBAN>NL26-VAYB</IBAN>")
	mutate("camt053.v2.minimal.xml", "<CreDtTm>2015-03-10T18:43:50+00:00</CreDtTm>\n            <FrToDt>", "<FrToDt>")
	mutate("camt053.v2.minimal.xml", "<CdtDbtInd>CRDT</CdtDbtInd>\n                <RvslInd>false", "<CdtDbtInd>CRDIT</CdtDbtInd>\n                <RvslInd>false")
	mutate("camt053.v2.minimal.xml", "<RvslInd>false</RvslInd>", "<RvslInd>no</RvslInd>")
	mutate("camt053.v2.minimal.xml", "<Ref>4654654654654654</Ref>", "<Ref>"+strings.Repeat("1", 36)+"</Ref>")
	mutate("camt053.v8.xml", "<Cd>BOOK</Cd>", "<Cd>BOOKED</Cd>")
	mutate("camt054.v8-with-UETR.xml", "<MsgId>AAAASESS-FP-ACCR001</MsgId>", "")
	mutate("camt054.v8-with-UETR.xml", "255ae394-9965-4438-ac86-f406feada396", "255ae394-9965-4438-ac86")
	mutate("camt054.v2.xml", "<Ntfctn>", "<Ntfctn><Id>x</Id>")
	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			_, perr := ParseBytes(s.data)
			typ, serr := sniff(s.data)
			if serr != nil {
				t.Fatalf("sniff: %v", serr)
			}
			f := filepath.Join(t.TempDir(), "m.xml")
			os.WriteFile(f, s.data, 0o600)
			out, lerr := exec.Command(xmllint, "--noout", "--schema", filepath.Join(schemas, typ+".xsd"), f).CombinedOutput()
			if (perr == nil) != (lerr == nil) {
				t.Errorf("ours: %v; xmllint: %v %s", perr, lerr, out)
			}
		})
	}
}
