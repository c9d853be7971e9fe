package payments

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/catalog"
)

// The catalog's fee lines propose the settings: its first fixed fee,
// requested after submission.
func TestSettingsFromCatalog(t *testing.T) {
	amount := decimal.RequireFromString("30.00")
	svc := catalog.Service{ID: "L-7K3M-Q9TX", Name: "Bewohnerparkausweis", Units: []string{"Kreisverwaltungsreferat"},
		Fees: []catalog.Fee{{Kind: catalog.FeeRule, Text: "nach Aufwand"}, {Kind: catalog.FeeFixed, Label: "12 Monate", Amount: &amount}}}
	st, ok := SettingsFromCatalog(svc)
	if !ok || st.FeeKind != FeeFixed || st.Amount.StringFixed(2) != "30.00" || st.Purpose != "Bewohnerparkausweis: 12 Monate" || st.Unit != "Kreisverwaltungsreferat" || st.Timing != AfterSubmission {
		t.Errorf("settings %+v", st)
	}
	if err := st.validate(); err != nil {
		t.Errorf("proposed settings invalid: %v", err)
	}
	half := decimal.RequireFromString("0.50")
	st, ok = SettingsFromCatalog(catalog.Service{ID: "L-COPY-0001", Name: "Kopien", Fees: []catalog.Fee{{Kind: catalog.FeeFixed, Text: "je Seite 0,50 Euro", Amount: &half}}})
	if !ok || st.FeeKind != FeePerQuantity || st.Amount.StringFixed(2) != "0.50" {
		t.Errorf("per page: %+v", st)
	}
	if _, ok := SettingsFromCatalog(catalog.Service{Fees: []catalog.Fee{{Kind: catalog.FeeFree}}}); ok {
		t.Error("a free service proposed a fee")
	}
}
