package appointments

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/catalog"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/mail"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// Service holds the use cases of appointments. One per process: it keeps
// the in-memory availability, the parsed locations and the tenants' keys.
type Service struct {
	DB       *database.DB
	Identity *identity.Service
	Catalog  *catalog.Catalog
	// Limits are the installation's shared rate limits (a location's
	// protections decide whether booking uses them).
	Limits *ratelimit.Limiter
	// Mail delivers the module's mails (from its jobs).
	Mail mail.Sender
	Log  *slog.Logger
	// FreshFor lets the process use its cached locations and days for this
	// long without reading their revisions (0: read before every use). The
	// database decides every booking either way; a change made by another
	// process shows within FreshFor, one made by this process at once.
	FreshFor time.Duration

	once     sync.Once
	avail    *availability
	mu       sync.Mutex
	locs     map[string]*Location // by reference
	keyCache map[int64]*tenantKeys
	svcCache map[int64]*serviceNames
	cals     map[string]*calendar.Calendar
	stmts    map[string]*sql.Stmt
	stats    stats
	// locChecked is when each cached location's revision was last read.
	locChecked map[string]time.Time
}

type stats struct {
	bookings, cacheRefusals, dbConflicts atomic.Int64
}

// Stats counts, since the process started, bookings written, attempts
// refused from the cache without a write, and attempts the database
// refused (another process had taken the seat).
type Stats struct {
	Bookings, CacheRefusals, DBConflicts int64
}

// Stats returns the process's counters.
func (s *Service) Stats() Stats {
	return Stats{Bookings: s.stats.bookings.Load(), CacheRefusals: s.stats.cacheRefusals.Load(), DBConflicts: s.stats.dbConflicts.Load()}
}

// stmt returns a prepared statement of the reader pool for a hot query.
func (s *Service) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.stmts[q]; ok {
		return st, nil
	}
	st, err := s.DB.R.PrepareContext(context.WithoutCancel(ctx), q)
	if err != nil {
		return nil, err
	}
	s.stmts[q] = st
	return st, nil
}

func (s *Service) init() {
	s.once.Do(func() {
		s.avail = newAvailability(s.DB)
		s.avail.freshFor = s.FreshFor
		s.locChecked = map[string]time.Time{}
		s.locs = map[string]*Location{}
		s.keyCache = map[int64]*tenantKeys{}
		s.svcCache = map[int64]*serviceNames{}
		s.cals = map[string]*calendar.Calendar{}
		s.stmts = map[string]*sql.Stmt{}
		if s.Log == nil {
			s.Log = slog.Default()
		}
	})
}

// StaffRoles may run a location's day: day plan, blocks, counter, kiosk.
var StaffRoles = []identity.Role{identity.RoleAdmin, identity.RoleUnitHead, identity.RoleCaseWorker}

// ErrNotFound is wrapped when a location, booking or ticket does not exist
// for the asker.
var ErrNotFound = fmt.Errorf("appointment %w", fault.ErrNotFound)

func (s *Service) now() time.Time { return s.DB.Clock.Now().UTC() }

