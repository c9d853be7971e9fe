// Package sepa writes SEPA credit transfer initiations (ISO 20022
// pain.001.001.09, the format German banks accept from 2025 on) for the
// payment runs of the e-invoice inbox. It is pure: no storage, no clock.
//
// Contract:
//   - Message.XML refuses a message that the bank would refuse: no batch or
//     no transfer, an IBAN with wrong check digits, a BIC of the wrong
//     shape, an amount that is not positive or has more than two decimals
//     or exceeds 999,999,999.99, a currency other than EUR, an id longer
//     than 35 characters or outside the SEPA character set, two transfers
//     with the same end-to-end id. Every problem is listed (*Error).
//   - Names and remittance texts are transliterated into the SEPA
//     character set (Latin: ä → ae, ß → ss; other characters become a
//     space or '.') and cut to their maximum length; ids are not altered.
//   - The control sums (group header and each batch) are the exact decimal
//     sums of the amounts; NbOfTxs counts the transfers.
//   - The execution date of a batch must be a TARGET2 business day
//     (BusinessDay); PrevBusinessDay / NextBusinessDay move a date there.
package sepa

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/platform/calendar"
)

// Namespace of pain.001.001.09.
const Namespace = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"

// Party is a debtor or creditor: name and account. BIC may be empty (IBAN
// only, allowed within SEPA); the debtor's agent is then NOTPROVIDED.
type Party struct {
	Name string
	IBAN string
	BIC  string
}

// Transfer is one credit transfer.
type Transfer struct {
	EndToEndID string
	Amount     decimal.Decimal
	Currency   string // EUR
	Creditor   Party
	Remittance string // unstructured, up to 140 characters
}

// Batch is the transfers of one execution date (a PmtInf block).
type Batch struct {
	ID            string
	ExecutionDate calendar.Date
	Transfers     []Transfer
}

// Message is one pain.001 document.
type Message struct {
	ID        string
	Created   time.Time
	Initiator string
	Debtor    Party
	Batches   []Batch
}

// Error lists every problem of a message.
type Error struct{ Problems []string }

func (e *Error) Error() string { return "sepa: " + strings.Join(e.Problems, "; ") }

// Count is the number of transfers of the message.
func (m Message) Count() int {
	n := 0
	for _, b := range m.Batches {
		n += len(b.Transfers)
	}
	return n
}

// ControlSum is the sum of every amount of the message.
func (m Message) ControlSum() decimal.Decimal {
	s := decimal.Zero
	for _, b := range m.Batches {
		s = s.Add(b.ControlSum())
	}
	return s
}

// ControlSum is the sum of the batch's amounts.
func (b Batch) ControlSum() decimal.Decimal {
	s := decimal.Zero
	for _, t := range b.Transfers {
		s = s.Add(t.Amount)
	}
	return s
}

var (
	idRe      = regexp.MustCompile(`^[A-Za-z0-9/\-?:().,'+ ]{1,35}$`)
	bicRe     = regexp.MustCompile(`^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$`)
	maxAmount = decimal.RequireFromString("999999999.99")
)

// Check returns the message's problems as *Error, or nil.
func (m Message) Check() error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if !idRe.MatchString(m.ID) || strings.HasPrefix(m.ID, " ") || strings.HasPrefix(m.ID, "/") {
		add("message id %q: 1–35 characters of the SEPA set, not starting with / or a space", m.ID)
	}
	if Latin(m.Initiator, 70) == "" {
		add("initiating party name missing")
	}
	checkParty(add, "debtor", m.Debtor)
	if len(m.Batches) == 0 {
		add("no batch")
	}
	seen := map[string]bool{}
	for i, b := range m.Batches {
		if !idRe.MatchString(b.ID) {
			add("batch %d: id %q: 1–35 characters of the SEPA set", i+1, b.ID)
		}
		if !BusinessDay(b.ExecutionDate) {
			add("batch %d: execution date %s is not a TARGET2 business day", i+1, b.ExecutionDate)
		}
		if len(b.Transfers) == 0 {
			add("batch %d: no transfer", i+1)
		}
		for j, t := range b.Transfers {
			where := fmt.Sprintf("batch %d transfer %d", i+1, j+1)
			if !idRe.MatchString(t.EndToEndID) {
				add("%s: end-to-end id %q: 1–35 characters of the SEPA set", where, t.EndToEndID)
			}
			if seen[t.EndToEndID] {
				add("%s: end-to-end id %q used twice", where, t.EndToEndID)
			}
			seen[t.EndToEndID] = true
			if t.Currency != "EUR" {
				add("%s: currency %q (SEPA transfers are in EUR)", where, t.Currency)
			}
			if !t.Amount.IsPositive() || !t.Amount.Equal(t.Amount.Round(2)) || t.Amount.GreaterThan(maxAmount) {
				add("%s: amount %s (0.01 to 999999999.99, at most two decimals)", where, t.Amount)
			}
			checkParty(add, where+": creditor", t.Creditor)
		}
	}
	if len(p) > 0 {
		return &Error{Problems: p}
	}
	return nil
}

