// Package cii reads UN/CEFACT Cross Industry Invoice D16B documents
// (rsm:CrossIndustryInvoice, as used by EN 16931, XRechnung CII and the
// XML of ZUGFeRD / Factur-X) into the EN 16931 semantic model (package
// en16931).
//
// Parse is pure (no I/O, no global state) and safe for concurrent use. It
// is strict about the XML: the root element must be CrossIndustryInvoice in
// the CII namespace, and every term is looked up by namespace URI and local
// name. It is tolerant about content: missing terms are left absent,
// malformed numbers, dates and date formats other than 102 (CCYYMMDD) are
// listed in Invoice.Invalid; the rule engine judges validity.
//
// Errors (no panic, no unbounded work): not well-formed XML, wrong root
// element, input over 20 MB, nesting over 100 levels, any DTD or entity
// declaration, encodings other than UTF-8 (see package xmltree).
//
// Mapping notes: CII has one root for invoices and credit notes, so Kind is
// derived from BT-3 (en16931.KindOfTypeCode). Referenced documents with type
// code 50 are BT-17, with 130 are BT-18 (scheme in ReferenceTypeCode), the
// others (916) BG-24. Tax registrations with scheme VA are VAT ids, FC the
// seller's tax registration BT-32. The TaxTotalAmount in the tax currency
// (BT-6, when it differs from BT-5) is BT-111, the other BT-110.
// ZUGFeRD profile (MINIMUM, BASIC WL) judgement is not done here.
package cii
