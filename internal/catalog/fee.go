package catalog

import (
	"regexp"
	"strings"

	"github.com/shopspring/decimal"
)

// A German amount: "27,60", "1.000", "46", optionally followed by the
// currency.
const amountPat = `(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d{1,2}))?`

var (
	rangeRE  = regexp.MustCompile(`(?i)(?:zwischen\s+)?` + amountPat + `\s*(?:euro|€|eur)?\s*(?:bis|-|–|und)\s*` + amountPat + `\s*(?:euro|€|eur)\b`)
	fromRE   = regexp.MustCompile(`(?i)\bab\s+` + amountPat + `\s*(?:euro|€|eur)`)
	upToRE   = regexp.MustCompile(`(?i)\bbis\s+(?:zu\s+)?` + amountPat + `\s*(?:euro|€|eur)`)
	amountRE = regexp.MustCompile(`(?i)` + amountPat + `\s*(?:euro|€|eur)\b`)
	freeRE   = regexp.MustCompile(`(?i)(gebührenfrei|kostenlos|kostenfrei|keine gebühr|fallen keine|gebührenbefreit|entgeltfrei)`)
)

func parseAmount(intPart, frac string) *decimal.Decimal {
	s := strings.ReplaceAll(intPart, ".", "")
	if frac != "" {
		s += "." + frac
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return nil
	}
	return &d
}

// parseFees reads the plain-text fee section of a source catalog line by
// line. Lines with one amount become fixed fees, "X bis Y Euro" ranges,
// "ab X Euro" open ranges, "gebührenfrei" free, and lines with several
// amounts or none a rule. The original line is kept in Text.
func parseFees(text string) []Fee {
	var fees []Fee
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "- "))
		if line == "" {
			continue
		}
		label := ""
		if i := strings.Index(line, ":"); i > 0 && i < 120 {
			label = strings.TrimSpace(line[:i])
		}
		f := Fee{Text: line, Label: label}
		all := amountRE.FindAllStringSubmatch(line, -1)
		switch {
		case rangeRE.MatchString(line) && len(all) <= 2:
			m := rangeRE.FindStringSubmatch(line)
			f.Kind, f.Min, f.Max = FeeRange, parseAmount(m[1], m[2]), parseAmount(m[3], m[4])
			if f.Min != nil && f.Max != nil && f.Min.GreaterThan(*f.Max) {
				f.Kind, f.Min, f.Max = FeeRule, nil, nil
			}
		case fromRE.MatchString(line) && len(all) == 1:
			m := fromRE.FindStringSubmatch(line)
			f.Kind, f.Min = FeeRange, parseAmount(m[1], m[2])
		case upToRE.MatchString(line) && len(all) == 1:
			m := upToRE.FindStringSubmatch(line)
			f.Kind, f.Max = FeeRange, parseAmount(m[1], m[2])
		case len(all) == 1:
			f.Kind, f.Amount = FeeFixed, parseAmount(all[0][1], all[0][2])
		case len(all) == 0 && freeRE.MatchString(line):
			f.Kind = FeeFree
		default:
			f.Kind = FeeRule
		}
		if (f.Kind == FeeFixed && f.Amount == nil) || (f.Kind == FeeRange && f.Min == nil && f.Max == nil) {
			f.Kind, f.Amount, f.Min, f.Max = FeeRule, nil, nil, nil
		}
		fees = append(fees, f)
	}
	return fees
}
