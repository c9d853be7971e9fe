package forms

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// FIM import: a FIM master data schema (XDatenfelder, as exported into
// ../shared/data/forms/*_fields.json: a flat list of groups and fields with
// labels, help texts, value lists and cardinalities, and the schema's rules
// parsed into edges) becomes a draft form definition. Each top-level group
// is a step; nested groups stay groups (repeated when their cardinality
// allows more than one); FIM leaves most field types open, so they are
// inferred from labels, value lists and the federal code lists, and every
// inference is listed in the report, as is every rule that could not be
// turned into a condition.

// fimSchema is the input document.
type fimSchema struct {
	Meta struct {
		FIMID       string `json:"fim_id"`
		FIMVersion  string `json:"fim_version"`
		Name        string `json:"name"`
		Bezeichnung string `json:"bezeichnung"`
	} `json:"meta"`
	Schema struct {
		Definition string `json:"definition"`
	} `json:"schema"`
	Nodes []fimNode `json:"nodes"`
	Edges []fimEdge `json:"rule_edges"`
}

type fimNode struct {
	PathID     string `json:"path_id"`
	ID         string `json:"id"`
	Kind       string `json:"kind"`
	Label      string `json:"label"`
	Anzahl     string `json:"anzahl"`
	Required   bool   `json:"required"`
	Definition string `json:"definition"`
	Hilfetext  string `json:"hilfetext"`
	Werte      []struct {
		Code string `json:"code"`
		Name string `json:"name"`
	} `json:"werte"`
}

type fimEdge struct {
	Parent   string   `json:"parent"`
	Child    string   `json:"child"`
	Operator string   `json:"operator"`
	Values   []string `json:"values"`
	Actions  []string `json:"actions"`
	RuleID   string   `json:"rule_id"`
	Text     string   `json:"text"`
	SourceID string   `json:"source_id"`
	TargetID string   `json:"target_id"`
}

// ImportReport tells what an import made of a FIM schema.
type ImportReport struct {
	FIMID      string        `json:"fim_id"`
	FIMVersion string        `json:"fim_version"`
	Title      string        `json:"title"`
	Steps      int           `json:"steps"`
	Fields     int           `json:"fields"`
	Inferred   []Inference   `json:"inferred_types"`
	Rules      int           `json:"rules_imported"`
	Skipped    []SkippedRule `json:"rules_skipped"`
	Notes      []string      `json:"notes"`
	// Form and Version are set by the use case that stored the draft.
	Form    string `json:"form,omitempty"`
	Version int    `json:"version,omitempty"`
}

// Inference is a field whose type FIM left open and the import decided.
type Inference struct {
	Path   string    `json:"path"`
	FIMID  string    `json:"fim_id"`
	Label  string    `json:"label"`
	Type   FieldType `json:"type"`
	Reason string    `json:"reason"`
}

// SkippedRule is a FIM rule the import could not express.
type SkippedRule struct {
	RuleID string `json:"rule_id"`
	Reason string `json:"reason"`
	Text   string `json:"text"`
}

// Limits of an import's input (a hostile file must not make a form that is
// expensive to render).
const (
	maxFIMBytes = 8 << 20
	maxFIMNodes = 2000
)

//go:embed data/codelists_fim_baukasten.json
var codeListFS embed.FS

type codeList struct {
	Values []struct {
		Code string `json:"code"`
		Name string `json:"name"`
	} `json:"values"`
}

// codeLists are the federal code lists (FIM Baukasten), keyed by name.
var codeLists = sync.OnceValue(func() map[string]codeList {
	b, err := codeListFS.ReadFile("data/codelists_fim_baukasten.json")
	if err != nil {
		panic(err)
	}
	m := map[string]codeList{}
	if err := json.Unmarshal(b, &m); err != nil {
		panic("forms: code lists: " + err.Error())
	}
	return m
})

// labelLists maps a field label to the code list FIM uses for it.
var labelLists = []struct {
	re   *regexp.Regexp
	list string
}{
	{regexp.MustCompile(`^Rechtsform$`), "rechtsform"},
	{regexp.MustCompile(`^Staatsangehörigkeit`), "staatsangehoerigkeit"},
	{regexp.MustCompile(`^(Staat|Staat der Geburt|Staat der Eintragung|Land der Eintragung|Geburtsstaat)$`), "staat"},
	{regexp.MustCompile(`^Geschlecht$`), "geschlecht"},
	{regexp.MustCompile(`^Bundesland`), "bundesland"},
	{regexp.MustCompile(`^Registergericht$`), "registergerichte"},
	{regexp.MustCompile(`^Handwerkskammer$`), "handwerkskammer"},
	{regexp.MustCompile(`^(Industrie- und Handelskammer|IHK)$`), "industrie-und-handelskammer"},
	{regexp.MustCompile(`^Art der Eintragung oder des Registers$`), "art-eintragung"},
	{regexp.MustCompile(`^Familienstand$`), "familienstand"},
}

