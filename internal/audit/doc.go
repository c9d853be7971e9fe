// Package audit is the append-only, hash-chained audit trail of rathaus.
//
// Every state change of a case, record, booking, payment, invoice, account
// or setting appends an Event in the same transaction as the change, so the
// trail and the data can never disagree: a rolled-back change leaves no event,
// a committed one always has its event.
//
// Integrity: each entry stores the SHA-256 of its own content and of the
// previous entry's hash (prev_hash). Changing, deleting or reordering any
// entry breaks the chain from that point, which Verify (and
// `rathaus audit verify`) reports with the first broken entry.
//
// There is one chain per tenant (a global chain would serialise every write
// of every tenant). Appends lock the tenant's chain head row (FOR UPDATE on
// PostgreSQL; SQLite's single immediate writer serialises), so concurrent
// appends from several processes still form one unbroken sequence.
//
// Who may do what: any use case appends; only admins and records officers
// read the trail; nobody updates or deletes it through rathaus.
package audit
