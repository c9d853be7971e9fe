package appointments

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/platform/fault"
)

func hasCode(err error, field, code string) bool { return fault.HasCode(err, field, code) }

func TestTextFormatsRoundTrip(t *testing.T) {
	rules, err := ParseRules("Mo-Fr 08:00-12:00 3 ab 2026-01-01 bis 2026-12-31\n\nDi,Do 14:00-18:00 2\nsat 09:00-11:00 1 from 2026-05-01\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []Rule{{Weekdays: []int{1, 2, 3, 4, 5}, Opens: "08:00", Closes: "12:00", Desks: 3, ValidFrom: "2026-01-01", ValidUntil: "2026-12-31"},
		{Weekdays: []int{2, 4}, Opens: "14:00", Closes: "18:00", Desks: 2}, {Weekdays: []int{6}, Opens: "09:00", Closes: "11:00", Desks: 1, ValidFrom: "2026-05-01"}}
	if diff := cmp.Diff(want, rules); diff != "" {
		t.Fatalf("rules (-want +got):\n%s", diff)
	}
	again, err := ParseRules(FormatRules(rules))
	if err != nil || !cmp.Equal(again, rules) {
		t.Fatalf("round trip: %v %v", again, err)
	}
	ex, err := ParseExceptions("2026-12-24 geschlossen Heiligabend\n2026-12-27 09:00-12:00 2 Sonderöffnung")
	if err != nil || len(ex) != 2 || !ex[0].Closed || ex[0].Note != "Heiligabend" || ex[1].Desks != 2 || ex[1].Note != "Sonderöffnung" {
		t.Fatalf("exceptions %+v %v", ex, err)
	}
	if again, err := ParseExceptions(FormatExceptions(ex)); err != nil || !cmp.Equal(again, ex) {
		t.Fatalf("exceptions round trip: %+v %v", again, err)
	}
	ss, err := ParseServices("l-7k3m-q9tx 15 4\nL-AAAA-BBBB 10")
	if err != nil || ss[0].Service != "L-7K3M-Q9TX" || ss[1].MaxCount != 1 {
		t.Fatalf("services %+v %v", ss, err)
	}
	_, err = ParseRules("Mo-Fr 08:00-12:00 3\nFr-Mo 08:00-09:00 1\nMo 8-9 1\nMo 08:00-09:00 x")
	for _, line := range []int{2, 3, 4} {
		v, _ := fault.AsValidation(err)
		found := false
		for _, e := range v.Errors {
			found = found || e.Field == "opening_hours" && e.Code == "invalid_line" && e.Args["line"] == line
		}
		if !found {
			t.Errorf("line %d not refused: %v", line, err)
		}
	}
}

// Fuzz targets for everything read from untrusted text: the settings
// lines (staff), the selection parameter and the proof-of-work payload
// (anyone). They must never panic, and what they accept must survive a
// round trip.

func FuzzParseRules(f *testing.F) {
	f.Add("Mo-Fr 08:00-12:00 3 ab 2026-01-01 bis 2026-12-31\nDi,Do 14:00-18:00 2")
	f.Add("so 00:00-23:59 64 from 2020-01-01")
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := ParseRules(s)
		if err != nil {
			return
		}
		again, err := ParseRules(FormatRules(rs))
		if err != nil || !cmp.Equal(again, rs) {
			t.Fatalf("round trip of %q: %v %v vs %v", s, err, again, rs)
		}
	})
}

func FuzzParseExceptions(f *testing.F) {
	f.Add("2026-12-24 geschlossen Heiligabend\n2026-12-27 09:00-12:00 2 Sonderöffnung")
	f.Fuzz(func(t *testing.T, s string) {
		es, err := ParseExceptions(s)
		if err != nil {
			return
		}
		for _, e := range es {
			if strings.ContainsAny(e.Note, "\n") {
				t.Fatalf("note with a newline from %q", s)
			}
		}
		if _, err := ParseExceptions(FormatExceptions(es)); err != nil {
			t.Fatalf("formatted exceptions unreadable: %v", err)
		}
	})
}

func FuzzParseServiceParam(f *testing.F) {
	f.Add("L-7K3M-Q9TX:2")
	f.Add(":")
	f.Fuzz(func(t *testing.T, s string) {
		sc, ok := ParseServiceParam(s)
		if !ok {
			return
		}
		if back, ok := ParseServiceParam(FormatServiceParam(sc)); !ok || back != sc {
			t.Fatalf("round trip of %q: %+v", s, back)
		}
	})
}