var (
	questionWord = regexp.MustCompile(`^(Welche|Welcher|Welches|Wann|Wo|Wie|Was|Wer|Wem|Wen|Warum|Weshalb|Durch welche|In welche|Seit wann|Bis wann)\b`)
	dateLabel    = regexp.MustCompile(`(?i)(datum|^wann\b|seit wann|bis wann)`)
	uploadLabel  = regexp.MustCompile(`(?i)(fügen sie .* bei|unterlagen|hochladen|nachweis über|anlage\b)`)
)

// fimBuilder keeps the state of one import.
type fimBuilder struct {
	rep      *ImportReport
	children map[string][]fimNode // path_id → child nodes in order
	byPath   map[string]*fimNode
	// def is a node's path in the definition (ids through groups, without
	// entry indexes); answer its answer path from the top ("" inside a
	// repeated group, whose entries have their own scope); scope the def
	// path of the enclosing repeated group ("" outside any).
	def, answer, scope map[string]string
	fields             map[string]*Field // path_id → the built field (after link)
	steps              map[string]*Step  // top-level path_id → its step (after link)
	stepOf             map[string]string // top-level path_id → step id
	count              int
}

// ImportFIM turns a FIM schema (the *_fields.json format) into a form
// definition and a report. It fails only on input it cannot read; problems
// of single rules or fields are reported, not fatal.
func ImportFIM(data []byte) (*Definition, *ImportReport, error) {
	if len(data) > maxFIMBytes {
		return nil, nil, fmt.Errorf("FIM schema larger than %d bytes", maxFIMBytes)
	}
	var in fimSchema
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&in); err != nil {
		return nil, nil, fmt.Errorf("FIM schema: %s", jsonProblem(err))
	}
	if len(in.Nodes) == 0 {
		return nil, nil, fmt.Errorf("FIM schema: no groups or fields (nodes)")
	}
	if len(in.Nodes) > maxFIMNodes {
		return nil, nil, fmt.Errorf("FIM schema: more than %d nodes", maxFIMNodes)
	}
	title := strings.TrimSpace(in.Meta.Bezeichnung)
	if title == "" {
		title = strings.TrimSpace(in.Meta.Name)
	}
	if title == "" {
		title = "FIM " + in.Meta.FIMID
	}
	title = clip(title, 300)
	rep := &ImportReport{FIMID: in.Meta.FIMID, FIMVersion: in.Meta.FIMVersion, Title: title, Inferred: []Inference{}, Skipped: []SkippedRule{}, Notes: []string{}}
	b := &fimBuilder{rep: rep, children: map[string][]fimNode{}, byPath: map[string]*fimNode{}, def: map[string]string{}, answer: map[string]string{},
		scope: map[string]string{}, stepOf: map[string]string{}}
	var tops []fimNode
	for i := range in.Nodes {
		n := in.Nodes[i]
		n.PathID = strings.TrimSpace(n.PathID)
		if n.PathID == "" || n.Kind != "group" && n.Kind != "field" || !utf8.ValidString(n.Label+n.Hilfetext+n.Definition) {
			rep.Notes = append(rep.Notes, fmt.Sprintf("node %d (%q) skipped: no path, unknown kind or not UTF-8", i, clip(n.PathID, 60)))
			continue
		}
		if _, dup := b.byPath[n.PathID]; dup {
			rep.Notes = append(rep.Notes, fmt.Sprintf("node %s appears twice: the second is skipped", clip(n.PathID, 80)))
			continue
		}
		b.byPath[n.PathID] = &in.Nodes[i]
		*b.byPath[n.PathID] = n
		parent := ""
		if i := strings.LastIndexByte(n.PathID, '.'); i >= 0 {
			parent = n.PathID[:i]
		}
		if parent == "" {
			tops = append(tops, n)
		} else if _, ok := b.byPath[parent]; !ok {
			rep.Notes = append(rep.Notes, fmt.Sprintf("node %s skipped: its group %s comes later or not at all", clip(n.PathID, 80), clip(parent, 80)))
			delete(b.byPath, n.PathID)
			continue
		}
		b.children[parent] = append(b.children[parent], n)
	}
	d := &Definition{Title: Text{"de": title}}
	if s := strings.TrimSpace(in.Schema.Definition); s != "" {
		d.Intro = Text{"de": clip(s, 2000)}
	}
	var loose []fimNode
	stepIDs := map[string]bool{}
	top := map[string]bool{} // field ids of the top level (unique across steps)
	for _, n := range tops {
		if n.Kind == "field" {
			loose = append(loose, n)
			continue
		}
		if len(d.Steps) >= MaxSteps {
			rep.Notes = append(rep.Notes, "more top-level groups than a form has steps: "+n.PathID+" and later ones skipped")
			break
		}
		st := Step{ID: uniqueID(fimID(n.ID, n.PathID), stepIDs), Title: Text{"de": clip(nonEmptyLabel(n), 300)}}
		if lo, _ := cardinality(n.Anzahl); lo == 0 {
			// An optional top-level group: its fields are asked in one
			// optional group, so the step may be left empty.
			g := Field{ID: uniqueID(fimID(n.ID, n.PathID), top), Type: TypeGroup, Label: Text{"de": clip(nonEmptyLabel(n), 300)}}
			b.def[n.PathID], b.answer[n.PathID] = g.ID, g.ID
			g.Fields = b.build(n.PathID, g.ID+".", g.ID+".", "", 1, map[string]bool{})
			if len(g.Fields) == 0 {
				delete(top, g.ID)
				continue
			}
			st.Fields = []Field{g}
		} else {
			st.Fields = b.build(n.PathID, "", "", "", 1, top)
			if len(st.Fields) == 0 {
				continue
			}
		}
		b.stepOf[n.PathID] = st.ID
		d.Steps = append(d.Steps, st)
	}
	if len(loose) > 0 && len(d.Steps) < MaxSteps {
		st := Step{ID: uniqueID("angaben", stepIDs), Title: Text{"de": "Angaben"}}
		for _, n := range loose {
			if f, ok := b.field(n, "", "", "", top); ok {
				st.Fields = append(st.Fields, f)
			}
		}
		if len(st.Fields) > 0 {
			d.Steps = append(d.Steps, st)
		}
	}
	b.link(d)
	b.rules(in.Edges, d)
	rep.Steps = len(d.Steps)
	rep.Fields = b.count
	if len(d.Steps) == 0 {
		return nil, rep, fmt.Errorf("FIM schema %s: no field could be imported", in.Meta.FIMID)
	}
	if err := d.Check(); err != nil {
		return nil, rep, fmt.Errorf("FIM schema %s: imported definition invalid: %w", in.Meta.FIMID, err)
	}
	return d, rep, nil
}

