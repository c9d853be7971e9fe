package forms

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/platform/fault"
)

// setPath puts v at an answer path ("g.0.f"), creating objects and entries.
func setPath(a map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	var cur any = a
	for i, p := range parts {
		last := i == len(parts)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[p] = v
				return
			}
			next := c[p]
			if next == nil {
				if _, err := strconv.Atoi(parts[i+1]); err == nil {
					next = []any{}
				} else {
					next = map[string]any{}
				}
				c[p] = next
			}
			if l, ok := next.([]any); ok {
				n, _ := strconv.Atoi(parts[i+1])
				for len(l) <= n {
					l = append(l, map[string]any{})
				}
				c[p] = l
				next = l
			}
			cur = next
		case []any:
			n, _ := strconv.Atoi(p)
			if last {
				c[n] = v
				return
			}
			cur = c[n]
		}
	}
}

// sample is a value that satisfies a field's rules.
func sample(f *Field, today Day) any {
	switch f.Type {
	case TypeText:
		if f.Rules.Pattern != "" {
			return "" // only the demo forms have patterns; the caller sets them
		}
		return "Beispiel"
	case TypeTextarea:
		return "Eine Beschreibung."
	case TypeNumber:
		if f.Rules.Min != "" {
			return f.Rules.Min
		}
		return "1"
	case TypeMoney:
		return "10.00"
	case TypeDate:
		d := today
		if f.Rules.MinDate != "" {
			if lo, ok := parseDateBound(f.Rules.MinDate, today); ok {
				d = lo
			}
		} else if f.Rules.MaxDate != "" {
			if hi, ok := parseDateBound(f.Rules.MaxDate, today); ok {
				d = hi
			}
		}
		return d.String()
	case TypeSelect, TypeRadio:
		return f.Options[0].Value
	case TypeCheckboxes:
		return []any{f.Options[0].Value}
	case TypeYesNo:
		return false
	case TypeEmail:
		return "info@example.org"
	case TypePhone:
		return "0911 123456"
	case TypeIBAN:
		return "DE89370400440532013000"
	case TypePostcode:
		return "91052"
	case TypeAddress:
		return map[string]any{"street": "Marktplatz", "house_number": "7", "postcode": "91052", "city": "Musterstadt"}
	case TypeGroup:
		if f.Repeat {
			return []any{map[string]any{}}
		}
		return map[string]any{}
	}
	return nil
}

// SampleAnswers completes answers until the definition accepts them,
// answering each question that is still required with a sample value
// (yes/no with "no", lists with their first entry) — as a diligent
// applicant would. It returns the answers to send (files apart) and the
// paths of the file questions that need an upload. It is for tests, the
// demo and load generators; an error means the form cannot be completed
// this way (a text pattern, a question without a sample value).
func SampleAnswers(d *Definition, answers map[string]any, now time.Time) (map[string]any, []string, error) {
	files := map[string][]File{}
	for i := 0; i < 200; i++ {
		canon, _, err := Validate(d, answers, Check{Now: now, Files: files})
		if err == nil {
			// What the pages would send: the visible answers, files apart.
			var paths []string
			for p := range files {
				paths = append(paths, p)
			}
			sort.Strings(paths)
			return withoutFiles(d.AllFields(), canon), paths, nil
		}
		fv, ok := fault.AsValidation(err)
		if !ok {
			return nil, nil, err
		}
		for _, e := range fv.Errors {
			f := fieldAt(d, e.Field)
			if f == nil {
				// an address part
				if i := strings.LastIndexByte(e.Field, '.'); i > 0 {
					if pf := fieldAt(d, e.Field[:i]); pf != nil && pf.Type == TypeAddress {
						setPath(answers, e.Field[:i], sample(pf, Today(now)))
						continue
					}
				}
				return nil, nil, fmt.Errorf("sample answers: problem at %s (%s) names no field", e.Field, e.Code)
			}
			if f.Type == TypeFile {
				files[e.Field] = []File{{Field: e.Field, Name: "nachweis.pdf", MediaType: "application/pdf", Size: 100, SHA256: strings.Repeat("ab", 32)}}
				continue
			}
			if f.Type == TypeGroup && e.Code == "items_too_few" {
				items := make([]any, *f.Rules.MinItems)
				for k := range items {
					items[k] = map[string]any{}
				}
				setPath(answers, e.Field, items)
				continue
			}
			v := sample(f, Today(now))
			if v == nil || v == "" {
				return nil, nil, fmt.Errorf("sample answers: no sample value for %s (%s, %s)", e.Field, f.Type, e.Code)
			}
			setPath(answers, e.Field, v)
		}
	}
	return nil, nil, fmt.Errorf("sample answers: never complete")
}

// withoutFiles drops file answers (they come from uploads) and unused
// keys from canonical answers.
func withoutFiles(fs []Field, a map[string]any) map[string]any {
	out := map[string]any{}
	for _, f := range fs {
		v, ok := a[f.ID]
		if !ok || f.Type == TypeFile {
			continue
		}
		if f.Type == TypeGroup {
			if f.Repeat {
				items, _ := v.([]any)
				var list []any
				for _, it := range items {
					m, _ := it.(map[string]any)
					list = append(list, withoutFiles(f.Fields, m))
				}
				out[f.ID] = list
				continue
			}
			m, _ := v.(map[string]any)
			out[f.ID] = withoutFiles(f.Fields, m)
			continue
		}
		out[f.ID] = v
	}
	return out
}
