package camt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// MaxSize is the largest message Parse reads (a year of a big city's
// statement fits many times over).
const MaxSize = 512 << 20

// Versions are the message definitions Parse reads.
var Versions = []string{
	"camt.053.001.02", "camt.053.001.03", "camt.053.001.04", "camt.053.001.08",
	"camt.054.001.02", "camt.054.001.04", "camt.054.001.08",
}

const nsPrefix = "urn:iso:std:iso:20022:tech:xsd:"

// The kinds of refusal (errors.Is on the *Error).
var (
	// ErrMalformed: not well-formed XML, or not a camt message at all.
	ErrMalformed = errors.New("not a well-formed camt message")
	// ErrUnknownVersion: a camt message of a version Parse does not read.
	ErrUnknownVersion = errors.New("unknown camt message version")
	// ErrInvalid: well-formed, but breaks the schema.
	ErrInvalid = errors.New("camt message breaks its schema")
)

// Problem is one schema violation.
type Problem struct {
	// Path is the element path, e.g. "Stmt[1]/Ntry[2]/Amt".
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Error is a refused message: its kind and every problem found.
type Error struct {
	Kind     error
	Msg      string
	Problems []Problem
}

func (e *Error) Error() string {
	if len(e.Problems) == 0 {
		return e.Msg
	}
	var b strings.Builder
	b.WriteString(e.Msg)
	for i, p := range e.Problems {
		if i == 10 {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-10)
			break
		}
		fmt.Fprintf(&b, "; %s: %s", p.Path, p.Reason)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Kind }

// Parse reads one camt.053 or camt.054 message.
func Parse(r io.Reader) (*Document, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, &Error{Kind: ErrMalformed, Msg: "read camt message: " + err.Error()}
	}
	if len(data) > MaxSize {
		return nil, &Error{Kind: ErrMalformed, Msg: fmt.Sprintf("camt message larger than %d bytes", MaxSize)}
	}
	return ParseBytes(data)
}

func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf-8", "utf8":
		return in, nil
	case "iso-8859-1", "latin1", "latin-1", "iso8859-1":
		return charmap.ISO8859_1.NewDecoder().Reader(in), nil
	case "iso-8859-15", "latin-9":
		return charmap.ISO8859_15.NewDecoder().Reader(in), nil
	case "windows-1252", "cp1252":
		return charmap.Windows1252.NewDecoder().Reader(in), nil
	}
	return nil, fmt.Errorf("unsupported encoding %q", label)
}

// ParseBytes is Parse on a message in memory.
func ParseBytes(data []byte) (*Document, error) {
	data, err := toUTF8(data)
	if err != nil {
		return nil, &Error{Kind: ErrMalformed, Msg: "camt message: " + err.Error()}
	}
	var raw xDoc
	d := &decoder{data: data}
	if err := d.decodeInto(&raw); err != nil {
		return nil, &Error{Kind: ErrMalformed, Msg: "camt message is not well-formed XML: " + err.Error()}
	}
	typ, err := messageType(d.rootNS, d.rootName)
	if err != nil {
		return nil, err
	}
	c := &checker{version: typ[len(typ)-2:], fast: true}
	doc := c.document(typ, &raw)
	if len(c.problems) > 0 || len(d.problems) > 0 {
		c = &checker{version: c.version, problems: d.problems}
		c.document(typ, &raw)
		return nil, &Error{Kind: ErrInvalid, Msg: typ + " message breaks its schema", Problems: c.problems}
	}
	return doc, nil
}

var reEncoding = regexp.MustCompile(`^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']`)

