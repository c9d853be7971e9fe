package forms

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/platform/fault"
)

func ip(n int) *int { return &n }

// ruleForm has one field per type and rule, so that each rule is checked
// alone.
func ruleForm(t *testing.T) *Definition {
	t.Helper()
	opts := []Option{{Value: "a", Label: Text{"de": "A"}}, {Value: "b", Label: Text{"de": "B"}}, {Value: "c", Label: Text{"de": "C"}}}
	d := &Definition{Title: Text{"de": "Regeln"}, Steps: []Step{{ID: "s", Title: Text{"de": "S"}, Fields: []Field{
		{ID: "text", Type: TypeText, Label: Text{"de": "T"}, Rules: Rules{MinLength: ip(3), MaxLength: ip(5)}},
		{ID: "pattern", Type: TypeText, Label: Text{"de": "P"}, Rules: Rules{Pattern: `[A-Z]{2}[0-9]{2}`, PatternHint: Text{"de": "AB12"}}},
		{ID: "plain", Type: TypeText, Label: Text{"de": "Plain"}},
		{ID: "long", Type: TypeTextarea, Label: Text{"de": "L"}, Rules: Rules{MaxLength: ip(10)}},
		{ID: "int", Type: TypeNumber, Label: Text{"de": "I"}, Rules: Rules{Min: "1", Max: "10"}},
		{ID: "lower", Type: TypeNumber, Label: Text{"de": "Lo"}, Rules: Rules{Min: "5"}},
		{ID: "upper", Type: TypeNumber, Label: Text{"de": "Hi"}, Rules: Rules{Max: "5"}},
		{ID: "dec", Type: TypeNumber, Label: Text{"de": "D"}, Rules: Rules{Decimals: ip(2)}},
		{ID: "money", Type: TypeMoney, Label: Text{"de": "M"}, Rules: Rules{Max: "1000"}},
		{ID: "date", Type: TypeDate, Label: Text{"de": "Da"}, Rules: Rules{MinDate: "2026-01-01", MaxDate: "2026-12-31"}},
		{ID: "future", Type: TypeDate, Label: Text{"de": "F"}, Rules: Rules{MinDate: "today"}},
		{ID: "past", Type: TypeDate, Label: Text{"de": "Pa"}, Rules: Rules{MaxDate: "today"}},
		{ID: "adult", Type: TypeDate, Label: Text{"de": "Ad"}, Rules: Rules{MaxDate: "today-18y"}},
		{ID: "sel", Type: TypeSelect, Label: Text{"de": "Se"}, Options: opts},
		{ID: "radio", Type: TypeRadio, Label: Text{"de": "R"}, Options: opts},
		{ID: "boxes", Type: TypeCheckboxes, Label: Text{"de": "B"}, Options: opts, Rules: Rules{MinItems: ip(2), MaxItems: ip(2)}},
		{ID: "yn", Type: TypeYesNo, Label: Text{"de": "Y"}},
		{ID: "mail", Type: TypeEmail, Label: Text{"de": "E"}},
		{ID: "tel", Type: TypePhone, Label: Text{"de": "Te"}},
		{ID: "iban", Type: TypeIBAN, Label: Text{"de": "IB"}},
		{ID: "plz", Type: TypePostcode, Label: Text{"de": "PLZ"}},
		{ID: "addr", Type: TypeAddress, Label: Text{"de": "A"}},
		{ID: "file", Type: TypeFile, Label: Text{"de": "Fi"}, Rules: Rules{MaxItems: ip(2), MaxSize: 1000, Accept: []string{"application/pdf"}}},
		{ID: "note", Type: TypeNote, Label: Text{"de": "N"}, Help: Text{"de": "Hinweis"}},
		{ID: "must", Type: TypeText, Label: Text{"de": "Must"}, Required: true},
		{ID: "list", Type: TypeGroup, Label: Text{"de": "Li"}, Repeat: true, Rules: Rules{MinItems: ip(1), MaxItems: ip(2)}, Fields: []Field{
			{ID: "x", Type: TypeText, Label: Text{"de": "X"}, Required: true},
			{ID: "y", Type: TypeText, Label: Text{"de": "Y"}, VisibleIf: &Condition{Field: "x", Equals: json.RawMessage(`"zeig"`)}, Required: true}}},
		{ID: "opt", Type: TypeGroup, Label: Text{"de": "Opt"}, Fields: []Field{{ID: "x", Type: TypeText, Label: Text{"de": "X"}, Required: true}}},
		{ID: "cond", Type: TypeText, Label: Text{"de": "C"}, VisibleIf: &Condition{Field: "yn", Equals: json.RawMessage(`true`)}, Required: true},
		{ID: "reqif", Type: TypeText, Label: Text{"de": "RI"}, RequiredIf: &Condition{Field: "boxes", Equals: json.RawMessage(`"c"`)}},
		{ID: "anyof", Type: TypeText, Label: Text{"de": "AO"}, VisibleIf: &Condition{Any: []Condition{{Field: "sel", In: []string{"b", "c"}}, {Not: &Condition{Field: "radio", Filled: ip0(true)}}}}},
	}}}}
	if err := d.Check(); err != nil {
		t.Fatalf("rule form: %v", err)
	}
	return d
}

