package app

import "github.com/rathaus/rathaus/internal/catalog"

// offers are what the modules offer on a service page ("Online
// beantragen", "Termin buchen"); each module adds one entry.
func (e *env) offers() []catalog.OfferFunc {
	return []catalog.OfferFunc{formsOffer(e), e.appointmentOffer}
}
