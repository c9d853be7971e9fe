// Package identity knows who is who: tenants (the municipalities of one
// installation) with their settings and host names, accounts (staff,
// citizens, businesses) with roles, and API tokens for machine clients.
//
// Invariants:
//   - Every account, token and setting belongs to exactly one tenant; every
//     lookup is scoped by tenant, so a token of tenant A never sees tenant B.
//   - Token secrets and passwords are never stored: tokens as SHA-256,
//     passwords as argon2id.
//   - Changes of settings, tokens and accounts append an audit event in the
//     same transaction.
//
// Who may do what: admins manage settings, staff and tokens of their own
// tenant; everybody may read the public parts of the settings (name, legal
// texts). Checks happen here, in the use cases, not only in handlers.
package identity