// link finds the built fields and steps by their definition paths, now
// that no slice grows any more.
func (b *fimBuilder) link(d *Definition) {
	byDef := map[string]*Field{}
	var walk func(prefix string, fs []Field)
	walk = func(prefix string, fs []Field) {
		for i := range fs {
			byDef[prefix+fs[i].ID] = &fs[i]
			if fs[i].Type == TypeGroup {
				walk(prefix+fs[i].ID+".", fs[i].Fields)
			}
		}
	}
	for i := range d.Steps {
		walk("", d.Steps[i].Fields)
	}
	b.fields = map[string]*Field{}
	for p, dp := range b.def {
		if f := byDef[dp]; f != nil {
			b.fields[p] = f
		}
	}
	b.steps = map[string]*Step{}
	for p, id := range b.stepOf {
		if st := d.Step(id); st != nil {
			b.steps[p] = st
		}
	}
}

// build makes the fields of a group's children. defPrefix and ansPrefix
// are the group's definition and answer paths ("" for a step), scope the
// definition path of the enclosing repeated group; seen the ids taken in
// the scope.
func (b *fimBuilder) build(parent, defPrefix, ansPrefix, scope string, depth int, seen map[string]bool) []Field {
	var out []Field
	for _, n := range b.children[parent] {
		if b.count >= MaxFields-1 {
			b.rep.Notes = append(b.rep.Notes, fmt.Sprintf("more than %d fields: %s and later ones skipped", MaxFields, n.PathID))
			break
		}
		if n.Kind == "group" {
			if depth >= MaxDepth {
				b.rep.Notes = append(b.rep.Notes, fmt.Sprintf("group %s nests deeper than %d levels: skipped", n.PathID, MaxDepth))
				continue
			}
			id := uniqueID(fimID(n.ID, n.PathID), seen)
			lo, hi := cardinality(n.Anzahl)
			g := Field{ID: id, Type: TypeGroup, Label: Text{"de": clip(nonEmptyLabel(n), 300)}, Required: lo > 0}
			if h := helpOf(n); h != "" {
				g.Help = Text{"de": h}
			}
			b.def[n.PathID], b.scope[n.PathID] = defPrefix+id, scope
			b.answer[n.PathID] = ""
			if ansPrefix != "" || scope == "" {
				b.answer[n.PathID] = ansPrefix + id
			}
			innerAns, innerScope := ansPrefix+id+".", scope
			if scope != "" {
				innerAns = ""
			}
			if hi != 1 {
				g.Repeat = true
				mi, ma := max(lo, 0), hi
				if ma < 0 || ma > DefaultMaxItems {
					ma = DefaultMaxItems
				}
				g.Rules.MinItems, g.Rules.MaxItems = &mi, &ma
				innerAns, innerScope = "", defPrefix+id // entries have their own scope
			}
			b.count++
			g.Fields = b.build(n.PathID, defPrefix+id+".", innerAns, innerScope, depth+1, map[string]bool{})
			if len(g.Fields) == 0 {
				b.count--
				delete(seen, id)
				continue
			}
			out = append(out, g)
			continue
		}
		if f, ok := b.field(n, defPrefix, ansPrefix, scope, seen); ok {
			out = append(out, f)
		}
	}
	return out
}

