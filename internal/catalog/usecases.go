package catalog

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// Roles that maintain the catalog: they edit services and import
// catalogs.
var editorRoles = []identity.Role{identity.RoleFormManager, identity.RoleAdmin}

// ImportReport is what `rathaus import services` prints: what an import
// changed in the tenant's catalog and which entries it left out.
type ImportReport struct {
	Source    string `json:"source"`
	Read      int    `json:"read"`
	Created   int    `json:"created"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	// Covered counts federal LeiKa entries left out because one of the
	// city's own services already carries their key (the citizen should
	// find the city's service, not the federal description twice).
	Covered  int       `json:"covered"`
	Skipped  []Skipped `json:"skipped"`
	Revision int64     `json:"revision"`
}

// Import stores the valid services of res in the tenant's catalog in one
// transaction: a service whose reference — or, failing that, source and
// external id — is already stored is updated (its previous document kept
// as a version) when it differs, otherwise created. Entries the importer
// skipped are reported, not stored; so are LeiKa entries whose key one of
// the tenant's own services (any other source) already carries (Covered).
// Catalog editors (form managers, admins) only. One audit event records
// the import.
func (c *Catalog) Import(ctx context.Context, p identity.Principal, tenantID int64, source string, res *ImportResult) (*ImportReport, error) {
	if err := p.Require(tenantID, editorRoles...); err != nil {
		return nil, err
	}
	rep := &ImportReport{Source: source, Read: res.Read, Skipped: res.Skipped}
	if rep.Skipped == nil {
		rep.Skipped = []Skipped{}
	}
	for i := range res.Services {
		s := res.Services[i]
		s.normalise()
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("import %s: %w", s.ID, err)
		}
	}
	err := database.WithTx(ctx, c.DB, func(tx *database.Tx) error {
		rep.Created, rep.Updated, rep.Unchanged, rep.Covered = 0, 0, 0, 0
		own, err := ownLeikaKeys(tx, tenantID)
		if err != nil {
			return err
		}
		known, err := storedKeys(tx, tenantID)
		if err != nil {
			return err
		}
		for i := range res.Services {
			if i%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			s := res.Services[i]
			s.normalise()
			if s.Source == SourceLeika && len(s.LeikaKeys) == 1 && own[s.LeikaKeys[0]] {
				rep.Covered++
				continue
			}
			var old *StoredService
			if known[s.ID] || (s.ExternalID != "" && known[s.Source+"\x00"+s.ExternalID]) {
				if old, err = findForImport(tx, tenantID, s); err != nil {
					return err
				}
			}
			switch {
			case old == nil:
				if err := insertService(tx, tenantID, s, p.Ref); err != nil {
					return err
				}
				rep.Created++
			default:
				s.ID = old.ID
				if sameDocument(old.Service, s) {
					rep.Unchanged++
					continue
				}
				if err := replaceService(tx, tenantID, old, s, ChangeImport, p.Ref); err != nil {
					return err
				}
				rep.Updated++
			}
		}
		if rep.Created+rep.Updated == 0 {
			return nil
		}
		if err := bumpRevision(tx, tenantID); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "catalog.import", ObjectType: "catalog", ObjectRef: source,
			After: map[string]any{"source": source, "read": rep.Read, "created": rep.Created, "updated": rep.Updated, "unchanged": rep.Unchanged, "covered": rep.Covered, "skipped": len(rep.Skipped)}})
	})
	if err != nil {
		return nil, fmt.Errorf("import services: %w", err)
	}
	rev, err := c.Revision(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	rep.Revision = rev
	return rep, nil
}

// storedKeys are the references and the source+external ids of the
// tenant's stored services: an imported service matching neither is new
// and needs no lookup (a federal list of 5,000 entries imports in one
// pass of inserts).
func storedKeys(tx *database.Tx, tenantID int64) (map[string]bool, error) {
	rows, err := tx.QueryContext(tx.Context(), `SELECT ref, source, external_id FROM services WHERE tenant_id = $1`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("stored services: %w", err)
	}
	defer rows.Close()
	keys := map[string]bool{}
	for rows.Next() {
		var ref, source, ext string
		if err := rows.Scan(&ref, &source, &ext); err != nil {
			return nil, fmt.Errorf("stored services: %w", err)
		}
		keys[ref] = true
		if ext != "" {
			keys[source+"\x00"+ext] = true
		}
	}
	return keys, rows.Err()
}

// ownLeikaKeys are the LeiKa keys the tenant's own services (every source
// but the federal list) carry.
func ownLeikaKeys(tx *database.Tx, tenantID int64) (map[string]bool, error) {
	rows, err := tx.QueryContext(tx.Context(), `SELECT leika_keys FROM services WHERE tenant_id = $1 AND source <> $2 AND leika_keys <> ''`, tenantID, SourceLeika)
	if err != nil {
		return nil, fmt.Errorf("own LeiKa keys: %w", err)
	}
	defer rows.Close()
	keys := map[string]bool{}
	for rows.Next() {
		var ks string
		if err := rows.Scan(&ks); err != nil {
			return nil, fmt.Errorf("own LeiKa keys: %w", err)
		}
		for _, k := range strings.Fields(ks) {
			keys[k] = true
		}
	}
	return keys, rows.Err()
}

// findForImport finds the stored service an imported one replaces: by
// reference, else by source and external id.
func findForImport(tx *database.Tx, tenantID int64, s Service) (*StoredService, error) {
	old, err := getStored(tx.Context(), tx, tenantID, s.ID, tx.DB.ForUpdate())
	if err == nil || !errors.Is(err, ErrNotFound) {
		return old, err
	}
	if s.ExternalID == "" {
		return nil, nil
	}
	var ref string
	err = tx.QueryRowContext(tx.Context(), `SELECT ref FROM services WHERE tenant_id = $1 AND source = $2 AND external_id = $3 ORDER BY id LIMIT 1`,
		tenantID, s.Source, s.ExternalID).Scan(&ref)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil // a new service
	}
	if err != nil {
		return nil, fmt.Errorf("find service %s: %w", s.ExternalID, err)
	}
	return getStored(tx.Context(), tx, tenantID, ref, tx.DB.ForUpdate())
}

// Update replaces a service with the edited document: validated, the
// previous document kept as a version, audited, the catalog revision
// bumped. Reference, source and external id cannot be changed. Form
// managers and admins of the tenant only; anyone else learns nothing
// (not found). An edit that changes nothing stores no version. A
// version other than 0 must be the current one (optimistic locking):
// otherwise the edit is a conflict.
func (c *Catalog) Update(ctx context.Context, p identity.Principal, tenantID int64, ref string, version int, in Service) (*StoredService, error) {
	if err := p.See(tenantID, editorRoles...); err != nil {
		return nil, err
	}
	return c.save(ctx, p, tenantID, ref, version, func(Service) Service { return in })
}

// UpdateVolume sets the yearly case volume of a service, as a new
// version like any edit. Besides catalog editors, unit heads may: they
// know their unit's volumes and read the digitisation degree.
func (c *Catalog) UpdateVolume(ctx context.Context, p identity.Principal, tenantID int64, ref string, version, volume int) (*StoredService, error) {
	if err := p.See(tenantID, identity.RoleUnitHead, identity.RoleFormManager, identity.RoleAdmin); err != nil {
		return nil, err
	}
	return c.save(ctx, p, tenantID, ref, version, func(old Service) Service {
		old.YearlyCaseVolume = volume
		return old
	})
}

// save stores edit(current document) as the next version (see Update).
func (c *Catalog) save(ctx context.Context, p identity.Principal, tenantID int64, ref string, version int, edit func(Service) Service) (*StoredService, error) {
	var out *StoredService
	err := database.WithTx(ctx, c.DB, func(tx *database.Tx) error {
		old, err := getStored(tx.Context(), tx, tenantID, ref, tx.DB.ForUpdate())
		if err != nil {
			return err
		}
		if version != 0 && version != old.Version {
			return fmt.Errorf("edit of version %d, current is %d: %w", version, old.Version, fault.ErrConflict)
		}
		in := edit(old.Service)
		if in.ID != "" && NormalizeRef(in.ID) != old.ID {
			return fault.Invalid("id", "not_allowed")
		}
		in.ID, in.Source, in.ExternalID = old.ID, old.Source, old.ExternalID
		in.normalise()
		if ve := ValidateEdit(in); ve != nil {
			return ve
		}
		if sameDocument(old.Service, in) {
			out = old
			return nil
		}
		if err := replaceService(tx, tenantID, old, in, ChangeEdit, p.Ref); err != nil {
			return err
		}
		if err := bumpRevision(tx, tenantID); err != nil {
			return err
		}
		if err := audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "catalog.service.update", ObjectType: "service", ObjectRef: old.ID,
			Before: map[string]any{"version": old.Version}, After: map[string]any{"version": old.Version + 1, "changed": changedFields(old.Service, in)}}); err != nil {
			return err
		}
		out = &StoredService{Service: in, Version: old.Version + 1, UpdatedAt: tx.Now(), UpdatedBy: p.Ref, id: old.id}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update service %s: %w", ref, err)
	}
	return out, nil
}

// ValidateEdit checks an edited service and returns every invalid field
// (JSON names) with its code, or nil.
func ValidateEdit(s Service) *fault.Validation {
	v := &fault.Validation{}
	switch {
	case strings.TrimSpace(s.Name) == "":
		v.Add("name", "required")
	case len(s.Name) > 500:
		v.Add("name", "too_long", "max", 500)
	}
	for _, k := range s.LeikaKeys {
		if !ValidLeikaKey(k) {
			v.Add("leika_keys", "invalid_leika_key")
			break
		}
	}
	if !s.Availability.Valid() {
		v.Add("online_availability", "invalid_choice")
	}
	if s.AppointmentMinutes < 0 || s.AppointmentMinutes > 24*60 {
		v.Add("appointment_minutes", "out_of_range", "min", 0, "max", 24*60)
	}
	if s.YearlyCaseVolume < 0 || s.YearlyCaseVolume > maxCaseVolume {
		v.Add("yearly_case_volume", "out_of_range", "min", 0, "max", maxCaseVolume)
	}
	for i, fee := range s.Fees {
		if err := fee.validate(); err != nil {
			v.Add(fmt.Sprintf("fees.%d", i), "invalid_fee")
		}
	}
	for i, l := range s.Links {
		if !strings.HasPrefix(l.URL, "https://") && !strings.HasPrefix(l.URL, "http://") {
			v.Add(fmt.Sprintf("links.%d", i), "invalid_url")
		}
	}
	if len(s.Summary) > 2000 {
		v.Add("summary", "too_long", "max", 2000)
	}
	if len(v.Errors) > 0 {
		return v
	}
	if err := s.Validate(); err != nil {
		return fault.Invalid("service", "invalid")
	}
	return nil
}

// maxCaseVolume bounds the yearly case volume a person may enter (more
// than any German municipality handles of one service).
const maxCaseVolume = 100_000_000

// changedFields lists the top-level JSON fields that differ.
func changedFields(a, b Service) []string {
	var ma, mb map[string]json.RawMessage
	da, _ := json.Marshal(a)
	db, _ := json.Marshal(b)
	_ = json.Unmarshal(da, &ma)
	_ = json.Unmarshal(db, &mb)
	var out []string
	for k, v := range ma {
		if w, ok := mb[k]; !ok || !bytes.Equal(v, w) {
			out = append(out, k)
		}
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Change is one replaced version of a service: its full document and who
// replaced it when, by an edit or an import.
type Change struct {
	Version   int       `json:"version"`
	Change    string    `json:"change"`
	ChangedBy string    `json:"changed_by"`
	ChangedAt time.Time `json:"changed_at"`
	Document  Service   `json:"document"`
}

// History is the version history of a service, newest change first.
type History struct {
	ID        string    `json:"id"`
	Version   int       `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
	Changes   []Change  `json:"changes"`
}

