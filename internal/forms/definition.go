package forms

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/platform/fault"
)

// Text is a user-visible text in the form's languages: "de" (required)
// and "en". A form's texts live in its definition, not in the message
// catalogs, because form managers write them.
type Text map[string]string

// In returns the text in lang, falling back to German.
func (t Text) In(lang string) string {
	if s := t[lang]; s != "" {
		return s
	}
	return t["de"]
}

// Empty reports whether the text has no language.
func (t Text) Empty() bool {
	return strings.TrimSpace(t["de"]) == "" && strings.TrimSpace(t["en"]) == ""
}

// FieldType is what a field asks for and how its answer looks.
type FieldType string

// The field types. The answer's JSON shape is given for each (docs/forms.md).
const (
	TypeText       FieldType = "text"       // string, one line
	TypeTextarea   FieldType = "textarea"   // string, several lines
	TypeNumber     FieldType = "number"     // number (JSON number or decimal string)
	TypeMoney      FieldType = "money"      // decimal string, euros, at most two decimals: "30.50"
	TypeDate       FieldType = "date"       // "YYYY-MM-DD"
	TypeSelect     FieldType = "select"     // string, one option value (a drop-down)
	TypeRadio      FieldType = "radio"      // string, one option value (radio buttons)
	TypeCheckboxes FieldType = "checkboxes" // list of option values
	TypeYesNo      FieldType = "yesno"      // boolean
	TypeEmail      FieldType = "email"      // string
	TypePhone      FieldType = "phone"      // string
	TypeIBAN       FieldType = "iban"       // string, stored without spaces, upper case
	TypePostcode   FieldType = "postcode"   // string, five digits (German postcode)
	TypeAddress    FieldType = "address"    // object {street, house_number, postcode, city}
	TypeFile       FieldType = "file"       // list of uploaded files {name, media_type, size, sha256}
	TypeGroup      FieldType = "group"      // object of its fields; with repeat: a list of such objects
	TypeNote       FieldType = "note"       // no answer: a text shown between the fields
)

// FieldTypes lists every type in the order the builder offers them.
var FieldTypes = []FieldType{TypeText, TypeTextarea, TypeNumber, TypeMoney, TypeDate, TypeSelect, TypeRadio, TypeCheckboxes,
	TypeYesNo, TypeEmail, TypePhone, TypeIBAN, TypePostcode, TypeAddress, TypeFile, TypeGroup, TypeNote}

func (t FieldType) valid() bool {
	for _, x := range FieldTypes {
		if x == t {
			return true
		}
	}
	return false
}

// hasOptions reports whether the type chooses among Options.
func (t FieldType) hasOptions() bool {
	return t == TypeSelect || t == TypeRadio || t == TypeCheckboxes
}

// Definition is one version of a form: its texts, its steps with fields,
// who may apply. It is stored as JSON (docs/forms.md); a published version
// never changes.
type Definition struct {
	Title Text `json:"title"`
	Intro Text `json:"intro,omitempty"`
	// Audience: which account kinds may apply ("citizen", "business");
	// empty means both.
	Audience []string `json:"audience,omitempty"`
	// Anonymous: the service may be applied for without an account, with a
	// confirmed e-mail address instead (no prefill then).
	Anonymous bool `json:"anonymous,omitempty"`
	// Fee is shown before the application starts and on the receipt.
	Fee   *Fee   `json:"fee,omitempty"`
	Steps []Step `json:"steps"`
}

// Fee is what the application costs, as the form shows it. Amount is a
// decimal string in euros; Text explains (per year, per month, ...).
type Fee struct {
	Amount string `json:"amount,omitempty"`
	Text   Text   `json:"text,omitempty"`
}

// Step is one page of the form.
type Step struct {
	ID        string     `json:"id"`
	Title     Text       `json:"title"`
	Intro     Text       `json:"intro,omitempty"`
	VisibleIf *Condition `json:"visible_if,omitempty"`
	Fields    []Field    `json:"fields"`
}

