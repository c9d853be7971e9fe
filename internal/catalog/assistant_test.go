package catalog

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAssistantDialogue(t *testing.T) {
	a := &Assistant{Finder: mustDemoFinder(t)}

	// A request whose top results are close leads to a question.
	r := a.Respond(AssistantState{}, "neuer Ausweis")
	if r.Question == "" || r.Service != nil {
		t.Fatalf("want a clarifying question, got %+v", r)
	}
	if len(r.Options) < 2 || len(r.Options) > 4 {
		t.Fatalf("%d options, want 2–4: %+v", len(r.Options), r.Options)
	}
	if r.Options[len(r.Options)-1].Value != optionNone {
		t.Errorf("last option %+v, want %q", r.Options[len(r.Options)-1], optionNone)
	}
	if r.Question != assistantTexts()["de"].lostOrNew {
		t.Errorf("question %q, want the lost-or-new question", r.Question)
	}
	// The state survives a round trip through a hidden field.
	st, err := DecodeAssistantState(r.State.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r.State, st); diff != "" {
		t.Fatalf("state round trip (-want +got):\n%s", diff)
	}
	// Picking an option ends on that service with next steps.
	var pick Option
	for _, o := range r.Options {
		if strings.Contains(o.Label, "Verlust") {
			pick = o
		}
	}
	if pick.Value == "" {
		t.Fatalf("no lost-document option in %+v", r.Options)
	}
	r2 := a.Respond(st, pick.Value)
	if r2.Service == nil || r2.Service.ExternalID != "1076889" {
		t.Fatalf("want Verlust Personalausweis, got %+v", r2)
	}
	kinds := map[string]bool{}
	for _, s := range r2.Steps {
		kinds[s.Kind] = true
	}
	for _, k := range []string{"appointment", "documents", "office"} {
		if !kinds[k] {
			t.Errorf("steps lack %q: %+v", k, r2.Steps)
		}
	}

	// "None of these" starts over with a request to rephrase.
	r3 := a.Respond(st, optionNone)
	if r3.Message == "" || r3.State.Text != "" {
		t.Errorf("none: %+v", r3)
	}
}

func TestAssistantDirect(t *testing.T) {
	a := &Assistant{Finder: mustDemoFinder(t)}
	tests := []struct {
		name, input, lang string
		wantExt           string
		wantStep          string
		wantMessage       bool
	}{
		{name: "clear request", input: "Steuer für meinen Hund", wantExt: "99102013000000", wantStep: "online"},
		{name: "English", input: "dog tax", lang: "en", wantExt: "99102013000000", wantStep: "online"},
		{name: "nothing found", input: "xqzzy blorf", wantMessage: true},
		{name: "empty", input: "   ", wantMessage: true},
		{name: "hostile", input: "<script>alert(1)</script>", wantMessage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := AssistantState{Lang: tt.lang}
			r := a.Respond(st, tt.input)
			// answer questions with the first option until decided
			for i := 0; r.Question != "" && i < 3; i++ {
				r = a.Respond(r.State, r.Options[0].Value)
			}
			if tt.wantMessage {
				if r.Message == "" || r.Service != nil {
					t.Errorf("want a message, got %+v", r)
				}
				return
			}
			if r.Service == nil || r.Service.ExternalID != tt.wantExt {
				t.Fatalf("service %+v, want %s", r.Service, tt.wantExt)
			}
			found := false
			for _, s := range r.Steps {
				if s.Kind == tt.wantStep {
					found = true
					if tt.lang == "en" && !strings.HasPrefix(s.Text, "Apply online") {
						t.Errorf("English step %q", s.Text)
					}
				}
			}
			if !found {
				t.Errorf("no %q step in %+v", tt.wantStep, r.Steps)
			}
		})
	}
}

func TestAssistantAsksAtMostTwice(t *testing.T) {
	a := &Assistant{Finder: mustDemoFinder(t)}
	r := a.Respond(AssistantState{}, "Rente")
	for i := 0; r.Question != "" && i < 5; i++ {
		r = a.Respond(r.State, "Auskunft")
	}
	if r.Service == nil {
		t.Fatalf("no decision after free-text answers: %+v", r)
	}
	if r.State.Asked > maxQuestions {
		t.Errorf("asked %d questions, want at most %d", r.State.Asked, maxQuestions)
	}
}

func TestDecodeAssistantState(t *testing.T) {
	for _, in := range []string{"!!!", "e30", strings.Repeat("A", 10000), AssistantState{Answers: make([]string, 20)}.Encode(), "eyJ4IjoxfQ"} {
		st, err := DecodeAssistantState(in)
		if in == "e30" { // {} is a valid empty state
			if err != nil {
				t.Errorf("DecodeAssistantState(%q): %v", in, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("DecodeAssistantState(%.20q) = %+v, want error", in, st)
		}
	}
}

func FuzzDecodeAssistantState(f *testing.F) {
	f.Add(AssistantState{Text: "Ausweis", Answers: []string{"service:L-0000-0000"}, Asked: 1}.Encode())
	f.Add("")
	f.Add("e30")
	f.Fuzz(func(t *testing.T, v string) {
		st, err := DecodeAssistantState(v)
		if err != nil {
			return
		}
		if len(st.Answers) > maxAnswers || st.Asked > maxQuestions+1 {
			t.Fatalf("accepted out-of-range state %+v", st)
		}
	})
}
