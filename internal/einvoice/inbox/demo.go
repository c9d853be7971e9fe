package inbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/leitweg"
)

// DemoRefs are the demo city's example invoices (fixed, so that the
// browser harness can visit their pages): new, in approval, in
// clarification, approved, an approved credit note for the approved one,
// and an overdue new one.
var DemoRefs = []string{"R-DEM0-0001", "R-DEM0-0002", "R-DEM0-0003", "R-DEM0-0004", "R-DEM0-0005", "R-DEM0-0006"}

// DemoRoute is a unit's Leitweg-ID in the demo city: the city's
// Grobadressierung with the unit's name as Feinadressierung.
func DemoRoute(coarse, unitName string) string {
	fine := strings.NewReplacer("ä", "AE", "ö", "OE", "ü", "UE", "Ä", "AE", "Ö", "OE", "Ü", "UE", "ß", "SS").Replace(unitName)
	fine = strings.ToUpper(fine)
	var b strings.Builder
	for _, c := range fine {
		if c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return leitweg.New(coarse, b.String()).String()
}

// SeedDemo gives the demo city its routing table (the city's Leitweg-ID to
// the treasury unit, one Leitweg-ID per unit) and example invoices, unless
// they exist. clerkA and clerkB are two finance clerks (persons); routes
// maps unit names to references. It returns the routes it knows.
func (s *Service) SeedDemo(ctx context.Context, t *identity.Tenant, clerkA, clerkB identity.Principal, units map[string]string, treasury string) ([]Route, error) {
	sys := identity.System(t.ID)
	city, err := leitweg.Parse(t.Settings.LeitwegID)
	if err != nil {
		return nil, fmt.Errorf("demo Leitweg-ID %q: %w", t.Settings.LeitwegID, err)
	}
	if _, err := s.SetRoute(ctx, sys, t.ID, city.String(), units[treasury]); err != nil {
		return nil, err
	}
	for name, ref := range units {
		if _, err := s.SetRoute(ctx, sys, t.ID, DemoRoute(city.Coarse, name), ref); err != nil {
			return nil, err
		}
	}
	routes, err := s.Routes(ctx, sys, t.ID)
	if err != nil {
		return nil, err
	}
	if _, err := s.load(ctx, s.DB.R, t.ID, DemoRefs[0]); err == nil {
		return routes, nil
	} else if !errors.Is(err, fault.ErrNotFound) {
		return nil, err
	}
	now := s.DB.Clock.Now().In(berlin)
	day := func(d int) string { return now.AddDate(0, 0, d).Format(time.DateOnly) }
	mk := func(i int, sm Sample) (*Invoice, error) {
		return s.Submit(ctx, clerkA, t.ID, Submission{Channel: ChannelUpload, Data: SampleXML(sm), ContentType: TypeXML, Name: sm.Number + ".xml", ref: DemoRefs[i]})
	}
	samples := []Sample{
		{Number: "RE-2026-0101", IssueDate: day(-5), DueDate: day(25), Leitweg: city.String(), Seller: "Bürobedarf Schmidt GmbH", SellerVAT: "DE123456789",
			SellerMail: "rechnung@schmidt.example", IBAN: "DE02120300000000202051", BIC: "BYLADEM1001", Net: "1000.00", Item: "Druckerpapier A4, 80 g/m², 200 Pakete"},
		{Number: "2026-4711", IssueDate: day(-3), DueDate: day(27), Leitweg: DemoRoute(city.Coarse, "Hauptamt"), Seller: "Gebäudereinigung Blitz KG", SellerVAT: "DE234567891",
			SellerMail: "buchhaltung@blitz.example", IBAN: "DE02500105170137075030", Net: "2480.00", Item: "Unterhaltsreinigung Rathaus, Februar", SkontoDays: 10, SkontoPercent: "2.00"},
		{Number: "F-88-2026", IssueDate: day(-8), DueDate: day(6), Leitweg: "09162000-RATHAUS-12", Seller: "Elektro Huber e. K.", SellerVAT: "DE345678912",
			SellerMail: "huber@elektro-huber.example", IBAN: "DE89370400440532013000", Net: "312.50", Item: "Austausch Leuchtmittel Sitzungssaal"},
		{Number: "RE-2026-0077", IssueDate: day(-12), DueDate: day(2), Leitweg: DemoRoute(city.Coarse, "Ordnungsamt"), Seller: "Verkehrstechnik Meier GmbH", SellerVAT: "DE456789123",
			SellerMail: "rechnung@meier.example", IBAN: "DE02120300000000202051", Net: "5600.00", Item: "Verkehrsschilder nach StVO, 40 Stück"},
		{Number: "GS-2026-0012", IssueDate: day(-2), Leitweg: DemoRoute(city.Coarse, "Ordnungsamt"), Seller: "Verkehrstechnik Meier GmbH", SellerVAT: "DE456789123",
			SellerMail: "rechnung@meier.example", IBAN: "DE02120300000000202051", Net: "560.00", Item: "Gutschrift: 4 Schilder beschädigt geliefert", CreditNote: true, Credits: "RE-2026-0077"},
		{Number: "2026-0815", IssueDate: day(-40), DueDate: day(-10), Leitweg: city.String(), Seller: "Druckerei Weiß & Sohn", SellerVAT: "DE567891234",
			SellerMail: "post@druckerei-weiss.example", IBAN: "DE02500105170137075030", Net: "890.00", Item: "Amtsblatt, Ausgabe Januar, 5.000 Stück"},
	}
	invs := make([]*Invoice, len(samples))
	for i, sm := range samples {
		if invs[i], err = mk(i, sm); err != nil {
			return nil, fmt.Errorf("demo invoice %s: %w", sm.Number, err)
		}
	}
	sign := func(inv *Invoice, steps ...Step) error {
		who := []identity.Principal{clerkA, clerkB, clerkA}
		for i, st := range steps {
			if _, err := s.Approve(ctx, who[i], t.ID, inv.Ref, StepInput{Step: st, CostCentre: "1100", BudgetLine: "1.0200.6500"}); err != nil {
				return fmt.Errorf("demo %s %s: %w", inv.Ref, st, err)
			}
		}
		return nil
	}
	if err := sign(invs[1], StepSachlich); err != nil {
		return nil, err
	}
	for _, i := range []int{3, 4} {
		if err := sign(invs[i], StepSachlich, StepRechnerisch, StepAnordnung); err != nil {
			return nil, err
		}
	}
	return routes, nil
}
