package appointments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/bits"
	"sync"
	"time"

	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
)

// The availability of each process is held in memory per location and day
// (availability): which seats exist in every unit and which are claimed.
// It is only a cache — the database decides every booking — and it is
// never trusted blindly: every search and attempt first reads the day's
// revision (one primary-key read from the reader pool) and reloads the day
// when another process changed it. What the cache buys is that a search
// is computed in memory and that an attempt at a unit already known to be
// full is refused without a write; a unit being claimed right now by
// another request of this process is refused too (the rush's doomed
// attempts never reach the single SQLite writer).

type dayKey struct {
	loc int64
	day calendar.Date
}

type unitState struct {
	at      int64  // Unix seconds
	seats   uint64 // seats that exist
	taken   uint64 // claimed: confirmed, or held and not expired at load
	held    uint64 // of taken: claims of holds (they expire)
	pending uint64 // being claimed by a request of this process
}

type heldClaim struct {
	unit    int
	seat    uint
	expires int64
}

type dayState struct {
	mu      sync.Mutex
	checked time.Time // when rev was last compared with the database's
	rev     int64     // 0: not loaded
	units   []unitState
	index   map[int64]int
	holds   []heldClaim // live holds, to notice their expiry
	minExp  int64       // earliest expiry among holds
}

type availability struct {
	db *database.DB
	// freshFor: a day checked this recently is used without reading its
	// revision again (0: always read). Another process's change shows
	// within that time; this process's own changes show at once.
	freshFor time.Duration
	mu       sync.Mutex
	days     map[dayKey]*dayState
	// The hot reads are prepared once per reader connection: SQLite
	// spends more on parsing such a small query than on running it.
	revStmt  *sql.Stmt
	revsStmt *sql.Stmt
	prepErr  error
	prepOnce sync.Once
}

func (a *availability) prepare(ctx context.Context) error {
	a.prepOnce.Do(func() {
		a.revStmt, a.prepErr = a.db.R.PrepareContext(context.WithoutCancel(ctx), `SELECT revision FROM appointment_days WHERE location_id = $1 AND day = $2`)
		if a.prepErr == nil {
			a.revsStmt, a.prepErr = a.db.R.PrepareContext(context.WithoutCancel(ctx), `SELECT day, revision FROM appointment_days WHERE location_id = $1 AND day >= $2 AND day <= $3`)
		}
	})
	return a.prepErr
}

func newAvailability(db *database.DB) *availability {
	return &availability{db: db, days: map[dayKey]*dayState{}}
}

func (a *availability) day(loc int64, d calendar.Date) *dayState {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := dayKey{loc, d}
	ds := a.days[k]
	if ds == nil {
		ds = &dayState{}
		a.days[k] = ds
	}
	return ds
}

// forget drops cached days of a location (after its settings changed).
func (a *availability) forget(loc int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k := range a.days {
		if k.loc == loc {
			delete(a.days, k)
		}
	}
}

// revisions reads the revisions of days from..to of a location.
func (a *availability) revisions(ctx context.Context, loc int64, from, to calendar.Date) (map[calendar.Date]int64, error) {
	if err := a.prepare(ctx); err != nil {
		return nil, err
	}
	rows, err := a.revsStmt.QueryContext(ctx, loc, from.String(), to.String())
	if err != nil {
		return nil, fmt.Errorf("day revisions: %w", err)
	}
	defer rows.Close()
	out := map[calendar.Date]int64{}
	for rows.Next() {
		var day string
		var rev int64
		if err := rows.Scan(&day, &rev); err != nil {
			return nil, err
		}
		d, _ := calendar.ParseDate(day)
		out[d] = rev
	}
	return out, rows.Err()
}

func (a *availability) revision(ctx context.Context, loc int64, d calendar.Date) (int64, error) {
	if err := a.prepare(ctx); err != nil {
		return 0, err
	}
	var rev int64
	err := a.revStmt.QueryRowContext(ctx, loc, d.String()).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return rev, err
}

