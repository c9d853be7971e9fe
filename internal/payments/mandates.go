package payments

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/payments/epc"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// SEPA direct-debit mandates for recurring charges (the dog tax): finance
// records the signed mandate; a collection run creates one payment request
// per active mandate (its RF becomes the end-to-end id and ends the
// remittance text the debtor sees, after the purpose) and writes the
// pain.008.001.08 file for the bank. When the collected money arrives on a
// statement, the RF in the end-to-end id matches it to its request.

// Mandate is a direct-debit mandate.
type Mandate struct {
	Ref        string          `json:"id"`
	AccountID  int64           `json:"-"`
	DebtorName string          `json:"debtor_name"`
	IBAN       string          `json:"iban"`
	BIC        string          `json:"bic"`
	Purpose    string          `json:"purpose"`
	Amount     decimal.Decimal `json:"amount"`
	SignedOn   string          `json:"signed_on"`
	Status     string          `json:"status"`
	Sequence   string          `json:"sequence"`
}

func (m *Mandate) validate(today string) error {
	v := &fault.Validation{}
	m.DebtorName = strings.TrimSpace(m.DebtorName)
	if m.DebtorName == "" {
		v.Add("debtor_name", "required")
	} else if utf8.RuneCountInString(m.DebtorName) > 70 {
		v.Add("debtor_name", "too_long", "max", 70)
	}
	m.IBAN, m.BIC = epc.NormalizeIBAN(m.IBAN), strings.ToUpper(strings.TrimSpace(m.BIC))
	if !epc.ValidIBAN(m.IBAN) {
		v.Add("iban", "invalid_iban")
	}
	if m.BIC != "" && !epc.ValidBIC(m.BIC) {
		v.Add("bic", "invalid_bic")
	}
	m.Purpose = strings.TrimSpace(m.Purpose)
	if m.Purpose == "" {
		v.Add("purpose", "required")
	} else if utf8.RuneCountInString(m.Purpose) > 100 {
		v.Add("purpose", "too_long", "max", 100)
	}
	if !m.Amount.IsPositive() || !m.Amount.Equal(m.Amount.Round(2)) || m.Amount.GreaterThan(decimal.NewFromInt(100000)) {
		v.Add("amount", "invalid_amount", "min", "0.01", "max", "100000.00")
	}
	if _, err := calendar.ParseDate(m.SignedOn); err != nil {
		v.Add("signed_on", "invalid_date")
	} else if m.SignedOn > today {
		v.Add("signed_on", "date_in_future")
	}
	return v.Err()
}

// CreateMandate records a signed mandate (finance, admins).
func (s *Service) CreateMandate(ctx context.Context, p identity.Principal, tenantID int64, m Mandate) (*Mandate, error) {
	if err := p.Require(tenantID, financeRoles...); err != nil {
		return nil, err
	}
	if err := m.validate(calendar.DateOf(s.DB.Clock.Now(), calendar.Berlin).String()); err != nil {
		return nil, err
	}
	m.Ref, m.Status, m.Sequence = ref.New("M"), "active", "FRST"
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sepa_mandates (tenant_id, ref, account_id, debtor_name, iban, bic, purpose, amount, signed_on, status, sequence, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', 'FRST', $10, $11)`,
			tenantID, m.Ref, nullID(m.AccountID), m.DebtorName, m.IBAN, m.BIC, m.Purpose, m.Amount.StringFixed(2), m.SignedOn, tx.Now(), p.Ref); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "payment.mandate.create", ObjectType: "sepa_mandate", ObjectRef: m.Ref,
			After: map[string]any{"amount": m.Amount.StringFixed(2), "purpose": m.Purpose, "signed_on": m.SignedOn}})
	})
	if err != nil {
		return nil, fmt.Errorf("create mandate: %w", err)
	}
	return &m, nil
}

