package forms

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// The form builder's edits are small pure operations on a draft
// definition; the pages apply one per request and store the result as the
// draft (SaveDraft checks the whole definition).

// Copy returns a deep copy of the definition.
func (d *Definition) Copy() *Definition {
	var c Definition
	if err := json.Unmarshal(d.Marshal(), &c); err != nil {
		panic(err)
	}
	return &c
}

// NewDefinition is the draft of a new form: one step without questions.
func NewDefinition(title string) *Definition {
	return &Definition{Title: Text{"de": title}, Steps: []Step{{ID: "angaben", Title: Text{"de": "Angaben", "en": "Details"}}}}
}

// slugID makes a field or step id from a label: "Name des Hundes" →
// "name_des_hundes", unique among taken.
func slugID(label string, taken map[string]bool) string {
	var b strings.Builder
	repl := strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss", "Ä", "ae", "Ö", "oe", "Ü", "ue")
	underscore := false
	for _, r := range strings.ToLower(repl.Replace(label)) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			underscore = false
		case unicode.IsSpace(r) || r == '-' || r == '_' || r == '/':
			if !underscore && b.Len() > 0 {
				b.WriteByte('_')
				underscore = true
			}
		}
		if b.Len() >= 40 {
			break
		}
	}
	id := strings.Trim(b.String(), "_")
	if id == "" || id[0] < 'a' || id[0] > 'z' {
		id = "feld_" + id
	}
	return uniqueID(id, taken)
}

func stepIDs(d *Definition) map[string]bool {
	m := map[string]bool{}
	for _, s := range d.Steps {
		m[s.ID] = true
	}
	return m
}

// scopeIDs are the ids taken where a new field of parent goes: the whole
// top level for a step's fields, the group's fields inside a group.
func scopeIDs(d *Definition, parent *Field) map[string]bool {
	m := map[string]bool{}
	fs := d.AllFields()
	if parent != nil {
		fs = parent.Fields
	}
	for _, f := range fs {
		m[f.ID] = true
	}
	return m
}

// AddStep appends a step.
func (d *Definition) AddStep(title string) string {
	id := slugID(title, stepIDs(d))
	d.Steps = append(d.Steps, Step{ID: id, Title: Text{"de": title}})
	return id
}

// MoveStep moves step i up (delta -1) or down (+1).
func (d *Definition) MoveStep(i, delta int) bool {
	j := i + delta
	if i < 0 || i >= len(d.Steps) || j < 0 || j >= len(d.Steps) {
		return false
	}
	d.Steps[i], d.Steps[j] = d.Steps[j], d.Steps[i]
	return true
}

// RemoveStep deletes step i (not the last one).
func (d *Definition) RemoveStep(i int) bool {
	if i < 0 || i >= len(d.Steps) || len(d.Steps) == 1 {
		return false
	}
	d.Steps = append(d.Steps[:i:i], d.Steps[i+1:]...)
	return true
}

// fieldList returns the slice holding the field at path within step i (the
// step's fields, or a group's), the field's index in it, and the group.
func (d *Definition) fieldList(step int, path string) (*[]Field, int, *Field) {
	if step < 0 || step >= len(d.Steps) {
		return nil, -1, nil
	}
	list := &d.Steps[step].Fields
	var parent *Field
	parts := strings.Split(path, ".")
	for k, p := range parts {
		idx := -1
		for i := range *list {
			if (*list)[i].ID == p {
				idx = i
			}
		}
		if idx < 0 {
			return nil, -1, nil
		}
		if k == len(parts)-1 {
			return list, idx, parent
		}
		parent = &(*list)[idx]
		if parent.Type != TypeGroup {
			return nil, -1, nil
		}
		list = &parent.Fields
	}
	return nil, -1, nil
}

// FieldAt returns the field at path of step i (path "group.field" inside
// groups), or nil.
func (d *Definition) FieldAt(step int, path string) *Field {
	list, i, _ := d.fieldList(step, path)
	if list == nil {
		return nil
	}
	return &(*list)[i]
}

// AddField appends a field of a type to step i, or to the group at
// parentPath of that step, and returns its path.
func (d *Definition) AddField(step int, parentPath string, t FieldType, label string) (string, error) {
	if step < 0 || step >= len(d.Steps) {
		return "", fmt.Errorf("no step %d", step)
	}
	if !t.valid() {
		return "", fmt.Errorf("unknown type %q", t)
	}
	var parent *Field
	list := &d.Steps[step].Fields
	if parentPath != "" {
		parent = d.FieldAt(step, parentPath)
		if parent == nil || parent.Type != TypeGroup {
			return "", fmt.Errorf("no group %q", parentPath)
		}
		list = &parent.Fields
	}
	label = strings.TrimSpace(label)
	if label == "" {
		label = "Neue Frage"
	}
	f := Field{ID: slugID(label, scopeIDs(d, parent)), Type: t, Label: Text{"de": label}}
	switch {
	case t.hasOptions():
		f.Options = []Option{{Value: "ja", Label: Text{"de": "Ja", "en": "Yes"}}, {Value: "nein", Label: Text{"de": "Nein", "en": "No"}}}
	case t == TypeGroup:
		f.Fields = []Field{{ID: "angabe", Type: TypeText, Label: Text{"de": "Angabe"}}}
	case t == TypeNote:
		f.Help = Text{"de": label}
	}
	*list = append(*list, f)
	if parentPath != "" {
		return parentPath + "." + f.ID, nil
	}
	return f.ID, nil
}

