package identity

import (
	"fmt"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"slices"
)

// Role is a staff role within a tenant.
type Role string

const (
	RoleAdmin          Role = "admin"
	RoleCaseWorker     Role = "case_worker"
	RoleUnitHead       Role = "unit_head"
	RoleFormManager    Role = "form_manager"
	RoleFinance        Role = "finance"
	RoleMailRoom       Role = "mail_room"
	RoleRecordsOfficer Role = "records_officer"
)

// Roles lists every staff role in a stable order.
var Roles = []Role{RoleAdmin, RoleCaseWorker, RoleUnitHead, RoleFormManager, RoleFinance, RoleMailRoom, RoleRecordsOfficer}

// ValidRole reports whether r is a known role.
func ValidRole(r Role) bool { return slices.Contains(Roles, r) }

// Principal is who performs a use case: an account or an API token, always
// inside one tenant.
type Principal struct {
	TenantID int64
	// AccountID is the account acting (a session, or a personal API token of
	// that account); 0 for integration tokens and the system, which are
	// never a person: they cannot approve, decide or sign.
	AccountID int64
	Ref       string // account or token reference, used as the audit actor
	Kind      string // "token", "staff", "citizen", "business", "system"
	Roles     []Role
	// Via is the reference of the personal API token the account acts
	// through ("" for a browser session). A token cannot create further
	// tokens: that needs the person signed in.
	Via string
}

// IsPerson reports whether a natural person (an account) acts: only persons
// may take steps that need a person, such as approving an invoice or
// signing off a decision, and only persons own applications.
func (p Principal) IsPerson() bool { return p.AccountID != 0 }

// System is the principal of the CLI and of jobs acting for a tenant.
func System(tenantID int64) Principal {
	return Principal{TenantID: tenantID, Ref: "system", Kind: "system", Roles: []Role{RoleAdmin}}
}

// Has reports whether p holds any of the roles.
func (p Principal) Has(roles ...Role) bool {
	for _, r := range roles {
		if slices.Contains(p.Roles, r) {
			return true
		}
	}
	return false
}

// Require returns fault.ErrForbidden (wrapped) unless p belongs to the tenant
// and holds one of the roles. Use cases call it before anything else.
func (p Principal) Require(tenantID int64, roles ...Role) error {
	if p.TenantID == 0 || p.TenantID != tenantID {
		return fmt.Errorf("principal of another tenant: %w", fault.ErrNotFound)
	}
	if len(roles) > 0 && !p.Has(roles...) {
		return fmt.Errorf("needs role %v: %w", roles, fault.ErrForbidden)
	}
	return nil
}
