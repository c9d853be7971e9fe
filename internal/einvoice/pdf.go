package einvoice

import (
	"errors"

	"github.com/rathaus/rathaus/internal/einvoice/zugferd"
)

// validatePDF judges the XML invoice embedded in a ZUGFeRD / Factur-X /
// XRechnung hybrid PDF exactly as a plain XML file; the verdict keeps the
// PDF's name and records the attachment's.
func validatePDF(v Verdict, data []byte) Verdict {
	att, err := zugferd.Extract(data)
	switch {
	case errors.Is(err, zugferd.ErrNoAttachment):
		v.Reason = "PDF without an embedded XML invoice (not a ZUGFeRD, Factur-X or XRechnung hybrid invoice)"
		v.Messages = append(v.Messages, Message{ID: "PDF", Level: LevelError, Text: v.Reason, Location: "/"})
		return v
	case err != nil:
		v.Reason = "unreadable PDF: " + err.Error()
		v.Messages = append(v.Messages, Message{ID: "PDF", Level: LevelError, Text: v.Reason, Location: "/"})
		return v
	}
	v.Attachment = att.Name
	if len(att.XML) > MaxSize {
		v.Reason = "embedded XML larger than the size limit"
		return v
	}
	validateXML(&v, att.XML)
	return v
}