func checkParty(add func(string, ...any), who string, pt Party) {
	if Latin(pt.Name, 70) == "" {
		add("%s: name missing", who)
	}
	if !ValidIBAN(pt.IBAN) {
		add("%s: IBAN invalid", who)
	}
	if pt.BIC != "" && !bicRe.MatchString(pt.BIC) {
		add("%s: BIC %q has not 8 or 11 characters of the right kind", who, pt.BIC)
	}
}

// CompactIBAN removes spaces and writes capitals.
func CompactIBAN(s string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
}

// ibanLengths are the IBAN lengths of the SEPA countries.
var ibanLengths = map[string]int{
	"AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
	"ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26,
	"IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28,
	"PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22,
}

// ValidIBAN checks a SEPA country's IBAN: its length and the ISO 13616
// MOD 97-10 check digits. Spaces are allowed (CompactIBAN).
func ValidIBAN(s string) bool {
	s = CompactIBAN(s)
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	if n, ok := ibanLengths[s[:2]]; !ok || n != len(s) {
		return false
	}
	rem := 0
	for _, c := range s[4:] + s[:4] {
		switch {
		case c >= '0' && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			rem = (rem*100 + int(c-'A') + 10) % 97
		default:
			return false
		}
	}
	return rem == 1
}

// ValidBIC checks the shape of a BIC (8 or 11 characters).
func ValidBIC(s string) bool { return bicRe.MatchString(s) }

var latin = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "Ä", "Ae", "Ö", "Oe", "Ü", "Ue", "ß", "ss",
	"&", "+", "é", "e", "è", "e", "à", "a", "á", "a", "ç", "c", "ñ", "n", "ø", "o", "å", "a", "æ", "ae")

// Latin transliterates s into the SEPA character set (a–z A–Z 0–9
// / - ? : ( ) . , ' + space), collapses white space and cuts it to max
// characters.
func Latin(s string, max int) string {
	s = latin.Replace(s)
	var b strings.Builder
	space := false
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.ContainsRune("/-?:().,'+", c):
			b.WriteRune(c)
			space = false
		default:
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	out := strings.TrimSpace(b.String())
	if len(out) > max {
		out = strings.TrimSpace(out[:max])
	}
	return out
}

