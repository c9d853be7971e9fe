package einvoice

// validatePDF judges the XML invoice embedded in a ZUGFeRD / Factur-X PDF.
func validatePDF(v Verdict, data []byte) Verdict {
	v.Reason = "PDF invoices are not supported yet"
	return v
}