// Versions returns a service's history. Staff of the tenant only (any
// role); anyone else learns nothing (not found).
func (c *Catalog) Versions(ctx context.Context, p identity.Principal, tenantID int64, ref string) (*History, error) {
	if err := p.See(tenantID, identity.Roles...); err != nil {
		return nil, err
	}
	st, err := c.Get(ctx, tenantID, ref)
	if err != nil {
		return nil, err
	}
	h := &History{ID: st.ID, Version: st.Version, UpdatedAt: st.UpdatedAt, UpdatedBy: st.UpdatedBy, Changes: []Change{}}
	rows, err := c.DB.R.QueryContext(ctx, `SELECT version, change, changed_by, changed_at, document FROM service_versions
		WHERE tenant_id = $1 AND service_id = $2 ORDER BY version DESC`, tenantID, st.id)
	if err != nil {
		return nil, fmt.Errorf("versions of %s: %w", ref, err)
	}
	defer rows.Close()
	for rows.Next() {
		var ch Change
		var doc string
		if err := rows.Scan(&ch.Version, &ch.Change, &ch.ChangedBy, &ch.ChangedAt, &doc); err != nil {
			return nil, fmt.Errorf("versions of %s: %w", ref, err)
		}
		if ch.Document, err = decodeDocument(doc); err != nil {
			return nil, err
		}
		ch.ChangedAt = ch.ChangedAt.UTC()
		h.Changes = append(h.Changes, ch)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("versions of %s: %w", ref, err)
	}
	return h, nil
}