// calendar returns the working-day calendar of a tenant's federal state.
func (s *Service) calendar(ctx context.Context, tenantID int64) (*calendar.Calendar, error) {
	t, err := s.Identity.TenantByID(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	state := t.Settings.FederalState
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.cals[state]; ok {
		return c, nil
	}
	c, err := calendar.ForState(state)
	if err != nil {
		// A tenant without a valid state has no statutory holidays here.
		c = &calendar.Calendar{Loc: calendar.Berlin}
	}
	s.cals[state] = c
	return c, nil
}

// --- keys ---

type tenantKeys struct{ link, pow []byte }

func (s *Service) keys(ctx context.Context, tenantID int64) (*tenantKeys, error) {
	s.init()
	s.mu.Lock()
	k := s.keyCache[tenantID]
	s.mu.Unlock()
	if k != nil {
		return k, nil
	}
	read := func() (*tenantKeys, error) {
		var l, p string
		err := s.DB.W.QueryRowContext(ctx, `SELECT link_key, pow_key FROM appointment_keys WHERE tenant_id = $1`, tenantID).Scan(&l, &p)
		if err != nil {
			return nil, err
		}
		lk, err1 := hex.DecodeString(l)
		pk, err2 := hex.DecodeString(p)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("appointment keys of tenant %d are corrupt", tenantID)
		}
		return &tenantKeys{link: lk, pow: pk}, nil
	}
	k, err := read()
	if errors.Is(err, sql.ErrNoRows) {
		err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO appointment_keys (tenant_id, link_key, pow_key) VALUES ($1, $2, $3) ON CONFLICT (tenant_id) DO NOTHING`,
				tenantID, randomHex(32), randomHex(32))
			return err
		})
		if err == nil {
			k, err = read()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("appointment keys: %w", err)
	}
	s.mu.Lock()
	s.keyCache[tenantID] = k
	s.mu.Unlock()
	return k, nil
}

// SetKeys replaces a tenant's link and challenge keys (hex, 32 bytes each).
// Only the demo city uses it, so that its documented example links work in
// every demo installation; links signed with the old keys stop working.
func (s *Service) SetKeys(ctx context.Context, tenantID int64, linkKey, powKey string) error {
	s.init()
	if _, err := hex.DecodeString(linkKey); err != nil || len(linkKey) < 32 {
		return fmt.Errorf("set keys: link key must be hex")
	}
	if _, err := hex.DecodeString(powKey); err != nil || len(powKey) < 32 {
		return fmt.Errorf("set keys: challenge key must be hex")
	}
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO appointment_keys (tenant_id, link_key, pow_key) VALUES ($1, $2, $3)
			ON CONFLICT (tenant_id) DO UPDATE SET link_key = excluded.link_key, pow_key = excluded.pow_key`, tenantID, linkKey, powKey)
		return err
	})
	s.mu.Lock()
	delete(s.keyCache, tenantID)
	s.mu.Unlock()
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Token returns the signed link token of a reference for a purpose (for
// the composition root's demo examples and for tests).
func (s *Service) Token(ctx context.Context, tenantID int64, purpose, r string) (string, error) {
	k, err := s.keys(ctx, tenantID)
	if err != nil {
		return "", err
	}
	return makeToken(k.link, purpose, r), nil
}

// Token purposes as the composition root names them.
const (
	PurposeManage   = purposeManage
	PurposeConfirm  = purposeConfirm
	PurposeLottery  = purposeLottery
	PurposeWaitlist = purposeWaitlist
	PurposeTicket   = purposeTicket
)

// --- locations ---

const locationCols = `id, tenant_id, ref, name, listed, settings, revision`

func scanLocation(row interface{ Scan(...any) error }) (*Location, error) {
	var l Location
	var settings string
	if err := row.Scan(&l.id, &l.tenantID, &l.Ref, &l.Name, &l.Listed, &settings, &l.Revision); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	l.Settings = DefaultSettings()
	if err := json.Unmarshal([]byte(settings), &l.Settings); err != nil {
		return nil, fmt.Errorf("location %s: settings: %w", l.Ref, err)
	}
	l.Settings.normalize()
	return &l, nil
}

// location returns a location of the tenant by reference, from the
// process's cache when its revision is current (one primary-key read).
func (s *Service) location(ctx context.Context, tenantID int64, r string) (*Location, error) {
	s.init()
	r = strings.ToUpper(strings.TrimSpace(r))
	if !ref.Valid("S", r) {
		return nil, ErrNotFound
	}
	if s.FreshFor > 0 {
		s.mu.Lock()
		l, at := s.locs[r], s.locChecked[r]
		s.mu.Unlock()
		if l != nil && time.Since(at) < s.FreshFor {
			if l.tenantID != tenantID {
				return nil, ErrNotFound
			}
			return l, nil
		}
	}
	var id, tid, rev int64
	st, err := s.stmt(ctx, `SELECT id, tenant_id, revision FROM appointment_locations WHERE ref = $1`)
	if err != nil {
		return nil, err
	}
	err = st.QueryRowContext(ctx, r).Scan(&id, &tid, &rev)
	if errors.Is(err, sql.ErrNoRows) || err == nil && tid != tenantID {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("location %s: %w", r, err)
	}
	s.mu.Lock()
	l := s.locs[r]
	if l != nil && l.Revision == rev {
		s.locChecked[r] = time.Now()
		s.mu.Unlock()
		return l, nil
	}
	s.mu.Unlock()
	l, err = scanLocation(s.DB.R.QueryRowContext(ctx, `SELECT `+locationCols+` FROM appointment_locations WHERE id = $1`, id))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	old := s.locs[r]
	s.locs[r] = l
	s.locChecked[r] = time.Now()
	s.mu.Unlock()
	if old != nil {
		s.avail.forget(l.id)
	}
	return l, nil
}

// Location returns a location. Locations are public (citizens see them);
// an unlisted one (a load-test scenario) is found by its reference only.
func (s *Service) Location(ctx context.Context, tenantID int64, r string) (*Location, error) {
	return s.location(ctx, tenantID, r)
}

// Locations lists the tenant's listed locations (all of them for staff).
func (s *Service) Locations(ctx context.Context, tenantID int64, all bool) ([]*Location, error) {
	s.init()
	q := `SELECT ` + locationCols + ` FROM appointment_locations WHERE tenant_id = $1`
	if !all {
		q += ` AND listed`
	}
	rows, err := s.DB.R.QueryContext(ctx, q+` ORDER BY name, id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("locations: %w", err)
	}
	defer rows.Close()
	out := []*Location{}
	for rows.Next() {
		l, err := scanLocation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// LocationInput is what staff set on a location.
type LocationInput struct {
	Name   string `json:"name"`
	Listed *bool  `json:"listed,omitempty"`
	Settings
	// Ref, when set by the composition root (the demo city's fixed
	// examples), is the new location's reference instead of a random one.
	Ref string `json:"-"`
}

func (s *Service) checkServices(ctx context.Context, tenantID int64, in Settings) error {
	v := &fault.Validation{}
	for i, ls := range in.Services {
		if ls.Service == "" {
			continue
		}
		if _, err := s.Catalog.Get(ctx, tenantID, ls.Service); err != nil {
			if errors.Is(err, fault.ErrNotFound) {
				v.Add(fmt.Sprintf("services.%d.service", i), "service_not_offered")
				continue
			}
			return err
		}
	}
	return v.Err()
}

// CreateLocation creates a location with its settings (admins), plans its
// seats up to the horizon, and returns it.
func (s *Service) CreateLocation(ctx context.Context, p identity.Principal, tenantID int64, in LocationInput) (*Location, error) {
	s.init()
	if err := p.Require(tenantID, identity.RoleAdmin); err != nil {
		return nil, err
	}
	in.Settings.normalize()
	in.Name = strings.TrimSpace(in.Name)
	if err := Validate(in.Name, in.Settings); err != nil {
		return nil, err
	}
	if err := s.checkServices(ctx, tenantID, in.Settings); err != nil {
		return nil, err
	}
	cal, err := s.calendar(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	listed := in.Listed == nil || *in.Listed
	doc, _ := json.Marshal(in.Settings)
	r := ref.New("S")
	if in.Ref != "" {
		if !ref.Valid("S", in.Ref) {
			return nil, fault.Invalid("id", "invalid_location_reference")
		}
		r = in.Ref
	}
	l := &Location{Ref: r, Name: in.Name, Listed: listed, Settings: in.Settings, Revision: 1, tenantID: tenantID}
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO appointment_locations (tenant_id, ref, name, listed, settings, revision, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, 1, $6, $6) RETURNING id`, tenantID, l.Ref, l.Name, listed, string(doc), tx.Now()).Scan(&l.id); err != nil {
			return err
		}
		if _, err := syncSeats(tx, l, cal, calendar.DateOf(tx.Now(), calendar.Berlin)); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "appointments.location.create", ObjectType: "appointment_location", ObjectRef: l.Ref,
			After: map[string]any{"name": l.Name, "listed": listed, "protections": in.Protections, "release_strategy": in.Strategy}})
	})
	if err != nil {
		return nil, fmt.Errorf("create location: %w", err)
	}
	return l, nil
}