func ip0(b bool) *bool { return &b }

var ruleNow = time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)

// valid is a baseline that passes every rule.
func valid() map[string]any {
	return map[string]any{"must": "da", "list": []any{map[string]any{"x": "eins"}}, "radio": "a", "boxes": []any{"a", "b"}}
}

// TestEveryRule: each rule and type refuses what it must, with its code at
// the field, and accepts (and normalises) what it may.
func TestEveryRule(t *testing.T) {
	d := ruleForm(t)
	refused := []struct {
		field string
		value any
		path  string
		code  string
	}{
		{"text", "ab", "text", "too_short"},
		{"text", "abcdef", "text", "too_long"},
		{"plain", strings.Repeat("x", DefaultMaxText+1), "plain", "too_long"},
		{"plain", "zwei\nZeilen", "plain", "invalid"},
		{"plain", []any{"a", "b"}, "plain", "invalid"},
		{"plain", map[string]any{"a": "b"}, "plain", "invalid"},
		{"pattern", "ab12", "pattern", "pattern_mismatch"},
		{"long", strings.Repeat("x", 11), "long", "too_long"},
		{"int", "x", "int", "not_a_number"},
		{"int", "11", "int", "out_of_range"},
		{"int", "0", "int", "out_of_range"},
		{"int", "2.5", "int", "not_integer"},
		{"lower", "4", "lower", "value_too_small"},
		{"upper", "6", "upper", "value_too_large"},
		{"dec", "1.234", "dec", "too_many_decimals"},
		{"money", "12.345", "money", "invalid_amount"},
		{"money", "-3", "money", "invalid_amount"},
		{"money", "1,2,3", "money", "invalid_amount"},
		{"money", "1001", "money", "value_too_large"},
		{"date", "2025-12-31", "date", "date_too_early"},
		{"date", "2027-01-01", "date", "date_too_late"},
		{"date", "31.02.2026", "date", "invalid_date"},
		{"date", "2026-13-01", "date", "invalid_date"},
		{"date", "morgen", "date", "invalid_date"},
		{"future", "14.06.2026", "future", "date_in_past"},
		{"past", "16.06.2026", "past", "date_in_future"},
		{"adult", "2010-01-01", "adult", "date_too_late"},
		{"sel", "z", "sel", "invalid_choice"},
		{"radio", "z", "radio", "invalid_choice"},
		{"boxes", []any{"a"}, "boxes", "items_too_few"},
		{"boxes", []any{"a", "b", "c"}, "boxes", "items_too_many"},
		{"boxes", []any{"a", "z"}, "boxes", "invalid_choice"},
		{"yn", "vielleicht", "yn", "invalid_choice"},
		{"mail", "paul@", "mail", "invalid_email"},
		{"mail", "Paul <paul@example.org>", "mail", "invalid_email"},
		{"tel", "call me", "tel", "invalid_phone"},
		{"tel", "12", "tel", "invalid_phone"},
		{"iban", "DE89 3704 0044 0532 0130 01", "iban", "invalid_iban"},
		{"iban", "DE8937040044053201300", "iban", "invalid_iban"},
		{"iban", "XX89370400440532013000", "iban", "invalid_iban"},
		{"plz", "1234", "plz", "invalid_postcode"},
		{"plz", "00123", "plz", "invalid_postcode"},
		{"addr", map[string]any{"street": "Marktplatz"}, "addr.postcode", "required"},
		{"addr", map[string]any{"street": "Marktplatz", "postcode": "9105", "city": "X"}, "addr.postcode", "invalid_postcode"},
		{"addr", "Marktplatz 1", "addr", "invalid"},
		{"list", []any{}, "list", "items_too_few"},
		{"list", "eins", "list", "invalid"},
		{"list", []any{map[string]any{"x": "a"}, map[string]any{"x": "b"}, map[string]any{"x": "c"}}, "list", "items_too_many"},
		{"list", []any{map[string]any{}}, "list.0.x", "required"},
		{"list", []any{map[string]any{"x": "zeig"}}, "list.0.y", "required"},
		{"opt", map[string]any{"x": ""}, "", ""}, // an optional group left empty is fine
		{"must", "", "must", "required"},
		{"yn", true, "cond", "required"},
		{"boxes", []any{"a", "c"}, "reqif", "required"},
	}
	for _, c := range refused {
		a := valid()
		a[c.field] = c.value
		_, _, err := Validate(d, a, Check{Now: ruleNow})
		if c.code == "" {
			if err != nil {
				t.Errorf("%s = %v: %v", c.field, c.value, err)
			}
			continue
		}
		if !fault.HasCode(err, c.path, c.code) {
			t.Errorf("%s = %#v: want %s at %s, got %v", c.field, c.value, c.code, c.path, err)
		}
	}

	accepted := []struct {
		field string
		in    any
		want  any
	}{
		{"text", " abc ", "abc"},
		{"plain", json.Number("17"), "17"},
		{"pattern", "AB12", "AB12"},
		{"long", "a\r\nb", "a\nb"},
		{"int", "7", json.Number("7")},
		{"int", json.Number("10"), json.Number("10")},
		{"dec", "3,14", json.Number("3.14")},
		{"money", "1.234,50", nil}, // over the maximum of 1000: refused above; here a plain one
		{"money", "30,5", "30.50"},
		{"money", json.Number("12"), "12.00"},
		{"date", "01.03.2026", "2026-03-01"},
		{"date", "1.3.2026", "2026-03-01"},
		{"future", "15.06.2026", "2026-06-15"},
		{"adult", "1980-04-23", "1980-04-23"},
		{"boxes", []any{"b", "a", "a"}, []any{"a", "b"}},
		{"boxes", []string{"a", "b"}, []any{"a", "b"}},
		{"yn", "ja", true},
		{"yn", false, false},
		{"mail", " paul@example.org ", "paul@example.org"},
		{"tel", "+49 (911) 123-456", "+49 (911) 123-456"},
		{"iban", "de89 3704 0044 0532 0130 00", "DE89370400440532013000"},
		{"iban", "AT611904300234573201", "AT611904300234573201"},
		{"plz", "01067", "01067"},
		{"addr", map[string]any{"street": "Marktplatz", "house_number": "1a", "postcode": "91052", "city": "Musterstadt"},
			map[string]any{"street": "Marktplatz", "house_number": "1a", "postcode": "91052", "city": "Musterstadt"}},
	}
	for _, c := range accepted {
		if c.want == nil {
			continue
		}
		a := valid()
		a[c.field] = c.in
		if c.want == true {
			a["cond"] = "nun gefragt" // yes reveals the conditional question
		}
		got, _, err := Validate(d, a, Check{Now: ruleNow})
		if err != nil {
			t.Errorf("%s = %#v refused: %v", c.field, c.in, err)
			continue
		}
		if diff := cmp.Diff(c.want, got[c.field]); diff != "" {
			t.Errorf("%s = %#v (-want +got):\n%s", c.field, c.in, diff)
		}
	}
}

