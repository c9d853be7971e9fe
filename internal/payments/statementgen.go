package payments

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"time"
)

// Credit is one transfer in a generated statement.
type Credit struct {
	Amount      string // "30.50"
	Currency    string // default EUR
	Debit       bool
	Name        string // debtor (creditor for a debit)
	IBAN        string
	Reference   string // structured creditor reference (RF)
	Text        string // unstructured remittance
	EndToEndID  string
	ServicerRef string
	BookingDate string // default: the statement's date
}

// GenerateStatement writes a camt.053.001.08 statement of the account with
// the given transfers: for demos ("bank transfer" in the demo city, the
// browser journey), tests and the benchmark. It is what a bank would send,
// not a parser shortcut: imports read it like any other statement.
func GenerateStatement(msgID, iban string, day time.Time, credits []Credit) []byte {
	var b bytes.Buffer
	esc := func(s string) string {
		var e bytes.Buffer
		xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	date := day.Format("2006-01-02")
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>%s</MsgId><CreDtTm>%sT18:00:00+01:00</CreDtTm></GrpHdr>
<Stmt><Id>%s</Id><CreDtTm>%sT18:00:00+01:00</CreDtTm><Acct><Id><IBAN>%s</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>%s</Dt></Dt></Bal>
`, esc(msgID), date, esc(msgID), date, esc(iban), date)
	for _, c := range credits {
		ccy, cd, role, acct := c.Currency, "CRDT", "Dbtr", "DbtrAcct"
		if ccy == "" {
			ccy = "EUR"
		}
		if c.Debit {
			cd, role, acct = "DBIT", "Cdtr", "CdtrAcct"
		}
		bd := c.BookingDate
		if bd == "" {
			bd = date
		}
		fmt.Fprintf(&b, `<Ntry><Amt Ccy="%s">%s</Amt><CdtDbtInd>%s</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>%s</Dt></BookgDt><ValDt><Dt>%s</Dt></ValDt>`, esc(ccy), esc(c.Amount), cd, bd, bd)
		if c.ServicerRef != "" {
			fmt.Fprintf(&b, `<AcctSvcrRef>%s</AcctSvcrRef>`, esc(c.ServicerRef))
		}
		b.WriteString(`<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls>`)
		if c.EndToEndID != "" {
			fmt.Fprintf(&b, `<Refs><EndToEndId>%s</EndToEndId></Refs>`, esc(c.EndToEndID))
		}
		if c.Name != "" || c.IBAN != "" {
			fmt.Fprintf(&b, `<RltdPties><%s><Pty><Nm>%s</Nm></Pty></%s>`, role, esc(c.Name), role)
			if c.IBAN != "" {
				fmt.Fprintf(&b, `<%s><Id><IBAN>%s</IBAN></Id></%s>`, acct, esc(c.IBAN), acct)
			}
			b.WriteString(`</RltdPties>`)
		}
		if c.Reference != "" || c.Text != "" {
			b.WriteString(`<RmtInf>`)
			if c.Text != "" {
				fmt.Fprintf(&b, `<Ustrd>%s</Ustrd>`, esc(c.Text))
			}
			if c.Reference != "" {
				fmt.Fprintf(&b, `<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>%s</Ref></CdtrRefInf></Strd>`, esc(c.Reference))
			}
			b.WriteString(`</RmtInf>`)
		}
		b.WriteString("</TxDtls></NtryDtls></Ntry>\n")
	}
	b.WriteString("</Stmt></BkToCstmrStmt></Document>\n")
	return b.Bytes()
}
