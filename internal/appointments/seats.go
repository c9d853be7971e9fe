package appointments

import (
	"fmt"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
)

// syncSeats makes the seats of the location's days from today to the end
// of its horizon (one day more, so a day exists before it is released)
// match their plan: missing seats are added, surplus seats removed when
// nobody claims them (a claimed seat stays; the day plan shows the booking
// as outside the opening hours). Every changed day's revision is bumped.
// Days before today are never touched.
func syncSeats(tx *database.Tx, l *Location, cal *calendar.Calendar, today calendar.Date) ([]calendar.Date, error) {
	var changed []calendar.Date
	last := today.AddDays(l.HorizonDays + 1)
	for d := today; !last.Before(d); d = d.AddDays(1) {
		ch, err := syncDay(tx, l, cal, d)
		if err != nil {
			return nil, err
		}
		if ch {
			changed = append(changed, d)
		}
	}
	return changed, nil
}

type seatRow struct {
	seat    int
	claimed bool
}

func syncDay(tx *database.Tx, l *Location, cal *calendar.Calendar, d calendar.Date) (bool, error) {
	ctx := tx.Context()
	plan := l.Plan(d, cal)
	from, to := d.In(calendar.Berlin).UTC(), d.AddDays(1).In(calendar.Berlin).UTC()
	rows, err := tx.QueryContext(ctx, `SELECT s.starts_at, s.seat, c.booking_ref IS NOT NULL FROM appointment_seats s
		LEFT JOIN appointment_claims c ON c.location_id = s.location_id AND c.starts_at = s.starts_at AND c.seat = s.seat
		WHERE s.location_id = $1 AND s.starts_at >= $2 AND s.starts_at < $3`, l.id, from, to)
	if err != nil {
		return false, fmt.Errorf("sync seats %s: %w", d, err)
	}
	have := map[int64][]seatRow{}
	for rows.Next() {
		var at time.Time
		var r seatRow
		if err := rows.Scan(&at, &r.seat, &r.claimed); err != nil {
			rows.Close()
			return false, err
		}
		have[at.Unix()] = append(have[at.Unix()], r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	want := map[int64]int{}
	for _, u := range plan.Units {
		want[u.Start.Unix()] = u.Desks
	}
	var add [][2]any    // (starts_at, seat)
	var remove [][2]any // (starts_at, seat)
	for at, n := range want {
		used := map[int]bool{}
		for _, r := range have[at] {
			used[r.seat] = true
		}
		for s := 0; len(used) < n && s < MaxDesks; s++ {
			if !used[s] {
				used[s] = true
				add = append(add, [2]any{time.Unix(at, 0).UTC(), s})
			}
		}
	}
	for at, rs := range have {
		n := want[at]
		if len(rs) <= n {
			continue
		}
		// Remove the highest free seats until the count fits.
		surplus := len(rs) - n
		for s := MaxDesks - 1; s >= 0 && surplus > 0; s-- {
			for _, r := range rs {
				if r.seat == s && !r.claimed {
					remove = append(remove, [2]any{time.Unix(at, 0).UTC(), s})
					surplus--
				}
			}
		}
	}
	changed := len(add) > 0 || len(remove) > 0
	for len(remove) > 0 {
		n := min(len(remove), 200)
		var sb strings.Builder
		args := []any{l.id}
		for i, rm := range remove[:n] {
			if i > 0 {
				sb.WriteString(" OR ")
			}
			args = append(args, rm[0], rm[1])
			fmt.Fprintf(&sb, "(starts_at = $%d AND seat = $%d)", len(args)-1, len(args))
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM appointment_seats WHERE location_id = $1 AND (`+sb.String()+`)`, args...); err != nil {
			return false, fmt.Errorf("sync seats %s: remove: %w", d, err)
		}
		remove = remove[n:]
	}
	for len(add) > 0 {
		n := min(len(add), 300)
		var sb strings.Builder
		args := []any{l.id}
		for i, a := range add[:n] {
			if i > 0 {
				sb.WriteString(", ")
			}
			args = append(args, a[0], a[1])
			fmt.Fprintf(&sb, "($1, $%d, $%d)", len(args)-1, len(args))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO appointment_seats (location_id, starts_at, seat) VALUES `+sb.String(), args...); err != nil {
			return false, fmt.Errorf("sync seats %s: add: %w", d, err)
		}
		add = add[n:]
	}
	q := `INSERT INTO appointment_days (location_id, day, revision) VALUES ($1, $2, 1) ON CONFLICT (location_id, day) DO NOTHING`
	if changed {
		q = `INSERT INTO appointment_days (location_id, day, revision) VALUES ($1, $2, 1)
			ON CONFLICT (location_id, day) DO UPDATE SET revision = appointment_days.revision + 1`
	}
	if _, err := tx.ExecContext(ctx, q, l.id, d.String()); err != nil {
		return false, fmt.Errorf("sync seats %s: day: %w", d, err)
	}
	return changed, nil
}
