package payments

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/payments/camt"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// DebitMatchedJob is enqueued when a debit on a statement matches a debit
// an e-invoice payment run expects: payload {"tenant_id", "run",
// "end_to_end_id"}; the e-invoice module marks the invoices paid.
const DebitMatchedJob = "payments.debit_matched"

// DebitMatched is the payload of DebitMatchedJob.
type DebitMatched struct {
	TenantID   int64  `json:"tenant_id"`
	Run        string `json:"run"`
	EndToEndID string `json:"end_to_end_id"`
}

// Import sources.
const (
	SourceUpload = "upload"
	SourceAPI    = "api"
	SourceFolder = "folder"
	SourceCLI    = "cli"
)

// ImportResult is what an import did.
type ImportResult struct {
	Statement   string `json:"statement"`
	MessageID   string `json:"message_id"`
	Type        string `json:"type"`
	Duplicate   bool   `json:"duplicate"`
	DuplicateOf string `json:"duplicate_of,omitempty"`
	Entries     int    `json:"entries"`
	Booked      int    `json:"booked"`
	Worklist    int    `json:"worklist"`
	Ignored     int    `json:"ignored"`
	Repeated    int    `json:"repeated"` // entries already imported with an earlier message
	Debits      int    `json:"debits_matched"`
	Settled     int    `json:"settled"`
}

// StatementError says why a statement was refused: its kind and the
// problems the parser found.
func statementFault(err error) error {
	var ce *camt.Error
	if !errors.As(err, &ce) {
		return err
	}
	code := "invalid_statement"
	switch {
	case errors.Is(err, camt.ErrUnknownVersion):
		code = "unknown_statement_version"
	case errors.Is(err, camt.ErrMalformed):
		code = "malformed_statement"
	}
	detail := ce.Msg
	for i, p := range ce.Problems {
		if i == 5 {
			detail += fmt.Sprintf("; … (%d problems)", len(ce.Problems))
			break
		}
		detail += "; " + p.Path + ": " + p.Reason
	}
	return fmt.Errorf("import statement: %w", fault.Invalid("file", code, "detail", detail))
}

