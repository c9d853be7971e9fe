// Package xsd checks e-invoice documents against the XML Schemas the
// official XRechnung / EN 16931 validation uses: OASIS UBL 2.1 Invoice and
// CreditNote, and UN/CEFACT Cross Industry Invoice D16B (uncoupled).
//
// # Contract
//
// Validate(doc, schema) returns the schema violations of doc, in document
// order; an empty result means valid. Valid versus invalid is meant to agree
// exactly with the Java platform's Xerces-based validator that the KoSIT
// validator uses (the reference of `xsd_valid` in the conformance data).
// Besides the dev files, TestXercesMutants holds it to the JDK's validator
// on 2,728 mutants of them (verdicts in testdata/xerces-mutants.tsv).
// Error.Code carries the Xerces constraint code (cvc-complex-type.2.4.a,
// cvc-datatype-valid.1.2.1, ...), with the companion codes Xerces reports
// (for example cvc-type.3.1.3 after a datatype error); Msg is our own
// English wording. Validate is safe for concurrent use and never panics
// (a recover turns an internal failure into an Error with CodeInternal).
//
// As with a Schema object built by the Java SchemaFactory, xsi:schemaLocation
// hints are ignored: the embedded schema is always used. The root element
// may be any global element of the schema set (Xerces behaviour), except
// that UBLInvoice does not accept a CreditNote root and vice versa; callers
// decide the syntax from the root element first.
//
// # How
//
// The schema documents are embedded (schemas/, unchanged copies with their
// copyright notices; see schemas/NOTICE.md) and compiled on first use of a
// schema (sync.Once; about 10 ms of CPU for UBL, 2 ms for CII): the XSD
// files are read into a component model (element declarations, complex and
// simple types, attribute uses, wildcards), and the content model of each
// complex type becomes a Glushkov position automaton with bitset follow
// sets on first use of that type. Documents are read by our own XML 1.0
// scanner (scanner.go), which checks well-formedness and returns names as
// slices of the input; nothing is built in memory except the element stack.
//
// Error positions: Line and Col (1-based, in characters) point at the '<'
// of the start tag, or of the end tag for errors found at the end of an
// element (incomplete content, invalid value); Path is the element path
// with prefixes as written and 1-based positions among same-named
// siblings, for example /Invoice/cac:InvoiceLine[2]/cbc:LineExtensionAmount[1].
//
// Covered: sequences, choices and group references with min/maxOccurs;
// xsd:any and anyAttribute (namespace lists, ##other, strict/lax/skip);
// simple and complex content, extension and restriction; attribute
// presence, type and fixed values; built-in datatype lexical spaces
// (decimal, integer and its subtypes, boolean, date, time, dateTime, the g*
// types, duration, base64Binary, hexBinary, anyURI, language, Name/NCName,
// token, normalizedString ...); facets enumeration, pattern, length,
// minLength, maxLength, totalDigits, fractionDigits and the numeric bounds;
// list and union types; xsi:type and xsi:nil; ID uniqueness; text where the
// content is element-only or empty.
//
// Not covered, because the embedded schemas do not use them: identity
// constraints (key, keyref, unique), substitution groups beyond taking the
// head's type, xsd:all with its count rules (approximated), IDREF
// resolution, block/final. Pattern facets are translated to Go regexps for
// the common subset only (no character class subtraction or block escapes).
//
// # Limits
//
// Input larger than MaxSize, nesting deeper than MaxDepth, a DOCTYPE (so no
// entity can be declared or expanded) or a document that is not well-formed
// stop the check with one Error (CodeLimit, CodeDoctype, CodeNotWellFormed).
// More than 512 attributes on one element or more than 1,024 namespace
// declarations in scope also give CodeLimit, so no input makes the work
// grow faster than its size. At most MaxErrors errors are reported. Encodings: UTF-8 (with or without
// byte order mark), UTF-16 with byte order mark, US-ASCII, ISO-8859-1,
// ISO-8859-15 and Windows-1252 (under their IANA and Java names); other
// encodings are refused (CodeNotWellFormed), where the JDK would accept
// the other single-byte encodings it knows. Names are checked by the
// rules of XML 1.0 fifth edition; the JDK uses the stricter character
// classes of the fourth edition, so a name with characters outside those
// is not well-formed there but only schema-invalid here (or valid inside
// skipped or lax wildcard content).
package xsd
