// Package ubl reads OASIS UBL 2.1 Invoice and CreditNote documents into the
// EN 16931 semantic model (package en16931).
//
// Parse is pure (no I/O, no global state) and safe for concurrent use. It
// is strict about the XML: the root element must be Invoice or CreditNote
// in its UBL 2.1 namespace, and every term is looked up by namespace URI
// and local name (a cbc element in the wrong namespace is not found). It is
// tolerant about content: missing optional or even mandatory terms are left
// absent, malformed numbers and dates are listed in Invoice.Invalid; the
// rule engine judges validity.
//
// Errors (no panic, no unbounded work): not well-formed XML, wrong root
// element, input over 20 MB, nesting over 100 levels, any DTD or entity
// declaration, encodings other than UTF-8 (see package xmltree). A leading
// UTF-8 byte order mark is accepted.
//
// Mapping notes: a CreditNote carries BT-9 in PaymentMeans/PaymentDueDate
// and BT-11 as an AdditionalDocumentReference with type code 50; a party
// identification with scheme "SEPA" is the creditor id BT-90; BT-21 is read
// from the "#CODE#text" convention of cbc:Note. The document-level
// TaxTotal/TaxAmount in the tax currency (BT-6, when it differs from BT-5)
// is BT-111, the other BT-110.
package ubl
