package mailbox

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// PrintJob is a formal message to be printed and posted: the recipient
// has no consent to electronic delivery (or no mailbox).
type PrintJob struct {
	Ref        string     `json:"id"`
	MessageRef string     `json:"message"`
	SubjectRef string     `json:"subject"`
	Title      string     `json:"title"`
	CreatedAt  time.Time  `json:"created_at"`
	PrintedAt  *time.Time `json:"printed_at"`
	PrintedBy  string     `json:"printed_by"`
	Documents  []Document `json:"documents"`
}

// printRoles may see and work the print list.
var printRoles = []identity.Role{identity.RoleMailRoom, identity.RoleCaseWorker, identity.RoleUnitHead, identity.RoleAdmin}

// PrintJobs lists the tenant's print jobs (open ones first, then the
// latest printed), each with its PDFs.
func (s *Service) PrintJobs(ctx context.Context, p identity.Principal, tenantID int64) ([]PrintJob, error) {
	if err := p.Require(tenantID, printRoles...); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT j.ref, m.ref, m.subject_ref, m.title, j.created_at, j.printed_at, j.printed_by, m.id FROM print_jobs j JOIN mailbox_messages m ON m.id = j.message_id
		WHERE j.tenant_id = $1 ORDER BY (j.printed_at IS NULL) DESC, j.id DESC LIMIT 200`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("print jobs: %w", err)
	}
	var ids []Message
	out := []PrintJob{}
	for rows.Next() {
		var j PrintJob
		var printed sql.NullTime
		var id int64
		if err := rows.Scan(&j.Ref, &j.MessageRef, &j.SubjectRef, &j.Title, &j.CreatedAt, &printed, &j.PrintedBy, &id); err != nil {
			rows.Close()
			return nil, err
		}
		if printed.Valid {
			t := printed.Time
			j.PrintedAt = &t
		}
		ids = append(ids, Message{id: id, Documents: []Document{}})
		out = append(out, j)
	}
	rows.Close()
	if err := s.documents(ctx, s.DB.R, ids); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Documents = ids[i].Documents
	}
	return out, nil
}

// PrintDocument returns a document of a print job for printing.
func (s *Service) PrintDocument(ctx context.Context, p identity.Principal, tenantID int64, jobRef string) (*Document, []byte, error) {
	jobs, err := s.PrintJobs(ctx, p, tenantID)
	if err != nil {
		return nil, nil, fmt.Errorf("%v: %w", err, fault.ErrNotFound)
	}
	for _, j := range jobs {
		if j.Ref == jobRef && len(j.Documents) > 0 {
			d := j.Documents[0]
			rc, err := s.Blobs.Open(ctx, d.BlobKey)
			if err != nil {
				return nil, nil, err
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				return nil, nil, err
			}
			return &d, b, nil
		}
	}
	return nil, nil, fmt.Errorf("print job %s: %w", jobRef, fault.ErrNotFound)
}

// MarkPrinted records that a print job went out by post.
func (s *Service) MarkPrinted(ctx context.Context, p identity.Principal, tenantID int64, jobRef string) error {
	if err := p.See(tenantID, printRoles...); err != nil {
		return err
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE print_jobs SET printed_at = $1, printed_by = $2 WHERE tenant_id = $3 AND ref = $4 AND printed_at IS NULL`, tx.Now(), p.Ref, tenantID, jobRef)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var exists int
			tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM print_jobs WHERE tenant_id = $1 AND ref = $2`, tenantID, jobRef).Scan(&exists)
			if exists == 0 {
				return fmt.Errorf("print job %s: %w", jobRef, fault.ErrNotFound)
			}
			return fmt.Errorf("print job %s already printed: %w", jobRef, fault.ErrConflict)
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "mailbox.printed", ObjectType: "print_job", ObjectRef: jobRef})
	})
}

// PrintedTime is when the job was printed (zero while open).
func (j PrintJob) PrintedTime() time.Time {
	if j.PrintedAt == nil {
		return time.Time{}
	}
	return *j.PrintedAt
}
