package inbox

import (
	"fmt"
	"strings"

	"github.com/rathaus/rathaus/internal/platform/pdfdoc"
)

// ViewPDF is the readable German view of an invoice as a PDF
// (platform/pdfdoc): the facts of the workflow, the validation result,
// every business term present by group, and the recorded steps.
func ViewPDF(inv *Invoice, tenantName string) ([]byte, error) {
	kind := "Rechnung"
	if inv.Kind == "credit_note" {
		kind = "Gutschrift"
	}
	d := pdfdoc.Doc{Sender: []string{tenantName, "Rechnungseingang"}, Place: tenantName, Date: inv.ReceivedAt.In(berlin).Format("02.01.2006"),
		Reference: "Vorgang " + inv.Ref, Title: fmt.Sprintf("%s %s von %s", kind, inv.Number, inv.Supplier),
		Subject: "Lesbare Ansicht einer E-Rechnung", Author: tenantName, Created: inv.ReceivedAt, Footer: tenantName + " · " + inv.Ref}
	f := [][2]string{{"Stand", statusDE[inv.Status]}}
	if inv.UnitName != "" {
		f = append(f, [2]string{"Zuständige Einheit", inv.UnitName})
	}
	if inv.RoutingProblem != "" {
		f = append(f, [2]string{"Klärung", routingDE[inv.RoutingProblem]})
	}
	f = append(f, [2]string{"Betrag", germanAmount(inv.Amount) + " " + inv.Currency})
	if inv.DueDate != "" {
		f = append(f, [2]string{"Fällig am", germanDate(inv.DueDate)})
	}
	if inv.DiscountUntil != "" {
		f = append(f, [2]string{"Skonto bis", germanDate(inv.DiscountUntil) + " (" + germanAmount(inv.DiscountPercent) + " %)"})
	}
	if inv.CostCentre != "" || inv.BudgetLine != "" {
		f = append(f, [2]string{"Kostenstelle / Haushaltsstelle", inv.CostCentre + " / " + inv.BudgetLine})
	}
	f = append(f, [2]string{"Eingang", inv.ReceivedAt.In(berlin).Format("02.01.2006 15:04") + " (" + channelDE[inv.Channel] + ")"},
		[2]string{"SHA-256 des Originals", inv.Hash}, [2]string{"Aufzubewahren bis", germanDate(inv.RetainUntil)})
	d.Fields = f
	switch {
	case inv.Validation.Manual:
		d.Paragraphs = append(d.Paragraphs, "Papierrechnung: Die Angaben wurden von Hand aus dem Scan erfasst; der Scan ist das Original.")
	case inv.Validation.Accept:
		sc := ""
		if inv.Validation.Scenario != nil {
			sc = " (" + *inv.Validation.Scenario + ")"
		}
		d.Paragraphs = append(d.Paragraphs, "Geprüft nach den offiziellen Regeln für E-Rechnungen: angenommen"+sc+".")
	}
	for _, m := range inv.Validation.Messages {
		txt := m.TextDE
		if txt == "" {
			txt = m.Text
		}
		d.Paragraphs = append(d.Paragraphs, fmt.Sprintf("%s %s: %s", levelDE[m.Level], m.ID, txt))
	}
	for _, g := range Terms(inv.Document) {
		title := g.Title
		if g.Index > 0 {
			title = fmt.Sprintf("%s %d", title, g.Index)
		}
		if g.Term != "" {
			title += " (" + g.Term + ")"
		}
		sec := pdfdoc.Section{Title: title}
		for _, r := range g.Rows {
			label := r.Label
			if r.Term != "" {
				label += " (" + r.Term + ")"
			}
			sec.Fields = append(sec.Fields, [2]string{label, r.Value})
		}
		d.Sections = append(d.Sections, sec)
	}
	hist := pdfdoc.Section{Title: "Verlauf"}
	for _, s := range inv.Steps {
		who := s.ActorName
		if who == "" {
			who = s.Actor
		}
		v := stepDE[s.Step] + ": " + who
		if s.OnBehalfOf != "" {
			v += " (in Vertretung für " + s.OnBehalfOf + ")"
		}
		if s.Note != "" {
			v += " – " + s.Note
		}
		hist.Fields = append(hist.Fields, [2]string{s.At.In(berlin).Format("02.01.2006 15:04"), v})
	}
	d.Sections = append(d.Sections, hist)
	return pdfdoc.Render(d)
}

var channelDE = map[Channel]string{ChannelAPI: "Schnittstelle", ChannelUpload: "hochgeladen", ChannelEmail: "E-Mail", ChannelPaper: "Papier"}

var routingDE = map[string]string{"leitweg_missing": "Leitweg-ID fehlt", "leitweg_format": "Leitweg-ID falsch aufgebaut",
	"leitweg_state": "Leitweg-ID ohne Landeskennzahl", "leitweg_check_digits": "Prüfziffer der Leitweg-ID falsch", "leitweg_unknown": "Leitweg-ID keiner Einheit zugeordnet"}

var statusDE = map[Status]string{StatusClarification: "in Klärung", StatusNew: "neu", StatusInApproval: "in Freigabe", StatusApproved: "angeordnet",
	StatusInPayment: "im Zahlungslauf", StatusPaid: "bezahlt", StatusRejected: "abgelehnt"}

var stepDE = map[Step]string{StepReceived: "Eingang", StepRouted: "Zugeordnet", StepSachlich: "Sachlich richtig", StepRechnerisch: "Rechnerisch richtig",
	StepAnordnung: "Anordnung", StepRejected: "Abgelehnt", StepPaymentRun: "Zahlungslauf", StepPaid: "Bezahlt", StepNetted: "Verrechnet"}

var levelDE = map[string]string{"error": "Fehler", "warning": "Warnung", "information": "Hinweis"}

func germanDate(s string) string {
	if d, ok := civilString(s); ok {
		return fmt.Sprintf("%02d.%02d.%04d", d.Day, int(d.Month), d.Year)
	}
	return s
}

func germanAmount(s string) string {
	if s == "" {
		return ""
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	i, f, _ := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for k, c := range i {
		if k > 0 && (len(i)-k)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if f != "" {
		b.WriteString("," + f)
	}
	return b.String()
}
