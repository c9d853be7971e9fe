// Package zugferd finds the invoice XML embedded in a hybrid PDF invoice
// (ZUGFeRD 1/2, Factur-X, XRechnung as PDF attachment).
//
// # Contract
//
// Extract(pdf) returns the embedded invoice: its file name as written in
// the PDF (/UF, else /F, else the name tree key) and the decoded bytes. The
// XML itself is not checked; judging it is the caller's job. The invoice is
// the first attachment, in document order, named factur-x.xml,
// zugferd-invoice.xml or xrechnung.xml (case-insensitive): first the
// catalog's EmbeddedFiles name tree in tree order, then the catalog's /AF
// array. When no attachment has one of these names, a single *.xml
// attachment whose content declares a CII, UBL Invoice/CreditNote or
// ZUGFeRD 1 namespace is taken. Errors:
//
//   - ErrNoAttachment: the PDF was read but embeds no invoice XML;
//   - ErrInvalidPDF (wrapped, with the reason): not a PDF, unreadable
//     structure, encrypted, unsupported filter, or a limit exceeded.
//
// Extract is safe for concurrent use and never panics (a recover turns an
// internal failure into ErrInvalidPDF).
//
// # How
//
// A small PDF object reader of our own, not a general PDF library. It does
// not rely on the cross-reference table: it scans the file for "N G obj"
// headers (skipping stream data, later definitions win as with incremental
// updates) and reads object streams (PDF 1.5+), so files with broken xref
// offsets still work and xref streams need no special handling. The
// catalog is the /Root of the last trailer or xref stream, else the last
// /Type /Catalog object. Filters: FlateDecode (with PNG predictors, and
// raw deflate for writers that omit the zlib header), ASCIIHexDecode,
// ASCII85Decode; others give ErrInvalidPDF.
//
// # Limits
//
// Input up to MaxPDFSize; one attachment decompresses to at most MaxXMLSize
// and one call to at most MaxDecodeTotal bytes (zip bombs stop there);
// references are followed at most 32 deep, name trees are walked with a
// visited set and at most 10,000 nodes, objects nest at most 64 deep.
package zugferd