// TestFilesAndHiddenAnswers: files only from uploads, within count, type
// and size; strict checking refuses unknown and hidden answers, lenient
// checking drops them; notes take no answer.
func TestFilesAndHiddenAnswers(t *testing.T) {
	d := ruleForm(t)
	pdf := File{Name: "a.pdf", MediaType: "application/pdf", Size: 500, SHA256: strings.Repeat("a", 64)}
	png := File{Name: "a.png", MediaType: "image/png", Size: 500, SHA256: strings.Repeat("b", 64)}
	big := pdf
	big.Size = 1001
	for _, c := range []struct {
		files []File
		code  string
	}{
		{[]File{pdf, pdf, pdf}, "items_too_many"},
		{[]File{png}, "file_type"},
		{[]File{big}, "file_too_large"},
	} {
		_, _, err := Validate(d, valid(), Check{Now: ruleNow, Files: map[string][]File{"file": c.files}})
		if !fault.HasCode(err, "file", c.code) {
			t.Errorf("files %v: want %s, got %v", c.files, c.code, err)
		}
	}
	got, files, err := Validate(d, valid(), Check{Now: ruleNow, Files: map[string][]File{"file": {pdf}}})
	if err != nil || len(files) != 1 || files[0].Field != "file" || got["file"] == nil {
		t.Errorf("one pdf: %v %v %v", got["file"], files, err)
	}
	a := valid()
	a["file"] = []any{map[string]any{"sha256": strings.Repeat("c", 64)}}
	if _, _, err := Validate(d, a, Check{Now: ruleNow, Strict: true}); !fault.HasCode(err, "file", "not_allowed") {
		t.Errorf("a file named in the answers: %v", err)
	}
	a = valid()
	a["cond"], a["nope"], a["note"] = "hidden", "x", "y"
	if _, _, err := Validate(d, a, Check{Now: ruleNow, Strict: true}); !fault.HasCode(err, "cond", "not_visible") || !fault.HasCode(err, "nope", "unknown_field") || !fault.HasCode(err, "note", "not_allowed") {
		t.Errorf("strict: %v", err)
	}
	got, _, err = Validate(d, a, Check{Now: ruleNow})
	if err != nil {
		t.Fatalf("lenient: %v", err)
	}
	for _, k := range []string{"cond", "nope", "note"} {
		if _, ok := got[k]; ok {
			t.Errorf("lenient kept %s", k)
		}
	}
	// Conditions: any/not/in.
	a = valid()
	delete(a, "radio")
	a["anyof"] = "sichtbar"
	if got, _, err := Validate(d, a, Check{Now: ruleNow}); err != nil || got["anyof"] != "sichtbar" {
		t.Errorf("any(not(radio filled)): %v %v", got["anyof"], err)
	}
	a = valid()
	a["anyof"] = "versteckt"
	if got, _, _ := Validate(d, a, Check{Now: ruleNow}); got["anyof"] != nil {
		t.Errorf("anyof shown although radio is answered and sel is not b/c")
	}
	a["sel"] = "c"
	if got, _, _ := Validate(d, a, Check{Now: ruleNow}); got["anyof"] != "versteckt" {
		t.Errorf("anyof hidden although sel is c")
	}
}

