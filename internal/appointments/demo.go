package appointments

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
)

// DemoToken signs a reference with a hex link key (the demo city's fixed
// key), for the composition root's example URLs.
func DemoToken(linkKeyHex, purpose, r string) string {
	k, err := hex.DecodeString(linkKeyHex)
	if err != nil {
		panic("appointments: demo link key is not hex")
	}
	return makeToken(k, purpose, r)
}

// Offers reports whether a listed location of the tenant offers the
// service (the service page's "Termin buchen").
func (s *Service) Offers(ctx context.Context, tenantID int64, serviceRef string) (bool, error) {
	ls, err := s.Locations(ctx, tenantID, false)
	if err != nil {
		return false, err
	}
	for _, l := range ls {
		if _, ok := l.Service(serviceRef); ok {
			return true, nil
		}
	}
	return false, nil
}

// Examples are the demo city's fixed example objects.
type Examples struct {
	Location, LotteryLocation, Service string
	Booking, Ticket, Entry, Waitlist   string
	Email                              string
}

// SeedExamples creates the demo city's example booking (confirmed, on the
// next open day), a walk-in ticket of today, a drawn lottery entry and a
// pending waitlist entry, with the fixed references of ex — so that the
// documented example links (signed with the demo key) lead somewhere.
func (s *Service) SeedExamples(ctx context.Context, tenantID int64, ex Examples) error {
	s.init()
	l, err := s.location(ctx, tenantID, ex.Location)
	if err != nil {
		return err
	}
	now := s.now()
	today := calendar.DateOf(now, calendar.Berlin)
	list, err := s.Slots(ctx, tenantID, SlotQuery{Location: l.Ref, Services: []ServiceCount{{Service: ex.Service, Count: 1}}, From: today.AddDays(1), To: today.AddDays(14)})
	if err != nil {
		return err
	}
	var start time.Time
	for _, d := range list.Days {
		for _, sl := range d.Slots {
			if sl.Start.Hour() >= 10 {
				start = sl.Start
				break
			}
		}
		if !start.IsZero() {
			break
		}
	}
	if start.IsZero() {
		return fmt.Errorf("no free slot for the example booking")
	}
	services, k, err := l.need([]ServiceCount{{Service: ex.Service, Count: 1}}, "services")
	if err != nil {
		return err
	}
	bk := &Booking{Ref: ex.Booking, Status: StatusConfirmed, Location: l.Ref, Services: services, Start: start.UTC(),
		End: start.UTC().Add(time.Duration(k*l.SlotMinutes) * time.Minute), Channel: "online", tenantID: tenantID, locationID: l.id,
		email: ex.Email, name: "Paul Beispiel", lang: "de", base: "", units: k}
	if err := s.claim(ctx, l, calendar.DateOf(start, calendar.Berlin), bk, subjectHash(tenantID, 0, ex.Email), time.Time{}, "system"); err != nil {
		return err
	}
	if _, err := s.issue(ctx, l, "walk_in", services, k*l.SlotMinutes, nil, "system", ex.Ticket); err != nil {
		return err
	}
	svc, _ := json.Marshal(services)
	ll, err := s.location(ctx, tenantID, ex.LotteryLocation)
	if err != nil {
		return err
	}
	_, k2, err := ll.need([]ServiceCount{{Service: ex.Service, Count: 1}}, "services")
	if err != nil {
		return err
	}
	_ = k2
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO appointment_lottery_entries (tenant_id, ref, location_id, draw_at, starts_at, services, email, subject_hash, lang, status, created_at, drawn_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'de', 'lost', $9, $4)`, tenantID, ex.Entry, ll.id, now.Add(-time.Hour), start.UTC(), string(svc), ex.Email,
			subjectHash(tenantID, 0, ex.Email), now.Add(-2*time.Hour)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO appointment_waitlist (tenant_id, ref, location_id, services, from_day, to_day, email, subject_hash, lang, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'de', 'pending', $9)`, tenantID, ex.Waitlist, l.id, string(svc), today.AddDays(1).String(), today.AddDays(14).String(),
			ex.Email, subjectHash(tenantID, 0, ex.Email), now)
		return err
	})
}
