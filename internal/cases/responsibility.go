package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/catalog"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// Responsibility: which of the tenant's units handles a service. The
// catalog names offices and units as free text ("Stadtkasse – Steuern und
// Abgaben"); a mapping of such a name to a unit covers every service that
// names it, and a mapping of one service overrides that.

// Mapping kinds.
const (
	MapService = "service"
	MapOffice  = "office"
)

// Mapping is one row of the responsibility table.
type Mapping struct {
	Kind      string    `json:"kind"` // service or office
	Key       string    `json:"key"`  // service reference or catalog unit/office name
	UnitRef   string    `json:"unit"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

// Mappings lists the tenant's responsibility table.
func (s *Service) Mappings(ctx context.Context, p identity.Principal, tenantID int64) ([]Mapping, error) {
	if err := p.Require(tenantID, identity.Roles...); err != nil {
		return nil, err
	}
	return s.mappings(ctx, tenantID)
}

func (s *Service) mappings(ctx context.Context, tenantID int64) ([]Mapping, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT kind, match_key, unit_ref, updated_at, updated_by FROM responsibilities WHERE tenant_id = $1 ORDER BY kind, match_key`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("responsibilities: %w", err)
	}
	defer rows.Close()
	out := []Mapping{}
	for rows.Next() {
		var m Mapping
		if err := rows.Scan(&m.Kind, &m.Key, &m.UnitRef, &m.UpdatedAt, &m.UpdatedBy); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// SetMapping maps a service or a catalog office name to a unit of the
// tenant (unitRef "" removes the mapping). Admins only.
func (s *Service) SetMapping(ctx context.Context, p identity.Principal, tenantID int64, kind, key, unitRef string) error {
	if err := p.Require(tenantID, identity.RoleAdmin); err != nil {
		return err
	}
	key = strings.TrimSpace(key)
	v := &fault.Validation{}
	if kind != MapService && kind != MapOffice {
		v.Add("kind", "invalid_choice")
	}
	if key == "" || len(key) > 300 {
		v.Add("key", "required")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if unitRef != "" {
		if _, err := s.Identity.Unit(ctx, identity.System(tenantID), tenantID, unitRef); err != nil {
			return fault.Invalid("unit", "unknown")
		}
	}
	if kind == MapService {
		if _, err := s.Catalog.Get(ctx, tenantID, key); err != nil {
			return fault.Invalid("key", "unknown")
		}
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var before string
		tx.QueryRowContext(ctx, `SELECT unit_ref FROM responsibilities WHERE tenant_id = $1 AND kind = $2 AND match_key = $3`, tenantID, kind, key).Scan(&before)
		var err error
		if unitRef == "" {
			_, err = tx.ExecContext(ctx, `DELETE FROM responsibilities WHERE tenant_id = $1 AND kind = $2 AND match_key = $3`, tenantID, kind, key)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO responsibilities (tenant_id, kind, match_key, unit_ref, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (tenant_id, kind, match_key) DO UPDATE SET unit_ref = excluded.unit_ref, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
				tenantID, kind, key, unitRef, tx.Now(), p.Ref)
		}
		if err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "cases.responsibility.set", ObjectType: "responsibility", ObjectRef: kind + ":" + key,
			Before: map[string]string{"unit": before}, After: map[string]string{"unit": unitRef}})
	})
}

// ResponsibleUnit finds the unit for a service: the service's own mapping,
// else the first of its catalog units and office units that is mapped.
// "" when none is: the case then waits for an admin to map it.
func (s *Service) ResponsibleUnit(ctx context.Context, tenantID int64, serviceRef string) (string, error) {
	var unit string
	err := s.DB.R.QueryRowContext(ctx, `SELECT unit_ref FROM responsibilities WHERE tenant_id = $1 AND kind = 'service' AND match_key = $2`, tenantID, serviceRef).Scan(&unit)
	if err == nil {
		return unit, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	svc, err := s.Catalog.Get(ctx, tenantID, serviceRef)
	if err != nil {
		return "", nil
	}
	for _, name := range officeNames(svc.Service.Units, svc.Service.Offices) {
		err := s.DB.R.QueryRowContext(ctx, `SELECT unit_ref FROM responsibilities WHERE tenant_id = $1 AND kind = 'office' AND match_key = $2`, tenantID, name).Scan(&unit)
		if err == nil {
			return unit, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return "", err
		}
	}
	return "", nil
}

// OfficeNames lists the distinct free-text unit and office names of the
// tenant's catalog services that can be applied for online (what the admin
// page offers to map), sorted.
func (s *Service) OfficeNames(ctx context.Context, tenantID int64) ([]string, error) {
	all, err := s.Catalog.All(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, svc := range all {
		if svc.Availability != catalog.AvailabilityOnlineForm && svc.Availability != catalog.AvailabilityFullyDigital {
			continue
		}
		for _, n := range officeNames(svc.Units, svc.Offices) {
			seen[n] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}
