// Package parsing holds what the UBL and CII parsers share while reading
// one invoice into the EN 16931 model.
package parsing

import (
	"fmt"

	"github.com/rathaus/rathaus/internal/einvoice/en16931"
	"github.com/rathaus/rathaus/internal/einvoice/en16931/xmltree"
)

// Collector is what both syntax parsers share while reading one invoice:
// it records malformed values in Invoice.Invalid (at most en16931.MaxInvalid, then
// a count) and reads amounts.
type Collector struct {
	Invoice *en16931.Invoice
	// Prefix gives the namespace prefix used in element paths of messages.
	Prefix  func(space string) string
	dropped int // malformed values beyond en16931.MaxInvalid
}

// Invalid records a malformed value of element e.
func (c *Collector) Invalid(e *xmltree.Element, text string, err error) {
	if len(c.Invoice.Invalid) >= en16931.MaxInvalid {
		c.dropped++ // the path costs a scan of the siblings: bound the work
		return
	}
	c.Invoice.Invalid = append(c.Invoice.Invalid, en16931.InvalidValue{
		Element: e.Path(c.Prefix), Text: text, Reason: err.Error(),
	})
}

// Finish notes the malformed values that were not listed.
func (c *Collector) Finish() {
	if c.dropped > 0 {
		c.Invoice.Invalid = append(c.Invoice.Invalid, en16931.InvalidValue{
			Reason: fmt.Sprintf("%d further malformed values not listed", c.dropped),
		})
	}
}

// Amount reads a decimal amount; a malformed one is recorded and nil.
func (c *Collector) Amount(e *xmltree.Element) *en16931.Amount {
	if e == nil {
		return nil
	}
	d, err := en16931.ParseDecimal(e.Text())
	if err != nil {
		c.Invalid(e, e.Text(), err)
		return nil
	}
	return &d
}
