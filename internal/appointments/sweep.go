package appointments

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

// The sweep is the module's clock: a job that runs every minute (it
// enqueues its successor when it finishes; every process enqueues the
// current minute's at start, and the job key makes that one job) and does
// what time makes due — expire holds, mark no-shows, send reminders and
// reconfirmation requests, release bookings not reconfirmed, plan the seats
// of days entering the horizon, delete personal data after the retention
// period. Each step is idempotent and uses the injected clock, so tests
// call Sweep directly.

// SweepJob is the job kind of the sweep.
const SweepJob = "appointments.sweep"

// EnsureSweep enqueues the sweep of the current minute (idempotent).
func (s *Service) EnsureSweep(ctx context.Context) error {
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		return enqueueSweep(tx, tx.Now())
	})
}

func enqueueSweep(tx *database.Tx, at time.Time) error {
	at = at.Truncate(time.Minute)
	return jobs.Enqueue(tx, SweepJob, map[string]any{}, jobs.Options{Key: at.Format(time.RFC3339), RunAt: at, MaxAttempts: 3})
}

// SweepHandler is the job handler of SweepJob.
func (s *Service) SweepHandler() jobs.Handler {
	return func(ctx context.Context, j jobs.Job) (jobs.Finish, error) {
		if _, err := s.Sweep(ctx); err != nil {
			return nil, err
		}
		return func(tx *database.Tx) error {
			return enqueueSweep(tx, tx.Now().Add(time.Minute))
		}, nil
	}
}

// SweepReport counts what a sweep did.
type SweepReport struct {
	Expired, NoShows, Reminders, ReconfirmRequests, Released, Planned, Deleted int
}

// Sweep runs every due step once.
func (s *Service) Sweep(ctx context.Context) (SweepReport, error) {
	s.init()
	var rep SweepReport
	var err error
	if rep.Expired, err = s.expireHolds(ctx); err != nil {
		return rep, fmt.Errorf("sweep: expire holds: %w", err)
	}
	locs, err := s.allLocations(ctx)
	if err != nil {
		return rep, err
	}
	for _, l := range locs {
		if err := s.sweepLocation(ctx, l, &rep); err != nil {
			return rep, fmt.Errorf("sweep location %s: %w", l.Ref, err)
		}
	}
	if _, err := s.DB.W.ExecContext(ctx, `DELETE FROM appointment_pow_spent WHERE expires_at < $1`, s.now()); err != nil {
		return rep, err
	}
	return rep, nil
}