// fresh returns the day's state, reloaded when rev differs from the cached
// revision. The caller holds no lock; the state's lock is taken and held
// on return.
func (a *availability) fresh(ctx context.Context, loc int64, d calendar.Date, rev int64) (*dayState, error) {
	ds := a.day(loc, d)
	ds.mu.Lock()
	if ds.rev == rev && rev != 0 {
		ds.checked = time.Now()
		return ds, nil
	}
	if rev == 0 {
		// No day row: no seats (the day is not planned yet).
		ds.rev, ds.units, ds.index, ds.holds, ds.minExp = 0, nil, nil, nil, 0
		return ds, nil
	}
	if err := a.load(ctx, loc, d, ds); err != nil {
		ds.mu.Unlock()
		return nil, err
	}
	ds.checked = time.Now()
	return ds, nil
}

// recent reports whether the day's state may be used without reading its
// revision; the caller holds ds.mu.
func (a *availability) recent(ds *dayState) bool {
	return a.freshFor > 0 && ds.rev > 0 && time.Since(ds.checked) < a.freshFor
}

// current returns the day's state, locked: the cached one when it was
// checked within freshFor, else after reading the revision (and reloading
// when it changed).
func (a *availability) current(ctx context.Context, loc int64, d calendar.Date) (*dayState, error) {
	ds := a.day(loc, d)
	ds.mu.Lock()
	if a.recent(ds) {
		return ds, nil
	}
	ds.mu.Unlock()
	rev, err := a.revision(ctx, loc, d)
	if err != nil {
		return nil, err
	}
	return a.fresh(ctx, loc, d, rev)
}

// allRecent reports whether every day of the range is cached and recent.
func (a *availability) allRecent(loc int64, from, to calendar.Date) bool {
	if a.freshFor <= 0 {
		return false
	}
	for d := from; !to.Before(d); d = d.AddDays(1) {
		ds := a.day(loc, d)
		ds.mu.Lock()
		ok := a.recent(ds)
		ds.mu.Unlock()
		if !ok {
			return false
		}
	}
	return true
}