// field makes one field, inferring its type.
func (b *fimBuilder) field(n fimNode, defPrefix, ansPrefix, scope string, seen map[string]bool) (Field, bool) {
	prefix := defPrefix
	label := strings.TrimSpace(n.Label)
	lo, hi := cardinality(n.Anzahl)
	f := Field{ID: uniqueID(fimID(n.ID, n.PathID), seen), Label: Text{"de": clip(nonEmptyLabel(n), 500)}, Required: lo > 0}
	if h := helpOf(n); h != "" {
		f.Help = Text{"de": h}
	}
	infer := func(t FieldType, reason string) {
		f.Type = t
		b.rep.Inferred = append(b.rep.Inferred, Inference{Path: prefix + f.ID, FIMID: n.ID, Label: clip(label, 120), Type: t, Reason: reason})
	}
	abroad := strings.Contains(strings.ToLower(b.groupLabels(n.PathID)), "ausland")
	switch {
	case len(n.Werte) > 0:
		var opts []Option
		vals := map[string]bool{}
		yes, no := false, false
		for _, w := range n.Werte {
			v := strings.TrimSpace(w.Code)
			if v == "" {
				v = strings.TrimSpace(w.Name)
			}
			if v == "" || vals[v] || len(v) > 100 {
				continue
			}
			vals[v] = true
			name := clip(strings.TrimSpace(w.Name), 300)
			if name == "" {
				name = v
			}
			switch strings.ToLower(name) {
			case "ja":
				yes = true
			case "nein":
				no = true
			}
			opts = append(opts, Option{Value: v, Label: Text{"de": name}})
			if len(opts) == MaxOptions {
				break
			}
		}
		switch {
		case len(opts) == 0:
			infer(TypeText, "value list without usable entries: free text")
		case yes && no && len(opts) == 2:
			infer(TypeYesNo, "value list Ja/Nein")
		case len(opts) <= 5:
			f.Type, f.Options = TypeRadio, opts
			b.rep.Inferred = append(b.rep.Inferred, Inference{Path: prefix + f.ID, FIMID: n.ID, Label: clip(label, 120), Type: TypeRadio, Reason: fmt.Sprintf("value list of %d entries: radio buttons", len(opts))})
		default:
			f.Type, f.Options = TypeSelect, opts
			b.rep.Inferred = append(b.rep.Inferred, Inference{Path: prefix + f.ID, FIMID: n.ID, Label: clip(label, 120), Type: TypeSelect, Reason: fmt.Sprintf("value list of %d entries: drop-down", len(opts))})
		}
	case strings.EqualFold(label, "Hinweis") || strings.HasPrefix(label, "Hinweis:"):
		text := helpOf(n)
		if text == "" {
			text = strings.TrimSpace(n.Definition)
		}
		if text == "" {
			b.rep.Notes = append(b.rep.Notes, fmt.Sprintf("note %s has no text: skipped", n.PathID))
			return f, false
		}
		f.Required, f.Help, f.Label = false, Text{"de": clip(text, 2000)}, Text{"de": "Hinweis"}
		infer(TypeNote, "label Hinweis: a text, not a question")
	case strings.EqualFold(label, "Adresssuche"):
		b.rep.Notes = append(b.rep.Notes, fmt.Sprintf("field %s (Adresssuche) is a portal's search helper: not asked", n.PathID))
		return f, false
	case uploadLabel.MatchString(label) || strings.Contains(strings.ToLower(n.Hilfetext), "datenvolumen"):
		maxItems := 1
		if hi != 1 {
			maxItems = 5
		}
		f.Rules.MaxItems = &maxItems
		infer(TypeFile, "asks for a document to attach")
	default:
		if list := codeListFor(label); list != "" {
			cl := codeLists()[list]
			for _, v := range cl.Values {
				if len(f.Options) == MaxOptions {
					break
				}
				f.Options = append(f.Options, Option{Value: v.Code, Label: Text{"de": v.Name}})
			}
			t := TypeSelect
			if len(f.Options) <= 5 {
				t = TypeRadio
			}
			infer(t, "federal code list "+list)
			break
		}
		low := strings.ToLower(label)
		switch {
		case low == "tag":
			f.Rules.Min, f.Rules.Max = "1", "31"
			infer(TypeNumber, "day of a date: a number 1–31")
		case low == "monat":
			f.Rules.Min, f.Rules.Max = "1", "12"
			infer(TypeNumber, "month of a date: a number 1–12")
		case low == "jahr":
			f.Rules.Min, f.Rules.Max = "1900", "2100"
			infer(TypeNumber, "year: a number 1900–2100")
		case strings.Contains(low, "e-mail"):
			f.Prefill = "email"
			infer(TypeEmail, "label names an e-mail address")
		case strings.Contains(low, "telefon") || strings.Contains(low, "telefax") || strings.Contains(low, "mobil"):
			if strings.Contains(low, "telefon") {
				f.Prefill = "phone"
			}
			infer(TypePhone, "label names a telephone number")
		case strings.Contains(low, "iban"):
			infer(TypeIBAN, "label names an IBAN")
		case strings.Contains(low, "postleitzahl") && !abroad:
			f.Prefill = "postcode"
			infer(TypePostcode, "label Postleitzahl (domestic address)")
		case strings.Contains(low, "anzahl"):
			f.Rules.Min = "0"
			infer(TypeNumber, "label Anzahl: a whole number")
		case strings.Contains(low, "betrag") || strings.Contains(low, "kapital"):
			infer(TypeMoney, "label names an amount of money")
		case dateLabel.MatchString(label):
			infer(TypeDate, "label names a date")
		case strings.HasSuffix(label, "?") && !questionWord.MatchString(label):
			infer(TypeYesNo, "a yes/no question")
		case strings.HasPrefix(low, "beschreiben") || strings.Contains(low, "beschreibung"):
			f.Type = TypeTextarea
			b.rep.Inferred = append(b.rep.Inferred, Inference{Path: prefix + f.ID, FIMID: n.ID, Label: clip(label, 120), Type: TypeTextarea, Reason: "asks for a description"})
		default:
			f.Type = TypeText
			switch {
			case label == "Vornamen" || label == "Vorname":
				f.Prefill = "given_name"
			case label == "Familienname" || label == "Nachname":
				f.Prefill = "family_name"
			case label == "Ort" && !abroad:
				f.Prefill = "city"
			case label == "Geschäftsbezeichnung":
				f.Prefill = "company"
			}
			b.rep.Inferred = append(b.rep.Inferred, Inference{Path: prefix + f.ID, FIMID: n.ID, Label: clip(label, 120), Type: TypeText, Reason: "no type given: one line of text"})
		}
	}
	if hi != 1 && f.Type != TypeFile && f.Type != TypeNote {
		if f.Type == TypeSelect || f.Type == TypeRadio {
			if len(f.Options) <= 30 {
				f.Type = TypeCheckboxes
				if lo > 0 {
					f.Rules.MinItems = &lo
				}
				if hi > 0 {
					f.Rules.MaxItems = &hi
				}
			} else {
				b.rep.Notes = append(b.rep.Notes, fmt.Sprintf("field %s allows %s answers; the form asks for one", n.PathID, n.Anzahl))
			}
		} else {
			b.rep.Notes = append(b.rep.Notes, fmt.Sprintf("field %s allows %s answers; the form asks for one", n.PathID, n.Anzahl))
		}
	}
	if f.Type == TypeText && (f.Rules.MaxLength == nil) {
		ml := 300
		f.Rules.MaxLength = &ml
	}
	b.def[n.PathID], b.scope[n.PathID] = defPrefix+f.ID, scope
	b.answer[n.PathID] = ""
	if ansPrefix != "" || scope == "" {
		b.answer[n.PathID] = ansPrefix + f.ID
	}
	b.count++
	return f, true
}