// toUTF8 transcodes a document whose declaration names another encoding.
func toUTF8(data []byte) ([]byte, error) {
	head := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	m := reEncoding.FindSubmatch(head[:min(len(head), 200)])
	if m == nil {
		return data, nil
	}
	r, err := charsetReader(string(m[1]), bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// messageType returns the message type from the root element's namespace.
func messageType(ns, local string) (string, error) {
	if local != "Document" || !strings.HasPrefix(ns, nsPrefix+"camt.05") {
		return "", &Error{Kind: ErrMalformed, Msg: fmt.Sprintf("not a camt.053/054 message: root element {%s}%s", clip(ns), clip(local))}
	}
	typ := strings.TrimPrefix(ns, nsPrefix)
	for _, v := range Versions {
		if v == typ {
			return typ, nil
		}
	}
	return "", &Error{Kind: ErrUnknownVersion, Msg: fmt.Sprintf("unknown camt message version %q (read: %s)", clip(typ), strings.Join(Versions, ", "))}
}

// sniff returns the message type of a document (tests).
func sniff(data []byte) (string, error) {
	data, err := toUTF8(data)
	if err != nil {
		return "", err
	}
	var raw xDoc
	d := &decoder{data: data}
	if err := d.decodeInto(&raw); err != nil {
		return "", err
	}
	return messageType(d.rootNS, d.rootName)
}

// checker converts the raw shapes and collects every schema problem.
// With fast set it builds no element paths (a first pass over a valid
// message then allocates nothing for them); ParseBytes runs a second,
// slow pass for the paths when the first found a problem.
type checker struct {
	version  string // "02" ... "08"
	fast     bool
	problems []Problem
}

func (c *checker) at(p, name string) string {
	if c.fast {
		return ""
	}
	return p + name
}

func (c *checker) idx(p, name string, i int) string {
	if c.fast {
		return ""
	}
	return idx(p, name, i)
}

func (c *checker) fail(path, format string, args ...any) {
	if len(c.problems) < 1000 {
		c.problems = append(c.problems, Problem{Path: path, Reason: fmt.Sprintf(format, args...)})
	}
}

func (c *checker) v8() bool { return c.version >= "06" }

// text checks an optional ISO text (MaxNText: 1..max characters).
func (c *checker) text(path string, s *string, max int) string {
	if s == nil {
		return ""
	}
	n := utf8.RuneCountInString(*s)
	if n < 1 || n > max {
		c.fail(path, "must have 1 to %d characters, has %d", max, n)
	}
	return *s
}

func (c *checker) required(path string, s *string, max int) string {
	if s == nil {
		c.fail(path, "is required")
		return ""
	}
	return c.text(path, s, max)
}

var (
	reDate     = regexp.MustCompile(`^-?\d{4,}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?$`)
	reDateTime = regexp.MustCompile(`^-?(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$`)
	reCcy      = regexp.MustCompile(`^[A-Z]{3}$`)
	reIBAN     = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}$`)
	reBIC      = regexp.MustCompile(`^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$`)
	reCountry  = regexp.MustCompile(`^[A-Z]{2}$`)
	reNumber   = regexp.MustCompile(`^\+?\d+(\.0*)?$`)
	reUUID     = regexp.MustCompile(`^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$`)
	reDecimal  = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)$`)
	rePage     = regexp.MustCompile(`^[0-9]{1,5}$`)
	reCount    = regexp.MustCompile(`^[0-9]{1,15}$`)
)

func (c *checker) date(path string, s *string) string {
	if s == nil {
		return ""
	}
	v := strings.TrimSpace(*s)
	if !reDate.MatchString(v) {
		c.fail(path, "must be a date YYYY-MM-DD, is %q", clip(v))
		return v
	}
	if _, err := time.Parse("2006-01-02", v[:10]); err != nil {
		c.fail(path, "is not a calendar date: %q", clip(v))
	}
	return v
}

func (c *checker) dateTime(path string, s *string) string {
	if s == nil {
		return ""
	}
	v := strings.TrimSpace(*s)
	m := reDateTime.FindStringSubmatch(v)
	if m == nil {
		c.fail(path, "must be a date-time YYYY-MM-DDThh:mm:ss, is %q", clip(v))
		return v
	}
	if _, err := time.Parse("2006-01-02T15:04:05", v[:19]); err != nil && !(m[4] == "24" && m[5] == "00" && m[6] == "00") {
		c.fail(path, "is not a valid date-time: %q", clip(v))
	}
	return v
}

func (c *checker) dateChoice(path string, d *xDate) string {
	if d == nil {
		return ""
	}
	switch {
	case d.Dt != nil && d.DtTm != nil:
		c.fail(path, "must hold either Dt or DtTm, not both")
		return c.date(c.at(path, "/Dt"), d.Dt)
	case d.Dt != nil:
		return c.date(c.at(path, "/Dt"), d.Dt)
	case d.DtTm != nil:
		return c.dateTime(c.at(path, "/DtTm"), d.DtTm)
	}
	c.fail(path, "must hold Dt or DtTm")
	return ""
}

// amount checks ActiveOrHistoricCurrencyAndAmount: a non-negative decimal
// of at most 18 digits, 5 of them after the point (trailing zeros of the
// fraction do not count, as in XML Schema), and a three-letter currency.
func (c *checker) amount(path string, a *xAmt) (string, string) {
	if a == nil {
		c.fail(path, "is required")
		return "", ""
	}
	v := strings.TrimSpace(a.Value)
	ccy := ""
	if a.Ccy == nil {
		c.fail(c.at(path, "/@Ccy"), "is required")
	} else if ccy = *a.Ccy; !reCcy.MatchString(ccy) {
		c.fail(c.at(path, "/@Ccy"), "must be three capital letters, is %q", clip(ccy))
	}
	if !reDecimal.MatchString(v) {
		c.fail(path, "must be a decimal amount, is %q", clip(v))
		return v, ccy
	}
	digits := strings.TrimLeft(v, "+-")
	intPart, frac, _ := strings.Cut(digits, ".")
	intPart = strings.TrimLeft(intPart, "0")
	frac = strings.TrimRight(frac, "0")
	switch {
	case strings.HasPrefix(v, "-") && (intPart != "" || frac != ""):
		c.fail(path, "must not be negative (the credit/debit indicator carries the sign), is %q", clip(v))
	case len(frac) > 5:
		c.fail(path, "may have at most 5 decimals, has %d", len(frac))
	case len(intPart)+len(frac) > 18:
		c.fail(path, "may have at most 18 digits")
	}
	return v, ccy
}

