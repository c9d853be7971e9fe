package blob

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rathaus/rathaus/internal/platform/database"
)

// Keep records, in the caller's transaction, that owner keeps the blob
// key (content type and size as stored). owner names the row that holds the
// key, e.g. "forms.upload:A-7K3M-Q9TX:3"; one blob may have many owners.
// Call it in the same transaction that writes the row: a blob is put into
// the store first, then kept, so a failed transaction leaves only an
// unreferenced blob that the clean-up removes after its grace period.
// The Put and the Keep must follow each other within that grace period
// (a day by default), which any request or job does.
func Keep(tx *database.Tx, tenantID int64, key string, size int64, contentType, owner string) error {
	if !ValidKey(key) {
		return fmt.Errorf("blob keep %q: invalid key", key)
	}
	if owner == "" {
		return errors.New("blob keep: owner required")
	}
	ctx := tx.Context()
	if err := touch(tx, key, size, contentType); err != nil {
		return fmt.Errorf("blob keep %s: %w", key, err)
	}
	var tid any
	if tenantID != 0 {
		tid = tenantID
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO blob_refs (sha256, owner, tenant_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256, owner) DO NOTHING`,
		key, owner, tid, tx.Now()); err != nil {
		return fmt.Errorf("blob keep %s: %w", key, err)
	}
	return nil
}

// touch records the blob (or refreshes touched_at of its row). A row made by
// a Put has no content type yet; the first Keep fills it in.
func touch(tx *database.Tx, key string, size int64, contentType string) error {
	_, err := tx.ExecContext(tx.Context(),
		`INSERT INTO blobs (sha256, size, content_type, created_at, touched_at) VALUES ($1, $2, $3, $4, $4)
		ON CONFLICT (sha256) DO UPDATE SET touched_at = excluded.touched_at,
			content_type = CASE WHEN blobs.content_type = '' THEN excluded.content_type ELSE blobs.content_type END`,
		key, size, contentType, tx.Now())
	return err
}

// Release removes owner's reference to key (the blob itself stays until the
// clean-up finds it unreferenced).
func Release(tx *database.Tx, key, owner string) error {
	_, err := tx.ExecContext(tx.Context(), `DELETE FROM blob_refs WHERE sha256 = $1 AND owner = $2`, key, owner)
	if err != nil {
		return fmt.Errorf("blob release %s: %w", key, err)
	}
	return nil
}

// Referenced reports whether any owner keeps key.
func Referenced(tx *database.Tx, key string) (bool, error) {
	var n int
	err := tx.QueryRowContext(tx.Context(), `SELECT COUNT(*) FROM blob_refs WHERE sha256 = $1`, key).Scan(&n)
	return n > 0, err
}

// Unreferenced lists keys of the blobs table that nobody keeps and that
// were last put or kept before cutoff (the clean-up's candidates).
func Unreferenced(tx *database.Tx, cutoff time.Time, limit int) ([]string, error) {
	rows, err := tx.QueryContext(tx.Context(),
		`SELECT b.sha256 FROM blobs b WHERE COALESCE(b.touched_at, b.created_at) < $1 AND NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.sha256 = b.sha256) ORDER BY b.sha256 LIMIT $2`,
		cutoff, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// Tenants lists the tenants whose rows keep key (for the audit entry of a
// corrupt blob).
func Tenants(ctx context.Context, db *database.DB, key string) ([]int64, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT DISTINCT tenant_id FROM blob_refs WHERE sha256 = $1 AND tenant_id IS NOT NULL ORDER BY tenant_id`, key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