// RevokeMandate ends a mandate (finance, admins).
func (s *Service) RevokeMandate(ctx context.Context, p identity.Principal, tenantID int64, mandateRef string) error {
	if err := p.See(tenantID, financeRoles...); err != nil {
		return err
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sepa_mandates SET status = 'revoked' WHERE tenant_id = $1 AND ref = $2 AND status = 'active'`, tenantID, mandateRef)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("mandate %s: %w", mandateRef, fault.ErrNotFound)
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "payment.mandate.revoke", ObjectType: "sepa_mandate", ObjectRef: mandateRef})
	})
}

// Mandates lists the tenant's mandates.
func (s *Service) Mandates(ctx context.Context, p identity.Principal, tenantID int64) ([]Mandate, error) {
	if err := p.Require(tenantID, financeRoles...); err != nil {
		return nil, err
	}
	return mandatesWhere(ctx, s.DB.R, `tenant_id = $1 ORDER BY id DESC`, tenantID)
}

func mandatesWhere(ctx context.Context, q querier, where string, args ...any) ([]Mandate, error) {
	rows, err := q.QueryContext(ctx, `SELECT ref, COALESCE(account_id, 0), debtor_name, iban, bic, purpose, amount, signed_on, status, sequence FROM sepa_mandates WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Mandate{}
	for rows.Next() {
		var m Mandate
		var amount string
		if err := rows.Scan(&m.Ref, &m.AccountID, &m.DebtorName, &m.IBAN, &m.BIC, &m.Purpose, &amount, &m.SignedOn, &m.Status, &m.Sequence); err != nil {
			return nil, err
		}
		m.Amount, _ = decimal.NewFromString(amount)
		out = append(out, m)
	}
	return out, rows.Err()
}

// ValidCreditorID checks a SEPA creditor identifier (e.g.
// DE98ZZZ09999999999): country, check digits over the national part
// (the business code is not part of the check), at most 35 characters.
func ValidCreditorID(s string) bool {
	s = epc.NormalizeIBAN(s)
	if len(s) < 8 || len(s) > 35 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9') && !(r >= 'A' && r <= 'Z') {
			return false
		}
	}
	if s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' || s[2] < '0' || s[2] > '9' || s[3] < '0' || s[3] > '9' {
		return false
	}
	national := s[7:]
	return epc.Mod97(national+s[:4]) == 1
}

// Collection is the input of a collection run.
type Collection struct {
	CreditorID     string // SEPA creditor identifier of the city
	CollectionDate string // YYYY-MM-DD, at least the next day
}

// CollectionResult is a collection run: the pain.008 file and the
// requests created.
type CollectionResult struct {
	MessageID string    `json:"message_id"`
	File      []byte    `json:"-"`
	Requests  []Created `json:"requests"`
	Total     string    `json:"total"`
}

// Collect runs a direct-debit collection over every active mandate
// (finance, admins): one payment request each, due on the collection
// date, and the pain.008.001.08 file (one payment information block per
// sequence type). A first collection of a mandate is FRST, later ones RCUR.
func (s *Service) Collect(ctx context.Context, p identity.Principal, tenantID int64, creditor Creditor, in Collection) (*CollectionResult, error) {
	if err := p.Require(tenantID, financeRoles...); err != nil {
		return nil, err
	}
	v := &fault.Validation{}
	in.CreditorID = epc.NormalizeIBAN(in.CreditorID)
	if !ValidCreditorID(in.CreditorID) {
		v.Add("creditor_id", "invalid_creditor_id")
	}
	tomorrow := calendar.DateOf(s.DB.Clock.Now(), calendar.Berlin).AddDays(1).String()
	if _, err := calendar.ParseDate(in.CollectionDate); err != nil {
		v.Add("collection_date", "invalid_date")
	} else if in.CollectionDate < tomorrow {
		v.Add("collection_date", "collection_date_too_early")
	}
	if !epc.ValidIBAN(epc.NormalizeIBAN(creditor.IBAN)) {
		v.Add("creditor_iban", "invalid_iban")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	res := &CollectionResult{MessageID: "DD-" + strings.TrimPrefix(ref.New("D"), "D-")}
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		res.Requests = nil
		ms, err := mandatesWhere(ctx, tx, `tenant_id = $1 AND status = 'active' ORDER BY id`+s.DB.ForUpdate(), tenantID)
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			return fault.Invalid("mandates", "no_active_mandates")
		}
		var txs []ddTx
		total := decimal.Zero
		for _, m := range ms {
			c, err := s.CreateRequest(tx, p, NewRequest{TenantID: tenantID, Subject: m.Ref, PayerAccountID: m.AccountID, PayerName: m.DebtorName,
				Amount: m.Amount, Purpose: clipText(m.Purpose, 140), DueDate: in.CollectionDate})
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE payment_requests SET mandate_id = (SELECT id FROM sepa_mandates WHERE tenant_id = $1 AND ref = $2) WHERE tenant_id = $1 AND ref = $3`,
				tenantID, m.Ref, c.Ref); err != nil {
				return err
			}
			res.Requests = append(res.Requests, c)
			txs = append(txs, ddTx{m: m, rf: c.RF})
			total = total.Add(m.Amount)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sepa_mandates SET sequence = 'RCUR' WHERE tenant_id = $1 AND status = 'active' AND sequence = 'FRST'`, tenantID); err != nil {
			return err
		}
		res.Total = total.StringFixed(2)
		res.File = pain008(res.MessageID, tx.Now(), creditor, in, txs)
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "payment.collection", ObjectType: "collection", ObjectRef: res.MessageID,
			After: map[string]any{"mandates": len(txs), "total": res.Total, "collection_date": in.CollectionDate}})
	})
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	return res, nil
}