// SeedDemo gives the demo city its catalog (the embedded Munich services,
// credited, plus the city's own dog tax) unless the tenant already has
// services. Safe to call at every start.
func SeedDemo(ctx context.Context, c *Catalog, tenantID int64) error {
	var own, federal int
	if err := c.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM services WHERE tenant_id = $1 AND source <> $2`, tenantID, SourceLeika).Scan(&own); err != nil {
		return fmt.Errorf("seed demo catalog: %w", err)
	}
	if err := c.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM services WHERE tenant_id = $1 AND source = $2`, tenantID, SourceLeika).Scan(&federal); err != nil {
		return fmt.Errorf("seed demo catalog: %w", err)
	}
	sys := identity.System(tenantID)
	if own == 0 {
		services, rep, err := DemoCatalog(ctx)
		if err != nil {
			return fmt.Errorf("seed demo catalog: %w", err)
		}
		res := &ImportResult{Services: services, Read: rep.Munich.Read + rep.Own.Read, Skipped: append(append([]Skipped{}, rep.Munich.Skipped...), rep.Own.Skipped...)}
		if _, err := c.Import(ctx, sys, tenantID, SourceDemo, res); err != nil {
			return fmt.Errorf("seed demo catalog: %w", err)
		}
	}
	if federal == 0 {
		// The federal catalogue, so that matters the city does not handle
		// itself (bulky waste, building permits, housing benefit, …) are
		// found and point to the responsible authority; entries whose key a
		// city service carries are left out (Covered).
		res, err := FederalCatalog(ctx)
		if err != nil {
			return fmt.Errorf("seed demo catalog: %w", err)
		}
		if _, err := c.Import(ctx, sys, tenantID, SourceLeika, res); err != nil {
			return fmt.Errorf("seed demo catalog: federal catalogue: %w", err)
		}
	}
	return nil
}