// load reads the day's seats and claims in one read transaction.
func (a *availability) load(ctx context.Context, loc int64, d calendar.Date, ds *dayState) error {
	tx, err := a.db.R.BeginTx(ctx, &sql.TxOptions{ReadOnly: a.db.Dialect == database.Postgres})
	if err != nil {
		return fmt.Errorf("load availability: %w", err)
	}
	defer tx.Rollback()
	from := d.In(calendar.Berlin).UTC()
	to := d.AddDays(1).In(calendar.Berlin).UTC()
	var rev int64
	if err := tx.QueryRowContext(ctx, `SELECT revision FROM appointment_days WHERE location_id = $1 AND day = $2`, loc, d.String()).Scan(&rev); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("load availability: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT starts_at, seat FROM appointment_seats WHERE location_id = $1 AND starts_at >= $2 AND starts_at < $3 ORDER BY starts_at`, loc, from, to)
	if err != nil {
		return fmt.Errorf("load seats: %w", err)
	}
	units := []unitState{}
	index := map[int64]int{}
	for rows.Next() {
		var at time.Time
		var seat uint
		if err := rows.Scan(&at, &seat); err != nil {
			rows.Close()
			return err
		}
		u := at.Unix()
		i, ok := index[u]
		if !ok {
			i = len(units)
			index[u] = i
			units = append(units, unitState{at: u})
		}
		units[i].seats |= 1 << seat
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = tx.QueryContext(ctx, `SELECT starts_at, seat, expires_at FROM appointment_claims WHERE location_id = $1 AND starts_at >= $2 AND starts_at < $3`, loc, from, to)
	if err != nil {
		return fmt.Errorf("load claims: %w", err)
	}
	defer rows.Close()
	var holds []heldClaim
	var minExp int64
	for rows.Next() {
		var at time.Time
		var seat uint
		var exp sql.NullTime
		if err := rows.Scan(&at, &seat, &exp); err != nil {
			return err
		}
		i, ok := index[at.Unix()]
		if !ok {
			continue
		}
		units[i].taken |= 1 << seat
		if exp.Valid {
			units[i].held |= 1 << seat
			e := exp.Time.Unix()
			holds = append(holds, heldClaim{unit: i, seat: seat, expires: e})
			if minExp == 0 || e < minExp {
				minExp = e
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// Requests of this process in flight keep their marks.
	for i := range units {
		if j, ok := ds.index[units[i].at]; ok && j < len(ds.units) {
			units[i].pending = ds.units[j].pending &^ units[i].taken
		}
	}
	ds.rev, ds.units, ds.index, ds.holds, ds.minExp = rev, units, index, holds, minExp
	return nil
}

// expire frees, in the cache, holds that have run out at now: their seats
// count as free (the booking that takes one deletes the old claim first).
func (ds *dayState) expire(now int64) {
	if ds.minExp == 0 || now < ds.minExp {
		return
	}
	keep := ds.holds[:0]
	ds.minExp = 0
	for _, h := range ds.holds {
		if h.expires <= now {
			ds.units[h.unit].taken &^= 1 << h.seat
			continue
		}
		keep = append(keep, h)
		if ds.minExp == 0 || h.expires < ds.minExp {
			ds.minExp = h.expires
		}
	}
	ds.holds = keep
}

// free is the seats of unit i nobody holds or is claiming.
func (ds *dayState) free(i int) uint64 {
	u := ds.units[i]
	return u.seats &^ (u.taken | u.pending)
}

// run reports whether units i..i+k-1 exist and follow each other without a
// gap (grid seconds apart).
func (ds *dayState) run(i, k int, grid int64) bool {
	if i < 0 || i+k > len(ds.units) {
		return false
	}
	for j := i + 1; j < i+k; j++ {
		if ds.units[j].at != ds.units[j-1].at+grid {
			return false
		}
	}
	return true
}

// fits reports whether a booking of k units can start at unit i.
func (ds *dayState) fits(i, k int, grid int64) bool {
	if !ds.run(i, k, grid) {
		return false
	}
	for j := i; j < i+k; j++ {
		if ds.free(j) == 0 {
			return false
		}
	}
	return true
}

// pick is one seat of one unit chosen for a booking; stale means a claim
// of an expired hold must be deleted first.
type pick struct {
	at    time.Time
	seat  int
	stale bool
}

// reserve chooses a seat in each of the k units from start and marks them
// pending; nil when they are not all free.
func (ds *dayState) reserve(start time.Time, k int, grid int64) []pick {
	i, ok := ds.index[start.Unix()]
	if !ok || !ds.fits(i, k, grid) {
		return nil
	}
	out := make([]pick, k)
	for j := 0; j < k; j++ {
		u := &ds.units[i+j]
		f := ds.free(i + j)
		// Prefer a seat never claimed over one whose hold expired.
		fresh := f &^ u.held
		s := bits.TrailingZeros64(f)
		stale := true
		if fresh != 0 {
			s, stale = bits.TrailingZeros64(fresh), false
		}
		u.pending |= 1 << uint(s)
		out[j] = pick{at: time.Unix(u.at, 0).UTC(), seat: s, stale: stale}
	}
	return out
}

// release takes the pending marks of picks back; taken marks the seats as
// claimed (the booking succeeded) and holdUntil > 0 as held.
func (ds *dayState) release(picks []pick, taken bool, holdUntil int64) {
	for _, p := range picks {
		i, ok := ds.index[p.at.Unix()]
		if !ok {
			continue
		}
		bit := uint64(1) << uint(p.seat)
		u := &ds.units[i]
		u.pending &^= bit
		if !taken {
			continue
		}
		u.taken |= bit
		u.held &^= bit
		if holdUntil > 0 {
			u.held |= bit
			ds.holds = append(ds.holds, heldClaim{unit: i, seat: uint(p.seat), expires: holdUntil})
			if ds.minExp == 0 || holdUntil < ds.minExp {
				ds.minExp = holdUntil
			}
		}
	}
}

// starts lists the unit starts at which k units fit, at or after notBefore.
func (ds *dayState) starts(k int, grid int64, notBefore int64) []time.Time {
	var out []time.Time
	for i := range ds.units {
		if ds.units[i].at < notBefore {
			continue
		}
		if ds.fits(i, k, grid) {
			out = append(out, time.Unix(ds.units[i].at, 0).UTC())
		}
	}
	return out
}
