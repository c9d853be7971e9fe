package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/platform/database"
)

// Genesis is the prev_hash of a tenant's first entry.
var Genesis = strings.Repeat("0", 64)

// Event is what a use case records.
type Event struct {
	TenantID   int64
	Actor      string // account or token reference, "system", "cli"
	Action     string // e.g. "tenant.settings.update", "case.assign"
	ObjectType string
	ObjectRef  string
	Before     any // marshalled to JSON; nil for none
	After      any
}

// Entry is a stored event with its place in the chain.
type Entry struct {
	ID         int64     `json:"-"`
	TenantID   int64     `json:"-"`
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	ObjectType string    `json:"object_type"`
	ObjectRef  string    `json:"object_ref"`
	Before     string    `json:"before"`
	After      string    `json:"after"`
	PrevHash   string    `json:"prev_hash"`
	Hash       string    `json:"hash"`
}

func marshal(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// hash computes an entry's hash over a length-prefixed encoding of all its
// fields, so no two different entries share an encoding.
func (e *Entry) hash() string {
	h := sha256.New()
	var n [8]byte
	field := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(e.PrevHash)
	field(fmt.Sprint(e.TenantID))
	field(fmt.Sprint(e.Seq))
	field(e.At.UTC().Format(time.RFC3339Nano))
	field(e.Actor)
	field(e.Action)
	field(e.ObjectType)
	field(e.ObjectRef)
	field(e.Before)
	field(e.After)
	return hex.EncodeToString(h.Sum(nil))
}

// Append records ev in the caller's transaction.
func Append(tx *database.Tx, ev Event) error {
	ctx := tx.Context()
	if ev.TenantID == 0 || ev.Action == "" || ev.Actor == "" {
		return fmt.Errorf("audit append: tenant, actor and action are required")
	}
	before, err := marshal(ev.Before)
	if err != nil {
		return fmt.Errorf("audit append: %w", err)
	}
	after, err := marshal(ev.After)
	if err != nil {
		return fmt.Errorf("audit append: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_heads (tenant_id, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (tenant_id) DO NOTHING`, ev.TenantID, Genesis); err != nil {
		return fmt.Errorf("audit append: %w", err)
	}
	e := Entry{TenantID: ev.TenantID, At: tx.Now(), Actor: ev.Actor, Action: ev.Action, ObjectType: ev.ObjectType, ObjectRef: ev.ObjectRef, Before: before, After: after}
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_heads WHERE tenant_id = $1`+tx.DB.ForUpdate(), ev.TenantID).Scan(&e.Seq, &e.PrevHash); err != nil {
		return fmt.Errorf("audit append: lock chain head: %w", err)
	}
	e.Seq++
	e.Hash = e.hash()
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_events (tenant_id, seq, at, actor, action, object_type, object_ref, before, after, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		e.TenantID, e.Seq, e.At, e.Actor, e.Action, e.ObjectType, e.ObjectRef, e.Before, e.After, e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("audit append: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_heads SET seq = $1, hash = $2 WHERE tenant_id = $3`, e.Seq, e.Hash, e.TenantID); err != nil {
		return fmt.Errorf("audit append: %w", err)
	}
	return nil
}

// Result of a chain verification.
type Result struct {
	Checked int64  `json:"checked"`
	OK      bool   `json:"ok"`
	Broken  *Entry `json:"broken,omitempty"` // the first entry that does not fit
	Reason  string `json:"reason,omitempty"`
}

// Verify walks a tenant's chain from the start and reports the first entry
// that was altered, removed or reordered, and whether the head matches.
func Verify(ctx context.Context, db *database.DB, tenantID int64) (Result, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT `+entryCols+` FROM audit_events WHERE tenant_id = $1 ORDER BY seq`, tenantID)
	if err != nil {
		return Result{}, fmt.Errorf("audit verify: %w", err)
	}
	defer rows.Close()
	var res Result
	prev, seq := Genesis, int64(0)
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return res, fmt.Errorf("audit verify: %w", err)
		}
		seq++
		switch {
		case e.Seq != seq:
			res.Reason = fmt.Sprintf("sequence gap: expected entry %d, found %d (entries removed)", seq, e.Seq)
		case e.PrevHash != prev:
			res.Reason = "prev_hash does not match the previous entry's hash (entry inserted, removed or rewritten)"
		case e.hash() != e.Hash:
			res.Reason = "content does not match its hash (entry altered)"
		}
		if res.Reason != "" {
			res.Broken = &e
			return res, nil
		}
		prev = e.Hash
		res.Checked++
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("audit verify: %w", err)
	}
	var headSeq int64
	var headHash string
	err = db.R.QueryRowContext(ctx, `SELECT seq, hash FROM audit_heads WHERE tenant_id = $1`, tenantID).Scan(&headSeq, &headHash)
	if err == nil && (headSeq != res.Checked || headHash != prev) {
		res.Reason = fmt.Sprintf("chain head says %d entries ending in %.12s…, the log has %d (entries removed at the end)", headSeq, headHash, res.Checked)
		return res, nil
	}
	res.OK = true
	return res, nil
}

const entryCols = `id, tenant_id, seq, at, actor, action, object_type, object_ref, before, after, prev_hash, hash`

func scanEntry(rows *sql.Rows) (Entry, error) {
	var e Entry
	err := rows.Scan(&e.ID, &e.TenantID, &e.Seq, &e.At, &e.Actor, &e.Action, &e.ObjectType, &e.ObjectRef, &e.Before, &e.After, &e.PrevHash, &e.Hash)
	return e, err
}

func query(ctx context.Context, db *database.DB, q string, args ...any) ([]Entry, error) {
	rows, err := db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// List returns a tenant's entries, newest first.
func List(ctx context.Context, db *database.DB, tenantID int64, limit int) ([]Entry, error) {
	out, err := query(ctx, db, `SELECT `+entryCols+` FROM audit_events WHERE tenant_id = $1 ORDER BY seq DESC LIMIT $2`, tenantID, limit)
	if err != nil {
		return nil, fmt.Errorf("audit list: %w", err)
	}
	return out, nil
}

// ByActorOrObject returns a tenant's entries made by, or about, a reference
// (for a person's data export), oldest first.
func ByActorOrObject(ctx context.Context, db *database.DB, tenantID int64, refName string, limit int) ([]Entry, error) {
	out, err := query(ctx, db, `SELECT `+entryCols+` FROM audit_events WHERE tenant_id = $1 AND (actor = $2 OR object_ref = $2) ORDER BY seq LIMIT $3`, tenantID, refName, limit)
	if err != nil {
		return nil, fmt.Errorf("audit by reference: %w", err)
	}
	return out, nil
}

// Querier is a transaction or a database handle.
type Querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// ForObjects returns a tenant's entries about any of the object references,
// oldest first (the e-file takes a case's trail when it closes).
func ForObjects(ctx context.Context, q Querier, tenantID int64, refs []string) ([]Entry, error) {
	if len(refs) == 0 {
		return []Entry{}, nil
	}
	args := []any{tenantID}
	in := ""
	for i, r := range refs {
		if i > 0 {
			in += ", "
		}
		args = append(args, r)
		in += fmt.Sprintf("$%d", len(args))
	}
	rows, err := q.QueryContext(ctx, `SELECT `+entryCols+` FROM audit_events WHERE tenant_id = $1 AND object_ref IN (`+in+`) ORDER BY seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("audit for objects: %w", err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