// XML writes the message as a pain.001.001.09 document after Check.
func (m Message) XML() ([]byte, error) {
	if err := m.Check(); err != nil {
		return nil, err
	}
	doc := document{Xmlns: Namespace}
	c := &doc.Initn
	c.GrpHdr = grpHdr{MsgID: m.ID, CreDtTm: m.Created.UTC().Format("2006-01-02T15:04:05Z"), NbOfTxs: fmt.Sprint(m.Count()),
		CtrlSum: amount(m.ControlSum()), InitgPty: party{Nm: Latin(m.Initiator, 70)}}
	for _, b := range m.Batches {
		pi := pmtInf{PmtInfID: b.ID, PmtMtd: "TRF", BtchBookg: "true", NbOfTxs: fmt.Sprint(len(b.Transfers)), CtrlSum: amount(b.ControlSum()),
			PmtTpInf: pmtTpInf{SvcLvl: code{Cd: "SEPA"}}, ReqdExctnDt: dateChoice{Dt: b.ExecutionDate.String()},
			Dbtr: party{Nm: Latin(m.Debtor.Name, 70)}, DbtrAcct: account{IBAN: CompactIBAN(m.Debtor.IBAN)}, DbtrAgt: agentOf(m.Debtor.BIC, true), ChrgBr: "SLEV"}
		for _, t := range b.Transfers {
			tx := cdtTrfTxInf{PmtID: pmtID{EndToEndID: t.EndToEndID}, Amt: amt{InstdAmt: instdAmt{Ccy: t.Currency, Value: amount(t.Amount)}},
				Cdtr: party{Nm: Latin(t.Creditor.Name, 70)}, CdtrAcct: account{IBAN: CompactIBAN(t.Creditor.IBAN)}}
			if t.Creditor.BIC != "" {
				a := agentOf(t.Creditor.BIC, false)
				tx.CdtrAgt = &a
			}
			if r := Latin(t.Remittance, 140); r != "" {
				tx.RmtInf = &rmtInf{Ustrd: r}
			}
			pi.Txs = append(pi.Txs, tx)
		}
		c.PmtInf = append(c.PmtInf, pi)
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("sepa: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

func amount(d decimal.Decimal) string { return d.StringFixed(2) }

func agentOf(bic string, debtor bool) agent {
	if bic == "" {
		return agent{FinInstnID: finInstnID{Othr: &othr{ID: "NOTPROVIDED"}}}
	}
	return agent{FinInstnID: finInstnID{BICFI: bic}}
}

type document struct {
	XMLName xml.Name `xml:"Document"`
	Xmlns   string   `xml:"xmlns,attr"`
	Initn   initn    `xml:"CstmrCdtTrfInitn"`
}

type initn struct {
	GrpHdr grpHdr   `xml:"GrpHdr"`
	PmtInf []pmtInf `xml:"PmtInf"`
}

type grpHdr struct {
	MsgID    string `xml:"MsgId"`
	CreDtTm  string `xml:"CreDtTm"`
	NbOfTxs  string `xml:"NbOfTxs"`
	CtrlSum  string `xml:"CtrlSum"`
	InitgPty party  `xml:"InitgPty"`
}

type party struct {
	Nm string `xml:"Nm"`
}

type pmtInf struct {
	PmtInfID    string        `xml:"PmtInfId"`
	PmtMtd      string        `xml:"PmtMtd"`
	BtchBookg   string        `xml:"BtchBookg"`
	NbOfTxs     string        `xml:"NbOfTxs"`
	CtrlSum     string        `xml:"CtrlSum"`
	PmtTpInf    pmtTpInf      `xml:"PmtTpInf"`
	ReqdExctnDt dateChoice    `xml:"ReqdExctnDt"`
	Dbtr        party         `xml:"Dbtr"`
	DbtrAcct    account       `xml:"DbtrAcct"`
	DbtrAgt     agent         `xml:"DbtrAgt"`
	ChrgBr      string        `xml:"ChrgBr"`
	Txs         []cdtTrfTxInf `xml:"CdtTrfTxInf"`
}

type pmtTpInf struct {
	SvcLvl code `xml:"SvcLvl"`
}

type code struct {
	Cd string `xml:"Cd"`
}

type dateChoice struct {
	Dt string `xml:"Dt"`
}

type account struct {
	IBAN string `xml:"Id>IBAN"`
}

type agent struct {
	FinInstnID finInstnID `xml:"FinInstnId"`
}

type finInstnID struct {
	BICFI string `xml:"BICFI,omitempty"`
	Othr  *othr  `xml:"Othr,omitempty"`
}

type othr struct {
	ID string `xml:"Id"`
}

type cdtTrfTxInf struct {
	PmtID    pmtID   `xml:"PmtId"`
	Amt      amt     `xml:"Amt"`
	CdtrAgt  *agent  `xml:"CdtrAgt,omitempty"`
	Cdtr     party   `xml:"Cdtr"`
	CdtrAcct account `xml:"CdtrAcct"`
	RmtInf   *rmtInf `xml:"RmtInf,omitempty"`
}

type pmtID struct {
	EndToEndID string `xml:"EndToEndId"`
}

type amt struct {
	InstdAmt instdAmt `xml:"InstdAmt"`
}

type instdAmt struct {
	Ccy   string `xml:"Ccy,attr"`
	Value string `xml:",chardata"`
}

type rmtInf struct {
	Ustrd string `xml:"Ustrd"`
}
