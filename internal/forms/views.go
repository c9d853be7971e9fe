package forms

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// FieldView is one field as the step page renders it (recursive for
// groups, entries of repeated groups and the parts of an address).
type FieldView struct {
	Path, ID, Name string
	Type           string
	Label, Help    string
	Optional       bool
	Value          string
	Options        []OptionView
	// Error is the message key of the field's problem; ErrorArgs its values.
	Error     string
	ErrorArgs map[string]any
	Children  []FieldView
	Entries   []EntryView
	CanAdd    bool
	Files     []FileView
	// MaxFiles > len(Files): the file input is shown.
	MoreFiles    bool
	Accept       string
	Autocomplete string
	InputMode    string
	Width        string // KERN width modifier ("width-4"), or ""
	Heading      int    // a group's heading level
}

// OptionView is one radio, checkbox or select option.
type OptionView struct {
	ID, Value, Label string
	Checked          bool
}

// EntryView is one entry of a repeated group.
type EntryView struct {
	Index  int
	Title  string
	Remove string // value of the remove button ("path|index")
	Fields []FieldView
}

// FileView is an upload already stored with the draft.
type FileView struct {
	Name, Size, MediaType string
	Remove                string // value of the remove button ("path|sha256")
}

// DescribedBy is the field's aria-describedby (hint and error).
func (f FieldView) DescribedBy() string {
	var ids []string
	if f.Help != "" {
		ids = append(ids, f.ID+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, f.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// htmlID is the id of a field's input: "f-" and the path with dashes.
func htmlID(path string) string {
	return "f-" + strings.NewReplacer(".", "-", "_", "-").Replace(path)
}

var autocompletes = map[string]string{"given_name": "given-name", "family_name": "family-name", "name": "name", "company": "organization",
	"email": "email", "phone": "tel", "birth_date": "bday", "street": "street-address", "postcode": "postal-code", "city": "address-level2"}

// viewBuilder turns a definition and a draft's raw answers into field views.
type viewBuilder struct {
	lang   string
	errs   map[string]fault.FieldError
	files  map[string][]File
	canon  Answers // canonical answers (for conditions)
	d      *Definition
	render func(key string) string // translate a catalog key
}

func (b *viewBuilder) fields(prefix string, fs []Field, raw map[string]any, local Answers, depth int) []FieldView {
	var out []FieldView
	for _, f := range fs {
		if f.VisibleIf != nil && !evalCondition(*f.VisibleIf, local, fs, b.canon) {
			continue
		}
		out = append(out, b.field(prefix, f, raw, local, fs, depth))
	}
	return out
}

func (b *viewBuilder) field(prefix string, f Field, raw map[string]any, local Answers, scope []Field, depth int) FieldView {
	path := prefix + f.ID
	required := f.Required || f.RequiredIf != nil && evalCondition(*f.RequiredIf, local, scope, b.canon)
	v := FieldView{Path: path, ID: htmlID(path), Name: path, Type: string(f.Type), Label: f.Label.In(b.lang), Help: f.Help.In(b.lang),
		Optional: !required && f.Type != TypeNote && f.Type != TypeGroup, Autocomplete: autocompletes[f.Prefill], Heading: min(depth+2, 4)}
	if e, ok := b.errs[path]; ok {
		v.Error, v.ErrorArgs = "fault."+e.Code, e.Args
	}
	rv := raw[f.ID]
	switch f.Type {
	case TypeSelect, TypeRadio, TypeCheckboxes:
		selected := map[string]bool{}
		switch x := rv.(type) {
		case string:
			selected[x] = true
		case []any:
			for _, e := range x {
				if s, ok := e.(string); ok {
					selected[s] = true
				}
			}
		case []string:
			for _, s := range x {
				selected[s] = true
			}
		}
		for i, o := range f.Options {
			id := v.ID
			if i > 0 {
				id = fmt.Sprintf("%s-%d", v.ID, i+1)
			}
			v.Options = append(v.Options, OptionView{ID: id, Value: o.Value, Label: o.Label.In(b.lang), Checked: selected[o.Value]})
		}
	case TypeYesNo:
		val := ""
		switch x := rv.(type) {
		case bool:
			val = map[bool]string{true: "yes", false: "no"}[x]
		case string:
			switch strings.ToLower(x) {
			case "yes", "ja", "true":
				val = "yes"
			case "no", "nein", "false":
				val = "no"
			}
		}
		yes, no := b.render("forms.yes"), b.render("forms.no")
		v.Options = []OptionView{{ID: v.ID, Value: "yes", Label: yes, Checked: val == "yes"}, {ID: v.ID + "-2", Value: "no", Label: no, Checked: val == "no"}}
	case TypeAddress:
		m, _ := rv.(map[string]any)
		for _, part := range []struct{ key, ac, width string }{{"street", "address-line1", ""}, {"house_number", "", "width-4"}, {"postcode", "postal-code", "width-4"}, {"city", "address-level2", ""}} {
			cp := path + "." + part.key
			c := FieldView{Path: cp, ID: htmlID(cp), Name: cp, Type: "text", Label: b.render("forms.address." + part.key), Value: rawString(m[part.key]),
				Optional: part.key == "house_number" || !required, Width: part.width}
			if f.Prefill == "address" {
				c.Autocomplete = part.ac
			}
			if part.key == "postcode" {
				c.InputMode = "numeric"
			}
			if e, ok := b.errs[cp]; ok {
				c.Error, c.ErrorArgs = "fault."+e.Code, e.Args
			}
			v.Children = append(v.Children, c)
		}
	case TypeGroup:
		if !f.Repeat {
			m, _ := rv.(map[string]any)
			if m == nil {
				m = map[string]any{}
			}
			cl, _ := local[f.ID].(map[string]any)
			v.Children = b.fields(path+".", f.Fields, m, cl, depth+1)
			break
		}
		items, _ := rv.([]any)
		if len(items) == 0 {
			items = []any{map[string]any{}}
		}
		cl, _ := local[f.ID].([]any)
		maxItems := DefaultMaxItems
		if f.Rules.MaxItems != nil {
			maxItems = *f.Rules.MaxItems
		}
		for i, it := range items {
			m, _ := it.(map[string]any)
			if m == nil {
				m = map[string]any{}
			}
			var cm Answers
			if i < len(cl) {
				cm, _ = cl[i].(map[string]any)
			}
			e := EntryView{Index: i, Title: fmt.Sprintf("%s %d", f.Label.In(b.lang), i+1), Fields: b.fields(fmt.Sprintf("%s.%d.", path, i), f.Fields, m, cm, depth+1)}
			if len(items) > 1 {
				e.Remove = fmt.Sprintf("%s|%d", path, i)
			}
			v.Entries = append(v.Entries, e)
		}
		v.CanAdd = len(items) < maxItems && !strings.Contains(prefix, ".")
	case TypeFile:
		maxItems := 1
		if f.Rules.MaxItems != nil {
			maxItems = *f.Rules.MaxItems
		}
		for _, fl := range b.files[path] {
			v.Files = append(v.Files, FileView{Name: fl.Name, Size: HumanSize(fl.Size), MediaType: fl.MediaType, Remove: path + "|" + fl.SHA256})
		}
		v.MoreFiles = len(v.Files) < maxItems
		accept := f.Rules.Accept
		if len(accept) == 0 {
			accept = MediaTypes
		}
		exts := []string{}
		for _, a := range accept {
			exts = append(exts, a)
			switch a {
			case "application/pdf":
				exts = append(exts, ".pdf")
			case "image/jpeg":
				exts = append(exts, ".jpg", ".jpeg")
			case "image/png":
				exts = append(exts, ".png")
			}
		}
		v.Accept = strings.Join(exts, ",")
	default:
		v.Value = rawString(rv)
		switch f.Type {
		case TypeNumber, TypePostcode:
			v.InputMode = "numeric"
			v.Width = "width-4"
		case TypeMoney:
			v.InputMode = "decimal"
			v.Width = "width-4"
		case TypeDate:
			v.Width = "width-4"
			if v.Help == "" {
				v.Help = b.render("forms.date.hint")
			}
			if d, ok := ParseDay(v.Value); ok && b.lang != "en" && strings.Contains(v.Value, "-") {
				v.Value = d.German() // stored ISO (from a prefill or the API): shown as typed in German
			}
		case TypeEmail:
			if v.Autocomplete == "" {
				v.Autocomplete = "email"
			}
		case TypePhone:
			if v.Autocomplete == "" {
				v.Autocomplete = "tel"
			}
		case TypeIBAN:
			v.Value = FormatValue(f, NormalizeIBAN(v.Value), b.lang)
			if v.Value == "" {
				v.Value = rawString(rv)
			}
		}
	}
	return v
}

func rawString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// stepValues reads a step's fields from a posted form (by path), in the raw
// shape the draft keeps. Repeated groups take as many entries as the draft
// has (at least one).
func stepValues(fs []Field, form url.Values, prefix string, existing map[string]any) map[string]any {
	out := map[string]any{}
	for _, f := range fs {
		path := prefix + f.ID
		switch f.Type {
		case TypeNote, TypeFile:
		case TypeCheckboxes:
			if vals := nonBlank(form[path]); len(vals) > 0 {
				out[f.ID] = toAny(vals)
			}
		case TypeAddress:
			m := map[string]any{}
			for _, k := range []string{"street", "house_number", "postcode", "city"} {
				if s := strings.TrimSpace(form.Get(path + "." + k)); s != "" {
					m[k] = s
				}
			}
			if len(m) > 0 {
				out[f.ID] = m
			}
		case TypeGroup:
			if !f.Repeat {
				sub, _ := existing[f.ID].(map[string]any)
				if m := stepValues(f.Fields, form, path+".", sub); len(m) > 0 {
					out[f.ID] = m
				}
				continue
			}
			items, _ := existing[f.ID].([]any)
			n := max(len(items), 1)
			var list []any
			for i := 0; i < n; i++ {
				var sub map[string]any
				if i < len(items) {
					sub, _ = items[i].(map[string]any)
				}
				list = append(list, stepValues(f.Fields, form, fmt.Sprintf("%s.%d.", path, i), sub))
			}
			if !isEmpty(list) || n > 1 {
				out[f.ID] = list
			}
		default:
			if s := form.Get(path); strings.TrimSpace(s) != "" {
				out[f.ID] = s
			}
		}
	}
	return out
}

func nonBlank(in []string) []string {
	var out []string
	for _, s := range in {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

func toAny(in []string) []any {
	out := make([]any, len(in))
	for i, s := range in {
		out[i] = s
	}
	return out
}

// errorForm turns problems into the page's error summary, in field order,
// linking each to its input and naming the question ("Rasse: Bitte …").
func errorForm(v *fault.Validation, d *Definition, lang string, tr func(string, map[string]any) string) web.Form {
	var f web.Form
	if v == nil {
		return f
	}
	for _, e := range v.Errors {
		problem := tr("fault."+e.Code, e.Args)
		label := labelOf(d, e.Field, lang, tr)
		msg := "forms.error.summary"
		if label == "" {
			msg = "forms.error.plain"
		}
		f.Errors = append(f.Errors, web.FieldError{Field: e.Field, ID: htmlID(e.Field), Message: msg, Args: map[string]any{"label": label, "problem": problem}})
	}
	return f
}

// labelOf names the question of an answer path for people: "Rasse",
// "Anschrift – Postleitzahl", "Fahrzeug 2 – Kennzeichen".
func labelOf(d *Definition, path string, lang string, tr func(string, map[string]any) string) string {
	fields := d.AllFields()
	var parts []string
	segs := strings.Split(path, ".")
	for i := 0; i < len(segs); i++ {
		var f *Field
		for j := range fields {
			if fields[j].ID == segs[i] {
				f = &fields[j]
			}
		}
		if f == nil {
			return strings.Join(parts, " – ")
		}
		label := f.Label.In(lang)
		if f.Repeat && i+1 < len(segs) && isIndex(segs[i+1]) {
			n, _ := strconv.Atoi(segs[i+1])
			label = fmt.Sprintf("%s %d", label, n+1)
			i++
		}
		parts = append(parts, label)
		if f.Type == TypeAddress && i+1 < len(segs) {
			parts = append(parts, tr("forms.address."+segs[i+1], nil))
			break
		}
		fields = f.Fields
	}
	return strings.Join(parts, " – ")
}

func errorMap(v *fault.Validation) map[string]fault.FieldError {
	m := map[string]fault.FieldError{}
	if v == nil {
		return m
	}
	for _, e := range v.Errors {
		if _, dup := m[e.Field]; !dup {
			m[e.Field] = e
		}
	}
	return m
}
