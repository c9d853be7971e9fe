package inbox

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/einvoice/en16931"
	"github.com/rathaus/rathaus/internal/platform/calendar"
)

// Discount is one cash discount term of XRechnung BT-20
// (#SKONTO#TAGE=14#PROZENT=2.00#[BASISBETRAG=…#]): Percent off Base (the
// amount due when no base is written) if paid within Days of the issue
// date.
type Discount struct {
	Days    int
	Percent decimal.Decimal
	Base    *decimal.Decimal
}

var skontoRe = regexp.MustCompile(`#SKONTO#TAGE=([0-9]{1,3})#PROZENT=([0-9]{1,2}\.[0-9]{2})#(?:BASISBETRAG=(-?[0-9]{1,15}\.[0-9]{2})#)?`)

// Discounts reads the cash discount terms of BT-20; text that is not in
// the XRechnung form gives none (a clerk reads it on the invoice).
func Discounts(terms string) []Discount {
	var out []Discount
	for _, m := range skontoRe.FindAllStringSubmatch(terms, 10) {
		days, _ := strconv.Atoi(m[1])
		d := Discount{Days: days, Percent: decimal.RequireFromString(m[2])}
		if m[3] != "" {
			b := decimal.RequireFromString(m[3])
			d.Base = &b
		}
		if d.Percent.IsPositive() && d.Percent.LessThan(decimal.NewFromInt(100)) {
			out = append(out, d)
		}
	}
	return out
}

// Until is the last day of the discount for an invoice issued on issue.
func (d Discount) Until(issue calendar.Date) calendar.Date { return issue.AddDays(d.Days) }

// Off is the discount on amount (rounded to cents).
func (d Discount) Off(amount decimal.Decimal) decimal.Decimal {
	base := amount
	if d.Base != nil && d.Base.LessThan(amount) {
		base = *d.Base
	}
	return base.Mul(d.Percent).Div(decimal.NewFromInt(100)).Round(2)
}

func civil(d *en16931.Date) (calendar.Date, bool) {
	if d == nil {
		return calendar.Date{}, false
	}
	return calendar.Date{Year: d.Year, Month: d.Month, Day: d.Day}, true
}

func civilString(s string) (calendar.Date, bool) {
	if s == "" {
		return calendar.Date{}, false
	}
	d, err := calendar.ParseDate(strings.TrimSpace(s))
	return d, err == nil
}