func (c *checker) creditDebit(path string, s *string) string {
	if s == nil {
		c.fail(path, "is required")
		return ""
	}
	if *s != "CRDT" && *s != "DBIT" {
		c.fail(path, "must be CRDT or DBIT, is %q", clip(*s))
	}
	return *s
}

func (c *checker) optCreditDebit(path string, s *string) string {
	if s == nil {
		return ""
	}
	return c.creditDebit(path, s)
}

func (c *checker) pattern(path string, s *string, re *regexp.Regexp, what string) string {
	if s == nil {
		return ""
	}
	if !re.MatchString(*s) {
		c.fail(path, "must be %s, is %q", what, clip(*s))
	}
	return *s
}

func (c *checker) boolean(path string, s *string) bool {
	if s == nil {
		return false
	}
	switch strings.TrimSpace(*s) {
	case "true", "1":
		return true
	case "false", "0":
		return false
	}
	c.fail(path, "must be true or false, is %q", clip(*s))
	return false
}

func (c *checker) enum(path string, s *string, allowed ...string) string {
	if s == nil {
		return ""
	}
	for _, a := range allowed {
		if *s == a {
			return a
		}
	}
	c.fail(path, "must be one of %s, is %q", strings.Join(allowed, ", "), clip(*s))
	return *s
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func idx(path string, name string, i int) string {
	p := name + "[" + strconv.Itoa(i+1) + "]"
	if path == "" {
		return p
	}
	return path + "/" + p
}

func (c *checker) document(typ string, raw *xDoc) *Document {
	doc := &Document{Type: typ, Statements: []Statement{}}
	is053 := strings.HasPrefix(typ, "camt.053")
	msg, root := raw.Ntfctn, "BkToCstmrDbtCdtNtfctn"
	if is053 {
		msg, root = raw.Stmt, "BkToCstmrStmt"
	}
	if msg == nil {
		c.fail(root, "is required (the message element of %s)", typ)
		return doc
	}
	if msg.GrpHdr == nil {
		c.fail(root+"/GrpHdr", "is required")
	} else {
		g := msg.GrpHdr
		p := root + "/GrpHdr"
		doc.MessageID = c.required(c.at(p, "/MsgId"), g.MsgID, 35)
		if g.CreDtTm == nil {
			c.fail(c.at(p, "/CreDtTm"), "is required")
		}
		doc.CreatedAt = c.dateTime(c.at(p, "/CreDtTm"), g.CreDtTm)
		doc.AdditionalInfo = c.text(c.at(p, "/AddtlInf"), g.AddtlInf, 500)
		if g.MsgRcpt != nil {
			doc.Recipient = c.party(c.at(p, "/MsgRcpt"), RoleRecipient, g.MsgRcpt)
		}
		doc.Page = c.page(c.at(p, "/MsgPgntn"), g.MsgPgntn)
		if q := g.OrgnlBizQry; q != nil {
			doc.OriginalQuery = &Query{MessageID: c.required(c.at(p, "/OrgnlBizQry/MsgId"), q.MsgID, 35),
				MessageNameID: c.text(c.at(p, "/OrgnlBizQry/MsgNmId"), q.MsgNmID, 35), CreatedAt: c.dateTime(c.at(p, "/OrgnlBizQry/CreDtTm"), q.CreDtTm)}
		}
	}
	stmts, name := msg.Ntfctns, "Ntfctn"
	if is053 {
		stmts, name = msg.Stmts, "Stmt"
	}
	if len(stmts) == 0 {
		c.fail(root+"/"+name, "at least one %s is required", name)
	}
	for i := range stmts {
		doc.Statements = append(doc.Statements, c.statement(c.idx(root, name, i), &stmts[i], is053))
	}
	return doc
}

func (c *checker) page(path string, p *xPage) *Page {
	if p == nil {
		return nil
	}
	out := &Page{Number: c.required(c.at(path, "/PgNb"), p.PgNb, 5)}
	if p.PgNb != nil && !rePage.MatchString(*p.PgNb) {
		c.fail(c.at(path, "/PgNb"), "must be 1 to 5 digits")
	}
	if p.LastPgInd == nil {
		c.fail(c.at(path, "/LastPgInd"), "is required")
	}
	out.Last = c.boolean(c.at(path, "/LastPgInd"), p.LastPgInd)
	return out
}

func (c *checker) statement(p string, s *xStmt, is053 bool) Statement {
	st := Statement{Balances: []Balance{}, Entries: []Entry{}}
	st.ID = c.required(c.at(p, "/Id"), s.ID, 35)
	if s.CreDtTm == nil && !c.v8() {
		c.fail(c.at(p, "/CreDtTm"), "is required")
	}
	st.CreatedAt = c.dateTime(c.at(p, "/CreDtTm"), s.CreDtTm)
	if s.FrToDt != nil {
		if s.FrToDt.FrDtTm == nil {
			c.fail(c.at(p, "/FrToDt/FrDtTm"), "is required")
		}
		if s.FrToDt.ToDtTm == nil {
			c.fail(c.at(p, "/FrToDt/ToDtTm"), "is required")
		}
		st.From = c.dateTime(c.at(p, "/FrToDt/FrDtTm"), s.FrToDt.FrDtTm)
		st.To = c.dateTime(c.at(p, "/FrToDt/ToDtTm"), s.FrToDt.ToDtTm)
	}
	st.ElectronicSequence = c.pattern(c.at(p, "/ElctrncSeqNb"), s.ElctrncSeqNb, reNumber, "a number")
	st.LegalSequence = c.pattern(c.at(p, "/LglSeqNb"), s.LglSeqNb, reNumber, "a number")
	st.CopyDuplicate = c.enum(c.at(p, "/CpyDplctInd"), s.CpyDplctInd, "CODU", "COPY", "DUPL")
	if is053 {
		st.Page = c.page(c.at(p, "/StmtPgntn"), s.StmtPgntn)
		st.AdditionalInfo = c.text(c.at(p, "/AddtlStmtInf"), s.AddtlStmtInf, 500)
	} else {
		st.Page = c.page(c.at(p, "/NtfctnPgntn"), s.NtfctnPgntn)
		st.AdditionalInfo = c.text(c.at(p, "/AddtlNtfctnInf"), s.AddtlNtfctnInf, 500)
	}
	if s.Acct == nil {
		c.fail(c.at(p, "/Acct"), "is required")
	} else {
		st.Account = c.account(c.at(p, "/Acct"), s.Acct)
	}
	if is053 && len(s.Bal) == 0 {
		c.fail(c.at(p, "/Bal"), "a statement needs at least one balance")
	}
	for i := range s.Bal {
		st.Balances = append(st.Balances, c.balance(c.idx(p, "Bal", i), &s.Bal[i]))
	}
	st.Entries = make([]Entry, 0, len(s.Ntry))
	for i := range s.Ntry {
		e := c.entry(c.idx(p, "Ntry", i), s.Ntry[i])
		e.Index = i
		st.Entries = append(st.Entries, e)
	}
	return st
}

func (c *checker) account(p string, a *xAcct) Account {
	var out Account
	if a.ID == nil {
		c.fail(c.at(p, "/Id"), "is required")
	} else {
		switch {
		case a.ID.IBAN != nil:
			out.IBAN = c.pattern(c.at(p, "/Id/IBAN"), a.ID.IBAN, reIBAN, "an IBAN")
		case a.ID.Othr != nil:
			out.Other = c.required(c.at(p, "/Id/Othr/Id"), a.ID.Othr.ID, 34)
		default:
			c.fail(c.at(p, "/Id"), "must hold IBAN or Othr")
		}
	}
	out.Currency = c.pattern(c.at(p, "/Ccy"), a.Ccy, reCcy, "three capital letters")
	out.Name = c.text(c.at(p, "/Nm"), a.Nm, 70)
	if a.Ownr != nil {
		out.Owner = c.text(c.at(p, "/Ownr/Nm"), a.Ownr.Nm, 140)
	}
	if a.Svcr != nil && a.Svcr.FinInstnID != nil {
		f := a.Svcr.FinInstnID
		out.ServicerBIC = c.pattern(c.at(p, "/Svcr/FinInstnId/BIC"), firstOf(f.BICFI, f.BIC), reBIC, "a BIC")
		out.ServicerName = c.text(c.at(p, "/Svcr/FinInstnId/Nm"), f.Nm, 140)
	}
	return out
}

func firstOf(ss ...*string) *string {
	for _, s := range ss {
		if s != nil {
			return s
		}
	}
	return nil
}

func (c *checker) balance(p string, b *xBal) Balance {
	var out Balance
	if b.Tp == nil || b.Tp.CdOrPrtry == nil || (b.Tp.CdOrPrtry.Cd == nil && b.Tp.CdOrPrtry.Prtry == nil) {
		c.fail(c.at(p, "/Tp/CdOrPrtry"), "is required (Cd or Prtry)")
	} else if b.Tp.CdOrPrtry.Cd != nil {
		out.Type = c.required(c.at(p, "/Tp/CdOrPrtry/Cd"), b.Tp.CdOrPrtry.Cd, 4)
		if !c.v8() {
			out.Type = c.enum(c.at(p, "/Tp/CdOrPrtry/Cd"), b.Tp.CdOrPrtry.Cd, "OPAV", "ITAV", "CLAV", "FWAV", "CLBD", "ITBD", "OPBD", "PRCD", "INFO", "XPCD")
		}
	} else {
		out.Type = c.required(c.at(p, "/Tp/CdOrPrtry/Prtry"), b.Tp.CdOrPrtry.Prtry, 35)
	}
	out.Amount, out.Currency = c.amount(c.at(p, "/Amt"), b.Amt)
	out.CreditDebit = c.creditDebit(c.at(p, "/CdtDbtInd"), b.CdtDbtInd)
	if b.Dt == nil {
		c.fail(c.at(p, "/Dt"), "is required")
	} else {
		out.Date = c.dateChoice(c.at(p, "/Dt"), b.Dt)
	}
	return out
}

func (c *checker) status(p string, s *xSts) string {
	if s == nil {
		c.fail(p, "is required")
		return ""
	}
	if c.v8() {
		switch {
		case s.Cd != nil:
			return c.required(c.at(p, "/Cd"), s.Cd, 4)
		case s.Prtry != nil:
			return c.required(c.at(p, "/Prtry"), s.Prtry, 35)
		}
		c.fail(p, "must hold Cd or Prtry")
		return ""
	}
	v := strings.TrimSpace(s.Text)
	return c.enum(p, &v, "BOOK", "PDNG", "INFO")
}

func (c *checker) btc(p string, b *xBTC) *BankTransactionCode {
	if b == nil {
		return nil
	}
	out := &BankTransactionCode{}
	if d := b.Domn; d != nil {
		out.Domain = c.required(c.at(p, "/Domn/Cd"), d.Cd, 4)
		if d.Fmly == nil {
			c.fail(c.at(p, "/Domn/Fmly"), "is required")
		} else {
			out.Family = c.required(c.at(p, "/Domn/Fmly/Cd"), d.Fmly.Cd, 4)
			out.SubFamily = c.required(c.at(p, "/Domn/Fmly/SubFmlyCd"), d.Fmly.SubFmlyCd, 4)
		}
	}
	if pr := b.Prtry; pr != nil {
		out.Proprietary = c.required(c.at(p, "/Prtry/Cd"), pr.Cd, 35)
		out.ProprietaryIssuer = c.text(c.at(p, "/Prtry/Issr"), pr.Issr, 35)
	}
	return out
}

func (c *checker) entry(p string, n *xNtry) Entry {
	e := Entry{Details: []Detail{}}
	e.Reference = c.text(c.at(p, "/NtryRef"), n.NtryRef, 35)
	e.Amount, e.Currency = c.amount(c.at(p, "/Amt"), n.Amt)
	e.CreditDebit = c.creditDebit(c.at(p, "/CdtDbtInd"), n.CdtDbtInd)
	e.Reversal = c.boolean(c.at(p, "/RvslInd"), n.RvslInd)
	e.Status = c.status(c.at(p, "/Sts"), n.Sts)
	e.BookingDate = c.dateChoice(c.at(p, "/BookgDt"), n.BookgDt)
	e.ValueDate = c.dateChoice(c.at(p, "/ValDt"), n.ValDt)
	e.AccountServicerReference = c.text(c.at(p, "/AcctSvcrRef"), n.AcctSvcrRef, 35)
	if n.BkTxCd == nil {
		c.fail(c.at(p, "/BkTxCd"), "is required")
	}
	e.BankTransactionCode = c.btc(c.at(p, "/BkTxCd"), n.BkTxCd)
	e.AdditionalInfo = c.text(c.at(p, "/AddtlNtryInf"), n.AddtlNtryInf, 500)
	for i := range n.NtryDtls {
		dp := c.idx(p, "NtryDtls", i)
		for j, b := range n.NtryDtls[i].Btch {
			bp := c.idx(dp, "Btch", j)
			out := Batch{MessageID: c.text(c.at(bp, "/MsgId"), b.MsgID, 35), PaymentInformationID: c.text(c.at(bp, "/PmtInfId"), b.PmtInfID, 35),
				NumberOfTransactions: c.pattern(c.at(bp, "/NbOfTxs"), b.NbOfTxs, reCount, "a count"),
				CreditDebit:          c.optCreditDebit(c.at(bp, "/CdtDbtInd"), b.CdtDbtInd)}
			if b.TtlAmt != nil {
				out.Total, out.Currency = c.amount(c.at(bp, "/TtlAmt"), b.TtlAmt)
			}
			e.Batches = append(e.Batches, out)
		}
		for j := range n.NtryDtls[i].TxDtls {
			d := c.detail(c.idx(dp, "TxDtls", j), &n.NtryDtls[i].TxDtls[j])
			if d.CreditDebit == "" {
				d.CreditDebit = e.CreditDebit
			}
			e.Details = append(e.Details, d)
		}
	}
	return e
}

func (c *checker) detail(p string, t *xTx) Detail {
	d := Detail{Parties: []Party{}, Agents: []Agent{}, Remittance: Remittance{Unstructured: []string{}, Structured: []Structured{}}}
	if t.Amt != nil {
		d.Amount, d.Currency = c.amount(c.at(p, "/Amt"), t.Amt)
	}
	d.CreditDebit = c.optCreditDebit(c.at(p, "/CdtDbtInd"), t.CdtDbtInd)
	if a := t.AmtDtls; a != nil {
		if a.TxAmt != nil {
			am, cc := c.amount(c.at(p, "/AmtDtls/TxAmt/Amt"), a.TxAmt.Amt)
			d.TransactionAmount = &Amount{Text: am, Currency: cc}
		}
		if a.InstdAmt != nil {
			am, cc := c.amount(c.at(p, "/AmtDtls/InstdAmt/Amt"), a.InstdAmt.Amt)
			d.InstructedAmount = &Amount{Text: am, Currency: cc}
		}
	}
	if r := t.Refs; r != nil {
		rp := c.at(p, "/Refs")
		d.References = References{
			MessageID: c.text(c.at(rp, "/MsgId"), r.MsgID, 35), AccountServicerReference: c.text(c.at(rp, "/AcctSvcrRef"), r.AcctSvcrRef, 35),
			PaymentInformationID: c.text(c.at(rp, "/PmtInfId"), r.PmtInfID, 35), InstructionID: c.text(c.at(rp, "/InstrId"), r.InstrID, 35),
			EndToEndID: c.text(c.at(rp, "/EndToEndId"), r.EndToEndID, 35), TransactionID: c.text(c.at(rp, "/TxId"), r.TxID, 35),
			MandateID: c.text(c.at(rp, "/MndtId"), r.MndtID, 35), ChequeNumber: c.text(c.at(rp, "/ChqNb"), r.ChqNb, 35),
			ClearingSystemReference: c.text(c.at(rp, "/ClrSysRef"), r.ClrSysRef, 35), AccountOwnerTransactionID: c.text(c.at(rp, "/AcctOwnrTxId"), r.AcctOwnrTxID, 35),
			AccountServicerTransactionID: c.text(c.at(rp, "/AcctSvcrTxId"), r.AcctSvcrTxID, 35), MarketInfrastructureTransactionID: c.text(c.at(rp, "/MktInfrstrctrTxId"), r.MktInfrstrctrTxID, 35),
			ProcessingID: c.text(c.at(rp, "/PrcgId"), r.PrcgID, 35),
		}
		if r.UETR != nil {
			d.References.UETR = c.pattern(c.at(rp, "/UETR"), r.UETR, reUUID, "a UUID version 4")
		}
		for i, pr := range r.Prtry {
			pp := c.idx(rp, "Prtry", i)
			d.References.Proprietary = append(d.References.Proprietary, Proprietary{Type: c.required(c.at(pp, "/Tp"), pr.Tp, 35), Reference: c.required(c.at(pp, "/Ref"), pr.Ref, 35)})
		}
		d.EndToEndID = d.References.EndToEndID
	}
	d.BankTransactionCode = c.btc(c.at(p, "/BkTxCd"), t.BkTxCd)
	if rp := t.RltdPties; rp != nil {
		pp := c.at(p, "/RltdPties")
		add := func(name, role string, x *xParty, acct *xAcct, acctName string) {
			if x == nil && acct == nil {
				return
			}
			var pt *Party
			if x != nil {
				pt = c.party(c.at(pp, "/")+name, role, x)
			} else {
				pt = &Party{Role: role}
			}
			if acct != nil {
				a := c.account(c.at(pp, "/")+acctName, acct)
				pt.Account = &a
			}
			d.Parties = append(d.Parties, *pt)
		}
		add("InitgPty", RoleInitiatingParty, rp.InitgPty, nil, "")
		add("Dbtr", RoleDebtor, rp.Dbtr, rp.DbtrAcct, "DbtrAcct")
		add("UltmtDbtr", RoleUltimateDebtor, rp.UltmtDbtr, nil, "")
		add("Cdtr", RoleCreditor, rp.Cdtr, rp.CdtrAcct, "CdtrAcct")
		add("UltmtCdtr", RoleUltimateCreditor, rp.UltmtCdtr, nil, "")
	}
	if ra := t.RltdAgts; ra != nil {
		for _, a := range []struct {
			name, role string
			x          *xAgent
		}{{"DbtrAgt", "debtor_agent", ra.DbtrAgt}, {"CdtrAgt", "creditor_agent", ra.CdtrAgt},
			{"IntrmyAgt1", "intermediary_agent_1", ra.IntrmyAgt1}, {"IntrmyAgt2", "intermediary_agent_2", ra.IntrmyAgt2}, {"IntrmyAgt3", "intermediary_agent_3", ra.IntrmyAgt3}} {
			if a.x != nil {
				d.Agents = append(d.Agents, c.agent(c.at(p, "/RltdAgts/")+a.name, a.role, a.x))
			}
		}
	}
	if ri := t.RmtInf; ri != nil {
		rp := c.at(p, "/RmtInf")
		for i := range ri.Ustrd {
			d.Remittance.Unstructured = append(d.Remittance.Unstructured, c.text(c.idx(rp, "Ustrd", i), &ri.Ustrd[i], 140))
		}
		for i, s := range ri.Strd {
			sp := c.idx(rp, "Strd", i)
			var out Structured
			if cr := s.CdtrRefInf; cr != nil {
				ref := &CreditorReference{Reference: c.text(c.at(sp, "/CdtrRefInf/Ref"), cr.Ref, 35)}
				if cr.Tp != nil {
					if cr.Tp.CdOrPrtry == nil {
						c.fail(c.at(sp, "/CdtrRefInf/Tp/CdOrPrtry"), "is required")
					} else if cr.Tp.CdOrPrtry.Cd != nil {
						ref.Code = c.enum(c.at(sp, "/CdtrRefInf/Tp/CdOrPrtry/Cd"), cr.Tp.CdOrPrtry.Cd, "RADM", "RPIN", "FXDR", "DISP", "PUOR", "SCOR")
					} else {
						ref.Proprietary = c.required(c.at(sp, "/CdtrRefInf/Tp/CdOrPrtry/Prtry"), cr.Tp.CdOrPrtry.Prtry, 35)
					}
					ref.Issuer = c.text(c.at(sp, "/CdtrRefInf/Tp/Issr"), cr.Tp.Issr, 35)
				}
				out.CreditorReference = ref
			}
			for j := range s.AddtlRmtInf {
				out.AdditionalInfo = append(out.AdditionalInfo, c.text(c.idx(sp, "AddtlRmtInf", j), &s.AddtlRmtInf[j], 140))
			}
			d.Remittance.Structured = append(d.Remittance.Structured, out)
		}
	}
	d.AdditionalInfo = c.text(c.at(p, "/AddtlTxInf"), t.AddtlTxInf, 500)
	if t.RtrInf != nil && t.RtrInf.Rsn != nil {
		d.ReturnReason = derefFirst(t.RtrInf.Rsn.Cd, t.RtrInf.Rsn.Prtry)
	}
	return d
}

func derefFirst(ss ...*string) string {
	if s := firstOf(ss...); s != nil {
		return *s
	}
	return ""
}

func (c *checker) party(p, role string, x *xParty) *Party {
	pt := &Party{Role: role}
	if x.Pty != nil || x.Agt != nil {
		if !c.v8() {
			c.fail(p, "Pty/Agt belong to version 08 messages")
		}
		if x.Agt != nil {
			a := c.agent(c.at(p, "/Agt"), role, x.Agt)
			pt.Agent, pt.BIC, pt.Name = true, a.BIC, a.Name
			if x.Agt.FinInstnID != nil && x.Agt.FinInstnID.PstlAdr != nil {
				pt.Address = c.address(c.at(p, "/Agt/FinInstnId/PstlAdr"), x.Agt.FinInstnID.PstlAdr)
			}
			return pt
		}
		p, x = c.at(p, "/Pty"), x.Pty
	} else if c.v8() && (x.Nm != nil || x.PstlAdr != nil || x.ID != nil) && role != RoleUltimateDebtor && role != RoleUltimateCreditor && role != RoleRecipient && role != RoleInitiatingParty {
		c.fail(p, "version 08 wraps the party in Pty or Agt")
	}
	pt.Name = c.text(c.at(p, "/Nm"), x.Nm, 140)
	if x.PstlAdr != nil {
		pt.Address = c.address(c.at(p, "/PstlAdr"), x.PstlAdr)
	}
	pt.CountryOfResidence = c.pattern(c.at(p, "/CtryOfRes"), x.CtryOfRes, reCountry, "a country code")
	if id := x.ID; id != nil {
		switch {
		case id.OrgID != nil:
			o := id.OrgID
			ident := &Identification{Kind: "organisation"}
			if o.AnyBIC != nil {
				ident.BIC = c.pattern(c.at(p, "/Id/OrgId/AnyBIC"), o.AnyBIC, reBIC, "a BIC")
			}
			if o.BICOrBEI != nil {
				ident.BIC = c.pattern(c.at(p, "/Id/OrgId/BICOrBEI"), o.BICOrBEI, reBIC, "a BIC or BEI")
				ident.BEI = ident.BIC
			}
			ident.Other = c.others(c.at(p, "/Id/OrgId"), o.Othr)
			pt.Identification = ident
		case id.PrvtID != nil:
			v := id.PrvtID
			ident := &Identification{Kind: "person"}
			if b := v.DtAndPlcOfBirth; b != nil {
				bp := c.at(p, "/Id/PrvtId/DtAndPlcOfBirth")
				if b.BirthDt == nil {
					c.fail(c.at(bp, "/BirthDt"), "is required")
				}
				ident.BirthDate = c.date(c.at(bp, "/BirthDt"), b.BirthDt)
				ident.ProvinceOfBirth = c.text(c.at(bp, "/PrvcOfBirth"), b.PrvcOfBirth, 35)
				ident.CityOfBirth = c.required(c.at(bp, "/CityOfBirth"), b.CityOfBirth, 35)
				if b.CtryOfBirth == nil {
					c.fail(c.at(bp, "/CtryOfBirth"), "is required")
				}
				ident.CountryOfBirth = c.pattern(c.at(bp, "/CtryOfBirth"), b.CtryOfBirth, reCountry, "a country code")
			}
			ident.Other = c.others(c.at(p, "/Id/PrvtId"), v.Othr)
			pt.Identification = ident
		default:
			c.fail(c.at(p, "/Id"), "must hold OrgId or PrvtId")
		}
	}
	return pt
}

func (c *checker) others(p string, os []xOthr) []OtherID {
	var out []OtherID
	for i, o := range os {
		op := c.idx(p, "Othr", i)
		id := OtherID{ID: c.required(c.at(op, "/Id"), o.ID, 35), Issuer: c.text(c.at(op, "/Issr"), o.Issr, 35)}
		if o.SchmeNm != nil {
			id.Scheme = derefFirst(o.SchmeNm.Cd, o.SchmeNm.Prtry)
		}
		out = append(out, id)
	}
	return out
}

func (c *checker) agent(p, role string, x *xAgent) Agent {
	a := Agent{Role: role}
	if x.FinInstnID == nil {
		c.fail(c.at(p, "/FinInstnId"), "is required")
		return a
	}
	f := x.FinInstnID
	if f.BICFI != nil {
		a.BIC = c.pattern(c.at(p, "/FinInstnId/BICFI"), f.BICFI, reBIC, "a BIC")
	} else if f.BIC != nil {
		a.BIC = c.pattern(c.at(p, "/FinInstnId/BIC"), f.BIC, reBIC, "a BIC")
	}
	a.Name = c.text(c.at(p, "/FinInstnId/Nm"), f.Nm, 140)
	if m := f.ClrSysMmbID; m != nil {
		if m.ClrSysID != nil {
			a.ClearingSystem = derefFirst(m.ClrSysID.Cd, m.ClrSysID.Prtry)
		}
		a.MemberID = c.required(c.at(p, "/FinInstnId/ClrSysMmbId/MmbId"), m.MmbID, 35)
	}
	return a
}

func (c *checker) address(p string, a *xAddr) *Address {
	out := &Address{
		Department: c.text(c.at(p, "/Dept"), a.Dept, 70), SubDepartment: c.text(c.at(p, "/SubDept"), a.SubDept, 70),
		Street: c.text(c.at(p, "/StrtNm"), a.StrtNm, 70), BuildingNumber: c.text(c.at(p, "/BldgNb"), a.BldgNb, 16),
		PostCode: c.text(c.at(p, "/PstCd"), a.PstCd, 16), Town: c.text(c.at(p, "/TwnNm"), a.TwnNm, 35),
		CountrySubDivision: c.text(c.at(p, "/CtrySubDvsn"), a.CtrySubDvsn, 35),
		Country:            c.pattern(c.at(p, "/Ctry"), a.Ctry, reCountry, "a country code"),
	}
	if len(a.AdrLine) > 7 {
		c.fail(c.at(p, "/AdrLine"), "at most 7 address lines")
	}
	for i := range a.AdrLine {
		out.Lines = append(out.Lines, c.text(c.idx(p, "AdrLine", i), &a.AdrLine[i], 70))
	}
	return out
}