// Field is one question (or a group of questions, or a note).
type Field struct {
	ID   string    `json:"id"`
	Type FieldType `json:"type"`
	// Label is the question; Help a hint below it.
	Label    Text `json:"label"`
	Help     Text `json:"help,omitempty"`
	Required bool `json:"required,omitempty"`
	// RequiredIf makes the field required when the condition holds.
	RequiredIf *Condition `json:"required_if,omitempty"`
	// VisibleIf shows the field only when the condition holds; a hidden
	// field takes no answer.
	VisibleIf *Condition `json:"visible_if,omitempty"`
	Options   []Option   `json:"options,omitempty"`
	Rules     Rules      `json:"rules,omitempty"`
	// Prefill names the profile value offered (with consent) as the
	// answer: given_name, family_name, name, company, email, phone,
	// birth_date, street, postcode, city, address.
	Prefill string `json:"prefill,omitempty"`
	// Fields are a group's fields; Repeat makes the group a list of
	// entries (Rules.MinItems / MaxItems bound its length).
	Fields []Field `json:"fields,omitempty"`
	Repeat bool    `json:"repeat,omitempty"`
}

// Option is one choice of a select, radio or checkboxes field.
type Option struct {
	Value string `json:"value"`
	Label Text   `json:"label"`
}

// Rules are the validation rules of a field; which apply depends on the type.
type Rules struct {
	MinLength *int `json:"min_length,omitempty"` // text, textarea
	MaxLength *int `json:"max_length,omitempty"` // text, textarea (default 200 / 5000)
	// Pattern is a Go regular expression the whole answer must match
	// (text); PatternHint describes the expected format.
	Pattern     string `json:"pattern,omitempty"`
	PatternHint Text   `json:"pattern_hint,omitempty"`
	Min         string `json:"min,omitempty"`      // number, money: decimal
	Max         string `json:"max,omitempty"`      // number, money: decimal
	Decimals    *int   `json:"decimals,omitempty"` // number: at most so many decimals (default 0: whole numbers)
	// MinDate / MaxDate bound a date: "YYYY-MM-DD", "today", or today
	// shifted: "today-28d", "today+1y", "today-18y".
	MinDate  string `json:"min_date,omitempty"`
	MaxDate  string `json:"max_date,omitempty"`
	MinItems *int   `json:"min_items,omitempty"` // checkboxes, file, repeated group
	MaxItems *int   `json:"max_items,omitempty"` // checkboxes, file (default 1), repeated group (default 10)
	// MaxSize is the largest file in bytes (default 10 MB); Accept the
	// media types taken (default PDF, JPEG, PNG).
	MaxSize int64    `json:"max_size,omitempty"`
	Accept  []string `json:"accept,omitempty"`
}

// Condition decides visibility or requiredness from another answer. Field
// names a field by its id: first among the fields of the same group entry,
// then from the top of the form (a dotted path reaches into groups).
// Exactly one test is given: Equals (for checkboxes: contains), In,
// NotEquals, Filled; or All / Any / Not combine conditions.
type Condition struct {
	Field     string          `json:"field,omitempty"`
	Equals    json.RawMessage `json:"equals,omitempty"`
	NotEquals json.RawMessage `json:"not_equals,omitempty"`
	In        []string        `json:"in,omitempty"`
	Filled    *bool           `json:"filled,omitempty"`
	All       []Condition     `json:"all,omitempty"`
	Any       []Condition     `json:"any,omitempty"`
	Not       *Condition      `json:"not,omitempty"`
}

// Limits of a definition, so that a hostile import or builder request
// cannot make a form that is expensive to render or validate.
const (
	MaxSteps        = 50
	MaxFields       = 500 // in the whole form, nested fields included
	MaxOptions      = 500
	MaxDepth        = 4
	maxTextLen      = 5000
	DefaultMaxText  = 200
	DefaultMaxLong  = 5000
	DefaultMaxSize  = 10 << 20
	DefaultMaxItems = 10
	MaxFileSize     = 25 << 20
)

var idRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// AccountKinds that may appear in Audience.
var AccountKinds = []string{"citizen", "business"}

// Prefills are the profile values a field may name in Prefill.
var Prefills = []string{"given_name", "family_name", "name", "company", "email", "phone", "birth_date", "street", "postcode", "city", "address"}

// MediaTypes are the upload types the platform recognises by content.
var MediaTypes = []string{"application/pdf", "image/jpeg", "image/png"}