// UnitDegree is the digitisation degree of one unit.
type UnitDegree struct {
	Unit string `json:"unit"` // "" for services without a unit
	// ByLevel counts the unit's services per online availability level.
	ByLevel  map[Availability]int `json:"by_level"`
	Services int                  `json:"services"`
	// Volume is the yearly case volume of the services that report one;
	// OnlineVolume the part of it that can be done online.
	Volume       int `json:"volume"`
	OnlineVolume int `json:"online_volume"`
	// WithVolume counts the services that report a case volume.
	WithVolume int `json:"with_volume"`
	// OnlineShare is OnlineVolume/Volume, nil when no volume is known.
	OnlineShare *float64 `json:"online_share"`
}

// Degree is the digitisation report of a tenant.
type Degree struct {
	Units []UnitDegree `json:"units"`
	Total UnitDegree   `json:"total"`
}

// Levels lists the availability levels from least to most digital.
var Levels = []Availability{AvailabilityInformation, AvailabilityDownload, AvailabilityOnlineForm, AvailabilityFullyDigital}

// Digitisation reports the online availability of the tenant's services
// per unit and the share of the yearly case volume that can be done
// online (seed 002, section 3.1). Unit heads and admins only.
func (c *Catalog) Digitisation(ctx context.Context, p identity.Principal, tenantID int64) (*Degree, error) {
	if err := p.Require(tenantID, identity.RoleUnitHead, identity.RoleAdmin); err != nil {
		return nil, err
	}
	f, err := c.Finder(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return DegreeOf(f.Services()), nil
}

// DegreeOf computes the digitisation report of services.
func DegreeOf(services []Service) *Degree {
	by := map[string]*UnitDegree{}
	total := UnitDegree{ByLevel: map[Availability]int{}}
	add := func(d *UnitDegree, s Service) {
		d.Services++
		d.ByLevel[s.Availability]++
		if s.YearlyCaseVolume > 0 {
			d.WithVolume++
			d.Volume += s.YearlyCaseVolume
			if s.Availability.Online() {
				d.OnlineVolume += s.YearlyCaseVolume
			}
		}
	}
	for _, s := range services {
		u := firstUnit(s)
		d := by[u]
		if d == nil {
			d = &UnitDegree{Unit: u, ByLevel: map[Availability]int{}}
			by[u] = d
		}
		add(d, s)
		add(&total, s)
	}
	share := func(d *UnitDegree) {
		if d.Volume > 0 {
			v := float64(d.OnlineVolume) / float64(d.Volume)
			d.OnlineShare = &v
		}
	}
	out := &Degree{Units: []UnitDegree{}}
	for _, d := range by {
		share(d)
		out.Units = append(out.Units, *d)
	}
	sort.Slice(out.Units, func(i, j int) bool {
		a, b := out.Units[i], out.Units[j]
		if (a.Unit == "") != (b.Unit == "") {
			return b.Unit == ""
		}
		if a.Services != b.Services {
			return a.Services > b.Services
		}
		return a.Unit < b.Unit
	})
	share(&total)
	out.Total = total
	return out
}