type ddTx struct {
	m  Mandate
	rf string
}

func pain008(msgID string, now time.Time, cr Creditor, in Collection, txs []ddTx) []byte {
	var b bytes.Buffer
	esc := func(s string) string {
		var e bytes.Buffer
		xml.EscapeText(&e, []byte(sepaChars(s)))
		return e.String()
	}
	agent := func(bic string) string {
		if bic == "" {
			return "<FinInstnId><Othr><Id>NOTPROVIDED</Id></Othr></FinInstnId>"
		}
		return "<FinInstnId><BICFI>" + esc(bic) + "</BICFI></FinInstnId>"
	}
	sum := func(ts []ddTx) string {
		t := decimal.Zero
		for _, x := range ts {
			t = t.Add(x.m.Amount)
		}
		return t.StringFixed(2)
	}
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.008.001.08">
<CstmrDrctDbtInitn>
<GrpHdr><MsgId>%s</MsgId><CreDtTm>%s</CreDtTm><NbOfTxs>%d</NbOfTxs><CtrlSum>%s</CtrlSum><InitgPty><Nm>%s</Nm></InitgPty></GrpHdr>
`, esc(msgID), now.UTC().Format("2006-01-02T15:04:05Z"), len(txs), sum(txs), esc(clipText(cr.Name, 70)))
	for _, seq := range []string{"FRST", "RCUR"} {
		var ts []ddTx
		for _, t := range txs {
			if t.m.Sequence == seq {
				ts = append(ts, t)
			}
		}
		if len(ts) == 0 {
			continue
		}
		fmt.Fprintf(&b, `<PmtInf><PmtInfId>%s-%s</PmtInfId><PmtMtd>DD</PmtMtd><BtchBookg>true</BtchBookg><NbOfTxs>%d</NbOfTxs><CtrlSum>%s</CtrlSum>
<PmtTpInf><SvcLvl><Cd>SEPA</Cd></SvcLvl><LclInstrm><Cd>CORE</Cd></LclInstrm><SeqTp>%s</SeqTp></PmtTpInf>
<ReqdColltnDt>%s</ReqdColltnDt><Cdtr><Nm>%s</Nm></Cdtr><CdtrAcct><Id><IBAN>%s</IBAN></Id></CdtrAcct><CdtrAgt>%s</CdtrAgt><ChrgBr>SLEV</ChrgBr>
<CdtrSchmeId><Id><PrvtId><Othr><Id>%s</Id><SchmeNm><Prtry>SEPA</Prtry></SchmeNm></Othr></PrvtId></Id></CdtrSchmeId>
`, esc(msgID), seq, len(ts), sum(ts), seq, in.CollectionDate, esc(clipText(cr.Name, 70)), esc(epc.NormalizeIBAN(cr.IBAN)), agent(cr.BIC), esc(in.CreditorID))
		for _, t := range ts {
			fmt.Fprintf(&b, `<DrctDbtTxInf><PmtId><EndToEndId>%s</EndToEndId></PmtId><InstdAmt Ccy="EUR">%s</InstdAmt>
<DrctDbtTx><MndtRltdInf><MndtId>%s</MndtId><DtOfSgntr>%s</DtOfSgntr></MndtRltdInf></DrctDbtTx>
<DbtrAgt>%s</DbtrAgt><Dbtr><Nm>%s</Nm></Dbtr><DbtrAcct><Id><IBAN>%s</IBAN></Id></DbtrAcct>
<RmtInf><Ustrd>%s</Ustrd></RmtInf></DrctDbtTxInf>
`, esc(t.rf), t.m.Amount.StringFixed(2), esc(t.m.Ref), t.m.SignedOn, agent(t.m.BIC), esc(t.m.DebtorName), esc(t.m.IBAN), esc(clipText(t.m.Purpose, 115)+" "+t.rf))
		}
		b.WriteString("</PmtInf>\n")
	}
	b.WriteString("</CstmrDrctDbtInitn>\n</Document>\n")
	return b.Bytes()
}

// sepaChars maps text to the SEPA Latin character set: umlauts spelled
// out (ä → ae, as banks do), anything else outside the set becomes a
// space.
func sepaChars(s string) string {
	s = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "Ä", "Ae", "Ö", "Oe", "Ü", "Ue", "ß", "ss", "&", "+").Replace(s)
	var b strings.Builder
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || strings.ContainsRune("/-?:().,'+ ", r) {
			b.WriteRune(r)
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}
