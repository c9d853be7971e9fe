// Package inbox is the city's e-invoice inbox: it receives invoices, routes
// them to the responsible unit, has them checked and approved by two
// people, pays them by SEPA credit transfer and keeps them for ten years.
// It is where the validator (package einvoice) and the EN 16931 model
// (en16931 with the ubl and cii parsers) serve a production path.
//
// # Intake
//
// Invoices arrive through the API (POST /api/v1/einvoices, XML or a
// ZUGFeRD / Factur-X PDF as the body), the upload page, the city's invoice
// mailbox (IMAP, read by the durable job einvoice.mail_poll, one job per
// tenant and interval, each scheduling the next in its finishing
// transaction) and as scanned paper invoices with the key fields typed in.
// Every file is judged by einvoice.Validate with its limits (size, depth,
// no DTD, work budget): a rejected document is refused with every
// error-level rule and its plain-language explanation (*Rejection, 422),
// also when no validation scenario matches; nothing is stored and the
// refusal is audited (einvoice.refused with the file's SHA-256). A mailed
// one is answered to its sender with the reasons (never to automatic
// mail, at most 20 answers an hour per sender). The same supplier (VAT id,
// else tax or registration number, else name), number and amount again is
// a *Duplicate (409), also when two arrive at once (unique index); a
// business account is told the earlier invoice's reference only if it
// sent that one itself.
//
// # Routing
//
// The buyer reference (BT-10) is read as a Leitweg-ID (package
// platform/leitweg: structure, state code, MOD 97-10 check digits) and
// looked up in the tenant's routing table (einvoice_routes; one public body
// per Leitweg-ID). A missing, malformed, wrongly checked or unknown ID puts
// the invoice into clarification with the reason; finance routes it by
// hand. A Leitweg-ID of another tenant means the invoice is not ours:
// refused and audited.
//
// Admins and finance set routes only for Leitweg-IDs under the
// Grobadressierung of the tenant's own Leitweg-ID (identity
// Settings.LeitwegID, set by the operator with `rathaus tenant set`; one
// Grobadressierung per tenant): no tenant can claim another body's IDs.
//
// # Lifecycle
//
//	clarification ─assign─► new ─sachlich / rechnerisch─► in_approval ─anordnung─► approved
//	approved ─payment run─► in_payment ─debit matched─► paid
//	clarification, new, in_approval, approved ─reject─► rejected
//
// # Who may do what (checked here, not in the handlers)
//
//   - Receive: finance (staff or tokens), business accounts sending their
//     own invoice (API, upload), the system (mail job).
//   - See: finance, admins, records officers every invoice; other staff the
//     invoices routed to a unit they belong to or stand in for (an absent
//     member's substitute, identity.SubstituteFor); a business account what
//     it sent. Others, and other tenants, get not found.
//   - Sachlich / rechnerisch richtig: a person (never an integration token)
//     of the routed unit or of finance; the two by two different people
//     (four eyes, compared by account). Anordnung: a finance person, after
//     both, who may be one of the two. Booking data (cost centre, budget
//     line) is captured at sachlich richtig (else BT-19).
//   - Reject: a person of the routed unit or finance, with reasons; the
//     supplier is mailed. Route, capture paper, pay: finance.
//
// # Invariants
//
//   - Each step is recorded once (einvoice_steps, unique per step) with
//     who, on whose behalf, when, the invoice version and the SHA-256 of the
//     original; the same goes into the audit trail in the step's
//     transaction. A step on a changed invoice (If-Match / version) is
//     refused as stale; every refused step is audited.
//   - An invoice is paid once: its transfer row is unique, and its status
//     moves to in_payment in the run's transaction. The run registers its
//     expected debits with payments (Service.Debits) in that transaction;
//     payments.debit_matched marks the invoice paid (idempotent).
//   - The payment file is pain.001.001.09 (package sepa) from the tenant's
//     creditor account: control sums per batch and in total; the cash
//     discount of BT-20 (#SKONTO#) is taken when the transfer can still be
//     executed by its last day (then executed on that day), else the
//     invoice is paid on its due date (the TARGET2 business day before) or,
//     when that has passed, on the next business day; approved credit notes
//     are netted against their invoices (same supplier, BT-25).
//   - The original file is a blob kept by the invoice (blob.Keep in the
//     row's transaction); the readable view (page and PDF) shows every
//     business term present (Terms) with the validation result.
//   - Retention: invoices and their steps are kept until 31 December of the
//     tenth year after the year they were closed (paid or rejected), then
//     listed for disposal (Disposal).
package inbox