// UpdateLocation replaces a location's settings (admins) and re-plans its
// future seats. Seats that are booked stay: the day plan lists bookings
// outside the new opening hours, staff cancel them (with notification).
func (s *Service) UpdateLocation(ctx context.Context, p identity.Principal, tenantID int64, r string, in LocationInput) (*Location, error) {
	s.init()
	if err := p.Require(tenantID, identity.RoleAdmin); err != nil {
		return nil, err
	}
	cur, err := s.location(ctx, tenantID, r)
	if err != nil {
		return nil, err
	}
	in.Settings.normalize()
	in.Name = strings.TrimSpace(in.Name)
	if err := Validate(in.Name, in.Settings); err != nil {
		return nil, err
	}
	if err := s.checkServices(ctx, tenantID, in.Settings); err != nil {
		return nil, err
	}
	listed := cur.Listed
	if in.Listed != nil {
		listed = *in.Listed
	}
	return s.saveLocation(ctx, p, cur, in.Name, listed, in.Settings, "appointments.location.update")
}

func (s *Service) saveLocation(ctx context.Context, p identity.Principal, cur *Location, name string, listed bool, st Settings, action string) (*Location, error) {
	cal, err := s.calendar(ctx, cur.tenantID)
	if err != nil {
		return nil, err
	}
	doc, _ := json.Marshal(st)
	l := &Location{Ref: cur.Ref, Name: name, Listed: listed, Settings: st, id: cur.id, tenantID: cur.tenantID}
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		if err := tx.QueryRowContext(ctx, `UPDATE appointment_locations SET name = $1, listed = $2, settings = $3, revision = revision + 1, updated_at = $4 WHERE id = $5 RETURNING revision`,
			name, listed, string(doc), tx.Now(), cur.id).Scan(&l.Revision); err != nil {
			return err
		}
		if _, err := syncSeats(tx, l, cal, calendar.DateOf(tx.Now(), calendar.Berlin)); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: cur.tenantID, Actor: p.Ref, Action: action, ObjectType: "appointment_location", ObjectRef: l.Ref,
			Before: map[string]any{"name": cur.Name, "listed": cur.Listed, "revision": cur.Revision},
			After:  map[string]any{"name": name, "listed": listed, "protections": st.Protections, "release_strategy": st.Strategy}})
	})
	if err != nil {
		return nil, fmt.Errorf("save location %s: %w", cur.Ref, err)
	}
	s.mu.Lock()
	delete(s.locs, l.Ref)
	s.mu.Unlock()
	s.avail.forget(l.id)
	return l, nil
}