// TestDefinitionCheck: the definition itself is checked.
func TestDefinitionCheck(t *testing.T) {
	base := func() *Definition { return ruleForm(t) }
	for name, c := range map[string]struct {
		edit func(*Definition)
		path string
	}{
		"no title":           {func(d *Definition) { d.Title = Text{} }, "title"},
		"bad step id":        {func(d *Definition) { d.Steps[0].ID = "Schritt 1" }, "steps.0.id"},
		"duplicate field id": {func(d *Definition) { d.Steps[0].Fields[1].ID = "text" }, "steps.0.fields.1.id"},
		"unknown type":       {func(d *Definition) { d.Steps[0].Fields[0].Type = "wizard" }, "steps.0.fields.0.type"},
		"select no options":  {func(d *Definition) { d.Steps[0].Fields[13].Options = nil }, "steps.0.fields.13.options"},
		"bad pattern":        {func(d *Definition) { d.Steps[0].Fields[1].Rules.Pattern = "([" }, "steps.0.fields.1.rules.pattern"},
		"min above max":      {func(d *Definition) { d.Steps[0].Fields[4].Rules.Min = "20" }, "steps.0.fields.4.rules.min"},
		"bad date bound":     {func(d *Definition) { d.Steps[0].Fields[9].Rules.MinDate = "gestern" }, "steps.0.fields.9.rules.min_date"},
		"unknown accept":     {func(d *Definition) { d.Steps[0].Fields[22].Rules.Accept = []string{"text/html"} }, "steps.0.fields.22.rules.accept"},
		"condition no field": {func(d *Definition) { d.Steps[0].Fields[27].VisibleIf.Field = "nirgends" }, "steps.0.fields.27.visible_if.field"},
		"two tests":          {func(d *Definition) { d.Steps[0].Fields[27].VisibleIf.In = []string{"a"} }, "steps.0.fields.27.visible_if"},
		"bad prefill":        {func(d *Definition) { d.Steps[0].Fields[0].Prefill = "passwort" }, "steps.0.fields.0.prefill"},
		"address prefill":    {func(d *Definition) { d.Steps[0].Fields[0].Prefill = "address" }, "steps.0.fields.0.prefill"},
		"fee decimals":       {func(d *Definition) { d.Fee = &Fee{Amount: "1.234"} }, "fee.amount"},
		"unknown language":   {func(d *Definition) { d.Title["fr"] = "x" }, "title"},
	} {
		d := base()
		c.edit(d)
		err := d.Check()
		fv, ok := fault.AsValidation(err)
		if !ok || fv.Code(c.path) != "invalid_definition" {
			t.Errorf("%s: want invalid_definition at %s, got %v", name, c.path, err)
		}
	}
	if _, err := ParseDefinition([]byte(`{"title":{"de":"x"},"steps":[],"extra":1}`)); !fault.HasCode(err, "definition", "invalid_definition") {
		t.Errorf("unknown key: %v", err)
	}
}

