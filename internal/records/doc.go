// Package records keeps the e-files (E-Akte) of cases: every document with
// its SHA-256, the audit trail of the case, and the retention period from
// the service's workflow declaration; it hands files over to the archive as
// xdomea 3.0.0 (Aussonderung.Aussonderung.0503 in a zip with the primary
// documents).
//
// Lifecycle: a case opens its e-file (Open) and adds documents as they
// arrive (Add: the application's receipt, data and uploads, answers,
// decisions, messages); closing the case closes the file (Close): its audit
// trail becomes the last document, the retention period starts (ending on
// 31 December of the closing year plus the period) and nothing can be added.
// The daily retention job lists files whose period has ended; a records
// officer then hands them over or destroys them (Dispose).
//
// Invariants: documents are content-addressed blobs re-verified on every
// read; rows are never deleted and documents never change (database
// triggers refuse it); nothing is disposed of before its retention period
// ends; disposal keeps the file's metadata and hashes as proof and
// releases the blobs.
//
// Who may: records officers, admins, unit heads and case workers read
// e-files; records officers and admins export and dispose of them.
package records
