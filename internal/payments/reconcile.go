package payments

import (
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/payments/camt"
	"github.com/rathaus/rathaus/internal/payments/epc"
)

// Reconciliation is a pure function of the statement's items and the open
// requests (Reconcile); the use case (ImportStatement) books its
// decisions in one transaction. The rules, in order:
//
//  1. Only booked credits in euros with at most two decimals are booked;
//     other currencies, more decimals and reversals go to the worklist
//     (never rounded, never converted). Pending and information entries
//     are recorded and ignored.
//  2. An ISO 11649 RF reference of an open request — in the structured
//     creditor reference, or typed into the remittance text or the
//     end-to-end id — matches with confidence 1. An RF of a request that
//     is already paid books nothing: the money goes to the worklist as a
//     second payment to refund.
//  3. Otherwise the request's public reference or its subject (the
//     application reference) in the text matches with confidence 0.95.
//  4. Otherwise the amount must equal an open request's outstanding
//     amount; the payer's name and the text then score each such request
//     (confidence 0.5 for the amount, up to 0.3 for the name, up to 0.2
//     for the purpose's words). The best is booked only with a confidence
//     of at least MinConfidence and a lead of at least MinLead over the
//     second; otherwise the entry goes to the worklist as ambiguous (with
//     the candidates) or unmatched.
//  5. A matched amount below the outstanding amount is a partial payment
//     (the request stays open for the rest); above it, the request is
//     paid and the excess goes to the refund worklist.
//  6. Two items of one statement matching the same request are both
//     booked only while the sum does not exceed the outstanding amount
//     (Reconcile keeps a running balance); the rest is an overpayment.

// Confidence thresholds of rule 4.
var (
	MinConfidence = 0.8
	MinLead       = 0.15
)

// OpenRequest is what Reconcile knows of a request.
type OpenRequest struct {
	ID          int64
	Ref, RF     string
	Subject     string
	Outstanding decimal.Decimal
	PayerName   string
	Purpose     string
	// Status "paid" requests are given too (RF lookups of second
	// payments); Outstanding is then zero.
	Status string
}

// Item is one booking line of a statement: an entry, or one transaction of
// a batch entry that lists its transactions with their own amounts.
type Item struct {
	Position    int // in the message
	Account     string
	StmtID      string
	Amount      string
	Currency    string
	CreditDebit string
	Status      string
	Reversal    bool
	BookingDate string
	ValueDate   string
	ServicerRef string
	EndToEndID  string
	References  []string // creditor references
	Text        string   // unstructured remittance, joined
	PartyName   string   // debtor for credits, creditor for debits
	PartyIBAN   string
	Key         string // identity across messages (see itemKey)
}

// Items flattens a document into booking lines.
func Items(doc *camt.Document) []Item {
	var out []Item
	pos := 0
	for _, st := range doc.Statements {
		acct := st.Account.Identification()
		for _, e := range st.Entries {
			split := len(e.Details) > 1
			for _, d := range e.Details {
				split = split && d.Amount != "" && d.Currency == e.Currency
			}
			base := Item{Account: acct, StmtID: st.ID, Amount: e.Amount, Currency: e.Currency, CreditDebit: e.CreditDebit, Status: e.Status,
				Reversal: e.Reversal, BookingDate: e.BookingDate, ValueDate: e.ValueDate, ServicerRef: e.AccountServicerReference}
			if !split {
				it := base
				it.Position = pos
				pos++
				if len(e.Details) > 0 {
					fillDetail(&it, &e.Details[0], e.CreditDebit)
				}
				it.Key = itemKey(&it, 0)
				out = append(out, it)
				continue
			}
			for k := range e.Details {
				it := base
				it.Position = pos
				pos++
				it.Amount = e.Details[k].Amount
				fillDetail(&it, &e.Details[k], e.CreditDebit)
				it.Key = itemKey(&it, k)
				out = append(out, it)
			}
		}
	}
	return out
}

func fillDetail(it *Item, d *camt.Detail, cd string) {
	it.EndToEndID = d.EndToEndID
	it.References = d.Remittance.CreditorReferences()
	it.Text = strings.Join(d.Remittance.Unstructured, " ")
	want := camt.RoleDebtor
	if cd == "DBIT" {
		want = camt.RoleCreditor
	}
	for _, p := range d.Parties {
		if p.Role == want {
			it.PartyName = p.Name
			if p.Account != nil {
				it.PartyIBAN = p.Account.IBAN
			}
		}
	}
}

