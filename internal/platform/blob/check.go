package blob

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/rathaus/rathaus/internal/platform/database"
)

// Report is the outcome of Check: empty lists mean a healthy store.
type Report struct {
	Checked  int      `json:"checked"`  // stored blobs re-hashed
	Bytes    int64    `json:"bytes"`    // their total size
	Corrupt  []string `json:"corrupt"`  // stored bytes differ from their key
	Missing  []string `json:"missing"`  // kept by a row (blob_refs) but absent from the store
	Failures []string `json:"failures"` // could not be read ("key: error")
}

// OK reports whether nothing is wrong.
func (r Report) OK() bool { return len(r.Corrupt)+len(r.Missing)+len(r.Failures) == 0 }

// Check looks up every key a row keeps (a reference to a missing blob is the
// one thing that must never happen) and, with rehash, re-hashes every stored
// blob. A store that cannot be listed or reached is an error; a single
// unreadable blob is listed under Failures and the check goes on.
func Check(ctx context.Context, db *database.DB, s Store, rehash bool) (Report, error) {
	r := Report{Corrupt: []string{}, Missing: []string{}, Failures: []string{}}
	rows, err := db.R.QueryContext(ctx, `SELECT DISTINCT sha256 FROM blob_refs ORDER BY sha256`)
	if err != nil {
		return r, fmt.Errorf("check blobs: %w", err)
	}
	var kept []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return r, err
		}
		kept = append(kept, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, err
	}
	for _, k := range kept {
		if _, err := s.Stat(ctx, k); errors.Is(err, ErrNotFound) {
			r.Missing = append(r.Missing, k)
		} else if err != nil {
			return r, fmt.Errorf("check blobs: %w", err)
		}
	}
	if !rehash {
		return r, nil
	}
	err = s.Walk(ctx, func(key string) error {
		f, err := s.Open(ctx, key)
		switch {
		case errors.Is(err, ErrCorrupt):
			r.Corrupt = append(r.Corrupt, key)
			return nil
		case errors.Is(err, ErrNotFound): // removed meanwhile
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			r.Failures = append(r.Failures, key+": "+err.Error())
			return nil
		}
		n, _ := io.Copy(io.Discard, f)
		f.Close()
		r.Checked++
		r.Bytes += n
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("check blobs: %w", err)
	}
	return r, nil
}
