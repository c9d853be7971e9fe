package appointments

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// Confirm confirms a held booking through the link of its confirmation
// mail (double opt-in). A booking already confirmed stays confirmed (the
// link may be opened twice); a hold that ran out is ErrHoldExpired.
func (s *Service) Confirm(ctx context.Context, tenantID int64, token string) (*Booking, error) {
	s.init()
	b, err := s.BookingForConfirmation(ctx, tenantID, token)
	if err != nil {
		return nil, err
	}
	return s.confirm(ctx, b, "citizen:"+b.Ref, "appointments.booking.confirm")
}

func (s *Service) confirm(ctx context.Context, b *Booking, actor, action string) (*Booking, error) {
	switch b.Status {
	case StatusConfirmed, StatusCheckedIn, StatusCalled, StatusDone:
		return b, nil
	case StatusHeld:
	case StatusExpired:
		return nil, ErrHoldExpired
	default:
		return nil, ErrNotActive
	}
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE appointment_claims SET expires_at = NULL WHERE booking_ref = $1 AND expires_at IS NOT NULL AND expires_at > $2`, b.Ref, tx.Now())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); int(n) != b.units {
			// The hold ran out (some claims may already be someone else's).
			return ErrHoldExpired
		}
		res, err = tx.ExecContext(ctx, `UPDATE appointment_bookings SET status = 'confirmed', confirmed_at = $1, hold_expires_at = NULL WHERE id = $2 AND status = 'held'`, tx.Now(), b.id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrNotActive
		}
		if err := bumpDay(tx, b.locationID, calendar.DateOf(b.Start, calendar.Berlin)); err != nil {
			return err
		}
		if err := enqueueMail(tx, b.tenantID, mailConfirmed, b.Ref, ""); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: b.tenantID, Actor: actor, Action: action, ObjectType: "appointment", ObjectRef: b.Ref})
	})
	if errors.Is(err, ErrHoldExpired) {
		// Record the expiry (the confirming transaction rolled back).
		_ = database.WithTx(ctx, s.DB, func(tx *database.Tx) error { return expireBooking(tx, b.Ref) })
		s.avail.forget(b.locationID)
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("confirm %s: %w", b.Ref, err)
	}
	s.avail.forget(b.locationID)
	b.Status, b.HoldExpiresAt = StatusConfirmed, nil
	return b, nil
}

// Cancellation reasons.
const (
	ReasonCitizen   = "citizen"
	ReasonStaff     = "staff"
	ReasonDay       = "day_cancelled"
	ReasonReconfirm = "not_reconfirmed"
)

// CancelByToken cancels a booking through its manage link (or the API's
// token). Cancelling twice is harmless; a past appointment cannot be
// cancelled.
func (s *Service) CancelByToken(ctx context.Context, tenantID int64, token string) (*Booking, error) {
	s.init()
	b, err := s.BookingByToken(ctx, tenantID, token)
	if err != nil {
		return nil, err
	}
	return s.cancel(ctx, b, "citizen:"+b.Ref, ReasonCitizen)
}

// Cancel cancels a booking as its owner (the account that booked) or as
// staff of the tenant.
func (s *Service) Cancel(ctx context.Context, p identity.Principal, tenantID int64, r string) (*Booking, error) {
	b, err := s.Get(ctx, p, tenantID, r)
	if err != nil {
		return nil, err
	}
	reason := ReasonCitizen
	if b.accountID == 0 || b.accountID != p.AccountID {
		reason = ReasonStaff
	}
	return s.cancel(ctx, b, p.Ref, reason)
}

func (s *Service) cancel(ctx context.Context, b *Booking, actor, reason string) (*Booking, error) {
	switch b.Status {
	case StatusCancelled, StatusExpired:
		return b, nil
	case StatusHeld, StatusConfirmed:
	default:
		return nil, ErrNotActive
	}
	if !b.Start.After(s.now()) && reason != ReasonDay {
		return nil, fault.Invalid("start", "date_in_past")
	}
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		return cancelTx(tx, b, actor, reason)
	})
	if err != nil {
		return nil, fmt.Errorf("cancel %s: %w", b.Ref, err)
	}
	s.avail.forget(b.locationID)
	b.Status, b.HoldExpiresAt = StatusCancelled, nil
	return b, nil
}

func cancelTx(tx *database.Tx, b *Booking, actor, reason string) error {
	ctx := tx.Context()
	if _, err := tx.ExecContext(ctx, `DELETE FROM appointment_claims WHERE booking_ref = $1`, b.Ref); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE appointment_bookings SET status = 'cancelled', cancelled_at = $1, cancel_reason = $2, hold_expires_at = NULL
		WHERE id = $3 AND status IN ('held', 'confirmed')`, tx.Now(), reason, b.id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrNotActive
	}
	d := calendar.DateOf(b.Start, calendar.Berlin)
	if err := bumpDay(tx, b.locationID, d); err != nil {
		return err
	}
	if b.email != "" {
		if err := enqueueMail(tx, b.tenantID, mailCancelled, b.Ref, reason); err != nil {
			return err
		}
	}
	if reason != ReasonDay {
		if err := enqueueOffer(tx, b.tenantID, b.locationID, d); err != nil {
			return err
		}
	}
	return audit.Append(tx, audit.Event{TenantID: b.tenantID, Actor: actor, Action: "appointments.booking.cancel", ObjectType: "appointment", ObjectRef: b.Ref,
		Before: map[string]any{"status": b.Status}, After: map[string]any{"status": StatusCancelled, "reason": reason}})
}