// ParseDefinition reads a definition from JSON (unknown keys refused) and
// checks it.
func ParseDefinition(b []byte) (*Definition, error) {
	var d Definition
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fault.Invalid("definition", "invalid_definition", "reason", jsonProblem(err))
	}
	if dec.More() {
		return nil, fault.Invalid("definition", "invalid_definition", "reason", "trailing data")
	}
	if err := d.Check(); err != nil {
		return nil, err
	}
	return &d, nil
}

func jsonProblem(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "json: ")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// Check validates the definition itself: ids, types, options, rules and
// conditions that name existing fields. Problems are reported with paths
// like "steps.0.fields.2.options" and the code "invalid_definition".
func (d *Definition) Check() error {
	v := &fault.Validation{}
	bad := func(path, reason string) { v.Add(path, "invalid_definition", "reason", reason) }
	if strings.TrimSpace(d.Title["de"]) == "" {
		bad("title", "a German title is required")
	}
	checkText(bad, "title", d.Title)
	checkText(bad, "intro", d.Intro)
	for _, a := range d.Audience {
		if a != "citizen" && a != "business" {
			bad("audience", fmt.Sprintf("unknown account kind %q", a))
		}
	}
	if d.Fee != nil {
		if d.Fee.Amount != "" {
			if a, err := decimal.NewFromString(d.Fee.Amount); err != nil || a.IsNegative() || a.Exponent() < -2 {
				bad("fee.amount", "a decimal amount with at most two decimals")
			}
		}
		checkText(bad, "fee.text", d.Fee.Text)
	}
	if len(d.Steps) == 0 {
		bad("steps", "at least one step")
	}
	if len(d.Steps) > MaxSteps {
		bad("steps", fmt.Sprintf("at most %d steps", MaxSteps))
		return v
	}
	stepIDs := map[string]bool{}
	top := map[string]bool{}
	count := 0
	for i, s := range d.Steps {
		p := fmt.Sprintf("steps.%d", i)
		if !idRE.MatchString(s.ID) {
			bad(p+".id", "lower-case letters, digits and _, starting with a letter")
		} else if stepIDs[s.ID] {
			bad(p+".id", "step id used twice")
		}
		stepIDs[s.ID] = true
		if strings.TrimSpace(s.Title["de"]) == "" {
			bad(p+".title", "a German title is required")
		}
		checkText(bad, p+".title", s.Title)
		checkText(bad, p+".intro", s.Intro)
		checkFields(bad, p+".fields", s.Fields, top, 1, &count)
	}
	if count > MaxFields {
		bad("steps", fmt.Sprintf("at most %d fields", MaxFields))
	}
	if len(v.Errors) > 0 {
		return v
	}
	// Conditions must name fields that exist (checked once all ids are known).
	for i, s := range d.Steps {
		p := fmt.Sprintf("steps.%d", i)
		if s.VisibleIf != nil {
			checkCondition(bad, p+".visible_if", d, nil, *s.VisibleIf, 0)
		}
		checkConditions(bad, d, p+".fields", s.Fields, nil)
	}
	return v.Err()
}

func checkText(bad func(string, string), path string, t Text) {
	for lang, s := range t {
		if lang != "de" && lang != "en" {
			bad(path, fmt.Sprintf("unknown language %q", lang))
		}
		if utf8.RuneCountInString(s) > maxTextLen || !utf8.ValidString(s) {
			bad(path, "text too long or not UTF-8")
		}
	}
}

