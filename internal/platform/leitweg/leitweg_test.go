package leitweg

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in, want, code string
	}{
		// The worked example of the KoSIT specification and published IDs.
		{"04011000-1234512345-06", "04011000-1234512345-06", ""},
		{"04011000-12347-94", "04011000-12347-94", ""}, // XRechnung test suite
		{"992-90009-96", "992-90009-96", ""},           // Deutsche Bahn
		{"09564000-NUE0001-49", "09564000-NUE0001-49", ""},
		{"09162000-MUSTERSTADT-10", "09162000-MUSTERSTADT-10", ""}, // the demo city
		{" 09162000-musterstadt-10 ", "09162000-MUSTERSTADT-10", ""},
		{"991-33333TEST-33", "991-33333TEST-33", ""},
		{"", "", ProblemMissing},
		{"04011000-1234512345-07", "", ProblemCheckDigits},
		{"04011000-1234512345", "", ProblemFormat},   // no check digits
		{"0401100-1234512345-06", "", ProblemFormat}, // 7-digit coarse part
		{"17011000-1234512345-06", "", ProblemState},
		{"04011000--06", "", ProblemFormat},
		{"04011000-12_45-06", "", ProblemFormat},
		{"04011000-1234512345-6", "", ProblemFormat},
		{"A4011000-1234512345-06", "", ProblemFormat},
		{"04011000-1-2-06", "", ProblemFormat},
		{"04011000-1234567890123456789012345678901-06", "", ProblemFormat},
	}
	for _, c := range cases {
		id, err := Parse(c.in)
		var le *Error
		switch {
		case c.code == "" && err != nil:
			t.Errorf("Parse(%q): %v", c.in, err)
		case c.code == "" && id.String() != c.want:
			t.Errorf("Parse(%q) = %s, want %s", c.in, id, c.want)
		case c.code != "" && (!errors.As(err, &le) || le.Code != c.code):
			t.Errorf("Parse(%q) = %v, %v; want code %s", c.in, id, err, c.code)
		}
	}
}

func TestNew(t *testing.T) {
	if got := New("04011000", "1234512345").String(); got != "04011000-1234512345-06" {
		t.Errorf("New = %s", got)
	}
	if got := New("991", "").String(); !Valid(got) {
		t.Errorf("New without fine part = %s, not valid", got)
	}
	// Every computed ID is valid, and changing one digit breaks it.
	for _, fine := range []string{"KAEMMEREI", "HAUPTAMT", "1", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123"} {
		id := New("09162000", fine)
		if !Valid(id.String()) {
			t.Errorf("%s not valid", id)
		}
		bad := id
		bad.CheckDigits = CheckDigits(id.Coarse + id.Fine + "1")
		if bad.CheckDigits != id.CheckDigits && Valid(bad.String()) {
			t.Errorf("%s valid with wrong check digits", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"04011000-1234512345-06", "992-90009-96", "", "--", "09162000-MUSTERSTADT-10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(id.String())
		if err != nil || again != id {
			t.Fatalf("normal form %q of %q does not parse back: %v", id, s, err)
		}
	})
}