// RebookByToken moves a booking to another start (same location and
// services) through its manage link. The new seats are claimed first; only
// when that succeeds are the old ones given up, in the same transaction —
// so a failed rebooking keeps the old appointment.
func (s *Service) RebookByToken(ctx context.Context, tenantID int64, token string, start time.Time) (*Booking, error) {
	s.init()
	b, err := s.BookingByToken(ctx, tenantID, token)
	if err != nil {
		return nil, err
	}
	return s.rebook(ctx, b, start, "citizen:"+b.Ref)
}

// Rebook moves a booking as its owner or staff.
func (s *Service) Rebook(ctx context.Context, p identity.Principal, tenantID int64, r string, start time.Time) (*Booking, error) {
	b, err := s.Get(ctx, p, tenantID, r)
	if err != nil {
		return nil, err
	}
	return s.rebook(ctx, b, start, p.Ref)
}

func (s *Service) rebook(ctx context.Context, b *Booking, start time.Time, actor string) (*Booking, error) {
	if b.Status != StatusConfirmed && b.Status != StatusHeld {
		return nil, ErrNotActive
	}
	now := s.now()
	if !b.Start.After(now) {
		return nil, fault.Invalid("start", "date_in_past")
	}
	l, err := s.location(ctx, b.tenantID, b.Location)
	if err != nil {
		return nil, err
	}
	day, err := l.startUnit(start, now)
	if err != nil {
		return nil, err
	}
	start = start.UTC()
	if start.Equal(b.Start.UTC()) {
		return b, nil
	}
	// While a day's lottery window runs its seats go through the draw only:
	// moving an earlier booking there would take one first come.
	if l.Strategy == Lottery && now.Before(l.LotteryEnd(day)) {
		return nil, fault.Invalid("start", "lottery_running")
	}
	ds, err := s.avail.current(ctx, l.id, day)
	if err != nil {
		return nil, err
	}
	ds.expire(now.Unix())
	// The new seats must be free of other claims, the booking's own
	// included (a move by less than its length needs a free neighbour).
	picks := ds.reserve(start, b.units, int64(l.SlotMinutes*60))
	ds.mu.Unlock()
	if picks == nil {
		return nil, ErrSlotTaken
	}
	oldDay := calendar.DateOf(b.Start, calendar.Berlin)
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var stale []pick
		for _, p := range picks {
			if p.stale {
				stale = append(stale, p)
			}
		}
		if len(stale) > 0 {
			if err := freeExpired(tx, l.id, stale); err != nil {
				return err
			}
		}
		var hold any
		if b.Status == StatusHeld && b.HoldExpiresAt != nil {
			hold = b.HoldExpiresAt.UTC()
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM appointment_claims WHERE booking_ref = $1`, b.Ref); err != nil {
			return err
		}
		for _, p := range picks {
			if _, err := tx.ExecContext(ctx, `INSERT INTO appointment_claims (location_id, starts_at, seat, booking_ref, expires_at) VALUES ($1, $2, $3, $4, $5)`,
				l.id, p.at, p.seat, b.Ref, hold); err != nil {
				return err
			}
		}
		end := start.Add(time.Duration(b.units*l.SlotMinutes) * time.Minute)
		if _, err := tx.ExecContext(ctx, `UPDATE appointment_bookings SET starts_at = $1, ends_at = $2, reminded_at = NULL, reconfirm_sent_at = NULL, reconfirmed_at = NULL WHERE id = $3`,
			start, end, b.id); err != nil {
			return err
		}
		if err := bumpDay(tx, l.id, day); err != nil {
			return err
		}
		if oldDay != day {
			if err := bumpDay(tx, l.id, oldDay); err != nil {
				return err
			}
		}
		if err := enqueueOffer(tx, b.tenantID, l.id, oldDay); err != nil {
			return err
		}
		if b.email != "" {
			if err := enqueueMail(tx, b.tenantID, mailRebooked, b.Ref, start.Format(time.RFC3339)); err != nil {
				return err
			}
		}
		return audit.Append(tx, audit.Event{TenantID: b.tenantID, Actor: actor, Action: "appointments.booking.rebook", ObjectType: "appointment", ObjectRef: b.Ref,
			Before: map[string]any{"start": b.Start.UTC()}, After: map[string]any{"start": start}})
	})
	ds.mu.Lock()
	ds.release(picks, false, 0)
	ds.rev = -1
	ds.mu.Unlock()
	s.avail.forget(l.id)
	if database.IsUniqueViolation(err) {
		return nil, ErrSlotTaken
	}
	if err != nil {
		return nil, fmt.Errorf("rebook %s: %w", b.Ref, err)
	}
	b.Start = start.In(calendar.Berlin)
	b.End = start.Add(time.Duration(b.units*l.SlotMinutes) * time.Minute).In(calendar.Berlin)
	return b, nil
}

// Reconfirm records that the citizen still comes (the reconfirmation
// request's link).
func (s *Service) Reconfirm(ctx context.Context, tenantID int64, token string) (*Booking, error) {
	b, err := s.BookingByToken(ctx, tenantID, token)
	if err != nil {
		return nil, err
	}
	if b.Status != StatusConfirmed {
		return nil, ErrNotActive
	}
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE appointment_bookings SET reconfirmed_at = $1 WHERE id = $2`, tx.Now(), b.id); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: "citizen:" + b.Ref, Action: "appointments.booking.reconfirm", ObjectType: "appointment", ObjectRef: b.Ref})
	})
	if err != nil {
		return nil, err
	}
	b.Reconfirm = false
	return b, nil
}
