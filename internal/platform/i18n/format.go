package i18n

import (
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

var months = map[Lang][12]string{
	De: {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
	En: {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
}

// Date writes a calendar day the short way of the language:
// 22.11.2026 (de), 22 Nov 2026 (en). The day is taken in t's location;
// convert to the municipality's zone first.
func (p *Printer) Date(t time.Time) string {
	if p.lang == En {
		return t.Format("2 Jan 2006")
	}
	return t.Format("02.01.2006")
}

// DateLong writes a day with the month's name: 22. November 2026 (de),
// 22 November 2026 (en).
func (p *Printer) DateLong(t time.Time) string {
	m := months[p.lang][t.Month()-1]
	if p.lang == En {
		return strconv.Itoa(t.Day()) + " " + m + " " + strconv.Itoa(t.Year())
	}
	return strconv.Itoa(t.Day()) + ". " + m + " " + strconv.Itoa(t.Year())
}

// DateTime writes a day and a time of day: 22.11.2026, 14:05 Uhr (de),
// 22 Nov 2026, 14:05 (en).
func (p *Printer) DateTime(t time.Time) string {
	if p.lang == En {
		return p.Date(t) + ", " + t.Format("15:04")
	}
	return p.Date(t) + ", " + t.Format("15:04") + " Uhr"
}

// Number writes d rounded to places decimals with the language's separators:
// 1.234,50 (de), 1,234.50 (en).
func (p *Printer) Number(d decimal.Decimal, places int32) string {
	s := d.StringFixed(places)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	group, point := ".", ","
	if p.lang == En {
		group, point = ",", "."
	}
	var b strings.Builder
	if neg && !d.Round(places).IsZero() {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString(point)
		b.WriteString(frac)
	}
	return b.String()
}

// nbsp keeps an amount and its currency on one line.
const nbsp = "\u00a0"

// Money writes an amount of a currency (ISO 4217 code) with two decimals:
// 1.234,50 € (de), €1,234.50 (en); other currencies by their code
// (1.234,50 USD, USD 1,234.50).
func (p *Printer) Money(amount decimal.Decimal, currency string) string {
	n := p.Number(amount, 2)
	sym := currency
	if currency == "EUR" {
		sym = "€"
	}
	if p.lang == En {
		sign := ""
		if strings.HasPrefix(n, "-") {
			sign, n = "-", n[1:]
		}
		if sym == "€" {
			return sign + sym + n
		}
		return sign + sym + nbsp + n
	}
	return n + nbsp + sym
}

// MoneyString is Money for a decimal string as the JSON API writes it
// ("1234.50"); an unparsable amount is returned unchanged.
func (p *Printer) MoneyString(amount, currency string) string {
	d, err := decimal.NewFromString(amount)
	if err != nil {
		return amount
	}
	return p.Money(d, currency)
}
