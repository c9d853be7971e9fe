// Package operations is what a municipality's admins and records officers
// see of the platform's machinery: the background jobs of their tenant (a
// dead job needs someone's attention) and the tenant's audit trail with its
// hash-chain check. It owns no table: it reads through platform/jobs and
// audit, which cannot themselves check identity's roles (identity writes to
// the audit trail, so audit must not import it).
//
// Who may do what: admins list jobs; admins and records officers read and
// verify the audit trail. The checks are in the use cases, so the API and
// any later page or command share them.
package operations
