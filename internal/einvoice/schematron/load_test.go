package schematron

import (
	"testing"

	"github.com/rathaus/rathaus/internal/einvoice/rules"
)

func TestLoadOfficialRules(t *testing.T) {
	for _, name := range []string{
		"cen-1.3.15/EN16931-UBL-validation-preprocessed.sch",
		"cen-1.3.15/EN16931-CII-validation-preprocessed.sch",
		"xrechnung-2.5.0/XRechnung-UBL-validation.sch",
		"xrechnung-2.5.0/XRechnung-CII-validation.sch",
	} {
		s, err := Load(rules.FS, name)
		if err != nil {
			t.Errorf("Load(%s): %v", name, err)
			continue
		}
		t.Logf("%s: %d patterns, %d checks", name, len(s.Patterns), len(s.Checks()))
	}
}
