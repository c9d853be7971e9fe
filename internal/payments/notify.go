package payments

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/jobs"
)

// Notifier delivers a message to a payer inside tx (so it is sent exactly
// when the change commits): the composition root puts it into the payer's
// mailbox (which notifies them without personal data), or mails it to an
// applicant without an account through the mail job.
// Messages carry no personal data beyond the link: the notice page shows
// the rest to whoever may see it.
type Notifier func(tx *database.Tx, tenantID int64, to Contact, subject, text, key string) error

// RemindJob is the daily reminder sweep; it enqueues its next run.
const RemindJob = "payments.remind"

// MaxReminders is how many reminders a request gets at most.
const MaxReminders = 3

// Remind sends reminders for unpaid requests of every tenant: the first
// when the due date lies reminder_days behind, each further one
// reminder_days after the previous, at most MaxReminders. It returns how
// many were sent. A request made before submission (heldBy) is not
// reminded: the applicant may simply not apply.
func (s *Service) Remind(ctx context.Context, baseURL func(tenantID int64) string) (int, error) {
	now := s.DB.Clock.Now()
	today := calendar.DateOf(now, calendar.Berlin)
	rows, err := s.DB.R.QueryContext(ctx, `SELECT `+requestCols+`, last_reminded_at FROM payment_requests WHERE status IN ('open', 'partial') AND reminders < $1 AND due_date < $2 AND created_by <> $3`,
		MaxReminders, today.String(), heldBy)
	if err != nil {
		return 0, err
	}
	var due []*Request
	for rows.Next() {
		var last *time.Time
		var lastN sql.NullTime
		r, err := scanRequest(rows, &lastN)
		if err != nil {
			rows.Close()
			return 0, err
		}
		if lastN.Valid {
			last = &lastN.Time
		}
		dueDate, _ := calendar.ParseDate(r.DueDate)
		var next calendar.Date
		if last == nil {
			next = dueDate.AddDays(r.ReminderDays)
		} else {
			next = calendar.DateOf(*last, calendar.Berlin).AddDays(r.ReminderDays)
		}
		if !today.Before(next) {
			due = append(due, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	sent := 0
	for _, r := range due {
		err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE payment_requests SET reminders = reminders + 1, last_reminded_at = $1 WHERE id = $2 AND reminders = $3 AND status IN ('open', 'partial')`,
				tx.Now(), r.ID, r.Reminders)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // paid or reminded meanwhile
			}
			n := r.Reminders + 1
			reachable := r.PayerEmail != "" || r.PayerAccountID != 0
			if reachable && s.Notify != nil {
				link := r.URL()
				if baseURL != nil {
					link = baseURL(r.TenantID) + link
				}
				text := fmt.Sprintf("Guten Tag,\n\nfür Ihr Anliegen ist eine Zahlung noch offen (Erinnerung %d). Den Zahlungshinweis mit Betrag, Bankverbindung und QR-Code finden Sie hier:\n%s\n\nHaben Sie schon bezahlt? Dann betrachten Sie diese Nachricht bitte als gegenstandslos.\n\n---\nReminder: a payment for your request is still open. Payment notice: %s\n", n, link, link)
				if err := s.Notify(tx, r.TenantID, Contact{AccountID: r.PayerAccountID, Email: r.PayerEmail, Name: r.PayerName}, "Zahlungserinnerung / Payment reminder", text,
					fmt.Sprintf("remind-%s-%d", r.Ref, n)); err != nil {
					return err
				}
			}
			sent++
			return audit.Append(tx, audit.Event{TenantID: r.TenantID, Actor: "system", Action: "payment.remind", ObjectType: "payment_request", ObjectRef: r.Ref,
				After: map[string]any{"reminder": n, "notified": reachable}})
		})
		if err != nil {
			return sent, fmt.Errorf("remind %s: %w", r.Ref, err)
		}
	}
	return sent, nil
}

// RemindHandler runs the sweep and schedules the next one a day later.
func (s *Service) RemindHandler(baseURL func(tenantID int64) string) jobs.Handler {
	return func(ctx context.Context, j jobs.Job) (jobs.Finish, error) {
		if _, err := s.Remind(ctx, baseURL); err != nil {
			return nil, err
		}
		return func(tx *database.Tx) error { return ScheduleReminders(tx, tx.Now().Add(24*time.Hour)) }, nil
	}
}

// ScheduleReminders enqueues the sweep for the day of at (once per day).
func ScheduleReminders(tx *database.Tx, at time.Time) error {
	day := calendar.DateOf(at, calendar.Berlin)
	runAt := day.In(calendar.Berlin).Add(7 * time.Hour) // 07:00 local
	if runAt.Before(tx.Now()) {
		runAt = tx.Now()
	}
	return jobs.Enqueue(tx, RemindJob, struct{}{}, jobs.Options{Key: day.String(), RunAt: runAt})
}
