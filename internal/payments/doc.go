// Package payments is the money the city is owed: fees of services,
// payment requests with their payment notice (page and PDF with the EPC
// QR code "GiroCode"), online payment through providers, bank statement
// import and reconciliation, reminders, refunds, receipts, SEPA
// direct-debit mandates and the finance views.
//
// # Lifecycle of a payment request
//
//	open ──(part paid)──► partial ──(rest paid)──► paid
//	  │                                             ▲
//	  └────────────────(paid in full)───────────────┘
//	open ──(cancelled by staff)──► cancelled
//
// A request is created for a subject (usually an application reference)
// by cases (CreateRequest inside the case's transaction), by finance, or
// by a direct-debit collection run; for a service paid before submission
// by BeforeSubmission, with the applicant's draft as the subject until
// Resubject names the application (before.go). Each request has a random public
// reference ("Z-XXXX-XXXX") and its own ISO 11649 creditor reference (RF),
// which the notice, the QR code and the bank transfer carry. When the paid
// sum reaches the amount, the request becomes paid and the job
// payments.settled {"tenant_id", "request", "subject"} is enqueued in the
// same transaction; cases continues the case.
//
// # Invariants
//
//   - Money is decimal, never float; amounts of requests have at most two
//     decimals; statement amounts are kept exactly as the bank wrote them.
//   - Nothing is booked twice: every receipt is unique per source event
//     (the statement entry's identity across messages, the online
//     payment), a repeated statement file or message is recognised, a
//     provider event is applied once and only in the allowed order.
//   - Nothing is booked wrongly: an entry in a foreign currency, with more
//     than two decimals, a reversal, an ambiguous match or an unknown
//     payer goes to the finance worklist instead; so do overpayments and
//     second payments (to refund). See reconcile.go for the rules.
//   - Every change appends an audit event in its transaction; forged
//     provider callbacks are audited and change nothing.
//
// # Who may do what
//
//   - Citizens: see and pay their own requests (the payer account), or —
//     for a request without a payer account, made for an applicant who
//     applied with an e-mail address — whoever holds its random reference.
//   - Case workers and unit heads: create, see and cancel requests.
//   - Finance and admins: everything, including statements, the worklist,
//     fee settings, mandates, collection runs, refunds and the CSV export.
//   - The system (jobs, CLI, watched folder) acts as the tenant's system
//     principal.
//
// Subpackages: camt (the camt.053/054 parser), epc (EPC QR payloads,
// IBAN, RF), provider/demo (the local demo payment provider).
package payments
