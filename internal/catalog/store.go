package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// Catalog is the persistent service catalog of every tenant: services are
// rows (their JSON document plus the columns looked up and reported on),
// each change keeps the full previous document in service_versions, and
// each change bumps the tenant's row in catalog_revisions in the same
// transaction.
//
// Searches run on an in-memory Finder per tenant, built lazily from the
// stored services. Before each search the tenant's revision is read (one
// primary-key lookup); when it differs from the revision the finder was
// built from, one caller rebuilds while the others keep searching the
// previous finder. So several processes may serve one database and each
// notices the others' changes on its next search. The zero value is not
// usable; set DB.
type Catalog struct {
	DB *database.DB

	mu      sync.Mutex
	tenants map[int64]*tenantIndex
	// misses counts missed searches until FlushMisses.
	misses missBuffer
}

// tenantIndex is the finder of one tenant and the revision it reflects.
type tenantIndex struct {
	build sync.Mutex // held by the caller rebuilding
	idx   Index
	rev   atomic.Int64
	built atomic.Bool
}

// Import sources known to the store (free text for later importers).
const (
	SourceDemo    = "demo"
	SourceRathaus = "rathaus"
)

// Change kinds recorded with a replaced version.
const (
	ChangeEdit   = "edit"
	ChangeImport = "import"
)

// ErrNotFound is wrapped when a service does not exist in the tenant.
var ErrNotFound = fmt.Errorf("service %w", web.ErrNotFound)

func (c *Catalog) tenant(id int64) *tenantIndex {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tenants == nil {
		c.tenants = map[int64]*tenantIndex{}
	}
	ti := c.tenants[id]
	if ti == nil {
		ti = &tenantIndex{}
		c.tenants[id] = ti
	}
	return ti
}

// Revision is the tenant's catalog revision: 0 before the first change,
// then bumped by every transaction that changes a service.
func (c *Catalog) Revision(ctx context.Context, tenantID int64) (int64, error) {
	var rev int64
	err := c.DB.R.QueryRowContext(ctx, `SELECT revision FROM catalog_revisions WHERE tenant_id = $1`, tenantID).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("catalog revision: %w", err)
	}
	return rev, nil
}

func bumpRevision(tx *database.Tx, tenantID int64) error {
	_, err := tx.ExecContext(tx.Context(), `INSERT INTO catalog_revisions (tenant_id, revision) VALUES ($1, 1)
		ON CONFLICT (tenant_id) DO UPDATE SET revision = catalog_revisions.revision + 1`, tenantID)
	if err != nil {
		return fmt.Errorf("bump catalog revision: %w", err)
	}
	return nil
}