// MoveField moves a field up or down among its siblings.
func (d *Definition) MoveField(step int, path string, delta int) bool {
	list, i, _ := d.fieldList(step, path)
	if list == nil {
		return false
	}
	j := i + delta
	if j < 0 || j >= len(*list) {
		return false
	}
	(*list)[i], (*list)[j] = (*list)[j], (*list)[i]
	return true
}

// RemoveField deletes a field (a group keeps at least one field).
func (d *Definition) RemoveField(step int, path string) bool {
	list, i, parent := d.fieldList(step, path)
	if list == nil || parent != nil && len(*list) == 1 {
		return false
	}
	*list = append((*list)[:i:i], (*list)[i+1:]...)
	return true
}

// ParseOptions reads the builder's option lines: "value = Label" or just
// "Label" (the value is made from the label); an English label after " | ".
func ParseOptions(s string) []Option {
	var out []Option
	taken := map[string]bool{}
	for _, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		value, label, ok := strings.Cut(line, "=")
		if !ok {
			label, value = line, ""
		}
		value, label = strings.TrimSpace(value), strings.TrimSpace(label)
		de, en, _ := strings.Cut(label, "|")
		t := Text{"de": strings.TrimSpace(de)}
		if en = strings.TrimSpace(en); en != "" {
			t["en"] = en
		}
		if value == "" {
			value = slugID(t["de"], taken)
		}
		taken[value] = true
		out = append(out, Option{Value: value, Label: t})
	}
	return out
}

// FormatOptions writes options as the builder's lines.
func FormatOptions(opts []Option) string {
	var b strings.Builder
	for _, o := range opts {
		b.WriteString(o.Value + " = " + o.Label["de"])
		if en := o.Label["en"]; en != "" {
			b.WriteString(" | " + en)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// SimpleCondition is a condition as the builder edits it: one field, one
// test, one or more values. Conditions built otherwise (all/any/not) are
// kept as they are unless replaced.
type SimpleCondition struct {
	Field string
	Op    string // equals, not_equals, in, filled, empty
	Value string // comma-separated for "in"
}

// Simple turns a condition into its builder form; ok is false for
// combined conditions.
func (c *Condition) Simple() (SimpleCondition, bool) {
	if c == nil {
		return SimpleCondition{}, true
	}
	scalar := func(raw json.RawMessage) string {
		var v any
		json.Unmarshal(raw, &v)
		switch x := v.(type) {
		case bool:
			if x {
				return "ja"
			}
			return "nein"
		case string:
			return x
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return ""
	}
	switch {
	case c.Equals != nil && c.Field != "":
		return SimpleCondition{Field: c.Field, Op: "equals", Value: scalar(c.Equals)}, true
	case c.NotEquals != nil && c.Field != "":
		return SimpleCondition{Field: c.Field, Op: "not_equals", Value: scalar(c.NotEquals)}, true
	case c.In != nil && c.Field != "":
		return SimpleCondition{Field: c.Field, Op: "in", Value: strings.Join(c.In, ", ")}, true
	case c.Filled != nil && c.Field != "":
		if *c.Filled {
			return SimpleCondition{Field: c.Field, Op: "filled"}, true
		}
		return SimpleCondition{Field: c.Field, Op: "empty"}, true
	}
	return SimpleCondition{}, false
}

// Condition builds the condition (nil when no field is chosen). Values
// "ja"/"nein" compare with a yes/no field as booleans.
func (s SimpleCondition) Condition(d *Definition) *Condition {
	if strings.TrimSpace(s.Field) == "" {
		return nil
	}
	c := &Condition{Field: strings.TrimSpace(s.Field)}
	target := findField(d, nil, c.Field)
	raw := func(v string) json.RawMessage {
		v = strings.TrimSpace(v)
		if target != nil && target.Type == TypeYesNo {
			switch strings.ToLower(v) {
			case "ja", "yes", "true":
				return json.RawMessage("true")
			case "nein", "no", "false":
				return json.RawMessage("false")
			}
		}
		b, _ := json.Marshal(v)
		return b
	}
	switch s.Op {
	case "not_equals":
		c.NotEquals = raw(s.Value)
	case "in":
		for _, v := range strings.Split(s.Value, ",") {
			if v = strings.TrimSpace(v); v != "" {
				c.In = append(c.In, v)
			}
		}
		if c.In == nil {
			c.In = []string{}
		}
	case "filled":
		t := true
		c.Filled = &t
	case "empty":
		f := false
		c.Filled = &f
	default:
		c.Equals = raw(s.Value)
	}
	return c
}

// FieldPaths lists every field a condition may name, with its label, in
// form order (groups' fields by dotted path; repeated groups' fields are
// reachable only from within their entry and are left out).
func (d *Definition) FieldPaths(lang string) [][2]string {
	var out [][2]string
	var walk func(prefix string, fs []Field)
	walk = func(prefix string, fs []Field) {
		for _, f := range fs {
			switch {
			case f.Type == TypeNote || f.Type == TypeFile:
			case f.Type == TypeGroup && !f.Repeat:
				walk(prefix+f.ID+".", f.Fields)
			case f.Type == TypeGroup:
			default:
				out = append(out, [2]string{prefix + f.ID, f.Label.In(lang)})
			}
		}
	}
	walk("", d.AllFields())
	return out
}