// groupLabels joins the labels of a node's groups (for context rules such
// as "a postcode of an address abroad").
func (b *fimBuilder) groupLabels(path string) string {
	var parts []string
	for p := path; strings.Contains(p, "."); {
		p = p[:strings.LastIndexByte(p, '.')]
		if n := b.byPath[p]; n != nil {
			parts = append(parts, n.Label)
		}
	}
	return strings.Join(parts, " ")
}

func codeListFor(label string) string {
	for _, l := range labelLists {
		if l.re.MatchString(label) {
			if _, ok := codeLists()[l.list]; ok {
				return l.list
			}
		}
	}
	return ""
}

func helpOf(n fimNode) string {
	return clip(strings.TrimSpace(n.Hilfetext), 2000)
}

func nonEmptyLabel(n fimNode) string {
	if s := strings.TrimSpace(n.Label); s != "" {
		return s
	}
	return n.ID
}

// cardinality reads "1:1", "0:1", "0:*", "1:5": min and max (-1: any).
func cardinality(s string) (int, int) {
	lo, hi, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return 0, 1
	}
	l, err := strconv.Atoi(lo)
	if err != nil || l < 0 {
		l = 0
	}
	if hi == "*" {
		return min(l, 100), -1
	}
	h, err := strconv.Atoi(hi)
	if err != nil || h < 1 {
		return min(l, 100), 1
	}
	return min(l, 100), min(max(h, l, 1), 100)
}