// ImportStatement reads a camt.053/054 message and books it (finance and
// admins; the watched folder and the CLI as the system). A refused message
// stores nothing. The same file again, or a message whose id and
// statements were imported before, books nothing and lands on the
// worklist as a duplicate statement. Entries already booked through an
// earlier message (a camt.054 notice, then the camt.053 statement) are
// recorded as repeated and not booked again.
func (s *Service) ImportStatement(ctx context.Context, p identity.Principal, tenantID int64, source, fileName string, data []byte) (*ImportResult, error) {
	if err := p.Require(tenantID, financeRoles...); err != nil {
		return nil, err
	}
	doc, err := camt.ParseBytes(data)
	if err != nil {
		return nil, statementFault(err)
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	var key string
	var size int64
	if s.Blobs != nil {
		if key, size, err = s.Blobs.Put(ctx, bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("import statement: keep file: %w: %w", fault.ErrUnavailable, err)
		}
	}
	items := Items(doc)
	res := &ImportResult{MessageID: doc.MessageID, Type: doc.Type, Entries: len(items)}
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		*res = ImportResult{MessageID: doc.MessageID, Type: doc.Type, Entries: len(items)}
		stmtRef := ref.New("K")
		res.Statement = stmtRef
		dupID, dupRef, err := s.duplicateOf(tx, tenantID, hash, doc)
		if err != nil {
			return err
		}
		var dup sql.NullInt64
		if dupID != 0 {
			dup = sql.NullInt64{Int64: dupID, Valid: true}
		}
		var stmtID int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO bank_statements (tenant_id, ref, message_type, message_id, file_sha256, blob_key, source, file_name, entries, duplicate_of, imported_at, imported_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			tenantID, stmtRef, doc.Type, clipText(doc.MessageID, 35), hash, key, source, clipText(fileName, 200), len(items), dup, tx.Now(), p.Ref).Scan(&stmtID); err != nil {
			return fmt.Errorf("import statement: %w", err)
		}
		if key != "" {
			if err := blob.Keep(tx, tenantID, key, size, "application/xml", "bank_statement:"+stmtRef); err != nil {
				return err
			}
		}
		if dupID != 0 {
			res.Duplicate, res.DuplicateOf = true, dupRef
			if _, err := s.addTask(tx, task{tenantID: tenantID, kind: "duplicate_statement", statement: stmtID,
				detail: fmt.Sprintf("message %s (%s) was imported before as %s: nothing booked", doc.MessageID, fileName, dupRef)}); err != nil {
				return err
			}
			return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "payment.statement.duplicate", ObjectType: "bank_statement", ObjectRef: stmtRef,
				After: map[string]any{"message_id": doc.MessageID, "duplicate_of": dupRef, "file": fileName}})
		}
		if err := s.book(tx, p, tenantID, stmtID, items, res); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE bank_statements SET booked = $1, worklist = $2 WHERE id = $3`, res.Booked, res.Worklist, stmtID); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "payment.statement.import", ObjectType: "bank_statement", ObjectRef: stmtRef,
			After: map[string]any{"message_id": doc.MessageID, "type": doc.Type, "file": fileName, "source": source, "entries": res.Entries, "booked": res.Booked,
				"worklist": res.Worklist, "ignored": res.Ignored, "repeated": res.Repeated, "debits_matched": res.Debits}})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// duplicateOf finds an earlier import of the same file, or of a message
// with the same id and the same statement ids.
func (s *Service) duplicateOf(tx *database.Tx, tenantID int64, hash string, doc *camt.Document) (int64, string, error) {
	var id int64
	var r string
	err := tx.QueryRowContext(tx.Context(), `SELECT id, ref FROM bank_statements WHERE tenant_id = $1 AND file_sha256 = $2 AND duplicate_of IS NULL ORDER BY id LIMIT 1`, tenantID, hash).Scan(&id, &r)
	if err == nil {
		return id, r, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, "", err
	}
	rows, err := tx.QueryContext(tx.Context(), `SELECT b.id, b.ref, e.stmt_id FROM bank_statements b JOIN statement_entries e ON e.statement_id = b.id
		WHERE b.tenant_id = $1 AND b.message_id = $2 AND b.duplicate_of IS NULL GROUP BY b.id, b.ref, e.stmt_id`, tenantID, clipText(doc.MessageID, 35))
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var sid string
		if err := rows.Scan(&id, &r, &sid); err != nil {
			return 0, "", err
		}
		seen[sid] = true
	}
	if err := rows.Err(); err != nil {
		return 0, "", err
	}
	for _, st := range doc.Statements {
		if len(st.Entries) > 0 && seen[st.ID] {
			return id, r, nil
		}
	}
	return 0, "", nil
}

// openRequests loads what Reconcile needs: every open or partly paid
// request, and the requests paid in the last two years (for second
// payments by RF).
func (s *Service) openRequests(tx *database.Tx, tenantID int64) ([]OpenRequest, map[int64]*Request, error) {
	since := tx.Now().AddDate(-2, 0, 0)
	rows, err := tx.QueryContext(tx.Context(), `SELECT `+requestCols+` FROM payment_requests WHERE tenant_id = $1 AND (status IN ('open', 'partial') OR (status = 'paid' AND paid_at >= $2))`, tenantID, since)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []OpenRequest
	full := map[int64]*Request{}
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, nil, err
		}
		full[r.ID] = r
		out = append(out, OpenRequest{ID: r.ID, Ref: r.Ref, RF: r.RF, Subject: r.Subject, Outstanding: r.Outstanding(), PayerName: r.PayerName, Purpose: r.Purpose, Status: r.Status})
	}
	return out, full, rows.Err()
}

// repeatedKeys returns which item keys were imported (and not only
// ignored) before.
func repeatedKeys(tx *database.Tx, tenantID int64, items []Item) (map[string]bool, error) {
	seen := map[string]bool{}
	for start := 0; start < len(items); start += 400 {
		end := min(start+400, len(items))
		args := []any{tenantID}
		var ph []string
		for _, it := range items[start:end] {
			args = append(args, it.Key)
			ph = append(ph, "$"+strconv.Itoa(len(args)))
		}
		rows, err := tx.QueryContext(tx.Context(), `SELECT entry_key FROM statement_entries WHERE tenant_id = $1 AND outcome IN ('booked', 'worklist', 'debit_matched') AND entry_key IN (`+strings.Join(ph, ", ")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return nil, err
			}
			seen[k] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return seen, nil
}

func (s *Service) book(tx *database.Tx, p identity.Principal, tenantID, stmtID int64, items []Item, res *ImportResult) error {
	ctx := tx.Context()
	open, full, err := s.openRequests(tx, tenantID)
	if err != nil {
		return err
	}
	repeated, err := repeatedKeys(tx, tenantID, items)
	if err != nil {
		return err
	}
	var fresh []Item
	for _, it := range items {
		if repeated[it.Key] {
			if err := insertEntry(tx, tenantID, stmtID, &it, "duplicate", 0, "", "already imported with an earlier message"); err != nil {
				return err
			}
			res.Repeated++
			continue
		}
		fresh = append(fresh, it)
	}
	decisions := Reconcile(fresh, NewIndex(open))
	for _, d := range decisions {
		it := &fresh[d.Item]
		if err := ctx.Err(); err != nil {
			return err
		}
		switch d.Outcome {
		case OutcomeIgnored:
			res.Ignored++
			if err := insertEntry(tx, tenantID, stmtID, it, "ignored", 0, "", d.Reason); err != nil {
				return err
			}
		case OutcomeDebit:
			outcome, err := s.matchDebit(tx, tenantID, stmtID, it, d.Amount)
			if err != nil {
				return err
			}
			switch outcome {
			case "debit_matched":
				res.Debits++
			case "worklist":
				res.Worklist++
			default:
				res.Ignored++
			}
		case OutcomeWorklist:
			res.Worklist++
			var reqID int64
			if d.Request != nil {
				reqID = d.Request.ID
			}
			entryID, err := insertEntryID(tx, tenantID, stmtID, it, "worklist", reqID, confidence(d), d.Reason)
			if err != nil {
				return err
			}
			if d.Task == "paid_twice" {
				if err := s.refundTask(tx, full[reqID], "paid_twice", d.Amount, entryID, d.Reason); err != nil {
					return err
				}
				continue
			}
			if _, err := s.addTask(tx, task{tenantID: tenantID, kind: d.Task, entryID: entryID, requestID: reqID, statement: stmtID, amount: it.Amount,
				currency: it.Currency, detail: d.Reason, candidates: d.Candidates}); err != nil {
				return err
			}
		case OutcomeBooked:
			r := full[d.Request.ID]
			entryID, err := insertEntryID(tx, tenantID, stmtID, it, "booked", r.ID, confidence(d), d.Method)
			if err != nil {
				return err
			}
			wasPaid := r.Status == StatusPaid
			_, booked, err := s.applyPayment(tx, r, incoming{source: "statement", externalID: it.Key, amount: d.Amount, receivedOn: it.BookingDate,
				method: "bank_transfer", confidence: confidence(d), entryID: entryID, actor: p.Ref})
			if err != nil {
				return err
			}
			if !booked {
				// The same transaction was booked before under another
				// entry row: record, do not book.
				if _, err := tx.ExecContext(ctx, `UPDATE statement_entries SET outcome = 'duplicate', reason = 'already booked' WHERE id = $1`, entryID); err != nil {
					return err
				}
				res.Repeated++
				continue
			}
			res.Booked++
			if !wasPaid && r.Status == StatusPaid {
				res.Settled++
			}
		}
	}
	return nil
}

func confidence(d Decision) string {
	if d.Request == nil {
		return ""
	}
	return strconv.FormatFloat(d.Confidence, 'f', 2, 64)
}

func insertEntry(tx *database.Tx, tenantID, stmtID int64, it *Item, outcome string, reqID int64, conf, reason string) error {
	_, err := insertEntryID(tx, tenantID, stmtID, it, outcome, reqID, conf, reason)
	return err
}

func insertEntryID(tx *database.Tx, tenantID, stmtID int64, it *Item, outcome string, reqID int64, conf, reason string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(tx.Context(), `INSERT INTO statement_entries (tenant_id, statement_id, stmt_id, account, position, entry_key, amount, currency, credit_debit, status,
		booking_date, value_date, servicer_ref, end_to_end, reference, remittance, party_name, party_iban, outcome, request_id, confidence, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) RETURNING id`,
		tenantID, stmtID, clipText(it.StmtID, 35), it.Account, it.Position, clipText(it.Key, 600), it.Amount, it.Currency, it.CreditDebit, it.Status,
		firstDate(it.BookingDate), firstDate(it.ValueDate), it.ServicerRef, it.EndToEndID, strings.Join(it.References, " "), clipText(it.Text, 500),
		clipText(it.PartyName, 140), it.PartyIBAN, outcome, nullID(reqID), conf, clipText(reason, 300)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store statement entry: %w", err)
	}
	return id, nil
}

// firstDate is the civil date of a Dt or DtTm value.
func firstDate(s string) string {
	if len(s) >= 10 {
		return s[:10]
	}
	return s
}

// ExpectedDebit is one debit a payment run will cause.
type ExpectedDebit struct {
	EndToEndID string
	Amount     decimal.Decimal
}

// ExpectDebits registers the debits of an e-invoice payment run inside the
// caller's transaction. When a statement shows a debit with one of these
// end-to-end ids and the same amount, payments enqueues
// DebitMatchedJob.
func (s *Service) ExpectDebits(tx *database.Tx, tenantID int64, run string, debits []ExpectedDebit) error {
	v := &fault.Validation{}
	if run == "" {
		v.Add("run", "required")
	}
	for i, d := range debits {
		if d.EndToEndID == "" || len(d.EndToEndID) > 35 {
			v.Add(fmt.Sprintf("debits.%d.end_to_end_id", i), "invalid_reference")
		}
		if !d.Amount.IsPositive() || !d.Amount.Equal(d.Amount.Round(2)) {
			v.Add(fmt.Sprintf("debits.%d.amount", i), "invalid_amount", "min", "0.01", "max", "999999999.99")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	for _, d := range debits {
		res, err := tx.ExecContext(tx.Context(), `INSERT INTO expected_debits (tenant_id, run, end_to_end, amount, currency, created_at) VALUES ($1, $2, $3, $4, 'EUR', $5)
			ON CONFLICT (tenant_id, end_to_end) DO NOTHING`, tenantID, run, d.EndToEndID, d.Amount.StringFixed(2), tx.Now())
		if err != nil {
			return fmt.Errorf("expect debits: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("expect debit %s: already registered: %w", d.EndToEndID, fault.ErrConflict)
		}
	}
	return nil
}

// matchDebit checks a debit against the expected debits: same end-to-end
// id and amount → matched (job enqueued); same id, other amount →
// worklist; else not ours to book (ignored).
func (s *Service) matchDebit(tx *database.Tx, tenantID, stmtID int64, it *Item, amount decimal.Decimal) (string, error) {
	if it.EndToEndID == "" || it.EndToEndID == "NOTPROVIDED" {
		return "ignored", insertEntry(tx, tenantID, stmtID, it, "ignored", 0, "", "debit without an expected end-to-end id")
	}
	var id int64
	var run, want string
	var matched sql.NullTime
	err := tx.QueryRowContext(tx.Context(), `SELECT id, run, amount, matched_at FROM expected_debits WHERE tenant_id = $1 AND end_to_end = $2`+s.DB.ForUpdate(),
		tenantID, it.EndToEndID).Scan(&id, &run, &want, &matched)
	if errors.Is(err, sql.ErrNoRows) {
		return "ignored", insertEntry(tx, tenantID, stmtID, it, "ignored", 0, "", "debit not expected by a payment run")
	}
	if err != nil {
		return "", err
	}
	w, _ := decimal.NewFromString(want)
	if matched.Valid || !w.Equal(amount) || it.Currency != "EUR" {
		reason := fmt.Sprintf("payment run %s expected %s EUR, the statement shows %s %s", run, want, it.Amount, it.Currency)
		if matched.Valid {
			reason = "payment run " + run + ": this debit was matched before"
		}
		entryID, err := insertEntryID(tx, tenantID, stmtID, it, "worklist", 0, "", reason)
		if err != nil {
			return "", err
		}
		_, err = s.addTask(tx, task{tenantID: tenantID, kind: "debit_mismatch", entryID: entryID, statement: stmtID, amount: it.Amount, currency: it.Currency, detail: reason})
		return "worklist", err
	}
	entryID, err := insertEntryID(tx, tenantID, stmtID, it, "debit_matched", 0, "1.00", "payment run "+run)
	if err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(tx.Context(), `UPDATE expected_debits SET entry_id = $1, matched_at = $2 WHERE id = $3`, entryID, tx.Now(), id); err != nil {
		return "", err
	}
	return "debit_matched", jobs.Enqueue(tx, DebitMatchedJob, DebitMatched{TenantID: tenantID, Run: run, EndToEndID: it.EndToEndID},
		jobs.Options{Key: strconv.FormatInt(tenantID, 10) + ":" + it.EndToEndID, TenantID: tenantID})
}

// Statement is an imported message as finance sees it.
type Statement struct {
	Ref        string    `json:"id"`
	MessageID  string    `json:"message_id"`
	Type       string    `json:"type"`
	Source     string    `json:"source"`
	FileName   string    `json:"file_name"`
	Entries    int       `json:"entries"`
	Booked     int       `json:"booked"`
	Worklist   int       `json:"worklist"`
	Duplicate  bool      `json:"duplicate"`
	ImportedAt time.Time `json:"imported_at"`
	ImportedBy string    `json:"imported_by"`
}

// Statements lists the imports, newest first.
func (s *Service) Statements(ctx context.Context, p identity.Principal, tenantID int64, limit int) ([]Statement, error) {
	if err := p.Require(tenantID, financeRoles...); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT ref, message_id, message_type, source, file_name, entries, booked, worklist, duplicate_of IS NOT NULL, imported_at, imported_by
		FROM bank_statements WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2`, tenantID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Statement{}
	for rows.Next() {
		var st Statement
		if err := rows.Scan(&st.Ref, &st.MessageID, &st.Type, &st.Source, &st.FileName, &st.Entries, &st.Booked, &st.Worklist, &st.Duplicate, &st.ImportedAt, &st.ImportedBy); err != nil {
			return nil, err
		}
		st.ImportedAt = st.ImportedAt.UTC()
		out = append(out, st)
	}
	return out, rows.Err()
}