func TestValuesDirectly(t *testing.T) {
	for _, c := range []struct {
		s  string
		ok bool
	}{{"DE89370400440532013000", true}, {"GB82WEST12345698765432", true}, {"NL91ABNA0417164300", true}, {"DE89370400440532013001", false}, {"DE8937040044053201300A", false}} {
		if ValidIBAN(c.s) != c.ok {
			t.Errorf("ValidIBAN(%s) = %v", c.s, !c.ok)
		}
	}
	for s, want := range map[string]bool{"91052": true, "01001": true, "99998": true, "01000": false, "99999": false, "9105": false, "9105a": false} {
		if ValidPostcode(s) != want {
			t.Errorf("ValidPostcode(%s) = %v", s, !want)
		}
	}
	if d, ok := ParseAmount("1.234,56"); !ok || d.String() != "1234.56" {
		t.Errorf("ParseAmount: %v %v", d, ok)
	}
	if _, ok := ParseAmount("1.23.4,5"); ok {
		t.Error("ParseAmount accepted 1.23.4,5")
	}
	if d, ok := parseDateBound("today+1m", Day{2026, 1, 31}); !ok || d != (Day{2026, 3, 3}) {
		t.Errorf("today+1m from 31.01. = %v", d)
	}
	if got := Today(time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC)); got != (Day{2026, 3, 29}) {
		t.Errorf("today in Berlin at 23:30 UTC = %v", got)
	}
}