var nonID = regexp.MustCompile(`[^a-z0-9_]+`)

// fimID makes a field id from a FIM id ("F05000017485" → "f05000017485").
func fimID(id, path string) string {
	s := strings.ToLower(strings.TrimSpace(id))
	if s == "" {
		s = strings.ToLower(path[strings.LastIndexByte(path, '.')+1:])
	}
	s = nonID.ReplaceAllString(s, "_")
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		s = "f" + s
	}
	if len(s) > 56 {
		s = s[:56]
	}
	return s
}

func uniqueID(id string, seen map[string]bool) string {
	out := id
	for i := 2; seen[out]; i++ {
		out = fmt.Sprintf("%s_%d", id, i)
	}
	seen[out] = true
	return out
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// A rule's effect on its target.
type fimEffect struct {
	required, hide, forbidden []Condition
}

var codesRE = regexp.MustCompile(`(?i)Codes\s+ausgewählt:\s*([0-9][0-9,\s\-–]*[0-9])`)

// rules turns the schema's rule edges into conditions.
func (b *fimBuilder) rules(edges []fimEdge, d *Definition) {
	effects := map[string]*fimEffect{}
	var order []string
	skip := func(e fimEdge, why string) {
		b.rep.Skipped = append(b.rep.Skipped, SkippedRule{RuleID: clip(e.RuleID, 40), Reason: why, Text: clip(e.Text, 300)})
	}
	for i, e := range edges {
		if i >= 5000 {
			b.rep.Notes = append(b.rep.Notes, "more than 5000 rule edges: the rest skipped")
			break
		}
		if len(e.Actions) == 0 || e.Actions[0] == "unclear" || e.Actions[0] == "validation" {
			skip(e, "not a condition on another answer (a check, or unclear wording)")
			continue
		}
		target := b.resolve(e.Child, e.TargetID)
		if target == "" {
			skip(e, "target not found in the schema")
			continue
		}
		source := b.resolve(e.Parent, e.SourceID)
		if e.Parent == "" && e.SourceID != "" {
			// The wording often names the source with its group:
			// "Datenfeld G05000011678.F05000017511".
			if m := regexp.MustCompile(`((?:G\d+\.)+` + regexp.QuoteMeta(e.SourceID) + `)`).FindStringSubmatch(e.Text); m != nil {
				if p := b.resolve(m[1], ""); p != "" {
					source = p
				}
			}
		}
		if source == "" {
			skip(e, "no source field named")
			continue
		}
		if strings.HasPrefix(source, target+".") {
			skip(e, "the source lies inside its own target (a repetition of the group, not a condition)")
			continue
		}
		cond, why := b.condition(e, source, target)
		if why != "" {
			skip(e, why)
			continue
		}
		ef := effects[target]
		if ef == nil {
			ef = &fimEffect{}
			effects[target] = ef
			order = append(order, target)
		}
		for _, a := range e.Actions {
			switch a {
			case "required", "show":
				ef.required = append(ef.required, cond)
			case "hide":
				ef.hide = append(ef.hide, cond)
			case "forbidden":
				ef.forbidden = append(ef.forbidden, cond)
			}
		}
		b.rep.Rules++
	}
	for _, target := range order {
		ef := effects[target]
		var visible, required *Condition
		switch {
		case len(ef.required) > 0 && len(ef.hide)+len(ef.forbidden) > 0:
			visible = anyOf(ef.required)
		case len(ef.required) > 0:
			required = anyOf(ef.required)
		case len(ef.hide)+len(ef.forbidden) > 0:
			visible = &Condition{Not: anyOf(append(append([]Condition{}, ef.hide...), ef.forbidden...))}
		}
		if st := b.steps[target]; st != nil {
			st.VisibleIf = andCond(st.VisibleIf, visible)
			if required != nil {
				st.VisibleIf = andCond(st.VisibleIf, required)
			}
			continue
		}
		f := b.fields[target]
		if f == nil {
			continue
		}
		if visible != nil {
			f.VisibleIf = andCond(f.VisibleIf, visible)
			if f.Type != TypeNote {
				f.Required = true
			}
		}
		if required != nil && f.Type != TypeNote {
			f.Required = false
			f.RequiredIf = required
		}
	}
	// A condition may only name fields the checker can reach; drop the
	// others (recorded) rather than fail the import.
	for i := range d.Steps {
		if d.Steps[i].VisibleIf != nil && !condOK(d, nil, *d.Steps[i].VisibleIf) {
			d.Steps[i].VisibleIf = nil
			b.rep.Notes = append(b.rep.Notes, "condition of step "+d.Steps[i].ID+" dropped: it names a field in a repeated group")
		}
		dropBad(d, d.Steps[i].Fields, b.rep)
	}
}

func dropBad(d *Definition, fs []Field, rep *ImportReport) {
	for i := range fs {
		if fs[i].VisibleIf != nil && !condOK(d, fs, *fs[i].VisibleIf) {
			fs[i].VisibleIf = nil
			rep.Notes = append(rep.Notes, "condition of "+fs[i].ID+" dropped: it names a field the form cannot reach from there")
		}
		if fs[i].RequiredIf != nil && !condOK(d, fs, *fs[i].RequiredIf) {
			fs[i].RequiredIf = nil
			rep.Notes = append(rep.Notes, "required-if of "+fs[i].ID+" dropped: it names a field the form cannot reach from there")
		}
		if fs[i].Type == TypeGroup {
			dropBad(d, fs[i].Fields, rep)
		}
	}
}

func condOK(d *Definition, local []Field, c Condition) bool {
	for _, s := range append(append([]Condition{}, c.All...), c.Any...) {
		if !condOK(d, local, s) {
			return false
		}
	}
	if c.Not != nil {
		return condOK(d, local, *c.Not)
	}
	if c.Field == "" {
		return true
	}
	return findField(d, local, c.Field) != nil
}

func anyOf(cs []Condition) *Condition {
	if len(cs) == 1 {
		c := cs[0]
		return &c
	}
	return &Condition{Any: cs}
}

func andCond(a, b *Condition) *Condition {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return &Condition{All: []Condition{*a, *b}}
}

// resolve finds a node by its path (possibly relative: "G05000011764.F…",
// which ends some path) or by its FIM id, and returns its path.
func (b *fimBuilder) resolve(path, id string) string {
	path = strings.TrimSpace(path)
	if path != "" {
		if _, ok := b.byPath[path]; ok {
			return path
		}
		var hits []string
		for p := range b.byPath {
			if strings.HasSuffix(p, "."+path) {
				hits = append(hits, p)
			}
		}
		if len(hits) == 1 {
			return hits[0]
		}
	}
	id = strings.TrimSpace(id)
	if id == "" || id == "?" {
		return ""
	}
	var hits []string
	for p, n := range b.byPath {
		if n.ID == id {
			hits = append(hits, p)
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		di, dj := strings.Count(hits[i], "."), strings.Count(hits[j], ".")
		if di != dj {
			return di < dj
		}
		return hits[i] < hits[j]
	})
	if len(hits) == 0 {
		return ""
	}
	return hits[0] // several groups reuse a field: the top-most one is meant
}

// condition builds the condition of an edge on the source field, as seen
// from the target (by sibling id inside a repeated group's entry, else by
// the answer path from the top).
func (b *fimBuilder) condition(e fimEdge, source, target string) (Condition, string) {
	sf := b.fields[source]
	if sf == nil {
		return Condition{}, "the source field was not imported"
	}
	ref := b.answer[source]
	if b.scope[source] != "" {
		// Inside a repeated group's entry a condition names a sibling.
		if b.scope[source] != b.scope[target] || parentPath(source) != parentPath(target) {
			return Condition{}, "source inside a repeated group, not beside the target"
		}
		ref = sf.ID
	}
	if ref == "" {
		return Condition{}, "source has no answer"
	}
	op := strings.TrimSpace(e.Operator)
	switch op {
	case "nicht leer":
		t := true
		return Condition{Field: ref, Filled: &t}, ""
	case "=", "<>":
	case "":
		if m := codesRE.FindStringSubmatch(e.Text); m != nil && (sf.Type == TypeSelect || sf.Type == TypeRadio || sf.Type == TypeCheckboxes) {
			vals := expandCodes(m[1], sf.Options)
			if len(vals) == 0 {
				// The shipped code list lacks them (the FIM rule names
				// codes of the full XUnternehmen list): add them, named
				// after what the rule's target is for.
				name := b.targetName(target)
				for _, code := range plainCodes(m[1]) {
					if len(sf.Options) < MaxOptions {
						sf.Options = append(sf.Options, Option{Value: code, Label: Text{"de": fmt.Sprintf("%s (Schlüssel %s)", name, code)}})
						vals = append(vals, code)
					}
				}
				if len(vals) == 0 {
					return Condition{}, "codes named in the text match no entry of the value list"
				}
				b.rep.Notes = append(b.rep.Notes, fmt.Sprintf("rule %s names codes missing from the code list of %s: added as %q options", clip(e.RuleID, 40), b.answer[source], name))
			}
			c := Condition{Field: ref, In: vals}
			for _, a := range e.Actions {
				if a == "hide" && !strings.Contains(strings.ToLower(e.Text), "keine") {
					return Condition{}, "hide on listed codes without a counterpart"
				}
			}
			return c, ""
		}
		return Condition{}, "no operator: the condition is only in the wording"
	default:
		return Condition{}, "operator " + clip(op, 20) + " not supported"
	}
	if len(e.Values) == 0 {
		return Condition{}, "no value to compare with"
	}
	var c Condition
	switch sf.Type {
	case TypeYesNo:
		var want *bool
		for _, v := range e.Values {
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "ja", "wahr", "true", "yes":
				t := true
				want = &t
			case "nein", "falsch", "false", "no":
				f := false
				want = &f
			}
		}
		if want == nil {
			return Condition{}, "yes/no field compared with something else"
		}
		raw, _ := json.Marshal(*want)
		c = Condition{Field: ref, Equals: raw}
	case TypeSelect, TypeRadio, TypeCheckboxes:
		var in []string
		for _, v := range e.Values {
			if o := matchOption(sf.Options, v); o != "" {
				in = append(in, o)
			}
		}
		if len(in) == 0 {
			return Condition{}, "compared value is no entry of the value list"
		}
		c = Condition{Field: ref, In: in}
	default:
		raw, _ := json.Marshal(strings.TrimSpace(e.Values[0]))
		c = Condition{Field: ref, Equals: raw}
	}
	if op == "<>" {
		return Condition{Not: &c}, ""
	}
	return c, ""
}

