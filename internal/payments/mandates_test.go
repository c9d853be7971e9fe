package payments

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// pain008Order is the element order of the pain.008.001.08 schema for the
// parts we write (CustomerDirectDebitInitiationV08, GroupHeader83,
// PaymentInstruction29, DirectDebitTransactionInformation23), with the
// required ones marked.
var pain008Order = map[string][]string{
	"CstmrDrctDbtInitn": {"GrpHdr!", "PmtInf!"},
	"GrpHdr":            {"MsgId!", "CreDtTm!", "Authstn", "NbOfTxs!", "CtrlSum", "InitgPty!", "FwdgAgt"},
	"PmtInf": {"PmtInfId!", "PmtMtd!", "BtchBookg", "NbOfTxs", "CtrlSum", "PmtTpInf", "ReqdColltnDt!", "Cdtr!", "CdtrAcct!", "CdtrAgt!", "CdtrAgtAcct",
		"UltmtCdtr", "ChrgBr", "ChrgsAcct", "ChrgsAcctAgt", "CdtrSchmeId", "DrctDbtTxInf!"},
	"DrctDbtTxInf": {"PmtId!", "PmtTpInf", "InstdAmt!", "ChrgBr", "DrctDbtTx", "UltmtCdtr", "DbtrAgt!", "DbtrAgtAcct", "Dbtr!", "DbtrAcct!", "UltmtDbtr",
		"InstrForCdtrAgt", "Purp", "RgltryRptg", "Tax", "RltdRmtInf", "RmtInf"},
}

// checkOrder walks the document and checks each listed element's
// children against the schema's sequence (repeatable elements may
// repeat) and its required children.
func checkOrder(t *testing.T, doc []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	type frame struct {
		name string
		kids []string
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("pain.008 not well-formed: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if len(stack) > 0 {
				stack[len(stack)-1].kids = append(stack[len(stack)-1].kids, e.Name.Local)
			}
			if len(stack) == 0 && e.Name.Space != "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08" {
				t.Errorf("namespace %q", e.Name.Space)
			}
			stack = append(stack, frame{name: e.Name.Local})
		case xml.EndElement:
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			order, ok := pain008Order[f.name]
			if !ok {
				continue
			}
			pos := 0
			seen := map[string]bool{}
			for _, k := range f.kids {
				for pos < len(order) && strings.TrimSuffix(order[pos], "!") != k {
					pos++
				}
				if pos == len(order) {
					t.Errorf("%s: child %s out of order or unknown (children %v)", f.name, k, f.kids)
					break
				}
				seen[k] = true
			}
			for _, o := range order {
				if strings.HasSuffix(o, "!") && !seen[strings.TrimSuffix(o, "!")] {
					t.Errorf("%s lacks required %s", f.name, o)
				}
			}
		}
	}
}

func TestMandatesAndCollection(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		f := newFixture(t, db, clk)
		ctx := context.Background()
		if _, err := f.svc.CreateMandate(ctx, f.finance, f.tenant.ID, Mandate{DebtorName: "", IBAN: "DE00", Amount: decimal.RequireFromString("75.001"), SignedOn: "2099-01-01", Purpose: ""}); err == nil {
			t.Fatal("invalid mandate accepted")
		} else {
			for _, c := range [][2]string{{"debtor_name", "required"}, {"iban", "invalid_iban"}, {"amount", "invalid_amount"}, {"signed_on", "date_in_future"}, {"purpose", "required"}} {
				if !fault.HasCode(err, c[0], c[1]) {
					t.Errorf("no %s %s in %v", c[0], c[1], err)
				}
			}
		}
		m1, err := f.svc.CreateMandate(ctx, f.finance, f.tenant.ID, Mandate{DebtorName: "Bärbel Öztürk", IBAN: "DE02 1203 0000 0000 2020 51", Amount: decimal.RequireFromString("75.00"), SignedOn: "2026-01-10", Purpose: "Hundesteuer 2026 Bello"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CreateMandate(ctx, f.finance, f.tenant.ID, Mandate{DebtorName: "Max Muster", IBAN: "DE89370400440532013000", BIC: "COBADEFFXXX", Amount: decimal.RequireFromString("150.00"), SignedOn: "2026-02-01", Purpose: "Hundesteuer 2026 Rex & Luna"}); err != nil {
			t.Fatal(err)
		}
		creditor := Creditor{Name: "Stadtkasse Musterstadt", IBAN: cityIBAN, BIC: "COBADEFFXXX"}
		if _, err := f.svc.Collect(ctx, f.finance, f.tenant.ID, creditor, Collection{CreditorID: "DE99ZZZ09999999999", CollectionDate: "2026-03-02"}); !fault.HasCode(err, "creditor_id", "invalid_creditor_id") || !fault.HasCode(err, "collection_date", "collection_date_too_early") {
			t.Errorf("bad collection: %v", err)
		}
		res, err := f.svc.Collect(ctx, f.finance, f.tenant.ID, creditor, Collection{CreditorID: "DE98ZZZ09999999999", CollectionDate: "2026-03-10"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Requests) != 2 || res.Total != "225.00" {
			t.Errorf("collection %+v", res)
		}
		file := string(res.File)
		checkOrder(t, res.File)
		for _, want := range []string{"<NbOfTxs>2</NbOfTxs><CtrlSum>225.00</CtrlSum>", "<SeqTp>FRST</SeqTp>", "<MndtId>" + m1.Ref + "</MndtId>", "<Nm>Baerbel Oeztuerk</Nm>",
			"Hundesteuer", "<EndToEndId>" + res.Requests[0].RF + "</EndToEndId>", "<Id>DE98ZZZ09999999999</Id>", "<ReqdColltnDt>2026-03-10</ReqdColltnDt>", "NOTPROVIDED"} {
			if !strings.Contains(file, want) {
				t.Errorf("pain.008 lacks %q", want)
			}
		}
		if strings.Contains(file, "Rex & Luna") {
			t.Error("unescaped or non-SEPA characters")
		}
		// The second run is recurring.
		res2, err := f.svc.Collect(ctx, f.finance, f.tenant.ID, creditor, Collection{CreditorID: "DE98ZZZ09999999999", CollectionDate: "2027-03-10"})
		if err != nil || !strings.Contains(string(res2.File), "<SeqTp>RCUR</SeqTp>") || strings.Contains(string(res2.File), "<SeqTp>FRST</SeqTp>") {
			t.Errorf("second run: %v", err)
		}
		// The collected money arrives: a batch credit whose transactions
		// carry the end-to-end ids.
		stmt := GenerateStatement("DD-IN", cityIBAN, day, []Credit{
			{Amount: "75.00", Name: "Baerbel Oeztuerk", EndToEndID: res.Requests[0].RF, ServicerRef: "DD1"},
			{Amount: "150.00", Name: "Max Muster", EndToEndID: res.Requests[1].RF, ServicerRef: "DD2"},
		})
		ir := f.importXML("dd.xml", stmt)
		if ir.Booked != 2 {
			t.Errorf("collected money: %+v", ir)
		}
		if r := f.get(res.Requests[0].Ref); r.Status != StatusPaid {
			t.Errorf("mandate request %s", r.Status)
		}
	})
}

func TestCreditorID(t *testing.T) {
	for s, want := range map[string]bool{"DE98ZZZ09999999999": true, "DE98 ZZZ 09999999999": true, "DE99ZZZ09999999999": false, "DE98ZZZ0999999999X": false, "XX": false} {
		if ValidCreditorID(s) != want {
			t.Errorf("ValidCreditorID(%q) = %v", s, !want)
		}
	}
}