// itemKey identifies a transaction across messages (a camt.054 notice and
// the camt.053 statement report the same booking): the bank's reference
// for the entry where it gives one, else the booking's visible features.
func itemKey(it *Item, k int) string {
	if it.ServicerRef != "" {
		return it.Account + "|asr|" + it.ServicerRef + "|" + itoa(k)
	}
	return it.Account + "|" + it.BookingDate + "|" + it.CreditDebit + "|" + it.Amount + "|" + it.Currency + "|" + it.EndToEndID + "|" + strings.Join(it.References, ",") + "|" + it.Text + "|" + it.PartyIBAN
}

func itoa(i int) string { return decimal.NewFromInt(int64(i)).String() }

// Outcome of an item.
type Outcome string

const (
	OutcomeBooked   Outcome = "booked"
	OutcomeWorklist Outcome = "worklist"
	OutcomeIgnored  Outcome = "ignored"
	OutcomeDebit    Outcome = "debit" // a debit: checked against expected debits by the use case
)

// Decision is Reconcile's verdict on one item.
type Decision struct {
	Item    int // index into the items
	Outcome Outcome
	// Request is the matched request (booked, or paid twice).
	Request    *OpenRequest
	Amount     decimal.Decimal
	Confidence float64
	Method     string // rf, reference, fuzzy
	// Task is the worklist kind when Outcome is worklist, or "overpayment"
	// / "paid_twice" alongside a booking.
	Task       string
	Excess     decimal.Decimal
	Candidates []Candidate
	Reason     string
}

// Candidate is a possible request of an ambiguous item.
type Candidate struct {
	Ref        string  `json:"ref"`
	Confidence float64 `json:"confidence"`
}

var (
	rfInText  = regexp.MustCompile(`(?i)\bRF\s?\d{2}(?:\s?[0-9A-Z]){1,21}\b`)
	refInText = regexp.MustCompile(`\b[A-Z]-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}\b`)
)

// Index is the open requests prepared for many lookups.
type Index struct {
	byRF      map[string]*OpenRequest
	byRef     map[string]*OpenRequest
	bySubject map[string][]*OpenRequest
	byAmount  map[string][]*OpenRequest
	// remaining is the running outstanding amount per request while one
	// statement is reconciled.
	remaining map[int64]decimal.Decimal
}

// NewIndex indexes requests by RF, reference, subject and outstanding amount.
func NewIndex(reqs []OpenRequest) *Index {
	ix := &Index{byRF: make(map[string]*OpenRequest, len(reqs)), byRef: make(map[string]*OpenRequest, len(reqs)),
		bySubject: map[string][]*OpenRequest{}, byAmount: make(map[string][]*OpenRequest, len(reqs)/4+1), remaining: make(map[int64]decimal.Decimal, len(reqs))}
	for i := range reqs {
		r := &reqs[i]
		ix.byRF[r.RF] = r
		ix.byRef[r.Ref] = r
		if r.Subject != "" {
			ix.bySubject[r.Subject] = append(ix.bySubject[r.Subject], r)
		}
		if r.Status != "paid" && r.Outstanding.IsPositive() {
			k := r.Outstanding.StringFixed(2)
			ix.byAmount[k] = append(ix.byAmount[k], r)
		}
		ix.remaining[r.ID] = r.Outstanding
	}
	return ix
}

// Reconcile decides every item against the index.
func Reconcile(items []Item, ix *Index) []Decision {
	out := make([]Decision, 0, len(items))
	for i := range items {
		out = append(out, ix.decide(i, &items[i]))
	}
	return out
}

