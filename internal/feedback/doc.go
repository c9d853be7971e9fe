// Package feedback is the accessibility feedback of a municipality (BITV
// 2.0 § 7: every public body offers a way to report barriers): the
// accessibility statement page with its form, the stored messages and the
// admin's list of them.
//
// Lifecycle: anybody (no sign-in) sends a message with an optional page,
// name and e-mail address; it is stored with a random reference (B-…) and
// the language it was written in, and stays until the municipality deletes
// it under its retention rules. Invariants: a stored message has 1 to 5,000
// characters, the other fields their limits (also CHECKed by the table);
// a client address sends at most PerAddress messages an hour (shared by
// all instances through platform/ratelimit), so nobody fills the table.
// Who may do what: everybody may send; admins of the tenant list
// (List checks the role). Nothing personal goes into a URL.
package feedback
