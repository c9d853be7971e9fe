// Package mailbox is the electronic mailbox (Postfach) of citizens and
// businesses: messages and documents from the city, the citizen's replies,
// the consent to electronic delivery and the delivery record.
//
// Lifecycle of an outgoing message: Send (in the sending domain's
// transaction) decides the delivery — electronic, made available at once
// with a notification mail that carries only a single-use link, or post,
// with a print job for the mail room. Opening the message or one of its
// documents records when it was first opened. A reply (text and PDF, JPEG
// or PNG uploads, the type sniffed from the content) is stored with its
// blobs and enqueues mailbox.replied in the same transaction; the asking
// domain (cases) handles it.
//
// Invariants:
//   - A formal message (a decision) is delivered electronically only while
//     the recipient's latest recorded consent says yes; every change of the
//     consent is a new row and an audit event.
//   - Notification mails name the municipality and a link, never the
//     recipient, the case or its content. A link works once, for the
//     signed-in owner, for 30 days; a forged, foreign, expired or replayed
//     link is not found.
//   - Only the owner (a citizen or business acting in person) sees their
//     mailbox; everyone else gets not found. The print list is for the
//     mail room, case workers, unit heads and admins.
//
// Tables: mailbox_messages, mailbox_documents, delivery_consents,
// print_jobs, mailbox_links.
package mailbox