func checkFields(bad func(string, string), path string, fields []Field, seen map[string]bool, depth int, count *int) {
	if depth > MaxDepth {
		bad(path, fmt.Sprintf("groups nest at most %d deep", MaxDepth))
		return
	}
	for i, f := range fields {
		*count++
		if *count > MaxFields {
			return
		}
		p := fmt.Sprintf("%s.%d", path, i)
		if !idRE.MatchString(f.ID) {
			bad(p+".id", "lower-case letters, digits and _, starting with a letter")
		} else if seen[f.ID] {
			bad(p+".id", fmt.Sprintf("field id %q used twice", f.ID))
		}
		seen[f.ID] = true
		if !f.Type.valid() {
			bad(p+".type", fmt.Sprintf("unknown type %q", f.Type))
			continue
		}
		if f.Type != TypeNote && strings.TrimSpace(f.Label["de"]) == "" {
			bad(p+".label", "a German label is required")
		}
		if f.Type == TypeNote && f.Label.Empty() && f.Help.Empty() {
			bad(p+".help", "a note needs a text")
		}
		checkText(bad, p+".label", f.Label)
		checkText(bad, p+".help", f.Help)
		if f.Type.hasOptions() {
			if len(f.Options) == 0 {
				bad(p+".options", "at least one option")
			}
			if len(f.Options) > MaxOptions {
				bad(p+".options", fmt.Sprintf("at most %d options", MaxOptions))
			}
			vals := map[string]bool{}
			for j, o := range f.Options {
				if o.Value == "" || len(o.Value) > 100 || vals[o.Value] {
					bad(fmt.Sprintf("%s.options.%d.value", p, j), "a unique value of 1–100 characters")
				}
				vals[o.Value] = true
				if strings.TrimSpace(o.Label["de"]) == "" {
					bad(fmt.Sprintf("%s.options.%d.label", p, j), "a German label is required")
				}
				checkText(bad, fmt.Sprintf("%s.options.%d.label", p, j), o.Label)
			}
		} else if len(f.Options) > 0 {
			bad(p+".options", "only select, radio and checkboxes have options")
		}
		if f.Prefill != "" {
			ok := false
			for _, x := range Prefills {
				ok = ok || x == f.Prefill
			}
			if !ok {
				bad(p+".prefill", fmt.Sprintf("unknown profile value %q", f.Prefill))
			} else if (f.Prefill == "address") != (f.Type == TypeAddress) {
				bad(p+".prefill", "address prefills an address field, and only that")
			}
		}
		if (f.Type == TypeGroup) != (len(f.Fields) > 0) {
			if f.Type == TypeGroup {
				bad(p+".fields", "a group needs fields")
			} else {
				bad(p+".fields", "only groups have fields")
			}
		}
		if f.Repeat && f.Type != TypeGroup {
			bad(p+".repeat", "only groups repeat")
		}
		if f.Type == TypeNote && (f.Required || f.RequiredIf != nil) {
			bad(p+".required", "a note takes no answer")
		}
		checkRules(bad, p+".rules", f)
		if f.Type == TypeGroup {
			// A group's fields have their own scope (answers nest).
			checkFields(bad, p+".fields", f.Fields, map[string]bool{}, depth+1, count)
		}
	}
}

func checkRules(bad func(string, string), p string, f Field) {
	r := f.Rules
	nonNeg := func(name string, n *int) {
		if n != nil && (*n < 0 || *n > 100000) {
			bad(p+"."+name, "a number from 0 to 100000")
		}
	}
	nonNeg("min_length", r.MinLength)
	nonNeg("max_length", r.MaxLength)
	nonNeg("min_items", r.MinItems)
	nonNeg("max_items", r.MaxItems)
	if r.MinLength != nil && r.MaxLength != nil && *r.MinLength > *r.MaxLength {
		bad(p+".min_length", "min_length above max_length")
	}
	if r.MinItems != nil && r.MaxItems != nil && *r.MinItems > *r.MaxItems {
		bad(p+".min_items", "min_items above max_items")
	}
	if r.Pattern != "" {
		if len(r.Pattern) > 500 {
			bad(p+".pattern", "at most 500 characters")
		} else if _, err := regexp.Compile(r.Pattern); err != nil {
			bad(p+".pattern", "not a valid regular expression")
		}
	}
	checkText(bad, p+".pattern_hint", r.PatternHint)
	var lo, hi *decimal.Decimal
	for _, x := range []struct {
		name, v string
		dst     **decimal.Decimal
	}{{"min", r.Min, &lo}, {"max", r.Max, &hi}} {
		if x.v == "" {
			continue
		}
		d, err := decimal.NewFromString(x.v)
		if err != nil {
			bad(p+"."+x.name, "a decimal number")
			continue
		}
		*x.dst = &d
	}
	if lo != nil && hi != nil && lo.GreaterThan(*hi) {
		bad(p+".min", "min above max")
	}
	if r.Decimals != nil && (*r.Decimals < 0 || *r.Decimals > 6) {
		bad(p+".decimals", "0 to 6")
	}
	for _, x := range []struct{ name, v string }{{"min_date", r.MinDate}, {"max_date", r.MaxDate}} {
		if x.v == "" {
			continue
		}
		if _, ok := parseDateBound(x.v, refDay); !ok {
			bad(p+"."+x.name, `"YYYY-MM-DD", "today" or "today-28d" / "today+1y"`)
		}
	}
	if r.MaxSize < 0 || r.MaxSize > MaxFileSize {
		bad(p+".max_size", fmt.Sprintf("at most %d bytes", MaxFileSize))
	}
	for _, a := range r.Accept {
		ok := false
		for _, m := range MediaTypes {
			ok = ok || m == a
		}
		if !ok {
			bad(p+".accept", fmt.Sprintf("unknown media type %q (PDF, JPEG, PNG)", a))
		}
	}
}

