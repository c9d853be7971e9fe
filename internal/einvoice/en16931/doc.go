// Package en16931 is the semantic data model of the European e-invoice
// standard EN 16931-1: one Invoice type holding the business terms (BT-n)
// and business groups (BG-n) that the syntaxes UBL 2.1 (package ubl) and
// CII D16B (package cii) carry in different XML.
//
// Contract:
//   - The model describes what a document says, not whether it is valid.
//     A parser fills what it finds; absent terms are zero values (empty
//     string, nil pointer, nil slice). Cardinality and business rules
//     (BR-n, BR-CO-n, BR-DE-n) are the rule engine's job, not the model's.
//   - Money, quantities, percentages are exact decimals (Amount, a
//     shopspring decimal) with the scale written in the document; JSON gives
//     them as decimal strings ("1125.00"). Never float.
//   - Dates are Date values (no time, no zone), YYYY-MM-DD in JSON.
//   - A number or date that cannot be read is not a parse error: the term is
//     left absent and an InvalidValue names the element, its text and the
//     reason (Invoice.Invalid). This way a rule-breaking invoice still yields
//     a model for display and judgement. Structural problems (not
//     well-formed XML, wrong root, DTD, over the size or depth limits) are
//     errors: ErrNotWellFormed, ErrUnknownDocument, ErrDTD, ErrTooLarge,
//     ErrTooDeep.
//   - Amounts keep the sign written: a credit note's amounts are not negated.
//   - Where a syntax can repeat what EN 16931 allows once (UBL payment means,
//     CII trade tax on a line), the first occurrence is taken; repeated
//     accounts (BG-17) and identifiers (BT-29) are all kept.
//
// Summary gives a German-labelled readable view of an invoice for the
// HTML pages.
//
// Not modelled: the XRechnung extension (sub-invoice lines BG-DEX-01,
// third-party payments BG-DEX-09) and profile-specific ZUGFeRD EXTENDED
// terms; the parsers ignore elements they do not map.
package en16931