func (ix *Index) decide(i int, it *Item) Decision {
	d := Decision{Item: i}
	amt, err := decimal.NewFromString(it.Amount)
	if err != nil {
		d.Outcome, d.Task, d.Reason = OutcomeWorklist, "not_booked", "amount unreadable"
		return d
	}
	d.Amount = amt
	if it.Status != "BOOK" {
		d.Outcome, d.Reason = OutcomeIgnored, "entry status "+it.Status+" (not booked by the bank)"
		return d
	}
	if it.CreditDebit == "DBIT" {
		d.Outcome = OutcomeDebit
		return d
	}
	switch {
	case it.Reversal:
		d.Outcome, d.Task, d.Reason = OutcomeWorklist, "reversal", "reversal of an earlier booking"
		return d
	case it.Currency != "EUR":
		d.Outcome, d.Task, d.Reason = OutcomeWorklist, "foreign_currency", "amount in "+it.Currency+": not converted"
		return d
	case !amt.Equal(amt.Round(2)):
		d.Outcome, d.Task, d.Reason = OutcomeWorklist, "excess_decimals", "amount "+it.Amount+" has more than two decimals: not rounded"
		return d
	case !amt.IsPositive():
		d.Outcome, d.Task, d.Reason = OutcomeWorklist, "unmatched", "zero amount"
		return d
	}
	// Rule 2: RF references.
	var rfs []string
	for _, r := range it.References {
		if n := epc.NormalizeRF(r); epc.ValidRF(n) {
			rfs = append(rfs, n)
		}
	}
	for _, s := range []string{it.Text, it.EndToEndID} {
		for _, m := range rfInText.FindAllString(strings.ToUpper(s), 4) {
			if n := epc.NormalizeRF(m); epc.ValidRF(n) {
				rfs = append(rfs, n)
			}
		}
	}
	for _, rf := range rfs {
		if r := ix.byRF[rf]; r != nil {
			return ix.book(d, r, 1, "rf")
		}
	}
	// Rule 3: our reference or the subject in the text.
	text := it.Text + " " + it.EndToEndID + " " + strings.Join(it.References, " ")
	for _, m := range refInText.FindAllString(strings.ToUpper(text), 4) {
		if r := ix.byRef[m]; r != nil {
			return ix.book(d, r, 0.95, "reference")
		}
		if rs := ix.bySubject[m]; len(rs) == 1 {
			return ix.book(d, rs[0], 0.95, "reference")
		}
	}
	// Rule 4: amount, name and text.
	cands := ix.byAmount[amt.StringFixed(2)]
	type scored struct {
		r *OpenRequest
		c float64
	}
	var sc []scored
	for _, r := range cands {
		if rem := ix.remaining[r.ID]; !rem.Equal(amt) {
			continue // partly paid meanwhile
		}
		c := 0.5 + 0.3*nameScore(it.PartyName, r.PayerName) + 0.2*textScore(it.Text, r.Purpose)
		sc = append(sc, scored{r, c})
	}
	if len(sc) == 0 {
		d.Outcome, d.Task, d.Reason = OutcomeWorklist, "unmatched", "no open request with this reference or amount"
		return d
	}
	sort.Slice(sc, func(a, b int) bool {
		if sc[a].c != sc[b].c {
			return sc[a].c > sc[b].c
		}
		return sc[a].r.Ref < sc[b].r.Ref
	})
	best := sc[0]
	lead := best.c
	if len(sc) > 1 {
		lead = best.c - sc[1].c
	}
	if best.c >= MinConfidence && lead >= MinLead {
		return ix.book(d, best.r, round2(best.c), "fuzzy")
	}
	d.Outcome, d.Task = OutcomeWorklist, "ambiguous"
	d.Reason = "no request matches with enough confidence"
	for k, s := range sc {
		if k == 5 {
			break
		}
		d.Candidates = append(d.Candidates, Candidate{Ref: s.r.Ref, Confidence: round2(s.c)})
	}
	return d
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

func (ix *Index) book(d Decision, r *OpenRequest, conf float64, method string) Decision {
	d.Request, d.Confidence, d.Method = r, conf, method
	rem := ix.remaining[r.ID]
	if r.Status == "paid" || !rem.IsPositive() {
		d.Outcome, d.Task, d.Reason = OutcomeWorklist, "paid_twice", "the request "+r.Ref+" is already paid: to refund"
		return d
	}
	d.Outcome = OutcomeBooked
	if d.Amount.GreaterThan(rem) {
		d.Task, d.Excess = "overpayment", d.Amount.Sub(rem)
		ix.remaining[r.ID] = decimal.Zero
	} else {
		ix.remaining[r.ID] = rem.Sub(d.Amount)
	}
	return d
}

// nameScore compares two names by their words (case, accents and order
// ignored): 1 when every word of the shorter is in the longer.
func nameScore(a, b string) float64 {
	wa, wb := words(a), words(b)
	if len(wa) == 0 || len(wb) == 0 {
		return 0
	}
	if len(wa) > len(wb) {
		wa, wb = wb, wa
	}
	set := make(map[string]bool, len(wb))
	for _, w := range wb {
		set[w] = true
	}
	hit := 0
	for _, w := range wa {
		if set[w] {
			hit++
		}
	}
	return float64(hit) / float64(len(wa))
}

// textScore is the share of the purpose's words (of 4 letters or more)
// found in the remittance text.
func textScore(text, purpose string) float64 {
	wp := words(purpose)
	if len(wp) == 0 || text == "" {
		return 0
	}
	set := map[string]bool{}
	for _, w := range words(text) {
		set[w] = true
	}
	n, hit := 0, 0
	for _, w := range wp {
		if len([]rune(w)) < 4 {
			continue
		}
		n++
		if set[w] {
			hit++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(hit) / float64(n)
}

var fold = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss", "é", "e", "è", "e", "á", "a", "à", "a", "ó", "o", "ç", "c")

func words(s string) []string {
	s = fold.Replace(strings.ToLower(s))
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}
