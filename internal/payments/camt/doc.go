// Package camt parses ISO 20022 bank-to-customer cash management messages:
// account statements (camt.053.001.02, .03, .04, .08) and debit/credit
// notifications (camt.054.001.02, .04, .08). It is a pure parser: no
// database, no matching, no I/O besides the reader it is given.
//
// # Contract
//
// Parse reads one message and returns it exactly as the bank wrote it:
// amounts as the decimal text of the message (more than two decimals and
// every currency kept; Amount.Value gives the exact decimal), credit/debit
// indicators, statuses, booking and value dates in their lexical form,
// every reference, the remittance information (unstructured lines and
// structured blocks with creditor references) and the related parties
// (debtor, creditor and the ultimate ones) and agents. A camt.054
// notification is returned as a Statement too (Document.Statements), so
// callers handle both alike.
//
// A message that is not well-formed XML, is of an unknown version, or
// breaks the schema rules this package checks is refused with an *Error
// listing every problem found (path and reason); nothing is returned
// half-parsed. The checks are those of the official XSDs that matter for
// booking: the root element and namespace, required elements (group
// header, message id, creation time, at least one statement, account,
// balances of a camt.053, entry amount, credit/debit, status, bank
// transaction code), the lexical form of amounts (non-negative decimal,
// at most 18 digits of which 5 after the point), currency codes, dates and
// date-times, indicator codes, IBAN and BIC patterns and the length of
// identifiers and texts. Elements this package does not read are not
// checked; the conformance test holds the verdicts to xmllint with the
// official schemas on the data set and on mutants of it.
//
// The parser reads at most MaxSize bytes and refuses a deeper nesting than
// encoding/xml's own limits; it never panics (fuzzed).
package camt
