package records

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/jobs"
)

// RetentionJob runs once a day per tenant: it lists the e-files whose
// retention period has ended (an audit event the records officer's list
// shows) and schedules itself for the next day. It deletes nothing.
const RetentionJob = "records.retention"

// Retention is the payload of RetentionJob.
type Retention struct {
	TenantID int64  `json:"tenant_id"`
	Day      string `json:"day"` // YYYY-MM-DD
}

// ScheduleRetention enqueues the retention run of a tenant for a day
// (idempotent per tenant and day), at 02:00 Berlin time.
func ScheduleRetention(tx *database.Tx, tenantID int64, day calendar.Date) error {
	at := day.In(calendar.Berlin).Add(2 * time.Hour)
	if at.Before(tx.Now()) {
		at = tx.Now()
	}
	return jobs.Enqueue(tx, RetentionJob, Retention{TenantID: tenantID, Day: day.String()},
		jobs.Options{Key: fmt.Sprintf("%d:%s", tenantID, day), RunAt: at, TenantID: tenantID})
}

// RetentionHandler is the job handler of RetentionJob.
func (s *Service) RetentionHandler() jobs.Handler {
	return func(ctx context.Context, j jobs.Job) (jobs.Finish, error) {
		var r Retention
		if err := json.Unmarshal(j.Payload, &r); err != nil {
			return nil, fmt.Errorf("retention payload: %w", err)
		}
		day, err := calendar.ParseDate(r.Day)
		if err != nil {
			return nil, err
		}
		due, err := s.DueForDisposal(ctx, r.TenantID, day)
		if err != nil {
			return nil, err
		}
		refs := make([]string, 0, len(due))
		for _, f := range due {
			refs = append(refs, f.Ref)
		}
		return func(tx *database.Tx) error {
			if err := audit.Append(tx, audit.Event{TenantID: r.TenantID, Actor: "system", Action: "records.retention.due", ObjectType: "records", ObjectRef: r.Day,
				After: map[string]any{"due": refs}}); err != nil {
				return err
			}
			return ScheduleRetention(tx, r.TenantID, day.AddDays(1))
		}, nil
	}
}
