// Package epc builds the EPC QR code ("GiroCode", EPC069-12) of a SEPA
// credit transfer, and checks its parts: IBANs (ISO 13616) and
// structured creditor references (ISO 11649 "RF").
//
// # Contract
//
// (Payment).Payload returns the exact bytes a banking app reads: lines
// separated by LF — BCD, version 002, the character set, SCT, BIC, name,
// IBAN, EUR amount, purpose, creditor reference or remittance text,
// information — with nothing after the last element given. The character
// set is ISO 8859-1 ("2") whenever every character of the text fits, so
// umlauts read right in decoders that guess; otherwise UTF-8 ("1"), and
// the bytes are encoded in exactly that set. Invalid parts are refused
// with a *fault.Validation naming the field (iban, bic, name, amount,
// reference, remittance, information, purpose).
//
// QR renders the payload at error correction level M; a payload that
// would need a version above 13 is refused. PNG draws it with at least 4
// pixels per module and a quiet zone of 4 modules.
package epc