// --- service names ---

type serviceNames struct {
	rev     int64
	checked time.Time // when rev was last compared with the catalog's
	names   map[string]ServiceInfo
}

// ServiceInfo is what booking pages and mails show of a catalog service.
type ServiceInfo struct {
	Ref, Name string
	Documents []string
}

// serviceInfo returns the catalog facts of a service (cached per catalog
// revision).
func (s *Service) serviceInfo(ctx context.Context, tenantID int64, r string) (ServiceInfo, error) {
	s.init()
	s.mu.Lock()
	c := s.svcCache[tenantID]
	recent := c != nil && time.Since(c.checked) < time.Second
	s.mu.Unlock()
	if !recent {
		// Names change rarely: the catalog's revision is read at most once
		// a second (busy slot searches show names too).
		rev, err := s.Catalog.Revision(ctx, tenantID)
		if err != nil {
			return ServiceInfo{}, err
		}
		s.mu.Lock()
		if c = s.svcCache[tenantID]; c == nil || c.rev != rev {
			c = &serviceNames{rev: rev, names: map[string]ServiceInfo{}}
			s.svcCache[tenantID] = c
		}
		c.checked = time.Now()
		s.mu.Unlock()
	}
	s.mu.Lock()
	info, ok := c.names[r]
	s.mu.Unlock()
	if ok {
		return info, nil
	}
	st, err := s.Catalog.Get(ctx, tenantID, r)
	if err != nil {
		return ServiceInfo{}, err
	}
	info = ServiceInfo{Ref: st.Service.ID, Name: st.Service.Name, Documents: st.Service.RequiredDocuments}
	s.mu.Lock()
	c.names[r] = info
	s.mu.Unlock()
	return info, nil
}

// ServiceName is the catalog name of a service ("" when unknown).
func (s *Service) ServiceName(ctx context.Context, tenantID int64, r string) string {
	info, err := s.serviceInfo(ctx, tenantID, r)
	if err != nil {
		return r
	}
	return info.Name
}
