package appointments

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// TestDatabaseRefusesConflictingClaims: the guarantee against overbooking
// is the schema itself. A claim of a seat that is already claimed, typed in
// directly with SQL, violates the primary key; a claim of a seat that does
// not exist (beyond the capacity) violates the foreign key.
func TestDatabaseRefusesConflictingClaims(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		f := newFixture(t, db, clk)
		l := f.office(1)
		start := at(1, "09:00")
		b, err := f.book(l, start, "paula@example.org")
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		var locID int64
		must(t, db.R.QueryRow(`SELECT id FROM appointment_locations WHERE ref = $1`, l.Ref).Scan(&locID))
		// A second booking row, then its claim of the same seat: refused.
		err = database.WithTx(ctx, db, func(tx *database.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO appointment_bookings (tenant_id, ref, location_id, starts_at, ends_at, units, services, status, channel, created_at)
				VALUES ($1, 'T-AAAA-BBBB', $2, $3, $4, 1, '[]', 'confirmed', 'staff', $5)`, f.tenant.ID, locID, start.UTC(), start.Add(15*time.Minute).UTC(), tx.Now()); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO appointment_claims (location_id, starts_at, seat, booking_ref) VALUES ($1, $2, 0, 'T-AAAA-BBBB')`, locID, start.UTC())
			return err
		})
		if !database.IsUniqueViolation(err) {
			t.Fatalf("direct conflicting claim: %v, want a unique violation", err)
		}
		// A claim of a seat beyond the capacity: no such seat.
		err = database.WithTx(ctx, db, func(tx *database.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO appointment_claims (location_id, starts_at, seat, booking_ref) VALUES ($1, $2, 1, $3)`, locID, start.UTC(), b.Ref)
			return err
		})
		if err == nil {
			t.Fatal("claim of a seat that does not exist was accepted")
		}
		// The application says the same, without writing.
		if _, err := f.book(l, start, "peter@example.org"); !errors.Is(err, ErrSlotTaken) {
			t.Fatalf("second booking: %v, want ErrSlotTaken", err)
		}
		var n int
		must(t, db.R.QueryRow(DoubleBookingsQuery).Scan(&n))
		if n != 0 {
			t.Fatalf("double bookings = %d", n)
		}
	})
}

// TestRaceOfProcessesNeverOverbooks: several "processes" (services with
// their own caches) race many clients for the few seats of one day; the
// database lets exactly the capacity through and the documented query
// finds no double booking.
func TestRaceOfProcessesNeverOverbooks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		f := newFixture(t, db, clk)
		l := f.office(2) // 2 desks × 16 units on the day
		// The other two "processes" trust their caches for an hour: their
		// attempts reach the database with stale views, and the database
		// alone keeps the count right.
		stale1, stale2 := f.newService(), f.newService()
		stale1.FreshFor, stale2.FreshFor = time.Hour, time.Hour
		procs := []*Service{f.svc, stale1, stale2}
		var mu sync.Mutex
		won, taken := 0, 0
		var wg sync.WaitGroup
		for c := 0; c < 24; c++ {
			wg.Go(func() {
				svc := procs[c%len(procs)]
				for i := 0; i < 8; i++ {
					// Everyone wants 09:00–09:45 or so: a family of two passports.
					start := at(1, fmt.Sprintf("09:%02d", 15*(i%3)))
					_, err := svc.Book(context.Background(), f.anon(), f.tenant.ID, BookingRequest{Location: l.Ref, Start: start,
						Services: []ServiceCount{{Service: f.passport, Count: 2}}, Email: fmt.Sprintf("c%d-%d@example.org", c, i)})
					mu.Lock()
					switch {
					case err == nil:
						won++
					case errors.Is(err, ErrSlotTaken):
						taken++
					default:
						t.Errorf("book: %v", err)
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		// 09:00, 09:15, 09:30 starts of 30 minutes on 2 desks: at most 2
		// bookings may cover any unit; 09:15 overlaps both others.
		var n int
		must(t, db.R.QueryRow(DoubleBookingsQuery).Scan(&n))
		if n != 0 {
			t.Fatalf("double bookings = %d", n)
		}
		var live int
		must(t, db.R.QueryRow(`SELECT COUNT(*) FROM appointment_bookings WHERE status IN ('held', 'confirmed')`).Scan(&live))
		if live != won || won < 2 || won > 4 {
			t.Fatalf("won %d, live rows %d, taken %d", won, live, taken)
		}
		if won+taken != 24*8 {
			t.Fatalf("won %d + taken %d != %d", won, taken, 24*8)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestBookingValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		f := newFixture(t, db, clk)
		l := f.office(1)
		cases := []struct {
			name        string
			in          BookingRequest
			field, code string
		}{
			{"past", BookingRequest{Location: l.Ref, Services: []ServiceCount{{f.passport, 1}}, Start: at(0, "08:00"), Email: "a@example.org"}, "start", "date_in_past"},
			{"unknown service", BookingRequest{Location: l.Ref, Services: []ServiceCount{{"L-0000-0000", 1}}, Start: at(1, "08:00"), Email: "a@example.org"}, "services.0.service", "service_not_offered"},
			{"too many", BookingRequest{Location: l.Ref, Services: []ServiceCount{{f.passport, 5}}, Start: at(1, "08:00"), Email: "a@example.org"}, "services.0.count", "out_of_range"},
			{"off grid", BookingRequest{Location: l.Ref, Services: []ServiceCount{{f.passport, 1}}, Start: at(1, "08:05"), Email: "a@example.org"}, "start", "off_slot_grid"},
			{"not released", BookingRequest{Location: l.Ref, Services: []ServiceCount{{f.passport, 1}}, Start: at(9, "08:00"), Email: "a@example.org"}, "start", "not_released"},
			{"closed hours", BookingRequest{Location: l.Ref, Services: []ServiceCount{{f.passport, 1}}, Start: at(1, "13:00"), Email: "a@example.org"}, "start", "no_such_slot"},
			{"no email", BookingRequest{Location: l.Ref, Services: []ServiceCount{{f.passport, 1}}, Start: at(1, "08:00")}, "email", "required"},
			{"bad email", BookingRequest{Location: l.Ref, Services: []ServiceCount{{f.passport, 1}}, Start: at(1, "08:00"), Email: "a@b"}, "email", "invalid_email"},
			{"unknown location", BookingRequest{Location: "S-0000-0000", Services: []ServiceCount{{f.passport, 1}}, Start: at(1, "08:00"), Email: "a@example.org"}, "location", "location_unknown"},
			{"no services", BookingRequest{Location: l.Ref, Start: at(1, "08:00"), Email: "a@example.org"}, "services", "required"},
		}
		for _, c := range cases {
			_, err := f.svc.Book(context.Background(), f.anon(), f.tenant.ID, c.in)
			if !fault.HasCode(err, c.field, c.code) {
				t.Errorf("%s: %v, want %s %s", c.name, err, c.field, c.code)
			}
		}
		var n int
		must(t, db.R.QueryRow(`SELECT COUNT(*) FROM appointment_bookings`).Scan(&n))
		if n != 0 {
			t.Fatalf("%d bookings stored by refused requests", n)
		}
	})
}

// TestHoldExpiresAndConfirmation: an e-mail booking holds its seats for
// HoldMinutes; confirmed in time it stays, unconfirmed its seat is taken
// by the next booking (which deletes the expired claim in its own
// transaction) and a late confirmation is refused.
func TestHoldExpiresAndConfirmation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		f := newFixture(t, db, clk)
		l := f.office(1)
		ctx := context.Background()
		a, err := f.book(l, at(1, "10:00"), "anna@example.org")
		must(t, err)
		if a.Status != StatusHeld || a.HoldExpiresAt == nil {
			t.Fatalf("status %s, hold %v", a.Status, a.HoldExpiresAt)
		}
		b, err := f.book(l, at(1, "10:15"), "ben@example.org")
		must(t, err)
		confirmB, _ := f.svc.Token(ctx, f.tenant.ID, PurposeConfirm, b.Ref)
		if _, err := f.svc.Confirm(ctx, f.tenant.ID, confirmB); err != nil {
			t.Fatal(err)
		}
		clk.Advance(16 * time.Minute)
		// Anna's hold ran out: her seat is free in a search, and taken by Carl.
		list, err := f.svc.Slots(ctx, f.tenant.ID, SlotQuery{Location: l.Ref, Services: []ServiceCount{{f.passport, 1}}, From: calendar.DateOf(at(1, "10:00"), calendar.Berlin), To: calendar.DateOf(at(1, "10:00"), calendar.Berlin)})
		must(t, err)
		if !hasStart(list, at(1, "10:00")) || hasStart(list, at(1, "10:15")) {
			t.Fatalf("slots after expiry: %+v", list.Days[0].Slots[:4])
		}
		if _, err := f.book(l, at(1, "10:00"), "carl@example.org"); err != nil {
			t.Fatalf("book the expired seat: %v", err)
		}
		confirmA, _ := f.svc.Token(ctx, f.tenant.ID, PurposeConfirm, a.Ref)
		if _, err := f.svc.Confirm(ctx, f.tenant.ID, confirmA); !errors.Is(err, ErrHoldExpired) {
			t.Fatalf("late confirmation: %v", err)
		}
		var status string
		must(t, db.R.QueryRow(`SELECT status FROM appointment_bookings WHERE ref = $1`, a.Ref).Scan(&status))
		if status != StatusExpired {
			t.Fatalf("anna's booking is %s", status)
		}
		// A tampered link is refused.
		if _, err := f.svc.Confirm(ctx, f.tenant.ID, confirmB+"x"); !errors.Is(err, ErrBadLink) {
			t.Fatalf("tampered link: %v", err)
		}
		manageB, _ := f.svc.Token(ctx, f.tenant.ID, PurposeManage, b.Ref)
		if _, err := f.svc.Confirm(ctx, f.tenant.ID, manageB); !errors.Is(err, ErrBadLink) {
			t.Fatalf("manage token used to confirm: %v", err)
		}
	})
}

func hasStart(l *SlotList, t time.Time) bool {
	for _, d := range l.Days {
		for _, s := range d.Slots {
			if s.Start.Equal(t) {
				return true
			}
		}
	}
	return false
}
