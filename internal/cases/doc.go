// Package cases is case processing (Vorgangsbearbeitung): each submitted
// application becomes a case in the unit responsible for its service, is
// processed along the service's declared workflow and ends with a sealed
// decision in the applicant's mailbox and the case filed in its e-file.
//
// Lifecycle: forms.submitted opens the case (Open) with the current
// version of the service's workflow declaration (workflow.go, documented in
// docs/cases.md) — a running case keeps that version — and its e-file with
// the application's documents. Case workers of the unit claim it, take the
// declared steps (Step), note, set follow-up dates, ask the applicant
// through the mailbox (the deadline pauses until mailbox.replied brings the
// answer back: InformationReceived), draft a decision from the service's
// template (a second person signs it off when the declaration says so),
// send it — rendered to PDF, sealed, delivered electronically with consent
// or printed for post — and close the case, which closes the e-file.
// identity.absence_started moves an absent person's open cases to their
// substitute or back to the unit; payments.settled and forms.withdrawn move
// cases on.
//
// Invariants:
//   - A step is taken only from a state it is declared for and by a role
//     it names; system steps only on their event.
//   - A sent decision never changes (the database refuses it); a
//     correction is a new decision that supersedes it.
//   - Deadlines are end-of-day instants of working days in the tenant's
//     federal state (platform/calendar), paused while waiting for the
//     applicant and moved on by the working days paused.
//   - Every change appends to the case's timeline and the audit trail in
//     the same transaction; every read of a case's personal data (the case
//     page, its documents) is audited.
//
// Who may do what: case workers and unit heads who are members of the
// case's unit process it; unit heads see their units' backlogs, assign and
// route; form managers and admins declare workflows; admins map services
// and catalog office names to units; the applicant sees the progress of
// their own application. Everyone else gets not found.
package cases