func (s *Service) allLocations(ctx context.Context) ([]*Location, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT `+locationCols+` FROM appointment_locations ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Location
	for rows.Next() {
		l, err := scanLocation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// expireHolds ends every hold that ran out.
func (s *Service) expireHolds(ctx context.Context) (int, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT ref, location_id FROM appointment_bookings WHERE status = 'held' AND hold_expires_at <= $1 LIMIT 500`, s.now())
	if err != nil {
		return 0, err
	}
	type held struct {
		ref string
		loc int64
	}
	var due []held
	for rows.Next() {
		var h held
		rows.Scan(&h.ref, &h.loc)
		due = append(due, h)
	}
	rows.Close()
	for _, h := range due {
		err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
			var exp sql.NullTime
			var status string
			if err := tx.QueryRowContext(ctx, `SELECT status, hold_expires_at FROM appointment_bookings WHERE ref = $1`, h.ref).Scan(&status, &exp); err != nil {
				return err
			}
			if status != StatusHeld || !exp.Valid || exp.Time.After(tx.Now()) {
				return nil // confirmed meanwhile
			}
			return expireBooking(tx, h.ref)
		})
		if err != nil {
			return 0, err
		}
		s.avail.forget(h.loc)
	}
	return len(due), nil
}

func (s *Service) sweepLocation(ctx context.Context, l *Location, rep *SweepReport) error {
	now := s.now()
	// No-shows: confirmed, not checked in, the grace minutes after the start are over.
	rows, err := s.DB.R.QueryContext(ctx, `SELECT ref FROM appointment_bookings WHERE location_id = $1 AND status = 'confirmed' AND starts_at <= $2`,
		l.id, now.Add(-time.Duration(l.NoShowMinutes)*time.Minute))
	if err != nil {
		return err
	}
	noShows := collect(rows)
	for _, r := range noShows {
		err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE appointment_bookings SET status = 'no_show' WHERE ref = $1 AND status = 'confirmed'`, r)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			return audit.Append(tx, audit.Event{TenantID: l.tenantID, Actor: "system", Action: "appointments.booking.no_show", ObjectType: "appointment", ObjectRef: r})
		})
		if err != nil {
			return err
		}
		rep.NoShows++
	}
	// Reminders with the calendar file.
	if l.ReminderHours > 0 {
		rows, err := s.DB.R.QueryContext(ctx, `SELECT ref FROM appointment_bookings WHERE location_id = $1 AND status = 'confirmed' AND reminded_at IS NULL
			AND starts_at > $2 AND starts_at <= $3 AND email IS NOT NULL`, l.id, now, now.Add(time.Duration(l.ReminderHours)*time.Hour))
		if err != nil {
			return err
		}
		for _, r := range collect(rows) {
			err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
				res, err := tx.ExecContext(ctx, `UPDATE appointment_bookings SET reminded_at = $1 WHERE ref = $2 AND reminded_at IS NULL`, tx.Now(), r)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return nil
				}
				return enqueueMail(tx, l.tenantID, mailReminder, r, "")
			})
			if err != nil {
				return err
			}
			rep.Reminders++
		}
	}
	// Reconfirmation: ask ReconfirmDays before; release one day before if
	// still unanswered.
	if l.ReconfirmDays > 0 {
		rows, err := s.DB.R.QueryContext(ctx, `SELECT ref FROM appointment_bookings WHERE location_id = $1 AND status = 'confirmed' AND reconfirm_sent_at IS NULL
			AND starts_at > $2 AND starts_at <= $3 AND email IS NOT NULL`, l.id, now.Add(24*time.Hour), now.AddDate(0, 0, l.ReconfirmDays))
		if err != nil {
			return err
		}
		for _, r := range collect(rows) {
			err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
				res, err := tx.ExecContext(ctx, `UPDATE appointment_bookings SET reconfirm_sent_at = $1 WHERE ref = $2 AND reconfirm_sent_at IS NULL`, tx.Now(), r)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return nil
				}
				return enqueueMail(tx, l.tenantID, mailReconfirm, r, "")
			})
			if err != nil {
				return err
			}
			rep.ReconfirmRequests++
		}
		rows, err = s.DB.R.QueryContext(ctx, `SELECT ref FROM appointment_bookings WHERE location_id = $1 AND status = 'confirmed' AND reconfirm_sent_at IS NOT NULL
			AND reconfirmed_at IS NULL AND starts_at > $2 AND starts_at <= $3`, l.id, now, now.Add(24*time.Hour))
		if err != nil {
			return err
		}
		for _, r := range collect(rows) {
			b, err := s.bookingByRef(ctx, s.DB.R, l.tenantID, r)
			if err != nil {
				return err
			}
			if _, err := s.cancel(ctx, b, "system", ReasonReconfirm); err != nil {
				return err
			}
			rep.Released++
		}
	}
	// Plan days entering the horizon.
	today := calendar.DateOf(now, calendar.Berlin)
	last := today.AddDays(l.HorizonDays + 1)
	revs, err := s.avail.revisions(ctx, l.id, today, last)
	if err != nil {
		return err
	}
	if len(revs) < l.HorizonDays+2 {
		cal, err := s.calendar(ctx, l.tenantID)
		if err != nil {
			return err
		}
		err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
			for d := today; !last.Before(d); d = d.AddDays(1) {
				if _, ok := revs[d]; ok {
					continue
				}
				if _, err := syncDay(tx, l, cal, d); err != nil {
					return err
				}
				rep.Planned++
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	// Personal data after the retention period; the figures stay.
	cut := now.AddDate(0, 0, -l.RetentionDays)
	res, err := s.DB.W.ExecContext(ctx, `UPDATE appointment_bookings SET email = NULL, name = NULL, account_id = NULL, subject_hash = NULL, base_url = '', personal_deleted_at = $1
		WHERE location_id = $2 AND ends_at < $3 AND personal_deleted_at IS NULL AND status NOT IN ('held', 'confirmed', 'checked_in', 'called')`, now, l.id, cut)
	if err != nil {
		return err
	}
	n, _ := res.RowsAffected()
	rep.Deleted += int(n)
	if _, err := s.DB.W.ExecContext(ctx, `UPDATE appointment_lottery_entries SET email = NULL, account_id = NULL, subject_hash = NULL, base_url = ''
		WHERE location_id = $1 AND starts_at < $2 AND (email IS NOT NULL OR account_id IS NOT NULL)`, l.id, cut); err != nil {
		return err
	}
	if _, err := s.DB.W.ExecContext(ctx, `UPDATE appointment_waitlist SET email = NULL, account_id = NULL, subject_hash = NULL, base_url = ''
		WHERE location_id = $1 AND to_day < $2 AND (email IS NOT NULL OR account_id IS NOT NULL)`, l.id, calendar.DateOf(cut, calendar.Berlin).String()); err != nil {
		return err
	}
	return nil
}

func collect(rows *sql.Rows) []string {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if rows.Scan(&r) == nil {
			out = append(out, r)
		}
	}
	return out
}
