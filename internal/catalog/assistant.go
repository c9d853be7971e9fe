package catalog

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
)

// The assistant ("Was möchten Sie erledigen?") leads a citizen from their
// own words to one service. It is pure: every turn takes the state the
// page sent back and the new input and returns the next reply with the new
// state, so a plain HTML form with hidden fields can carry the dialogue
// without JavaScript or server-side sessions. No external AI is involved.

// AssistantState is the dialogue so far. It is small and serialisable
// (JSON, or Encode for one hidden field).
type AssistantState struct {
	// Text is what the citizen first wrote.
	Text string `json:"text,omitempty"`
	// Answers are the replies to clarifying questions: an option value
	// ("service:REF", "none") or free text.
	Answers []string `json:"answers,omitempty"`
	// Asked counts the clarifying questions already asked.
	Asked int `json:"asked,omitempty"`
	// Postcode, if given, orders the offices.
	Postcode string `json:"postcode,omitempty"`
	// Lang is "de" (default) or "en".
	Lang string `json:"lang,omitempty"`
}

// Limits of the state, so a forged hidden field cannot grow without bound.
const (
	maxStateBytes   = 4096
	maxAnswers      = 6
	maxQuestions    = 2
	optionPrefix    = "service:"
	optionNone      = "none"
	closeRatio      = 0.8 // second hit within this share of the first: ask
	optionRatio     = 0.6 // hits within this share of the first become options
	maxOptionsTotal = 4
)

// ErrState is returned for a state that cannot be decoded.
var ErrState = errors.New("invalid assistant state")

