package forms

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// FuzzParseDefinition: any input is refused with a validation, or is a
// definition that checks, round-trips and validates answers without panic.
func FuzzParseDefinition(f *testing.F) {
	for _, name := range []string{"hundesteuer", "bewohnerparken"} {
		b, _ := demoFS.ReadFile("data/" + name + ".json")
		f.Add(b)
	}
	f.Add([]byte(`{"title":{"de":"x"},"steps":[{"id":"a","title":{"de":"A"},"fields":[{"id":"g","type":"group","repeat":true,"label":{"de":"G"},"fields":[{"id":"x","type":"text","label":{"de":"X"},"visible_if":{"field":"y","filled":true}},{"id":"y","type":"checkboxes","label":{"de":"Y"},"options":[{"value":"1","label":{"de":"1"}}]}]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDefinition(data)
		if err != nil {
			if _, ok := fault.AsValidation(err); !ok {
				t.Fatalf("refusal is not a validation: %v", err)
			}
			return
		}
		if _, err := ParseDefinition(d.Marshal()); err != nil {
			t.Fatalf("does not round-trip: %v", err)
		}
		Validate(d, map[string]any{"a": "b", "g": []any{map[string]any{"x": "1", "y": []any{"1"}}}}, Check{Now: dbtest.Epoch, Strict: true})
		d.Lines(Answers{}, "en")
	})
}

// FuzzValidateAnswers: hostile answers to the demo dog tax form give a
// validation or canonical answers that validate again unchanged.
func FuzzValidateAnswers(f *testing.F) {
	d, _ := DemoForm("hundesteuer")
	b, _ := json.Marshal(DogTaxAnswers(1))
	f.Add(b)
	f.Add([]byte(`{"iban":"DE89 3704 0044 0532 0130 00","direct_debit":true,"reduction":"shelter","address":{"postcode":"0"}}`))
	f.Add([]byte(`{"birth_date":"29.02.2024","dog_birth_date":"2024-02-30","chip_number":"１２３"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var raw map[string]any
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.UseNumber()
		if dec.Decode(&raw) != nil {
			return
		}
		for _, strict := range []bool{true, false} {
			a, _, err := Validate(d, raw, Check{Now: dbtest.Epoch, Strict: strict})
			if err != nil {
				if _, ok := fault.AsValidation(err); !ok {
					t.Fatalf("not a validation: %v", err)
				}
				continue
			}
			again, _, err := Validate(d, a, Check{Now: dbtest.Epoch, Strict: true})
			if err != nil {
				t.Fatalf("canonical answers refused: %v (%v)", err, a)
			}
			x, _ := json.Marshal(a)
			y, _ := json.Marshal(again)
			if string(x) != string(y) {
				t.Fatalf("canonical answers change: %s → %s", x, y)
			}
		}
	})
}

// FuzzDecodeSubmission: the API body decoder refuses or returns answers.
func FuzzDecodeSubmission(f *testing.F) {
	f.Add([]byte(`{"service":"L-1","answers":{"a":1}}`))
	f.Add([]byte(`{"service":"","answers":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := decodeSubmission(data)
		if err == nil && (strings.TrimSpace(s.ServiceID) == "" || s.Answers == nil) {
			t.Fatalf("accepted without service or answers: %+v", s)
		}
	})
}
