package forms

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/platform/fault"
)

// Answers are an application's answers: field id → value in the JSON shape
// of the field's type (docs/forms.md). Canonical answers hold only the
// fields visible under the form's conditions, normalised (IBAN without
// spaces, dates as YYYY-MM-DD, money with two decimals).
type Answers = map[string]any

// File is an uploaded file: as an answer (without Field) and as one of an
// application's files (with the path of its field).
type File struct {
	Field     string `json:"field,omitempty"` // "nachweis", "hunde.0.foto"
	Name      string `json:"name"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
}

func (f File) answer() map[string]any {
	return map[string]any{"name": f.Name, "media_type": f.MediaType, "size": json.Number(strconv.FormatInt(f.Size, 10)), "sha256": f.SHA256}
}

// Check says how answers are checked.
type Check struct {
	// Now decides "today" for date rules.
	Now time.Time
	// Strict refuses answers for unknown or hidden fields (the API: a
	// client that sends them is out of step with the form). Otherwise
	// they are dropped (the pages: the citizen changed an earlier answer
	// and a question disappeared).
	Strict bool
	// Files are the uploads by field path; a file field's answer comes only
	// from here, never from the answers themselves.
	Files map[string][]File
}

// Validate checks answers against the definition and returns the canonical
// answers and the files in field order, or a *fault.Validation naming every
// invalid field by its path ("hunde.0.rasse", "anschrift.postcode") — with
// the canonical answers of the fields that are valid.
func Validate(d *Definition, raw map[string]any, c Check) (Answers, []File, error) {
	vs := &validator{d: d, c: c, v: &fault.Validation{}, today: Today(c.Now)}
	if raw == nil {
		raw = map[string]any{}
	}
	out := vs.object("", d.topFields(), raw, nil, nil)
	if err := vs.v.Err(); err != nil {
		// The valid part is returned too: the pages decide visibility
		// and show the summary from it.
		return out, vs.files, err
	}
	return out, vs.files, nil
}

type validator struct {
	d     *Definition
	c     Check
	v     *fault.Validation
	today Day
	files []File
	root  map[string]any // canonical answers so far (for conditions)
}

// object checks the fields of one scope (the form's top level, a group,
// one entry of a repeated group). raw is the input object of the scope.
func (vs *validator) object(prefix string, fields []Field, raw map[string]any, local map[string]any, localFields []Field) map[string]any {
	out := map[string]any{}
	if vs.root == nil {
		vs.root = out
	}
	known := map[string]bool{}
	for _, f := range fields {
		known[f.ID] = true
	}
	if vs.c.Strict {
		var unknown []string
		for k := range raw {
			if !known[k] {
				unknown = append(unknown, k)
			}
		}
		sort.Strings(unknown)
		for _, k := range unknown {
			vs.v.Add(prefix+k, "unknown_field")
		}
	}
	// Values first, so that conditions can read every answer of the scope
	// (a condition may refer to a later field); then visibility and
	// requiredness in field order.
	type pending struct {
		f     Field
		val   any
		errs  *fault.Validation
		given bool
	}
	ps := make([]pending, 0, len(fields))
	for _, f := range fields {
		path := prefix + f.ID
		rv, given := raw[f.ID]
		if f.Type == TypeFile {
			files := vs.c.Files[path]
			given = given || len(files) > 0
			if rv != nil && !isEmpty(rv) && vs.c.Strict {
				// A file's answer comes only from an upload of this
				// submission: a client naming files is refused.
				ps = append(ps, pending{f: f, errs: fault.Invalid(path, "not_allowed"), given: true})
				continue
			}
			val, ev := vs.fileValue(path, f, files)
			ps = append(ps, pending{f: f, val: val, errs: ev, given: given})
			continue
		}
		if f.Type == TypeGroup {
			// Groups are checked after visibility (their fields need the
			// scope's answers for their own conditions).
			ps = append(ps, pending{f: f, val: rv, given: given && !isEmpty(rv)})
			continue
		}
		if !given || isEmpty(rv) {
			ps = append(ps, pending{f: f})
			continue
		}
		val, ev := vs.value(path, f, rv)
		ps = append(ps, pending{f: f, val: val, errs: ev, given: true})
		if ev == nil && val != nil {
			out[f.ID] = val
		}
	}
	for i := range ps {
		p := &ps[i]
		path := prefix + p.f.ID
		if p.f.Type == TypeFile && p.errs == nil && p.val != nil {
			out[p.f.ID] = p.val
		}
		visible := p.f.VisibleIf == nil || vs.holds(*p.f.VisibleIf, out, fields)
		if !visible {
			delete(out, p.f.ID)
			if p.given && vs.c.Strict {
				vs.v.Add(path, "not_visible")
			}
			continue
		}
		if p.f.Type == TypeNote {
			if p.given && vs.c.Strict {
				vs.v.Add(path, "not_allowed")
			}
			delete(out, p.f.ID)
			continue
		}
		if p.f.Type == TypeGroup {
			if g := vs.group(path, p.f, p.val, out, fields); g != nil {
				out[p.f.ID] = g
			}
			continue
		}
		if p.errs != nil {
			vs.v.Merge("", p.errs)
			delete(out, p.f.ID)
			continue
		}
		required := p.f.Required || p.f.RequiredIf != nil && vs.holds(*p.f.RequiredIf, out, fields)
		if p.f.Type == TypeAddress {
			vs.addressRequired(path, p.f, out, required)
			continue
		}
		if required && !p.given {
			vs.v.Add(path, "required")
		}
		if p.f.Type == TypeFile && p.val != nil {
			for _, fl := range vs.c.Files[path] {
				fl.Field = path
				vs.files = append(vs.files, fl)
			}
		}
	}
	return out
}

func (vs *validator) addressRequired(path string, f Field, out map[string]any, required bool) {
	a, _ := out[f.ID].(map[string]any)
	if a == nil {
		if required {
			for _, k := range []string{"street", "postcode", "city"} {
				vs.v.Add(path+"."+k, "required")
			}
		}
		return
	}
	for _, k := range []string{"street", "postcode", "city"} {
		if _, ok := a[k]; !ok {
			vs.v.Add(path+"."+k, "required")
		}
	}
}

// group checks a group's answer: one object, or for a repeated group a list
// of objects.
func (vs *validator) group(path string, f Field, raw any, scope map[string]any, scopeFields []Field) any {
	required := f.Required || f.RequiredIf != nil && vs.holds(*f.RequiredIf, scope, scopeFields)
	if !f.Repeat {
		obj, ok := raw.(map[string]any)
		if raw != nil && !ok {
			vs.v.Add(path, "invalid")
			return nil
		}
		if obj == nil {
			obj = map[string]any{}
		}
		if !required && isEmpty(obj) {
			return nil // an optional group left empty
		}
		g := vs.object(path+".", f.Fields, obj, scope, scopeFields)
		if len(g) == 0 {
			return nil
		}
		return g
	}
	var items []any
	switch x := raw.(type) {
	case nil:
	case []any:
		items = x
	case []map[string]any:
		for _, m := range x {
			items = append(items, m)
		}
	default:
		vs.v.Add(path, "invalid")
		return nil
	}
	minItems, maxItems := 0, DefaultMaxItems
	if f.Rules.MinItems != nil {
		minItems = *f.Rules.MinItems
	}
	if f.Rules.MaxItems != nil {
		maxItems = *f.Rules.MaxItems
	}
	if required && minItems == 0 {
		minItems = 1
	}
	if len(items) > maxItems {
		vs.v.Add(path, "items_too_many", "max", maxItems)
		return nil
	}
	if len(items) < minItems {
		if len(items) == 0 && required {
			vs.v.Add(path, "required")
		} else {
			vs.v.Add(path, "items_too_few", "min", minItems)
		}
	}
	out := make([]any, 0, len(items))
	for i, it := range items {
		obj, ok := it.(map[string]any)
		if !ok {
			vs.v.Add(fmt.Sprintf("%s.%d", path, i), "invalid")
			continue
		}
		out = append(out, vs.object(fmt.Sprintf("%s.%d.", path, i), f.Fields, obj, scope, scopeFields))
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// isEmpty reports whether a raw answer says nothing.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []any:
		for _, e := range x {
			if !isEmpty(e) {
				return false
			}
		}
		return true
	case []string:
		for _, e := range x {
			if strings.TrimSpace(e) != "" {
				return false
			}
		}
		return true
	case map[string]any:
		for _, e := range x {
			if !isEmpty(e) {
				return false
			}
		}
		return true
	}
	return false
}

// str reads a raw scalar as a string (JSON strings and numbers; a list with
// one element from an HTML form).
func str(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case []string:
		if len(x) == 1 {
			return x[0], true
		}
	case []any:
		if len(x) == 1 {
			return str(x[0])
		}
	}
	return "", false
}

var patternCache sync.Map // pattern → *regexp.Regexp (anchored)

func compiled(p string) *regexp.Regexp {
	if re, ok := patternCache.Load(p); ok {
		return re.(*regexp.Regexp)
	}
	re, err := regexp.Compile(`^(?:` + p + `)$`)
	if err != nil {
		re = regexp.MustCompile(`^\b$`) // Check refuses invalid patterns; never matches
	}
	patternCache.Store(p, re)
	return re
}

// cleanText trims, normalises line ends and refuses control characters.
func cleanText(s string, multiline bool) (string, bool) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if !utf8.ValidString(s) {
		return "", false
	}
	for _, r := range s {
		if r == '\n' && multiline || r == '\t' && multiline {
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return "", false
		}
	}
	return s, true
}

// value checks one non-empty answer of a scalar, list or address field and
// returns its canonical form.
func (vs *validator) value(path string, f Field, rv any) (any, *fault.Validation) {
	r := f.Rules
	switch f.Type {
	case TypeText, TypeTextarea:
		s, ok := str(rv)
		if !ok {
			return nil, fault.Invalid(path, "invalid")
		}
		s, ok = cleanText(s, f.Type == TypeTextarea)
		if !ok {
			return nil, fault.Invalid(path, "invalid")
		}
		maxLen := DefaultMaxText
		if f.Type == TypeTextarea {
			maxLen = DefaultMaxLong
		}
		if r.MaxLength != nil {
			maxLen = *r.MaxLength
		}
		n := utf8.RuneCountInString(s)
		if n > maxLen {
			return nil, fault.Invalid(path, "too_long", "max", maxLen)
		}
		if r.MinLength != nil && n < *r.MinLength {
			return nil, fault.Invalid(path, "too_short", "min", *r.MinLength)
		}
		if r.Pattern != "" && !compiled(r.Pattern).MatchString(s) {
			return nil, fault.Invalid(path, "pattern_mismatch", "example", r.PatternHint.In("de"))
		}
		return s, nil
	case TypeNumber:
		s, ok := str(rv)
		if !ok {
			return nil, fault.Invalid(path, "not_a_number")
		}
		d, ok := parseNumber(s)
		if !ok {
			return nil, fault.Invalid(path, "not_a_number")
		}
		decimals := 0
		if r.Decimals != nil {
			decimals = *r.Decimals
		}
		if -d.Exponent() > int32(decimals) && !d.Equal(d.Truncate(int32(decimals))) {
			if decimals == 0 {
				return nil, fault.Invalid(path, "not_integer")
			}
			return nil, fault.Invalid(path, "too_many_decimals", "max", decimals)
		}
		if e := rangeCheck(path, d, r); e != nil {
			return nil, e
		}
		return json.Number(d.Truncate(int32(decimals)).String()), nil
	case TypeMoney:
		s, ok := str(rv)
		if !ok {
			return nil, fault.Invalid(path, "invalid_amount")
		}
		d, ok := ParseAmount(s)
		if !ok || d.IsNegative() || !d.Equal(d.Truncate(2)) {
			return nil, fault.Invalid(path, "invalid_amount")
		}
		if e := rangeCheck(path, d, r); e != nil {
			return nil, e
		}
		return d.StringFixed(2), nil
	case TypeDate:
		s, ok := str(rv)
		if !ok {
			return nil, fault.Invalid(path, "invalid_date")
		}
		day, ok := ParseDay(s)
		if !ok {
			return nil, fault.Invalid(path, "invalid_date")
		}
		if r.MinDate != "" {
			if lo, ok := parseDateBound(r.MinDate, vs.today); ok && day.before(lo) {
				if r.MinDate == "today" {
					return nil, fault.Invalid(path, "date_in_past")
				}
				return nil, fault.Invalid(path, "date_too_early", "min", lo.German())
			}
		}
		if r.MaxDate != "" {
			if hi, ok := parseDateBound(r.MaxDate, vs.today); ok && hi.before(day) {
				if r.MaxDate == "today" {
					return nil, fault.Invalid(path, "date_in_future")
				}
				return nil, fault.Invalid(path, "date_too_late", "max", hi.German())
			}
		}
		return day.String(), nil
	case TypeSelect, TypeRadio:
		s, ok := str(rv)
		if !ok || !hasOption(f, strings.TrimSpace(s)) {
			return nil, fault.Invalid(path, "invalid_choice")
		}
		return strings.TrimSpace(s), nil
	case TypeCheckboxes:
		var vals []string
		switch x := rv.(type) {
		case string:
			vals = []string{x}
		case []string:
			vals = x
		case []any:
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					return nil, fault.Invalid(path, "invalid_choice")
				}
				vals = append(vals, s)
			}
		default:
			return nil, fault.Invalid(path, "invalid_choice")
		}
		seen := map[string]bool{}
		var out []string
		for _, o := range f.Options { // in the options' order
			for _, s := range vals {
				if s == o.Value && !seen[s] {
					seen[s] = true
					out = append(out, s)
				}
			}
		}
		for _, s := range vals {
			if s != "" && !seen[s] {
				return nil, fault.Invalid(path, "invalid_choice")
			}
		}
		if r.MaxItems != nil && len(out) > *r.MaxItems {
			return nil, fault.Invalid(path, "items_too_many", "max", *r.MaxItems)
		}
		if r.MinItems != nil && len(out) < *r.MinItems {
			return nil, fault.Invalid(path, "items_too_few", "min", *r.MinItems)
		}
		list := make([]any, len(out))
		for i, s := range out {
			list[i] = s
		}
		return list, nil
	case TypeYesNo:
		switch x := rv.(type) {
		case bool:
			return x, nil
		default:
			s, _ := str(rv)
			switch strings.ToLower(strings.TrimSpace(s)) {
			case "yes", "ja", "true":
				return true, nil
			case "no", "nein", "false":
				return false, nil
			}
		}
		return nil, fault.Invalid(path, "invalid_choice")
	case TypeEmail:
		s, ok := str(rv)
		s = strings.TrimSpace(s)
		if !ok || !ValidEmail(s) {
			return nil, fault.Invalid(path, "invalid_email")
		}
		return s, nil
	case TypePhone:
		s, ok := str(rv)
		s = strings.TrimSpace(s)
		if !ok || !ValidPhone(s) {
			return nil, fault.Invalid(path, "invalid_phone")
		}
		return s, nil
	case TypeIBAN:
		s, ok := str(rv)
		s = NormalizeIBAN(s)
		if !ok || !ValidIBAN(s) {
			return nil, fault.Invalid(path, "invalid_iban")
		}
		return s, nil
	case TypePostcode:
		s, ok := str(rv)
		s = strings.TrimSpace(s)
		if !ok || !ValidPostcode(s) {
			return nil, fault.Invalid(path, "invalid_postcode")
		}
		return s, nil
	case TypeAddress:
		obj, ok := rv.(map[string]any)
		if !ok {
			return nil, fault.Invalid(path, "invalid")
		}
		v := &fault.Validation{}
		out := map[string]any{}
		for k, x := range obj {
			switch k {
			case "street", "house_number", "postcode", "city":
			default:
				if vs.c.Strict {
					v.Add(path+"."+k, "unknown_field")
				}
				continue
			}
			if isEmpty(x) {
				continue
			}
			s, ok := str(x)
			if ok {
				s, ok = cleanText(s, false)
			}
			max := 200
			if k == "house_number" {
				max = 20
			}
			switch {
			case !ok:
				v.Add(path+"."+k, "invalid")
			case k == "postcode" && !ValidPostcode(s):
				v.Add(path+"."+k, "invalid_postcode")
			case utf8.RuneCountInString(s) > max:
				v.Add(path+"."+k, "too_long", "max", max)
			default:
				out[k] = s
			}
		}
		if len(v.Errors) > 0 {
			sortErrors(v, []string{"street", "house_number", "postcode", "city"}, path)
			return nil, v
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	}
	return nil, fault.Invalid(path, "invalid")
}

func sortErrors(v *fault.Validation, order []string, path string) {
	rank := func(f string) int {
		for i, k := range order {
			if f == path+"."+k {
				return i
			}
		}
		return len(order)
	}
	sort.SliceStable(v.Errors, func(i, j int) bool { return rank(v.Errors[i].Field) < rank(v.Errors[j].Field) })
}

func rangeCheck(path string, d decimal.Decimal, r Rules) *fault.Validation {
	var lo, hi *decimal.Decimal
	if r.Min != "" {
		if x, err := decimal.NewFromString(r.Min); err == nil {
			lo = &x
		}
	}
	if r.Max != "" {
		if x, err := decimal.NewFromString(r.Max); err == nil {
			hi = &x
		}
	}
	switch {
	case lo != nil && hi != nil && (d.LessThan(*lo) || d.GreaterThan(*hi)):
		return fault.Invalid(path, "out_of_range", "min", lo.String(), "max", hi.String())
	case lo != nil && d.LessThan(*lo):
		return fault.Invalid(path, "value_too_small", "min", lo.String())
	case hi != nil && d.GreaterThan(*hi):
		return fault.Invalid(path, "value_too_large", "max", hi.String())
	}
	return nil
}

func hasOption(f Field, v string) bool {
	for _, o := range f.Options {
		if o.Value == v {
			return true
		}
	}
	return false
}

// fileValue checks the uploads of a file field: count, type, size.
func (vs *validator) fileValue(path string, f Field, files []File) (any, *fault.Validation) {
	if len(files) == 0 {
		return nil, nil
	}
	maxItems := 1
	if f.Rules.MaxItems != nil {
		maxItems = *f.Rules.MaxItems
	}
	if len(files) > maxItems {
		return nil, fault.Invalid(path, "items_too_many", "max", maxItems)
	}
	if f.Rules.MinItems != nil && len(files) < *f.Rules.MinItems {
		return nil, fault.Invalid(path, "items_too_few", "min", *f.Rules.MinItems)
	}
	accept := f.Rules.Accept
	if len(accept) == 0 {
		accept = MediaTypes
	}
	maxSize := f.Rules.MaxSize
	if maxSize == 0 {
		maxSize = DefaultMaxSize
	}
	out := make([]any, 0, len(files))
	for _, fl := range files {
		ok := false
		for _, a := range accept {
			ok = ok || a == fl.MediaType
		}
		if !ok {
			return nil, fault.Invalid(path, "file_type", "allowed", acceptNames(accept))
		}
		if fl.Size > maxSize {
			return nil, fault.Invalid(path, "file_too_large", "max", HumanSize(maxSize))
		}
		out = append(out, fl.answer())
	}
	return out, nil
}

func acceptNames(types []string) string {
	var names []string
	for _, t := range types {
		switch t {
		case "application/pdf":
			names = append(names, "PDF")
		case "image/jpeg":
			names = append(names, "JPEG")
		case "image/png":
			names = append(names, "PNG")
		}
	}
	return strings.Join(names, ", ")
}

// HumanSize writes a byte count as "10 MB" / "500 KB".
func HumanSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d Bytes", n)
}

// German writes the day as TT.MM.JJJJ.
func (d Day) German() string { return fmt.Sprintf("%02d.%02d.%04d", d.D, d.M, d.Y) }

// holds evaluates a condition against the canonical answers of the scope
// (local, with its field list) and of the whole form.
func (vs *validator) holds(c Condition, local map[string]any, localFields []Field) bool {
	return evalCondition(c, local, localFields, vs.root)
}

func evalCondition(c Condition, local map[string]any, localFields []Field, root map[string]any) bool {
	switch {
	case c.All != nil:
		for _, s := range c.All {
			if !evalCondition(s, local, localFields, root) {
				return false
			}
		}
		return true
	case c.Any != nil:
		for _, s := range c.Any {
			if evalCondition(s, local, localFields, root) {
				return true
			}
		}
		return false
	case c.Not != nil:
		return !evalCondition(*c.Not, local, localFields, root)
	}
	val, found := lookup(c.Field, local, localFields, root)
	switch {
	case c.Filled != nil:
		return (found && !isEmpty(val)) == *c.Filled
	case c.Equals != nil:
		return found && matches(val, c.Equals)
	case c.NotEquals != nil:
		return !found || !matches(val, c.NotEquals)
	case c.In != nil:
		if !found {
			return false
		}
		for _, s := range c.In {
			if matches(val, json.RawMessage(strconv.Quote(s))) {
				return true
			}
		}
	}
	return false
}

func lookup(name string, local map[string]any, localFields []Field, root map[string]any) (any, bool) {
	for _, f := range localFields {
		if f.ID == name {
			v, ok := local[name]
			return v, ok
		}
	}
	var cur any = root
	for _, p := range strings.Split(name, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// matches compares a canonical answer with a condition's JSON value; a list
// (checkboxes) matches when it contains the value.
func matches(val any, want json.RawMessage) bool {
	var w any
	if err := json.Unmarshal(want, &w); err != nil {
		return false
	}
	switch x := val.(type) {
	case []any:
		for _, e := range x {
			if matches(e, want) {
				return true
			}
		}
		return false
	case bool:
		b, ok := w.(bool)
		if !ok {
			s, _ := w.(string)
			return (s == "yes" || s == "ja" || s == "true") == x && s != ""
		}
		return b == x
	case json.Number:
		d1, err := decimal.NewFromString(x.String())
		if err != nil {
			return false
		}
		var d2 decimal.Decimal
		switch y := w.(type) {
		case float64:
			d2 = decimal.NewFromFloat(y)
		case string:
			if d2, err = decimal.NewFromString(y); err != nil {
				return false
			}
		default:
			return false
		}
		return d1.Equal(d2)
	case string:
		switch y := w.(type) {
		case string:
			return x == y
		case float64:
			d1, err := decimal.NewFromString(x)
			return err == nil && d1.Equal(decimal.NewFromFloat(y))
		case bool:
			return false
		}
	}
	return false
}

// StepVisible reports whether a step is shown for the answers.
func (d *Definition) StepVisible(s Step, answers Answers) bool {
	return s.VisibleIf == nil || evalCondition(*s.VisibleIf, answers, d.AllFields(), answers)
}

// topFields are the top-level fields with their step's condition folded
// into their own: a field of a hidden step is hidden.
func (d *Definition) topFields() []Field {
	var out []Field
	for _, s := range d.Steps {
		for _, f := range s.Fields {
			if s.VisibleIf != nil {
				if f.VisibleIf == nil {
					f.VisibleIf = s.VisibleIf
				} else {
					f.VisibleIf = &Condition{All: []Condition{*s.VisibleIf, *f.VisibleIf}}
				}
			}
			out = append(out, f)
		}
	}
	return out
}