// Encode returns the state as one URL-safe string for a hidden field.
func (s AssistantState) Encode() string {
	b, _ := json.Marshal(s) // plain strings and ints: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeAssistantState reverses Encode. Anything malformed or too large is
// ErrState; a handler should then start a fresh dialogue.
func DecodeAssistantState(v string) (AssistantState, error) {
	var s AssistantState
	if v == "" {
		return s, nil
	}
	if len(v) > maxStateBytes*4/3+4 {
		return s, fmt.Errorf("%w: too large", ErrState)
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return s, fmt.Errorf("%w: %v", ErrState, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return AssistantState{}, fmt.Errorf("%w: %v", ErrState, err)
	}
	if len(s.Answers) > maxAnswers || s.Asked < 0 || s.Asked > maxQuestions+1 || len(s.Text) > MaxQueryBytes*4 {
		return AssistantState{}, fmt.Errorf("%w: out of range", ErrState)
	}
	return s, nil
}

// Option is one answer the citizen can pick.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// NextStep is one thing to do once the service is clear.
type NextStep struct {
	// Kind is "online", "download", "appointment", "documents", "fees",
	// "office" or "info".
	Kind string `json:"kind"`
	Text string `json:"text"`
	URL  string `json:"url,omitempty"`
}

// Reply is the assistant's answer to one turn. Exactly one of Question
// (with Options), Service (with Steps) or Message without either is set.
type Reply struct {
	State    AssistantState `json:"state"`
	Question string         `json:"question,omitempty"`
	Options  []Option       `json:"options,omitempty"`
	Service  *Service       `json:"service,omitempty"`
	Steps    []NextStep     `json:"steps,omitempty"`
	Message  string         `json:"message,omitempty"`
	// Alternatives are other likely services, for a "not what you
	// wanted?" list.
	Alternatives []Hit `json:"alternatives,omitempty"`
}

// Assistant runs the dialogue over a Finder.
type Assistant struct {
	Finder *Finder
}

type texts struct {
	prompt, noMatch, rephrase, what, lostOrNew, inOrOut, phoneOrSite, abroad, vehicleFrom, none,
	online, download, appointment, appointmentMin, documents, genericDocs,
	fees, office, info string
}

// assistantTexts are the assistant's sentences in each language, read
// from the catalog's message files (keys catalog.assistant.say.*), so all
// user-visible text lives in the catalogs.
var assistantTexts = sync.OnceValue(func() map[string]texts {
	out := map[string]texts{}
	for _, lang := range []string{"de", "en"} {
		b, err := fs.ReadFile(Messages(), lang+".json")
		if err != nil {
			panic(err) // embedded; caught by tests
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			panic(err)
		}
		k := func(name string) string { return m["catalog.assistant.say."+name] }
		out[lang] = texts{
			prompt: k("prompt"), noMatch: k("no_match"), rephrase: k("rephrase"), what: k("what"),
			lostOrNew: k("lost_or_new"), inOrOut: k("in_or_out"), phoneOrSite: k("phone_or_site"),
			abroad: k("abroad"), vehicleFrom: k("vehicle_from"), none: k("none"),
			online: k("online"), download: k("download"), appointment: k("appointment"),
			appointmentMin: k("appointment_min"), documents: k("documents"), genericDocs: k("generic_docs"),
			fees: k("fees"), office: k("office"), info: k("info"),
		}
	}
	return out
})

func textsFor(lang string) texts {
	if t, ok := assistantTexts()[lang]; ok {
		return t
	}
	return assistantTexts()["de"]
}

// Prompt is the opening question in the state's language.
func (s AssistantState) Prompt() string { return textsFor(s.Lang).prompt }

// Respond runs one turn: input is the first request (when state is empty)
// or the answer to the last question (an option value or free text).
func (a *Assistant) Respond(state AssistantState, input string) Reply {
	t := textsFor(state.Lang)
	input = strings.TrimSpace(cutQuery(input))
	switch {
	case state.Text == "":
		state.Text = input
	case input != "" && len(state.Answers) < maxAnswers:
		state.Answers = append(state.Answers, input)
	}
	if strings.TrimSpace(state.Text) == "" {
		return Reply{State: state, Message: t.prompt}
	}
	last := ""
	if len(state.Answers) > 0 {
		last = state.Answers[len(state.Answers)-1]
	}
	if ref, ok := strings.CutPrefix(last, optionPrefix); ok {
		if s, ok := a.Finder.Service(ref); ok {
			return a.decide(state, s, nil)
		}
	}
	if last == optionNone {
		return Reply{State: AssistantState{Lang: state.Lang, Postcode: state.Postcode}, Message: t.rephrase}
	}
	query := state.Text
	for _, ans := range state.Answers {
		if !strings.HasPrefix(ans, optionPrefix) && ans != optionNone {
			query += " " + ans
		}
	}
	res := a.Finder.Find(Query{Text: query, Limit: 5})
	if len(res.Hits) == 0 {
		return Reply{State: state, Message: t.noMatch}
	}
	top := res.raw[0]
	var opts []Option
	var names []string
	for i, h := range res.Hits {
		if len(opts) == maxOptionsTotal-1 || res.raw[i] < optionRatio*top {
			break
		}
		opts = append(opts, Option{Value: optionPrefix + h.ID, Label: h.Name})
		names = append(names, h.Name)
	}
	q := question(t, names)
	// Ask when the best results are close, or when they are the same
	// matter in different situations that one question tells apart
	// ("Neuer Ausweis — verloren oder abgelaufen?").
	ask := len(opts) > 1 && (res.raw[1] >= closeRatio*top || q != t.what)
	if !ask || state.Asked >= maxQuestions {
		s, _ := a.Finder.Service(res.Hits[0].ID)
		return a.decide(state, s, res.Hits[1:])
	}
	opts = append(opts, Option{Value: optionNone, Label: t.none})
	state.Asked++
	return Reply{State: state, Question: q, Options: opts}
}

// question picks the clarifying question that best separates the options.
func question(t texts, names []string) string {
	has := func(words ...string) (yes, no bool) {
		for _, n := range names {
			l := strings.ToLower(n)
			found := false
			for _, w := range words {
				if strings.Contains(l, w) {
					found = true
				}
			}
			if found {
				yes = true
			} else {
				no = true
			}
		}
		return
	}
	if y, n := has("verlust", "diebstahl", "verloren"); y && n {
		return t.lostOrNew
	}
	if y, n := has("abmeld", "abmelden"); y && n {
		if y2, _ := has("anmeld"); y2 {
			return t.inOrOut
		}
	}
	if y, n := has("telefon"); y && n {
		return t.phoneOrSite
	}
	if y, n := has("auslandsbezug"); y && !n {
		return t.abroad
	}
	if _, n := has("fahrzeug"); !n {
		if y, _ := has("innerhalb", "außerhalb", "ausland", "fabrikneu"); y {
			return t.vehicleFrom
		}
	}
	return t.what
}

// decide ends the dialogue on s with its next steps.
func (a *Assistant) decide(state AssistantState, s Service, alts []Hit) Reply {
	t := textsFor(state.Lang)
	var steps []NextStep
	for _, l := range s.Links {
		if l.Kind == "online_service" && s.Availability.Online() {
			steps = append(steps, NextStep{Kind: "online", Text: fmt.Sprintf(t.online, l.Label), URL: l.URL})
			break
		}
	}
	if s.Availability == AvailabilityDownload {
		for _, l := range s.Links {
			if l.Kind == "form" {
				steps = append(steps, NextStep{Kind: "download", Text: fmt.Sprintf(t.download, l.Label), URL: l.URL})
				break
			}
		}
	}
	offices := s.OfficesFor(state.Postcode)
	inPerson := s.Bookable || (len(offices) > 0 && !s.Availability.Online())
	if s.Bookable {
		txt := t.appointment
		if s.AppointmentMinutes > 0 {
			txt = fmt.Sprintf(t.appointmentMin, s.AppointmentMinutes)
		}
		steps = append(steps, NextStep{Kind: "appointment", Text: txt})
	}
	switch {
	case len(s.RequiredDocuments) > 0:
		steps = append(steps, NextStep{Kind: "documents", Text: fmt.Sprintf(t.documents, strings.Join(s.RequiredDocuments, "; "))})
	case inPerson:
		steps = append(steps, NextStep{Kind: "documents", Text: t.genericDocs})
	}
	if fee := firstLine(s.FeeText); fee != "" {
		steps = append(steps, NextStep{Kind: "fees", Text: fmt.Sprintf(t.fees, fee)})
	}
	if len(offices) > 0 {
		o := offices[0]
		where := o.Name
		if o.Street != "" {
			where += ", " + strings.TrimSpace(o.Street+" "+o.HouseNumber) + ", " + strings.TrimSpace(o.PostalCode+" "+o.City)
		}
		steps = append(steps, NextStep{Kind: "office", Text: fmt.Sprintf(t.office, where)})
	}
	if len(steps) == 0 {
		steps = append(steps, NextStep{Kind: "info", Text: t.info})
	}
	if len(alts) > 3 {
		alts = alts[:3]
	}
	return Reply{State: state, Service: &s, Steps: steps, Alternatives: alts}
}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- ")); l != "" {
			if len(l) > 160 {
				l = summarize(l, 160)
			}
			return l
		}
	}
	return ""
}