func parentPath(p string) string {
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}

// matchOption finds the option a rule's value means: by code, by name, or
// "001 in Deutschland" (code and name).
func matchOption(opts []Option, v string) string {
	v = strings.TrimSpace(v)
	for _, o := range opts {
		if o.Value == v || strings.EqualFold(o.Label["de"], v) {
			return o.Value
		}
	}
	for _, o := range opts {
		if strings.EqualFold(o.Value+" "+o.Label["de"], v) || strings.HasPrefix(v, o.Value+" ") && strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(v, o.Value)), o.Label["de"]) {
			return o.Value
		}
	}
	return ""
}

// targetName is a short name of a rule's target: its label up to " - ".
func (b *fimBuilder) targetName(path string) string {
	n := b.byPath[path]
	if n == nil {
		return "Auswahl"
	}
	label := nonEmptyLabel(*n)
	if i := strings.Index(label, " - "); i > 0 {
		label = label[:i]
	}
	return clip(label, 80)
}

// plainCodes lists the single codes of "360000, 410000, 111000-113000"
// (ranges cannot be listed without the code list).
func plainCodes(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part != "" && !strings.ContainsAny(part, "-–") && len(part) <= 20 {
			out = append(out, part)
		}
	}
	return out
}

// expandCodes reads "360000, 410000, 111000-113000" against the options:
// single codes and ranges of numeric codes.
func expandCodes(s string, opts []Option) []string {
	var out []string
	seen := map[string]bool{}
	add := func(v string) {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(strings.ReplaceAll(part, "–", "-"))
		if lo, hi, ok := strings.Cut(part, "-"); ok {
			l, err1 := strconv.Atoi(strings.TrimSpace(lo))
			h, err2 := strconv.Atoi(strings.TrimSpace(hi))
			if err1 != nil || err2 != nil || h < l {
				continue
			}
			for _, o := range opts {
				if n, err := strconv.Atoi(o.Value); err == nil && n >= l && n <= h {
					add(o.Value)
				}
			}
			continue
		}
		for _, o := range opts {
			if o.Value == part {
				add(o.Value)
			}
		}
	}
	return out
}