func checkConditions(bad func(string, string), d *Definition, path string, fields []Field, scope []Field) {
	for i, f := range fields {
		p := fmt.Sprintf("%s.%d", path, i)
		if f.VisibleIf != nil {
			checkCondition(bad, p+".visible_if", d, fields, *f.VisibleIf, 0)
		}
		if f.RequiredIf != nil {
			checkCondition(bad, p+".required_if", d, fields, *f.RequiredIf, 0)
		}
		if f.Type == TypeGroup {
			checkConditions(bad, d, p+".fields", f.Fields, fields)
		}
	}
}

func checkCondition(bad func(string, string), path string, d *Definition, local []Field, c Condition, depth int) {
	if depth > 8 {
		bad(path, "conditions nest at most 8 deep")
		return
	}
	tests := 0
	for _, set := range []bool{c.Equals != nil, c.NotEquals != nil, c.In != nil, c.Filled != nil, c.All != nil, c.Any != nil, c.Not != nil} {
		if set {
			tests++
		}
	}
	if tests != 1 {
		bad(path, "exactly one of equals, not_equals, in, filled, all, any, not")
		return
	}
	switch {
	case c.All != nil || c.Any != nil:
		if c.Field != "" {
			bad(path, "all / any take no field")
		}
		for i, sub := range append(append([]Condition{}, c.All...), c.Any...) {
			checkCondition(bad, fmt.Sprintf("%s.%d", path, i), d, local, sub, depth+1)
		}
		return
	case c.Not != nil:
		checkCondition(bad, path+".not", d, local, *c.Not, depth+1)
		return
	}
	if c.Field == "" {
		bad(path+".field", "names the field the condition reads")
		return
	}
	if findField(d, local, c.Field) == nil {
		bad(path+".field", fmt.Sprintf("no field %q", c.Field))
	}
	for _, raw := range []json.RawMessage{c.Equals, c.NotEquals} {
		if raw == nil {
			continue
		}
		var x any
		if err := json.Unmarshal(raw, &x); err != nil {
			bad(path, "equals / not_equals must be a JSON value")
			continue
		}
		switch x.(type) {
		case string, bool, float64:
		default:
			bad(path, "equals / not_equals compare with a string, number or boolean")
		}
	}
}

// findField resolves a condition's field name: among local (the fields of
// the same group) first, then as a dotted path from the top of the form.
func findField(d *Definition, local []Field, name string) *Field {
	for i := range local {
		if local[i].ID == name {
			return &local[i]
		}
	}
	parts := strings.Split(name, ".")
	var cur []Field
	for _, s := range d.Steps {
		cur = append(cur, s.Fields...)
	}
	var f *Field
	for _, p := range parts {
		f = nil
		for i := range cur {
			if cur[i].ID == p {
				f = &cur[i]
				break
			}
		}
		if f == nil {
			return nil
		}
		cur = f.Fields
	}
	return f
}

// AllFields returns the top-level fields of every step in order.
func (d *Definition) AllFields() []Field {
	var out []Field
	for _, s := range d.Steps {
		out = append(out, s.Fields...)
	}
	return out
}

// Step returns the step with the id, or nil.
func (d *Definition) Step(id string) *Step {
	for i := range d.Steps {
		if d.Steps[i].ID == id {
			return &d.Steps[i]
		}
	}
	return nil
}

// AllowsKind reports whether an account kind may apply.
func (d *Definition) AllowsKind(kind string) bool {
	if kind != "citizen" && kind != "business" {
		return false
	}
	if len(d.Audience) == 0 {
		return true
	}
	for _, a := range d.Audience {
		if a == kind {
			return true
		}
	}
	return false
}

// Marshal returns the definition's canonical JSON.
func (d *Definition) Marshal() []byte {
	b, err := json.Marshal(d)
	if err != nil {
		panic(err) // only plain types
	}
	return b
}
