package forms

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Line is one answer as people read it: the question and the answer in
// words (option labels, "Ja"/"Nein", dates as TT.MM.JJJJ, money with €).
// Depth indents the lines of groups; Heading marks a group's or an entry's
// title line (Value empty); Path is the field's path (for "change" links).
type Line struct {
	Path    string
	StepID  string
	Label   string
	Value   string
	Depth   int
	Heading bool
}

// Lines returns the answers of every visible field in form order, in lang.
func (d *Definition) Lines(a Answers, lang string) []Line {
	var out []Line
	for _, s := range d.Steps {
		if !d.StepVisible(s, a) {
			continue
		}
		out = append(out, lines(s.ID, "", s.Fields, a, lang, 0)...)
	}
	return out
}

// StepLines returns the lines of one step.
func (d *Definition) StepLines(s Step, a Answers, lang string) []Line {
	return lines(s.ID, "", s.Fields, a, lang, 0)
}

func lines(step, prefix string, fields []Field, a map[string]any, lang string, depth int) []Line {
	var out []Line
	for _, f := range fields {
		v, ok := a[f.ID]
		if !ok || f.Type == TypeNote {
			continue
		}
		path := prefix + f.ID
		if f.Type == TypeGroup {
			if f.Repeat {
				items, _ := v.([]any)
				out = append(out, Line{Path: path, StepID: step, Label: f.Label.In(lang), Depth: depth, Heading: true})
				for i, it := range items {
					m, _ := it.(map[string]any)
					out = append(out, Line{Path: fmt.Sprintf("%s.%d", path, i), StepID: step, Label: fmt.Sprintf("%s %d", f.Label.In(lang), i+1), Depth: depth + 1, Heading: true})
					out = append(out, lines(step, fmt.Sprintf("%s.%d.", path, i), f.Fields, m, lang, depth+2)...)
				}
				continue
			}
			m, _ := v.(map[string]any)
			out = append(out, Line{Path: path, StepID: step, Label: f.Label.In(lang), Depth: depth, Heading: true})
			out = append(out, lines(step, path+".", f.Fields, m, lang, depth+1)...)
			continue
		}
		out = append(out, Line{Path: path, StepID: step, Label: f.Label.In(lang), Value: FormatValue(f, v, lang), Depth: depth})
	}
	return out
}

var yesNo = map[string][2]string{"de": {"Ja", "Nein"}, "en": {"Yes", "No"}}

// FormatValue writes a canonical answer for people.
func FormatValue(f Field, v any, lang string) string {
	if lang != "en" {
		lang = "de"
	}
	switch f.Type {
	case TypeYesNo:
		b, _ := v.(bool)
		if b {
			return yesNo[lang][0]
		}
		return yesNo[lang][1]
	case TypeSelect, TypeRadio:
		s, _ := v.(string)
		return optionLabel(f, s, lang)
	case TypeCheckboxes:
		list, _ := v.([]any)
		var parts []string
		for _, e := range list {
			s, _ := e.(string)
			parts = append(parts, optionLabel(f, s, lang))
		}
		return strings.Join(parts, ", ")
	case TypeDate:
		s, _ := v.(string)
		if d, ok := ParseDay(s); ok {
			if lang == "en" {
				return d.String()
			}
			return d.German()
		}
		return s
	case TypeMoney:
		s, _ := v.(string)
		d, err := decimal.NewFromString(s)
		if err != nil {
			return s
		}
		return formatMoney(d, lang)
	case TypeNumber:
		s := fmt.Sprint(v)
		if lang == "de" {
			s = strings.Replace(s, ".", ",", 1)
		}
		return s
	case TypeIBAN:
		s, _ := v.(string)
		var b strings.Builder
		for i, r := range s {
			if i > 0 && i%4 == 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(r)
		}
		return b.String()
	case TypeAddress:
		m, _ := v.(map[string]any)
		get := func(k string) string { s, _ := m[k].(string); return s }
		line1 := strings.TrimSpace(get("street") + " " + get("house_number"))
		line2 := strings.TrimSpace(get("postcode") + " " + get("city"))
		return strings.Trim(line1+", "+line2, ", ")
	case TypeFile:
		list, _ := v.([]any)
		var parts []string
		for _, e := range list {
			m, _ := e.(map[string]any)
			name, _ := m["name"].(string)
			size := int64(0)
			if n, ok := m["size"].(json.Number); ok {
				size, _ = n.Int64()
			}
			parts = append(parts, fmt.Sprintf("%s (%s)", name, HumanSize(size)))
		}
		return strings.Join(parts, ", ")
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

func optionLabel(f Field, v, lang string) string {
	for _, o := range f.Options {
		if o.Value == v {
			return o.Label.In(lang)
		}
	}
	return v
}

func formatMoney(d decimal.Decimal, lang string) string {
	s := d.StringFixed(2)
	intPart, frac := s[:len(s)-3], s[len(s)-2:]
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	sep, dec := ".", ","
	if lang == "en" {
		sep, dec = ",", "."
	}
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	out := b.String() + dec + frac
	if neg {
		out = "-" + out
	}
	if lang == "en" {
		return "€" + out
	}
	return out + " €"
}