// Finder returns the tenant's current finder, rebuilding it first when the
// stored catalog changed since it was built. While one caller rebuilds,
// others get the previous finder rather than wait; only the very first
// build is waited for.
func (c *Catalog) Finder(ctx context.Context, tenantID int64) (*Finder, error) {
	rev, err := c.Revision(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	ti := c.tenant(tenantID)
	if ti.built.Load() && ti.rev.Load() == rev {
		return ti.idx.Finder(), nil
	}
	if ti.built.Load() {
		if !ti.build.TryLock() {
			return ti.idx.Finder(), nil
		}
	} else {
		ti.build.Lock()
	}
	defer ti.build.Unlock()
	if ti.built.Load() && ti.rev.Load() == rev {
		return ti.idx.Finder(), nil
	}
	// The revision was read before the services: a change committed in
	// between makes the finder newer than rev, never older, so the next
	// search at worst rebuilds once more.
	services, err := c.All(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	ti.idx.Set(services)
	ti.rev.Store(rev)
	ti.built.Store(true)
	return ti.idx.Finder(), nil
}

// Warm builds the finder of every tenant that has services, one after the
// other, so that the first search after start-up does not wait for the
// index (about a second with the federal catalogue). It returns when done
// or when ctx ends.
func (c *Catalog) Warm(ctx context.Context) error {
	rows, err := c.DB.R.QueryContext(ctx, `SELECT DISTINCT tenant_id FROM services ORDER BY tenant_id`)
	if err != nil {
		return fmt.Errorf("warm catalog: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("warm catalog: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("warm catalog: %w", err)
	}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := c.Finder(ctx, id); err != nil {
			return fmt.Errorf("warm catalog: %w", err)
		}
	}
	return nil
}

// Find searches the tenant's catalog. Like Finder.Find it never fails on
// the query; errors come only from the database.
func (c *Catalog) Find(ctx context.Context, tenantID int64, q Query) (Result, error) {
	f, err := c.Finder(ctx, tenantID)
	if err != nil {
		return Result{}, err
	}
	return f.Find(q), nil
}

// All returns the tenant's services in the order they were first stored.
func (c *Catalog) All(ctx context.Context, tenantID int64) ([]Service, error) {
	rows, err := c.DB.R.QueryContext(ctx, `SELECT document FROM services WHERE tenant_id = $1 ORDER BY id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("load services: %w", err)
	}
	defer rows.Close()
	out := []Service{}
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("load services: %w", err)
		}
		s, err := decodeDocument(doc)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load services: %w", err)
	}
	return out, nil
}

// StoredService is a service with its version bookkeeping.
type StoredService struct {
	Service
	Version   int       `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
	id        int64
}

// NormalizeRef returns a reference as stored (upper case, no spaces):
// references are read aloud and typed in any case.
func NormalizeRef(ref string) string { return strings.ToUpper(strings.TrimSpace(ref)) }

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const storedCols = `id, document, version, updated_at, updated_by`

func scanStored(row *sql.Row) (*StoredService, error) {
	var st StoredService
	var doc string
	if err := row.Scan(&st.id, &doc, &st.Version, &st.UpdatedAt, &st.UpdatedBy); err != nil {
		return nil, err
	}
	s, err := decodeDocument(doc)
	if err != nil {
		return nil, err
	}
	st.Service = s
	st.UpdatedAt = st.UpdatedAt.UTC()
	return &st, nil
}

func getStored(ctx context.Context, q queryer, tenantID int64, ref, suffix string) (*StoredService, error) {
	st, err := scanStored(q.QueryRowContext(ctx, `SELECT `+storedCols+` FROM services WHERE tenant_id = $1 AND ref = $2`+suffix, tenantID, NormalizeRef(ref)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("service %q: %w", ref, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("service %q: %w", ref, err)
	}
	return st, nil
}

// Get returns one service of the tenant. Services are public: no
// principal is needed.
func (c *Catalog) Get(ctx context.Context, tenantID int64, ref string) (*StoredService, error) {
	return getStored(ctx, c.DB.R, tenantID, ref, "")
}

func decodeDocument(doc string) (Service, error) {
	var s Service
	if err := json.Unmarshal([]byte(doc), &s); err != nil {
		return Service{}, fmt.Errorf("decode stored service: %w", err)
	}
	s.normalise()
	return s, nil
}

func encodeDocument(s Service) (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("encode service %s: %w", s.ID, err)
	}
	return string(b), nil
}

// firstUnit is the unit a service is reported under.
func firstUnit(s Service) string {
	if len(s.Units) > 0 {
		return s.Units[0]
	}
	return ""
}

func insertService(tx *database.Tx, tenantID int64, s Service, actor string) error {
	doc, err := encodeDocument(s)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(tx.Context(), `INSERT INTO services (tenant_id, ref, source, external_id, name, leika_keys, online_availability, unit, yearly_case_volume, document, version, created_at, updated_at, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11, $12)`,
		tenantID, s.ID, s.Source, s.ExternalID, s.Name, strings.Join(s.LeikaKeys, " "), string(s.Availability), firstUnit(s), s.YearlyCaseVolume, doc, tx.Now(), actor)
	if err != nil {
		return fmt.Errorf("insert service %s: %w", s.ID, err)
	}
	return nil
}

// replaceService keeps the previous document of old as a version and
// stores s as the next version.
func replaceService(tx *database.Tx, tenantID int64, old *StoredService, s Service, change, actor string) error {
	ctx := tx.Context()
	prev, err := encodeDocument(old.Service)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO service_versions (tenant_id, service_id, version, document, change, changed_by, changed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, tenantID, old.id, old.Version, prev, change, actor, tx.Now()); err != nil {
		return fmt.Errorf("keep version %d of %s: %w", old.Version, old.ID, err)
	}
	doc, err := encodeDocument(s)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE services SET source = $1, external_id = $2, name = $3, leika_keys = $4, online_availability = $5, unit = $6,
		yearly_case_volume = $7, document = $8, version = $9, updated_at = $10, updated_by = $11 WHERE id = $12`,
		s.Source, s.ExternalID, s.Name, strings.Join(s.LeikaKeys, " "), string(s.Availability), firstUnit(s), s.YearlyCaseVolume, doc,
		old.Version+1, tx.Now(), actor, old.id); err != nil {
		return fmt.Errorf("update service %s: %w", s.ID, err)
	}
	return nil
}

// sameDocument reports whether two services store the same document.
func sameDocument(a, b Service) bool {
	da, err1 := encodeDocument(a)
	db, err2 := encodeDocument(b)
	return err1 == nil && err2 == nil && da == db
}
