package en16931

import (
	"strings"
)

// Section is one titled block of the readable summary.
type Section struct {
	Title string
	Rows  []Row
}

// Row is one label/value pair; Term names the business term or group
// (BT-1, BG-4) so a page can link to its explanation.
type Row struct {
	Label string
	Value string
	Term  string
}

// Summary returns a German-labelled readable view of the invoice for the
// HTML pages: the document, the seller, the buyer, payment, totals, VAT
// breakdown and lines. Empty terms are left out; money is written the
// German way ("1.125,00 EUR"), dates as DD.MM.YYYY. It shows what the
// document says and judges nothing.
func (inv *Invoice) Summary() []Section {
	cur := inv.CurrencyCode
	var out []Section
	add := func(s Section) {
		if len(s.Rows) > 0 {
			out = append(out, s)
		}
	}

	doc := Section{Title: "Rechnung"}
	kind := "Rechnung"
	if inv.Kind == KindCreditNote {
		kind = "Gutschrift"
	}
	doc.row("Art", kind+codeSuffix(inv.TypeCode), "BT-3")
	doc.row("Rechnungsnummer", inv.Number, "BT-1")
	doc.row("Rechnungsdatum", germanDate(inv.IssueDate), "BT-2")
	doc.row("Fälligkeitsdatum", germanDate(inv.DueDate), "BT-9")
	doc.row("Währung", inv.CurrencyCode, "BT-5")
	if p := inv.InvoicingPeriod; p != nil {
		doc.row("Leistungszeitraum", germanDate(p.Start)+" – "+germanDate(p.End), "BG-14")
	}
	if d := inv.Delivery; d != nil {
		doc.row("Lieferdatum", germanDate(d.ActualDate), "BT-72")
	}
	doc.row("Käuferreferenz (Leitweg-ID)", inv.BuyerReference, "BT-10")
	doc.row("Bestellnummer", inv.PurchaseOrderReference, "BT-13")
	doc.row("Vertragsnummer", inv.ContractReference, "BT-12")
	doc.row("Projektnummer", inv.ProjectReference, "BT-11")
	for _, p := range inv.PrecedingInvoices {
		v := p.Number
		if p.IssueDate != nil {
			v += " vom " + p.IssueDate.German()
		}
		doc.row("Vorausgegangene Rechnung", v, "BG-3")
	}
	for _, n := range inv.Notes {
		doc.row("Bemerkung", n.Text, "BT-22")
	}
	add(doc)

	add(partySection("Verkäufer", &inv.Seller, "BG-4"))
	add(partySection("Käufer", &inv.Buyer, "BG-7"))
	if p := inv.Payee; p != nil {
		s := Section{Title: "Zahlungsempfänger"}
		s.row("Name", p.Name, "BT-59")
		s.row("Kennung", p.Identifier.Value, "BT-60")
		add(s)
	}

	pay := Section{Title: "Zahlung"}
	if pi := inv.PaymentInstructions; pi != nil {
		means := pi.MeansText
		if means == "" {
			means = paymentMeans[pi.MeansCode]
		}
		pay.row("Zahlungsart", means+codeSuffix(pi.MeansCode), "BT-81")
		for _, ct := range pi.CreditTransfers {
			pay.row("Konto (IBAN)", ct.AccountID, "BT-84")
			pay.row("Kontoinhaber", ct.AccountName, "BT-85")
			pay.row("BIC", ct.ServiceProviderID, "BT-86")
		}
		if dd := pi.DirectDebit; dd != nil {
			pay.row("Mandatsreferenz", dd.MandateID, "BT-89")
			pay.row("Gläubiger-ID", dd.CreditorID, "BT-90")
			pay.row("Belastetes Konto", dd.DebitedAccountID, "BT-91")
		}
		pay.row("Verwendungszweck", pi.RemittanceInfo, "BT-83")
	}
	pay.row("Zahlungsbedingungen", inv.PaymentTerms, "BT-20")
	add(pay)

	t := inv.Totals
	tot := Section{Title: "Beträge"}
	tot.row("Summe der Positionen (netto)", money(t.LineNet, cur), "BT-106")
	tot.row("Nachlässe", money(t.Allowances, cur), "BT-107")
	tot.row("Zuschläge", money(t.Charges, cur), "BT-108")
	tot.row("Gesamtbetrag netto", money(t.WithoutVAT, cur), "BT-109")
	tot.row("Umsatzsteuer", money(t.VAT, cur), "BT-110")
	tot.row("Gesamtbetrag brutto", money(t.WithVAT, cur), "BT-112")
	tot.row("Bereits gezahlt", money(t.Paid, cur), "BT-113")
	tot.row("Rundungsbetrag", money(t.Rounding, cur), "BT-114")
	tot.row("Zahlbetrag", money(t.Payable, cur), "BT-115")
	add(tot)

	vat := Section{Title: "Umsatzsteuer"}
	for _, b := range inv.VATBreakdown {
		label := "Kategorie " + b.Category
		if b.Rate != nil {
			label += ", " + germanNumber(b.Rate, 0) + " %"
		}
		v := money(b.TaxAmount, cur) + " auf " + money(b.TaxableAmount, cur)
		if b.ExemptionReason != "" {
			v += " (" + b.ExemptionReason + ")"
		}
		vat.row(label, v, "BG-23")
	}
	add(vat)

	lines := Section{Title: "Positionen"}
	for _, l := range inv.Lines {
		v := germanNumber(l.Quantity, 0) + " " + l.UnitCode + " × " + money(l.Price.Net, cur) + " = " + money(l.NetAmount, cur)
		lines.row(l.ID+" "+l.Item.Name, v, "BG-25")
	}
	add(lines)
	return out
}

func (s *Section) row(label, value, term string) {
	if strings.TrimSpace(value) == "" {
		return
	}
	s.Rows = append(s.Rows, Row{Label: label, Value: value, Term: term})
}

func partySection(title string, p *Party, term string) Section {
	s := Section{Title: title}
	s.row("Name", p.Name, term)
	if p.TradingName != p.Name {
		s.row("Handelsname", p.TradingName, term)
	}
	a := p.Address
	var addr []string
	for _, x := range []string{a.Line1, a.Line2, a.Line3, strings.TrimSpace(a.PostCode + " " + a.City), a.Subdivision, a.CountryCode} {
		if x != "" {
			addr = append(addr, x)
		}
	}
	s.row("Anschrift", strings.Join(addr, ", "), term)
	s.row("USt-IdNr.", p.VATID, term)
	s.row("Steuernummer", p.TaxRegistrationID, term)
	s.row("Registernummer", p.LegalRegistrationID.Value, term)
	s.row("Elektronische Adresse", p.ElectronicAddress.Value, term)
	if c := p.Contact; c != nil {
		s.row("Ansprechpartner", c.Name, term)
		s.row("Telefon", c.Telephone, term)
		s.row("E-Mail", c.Email, term)
	}
	return s
}

// paymentMeans names the UNTDID 4461 codes met most in German invoices.
var paymentMeans = map[string]string{
	"1":  "Nicht definiert",
	"10": "Bar",
	"30": "Überweisung",
	"31": "Überweisung",
	"42": "Zahlung auf Bankkonto",
	"48": "Bankkarte",
	"49": "Lastschrift",
	"57": "Dauerauftrag",
	"58": "SEPA-Überweisung",
	"59": "SEPA-Lastschrift",
	"97": "Verrechnung",
}

func codeSuffix(code string) string {
	if code == "" {
		return ""
	}
	return " (" + code + ")"
}

func germanDate(d *Date) string {
	if d == nil {
		return ""
	}
	return d.German()
}

// money writes an amount with at least two decimals, German separators and
// the currency code: 1.125,00 EUR. Empty for nil.
func money(a *Amount, cur string) string {
	if a == nil {
		return ""
	}
	s := germanNumber(a, 2)
	if cur != "" {
		s += " " + cur
	}
	return s
}

// germanNumber writes a decimal with at least minDecimals decimals (more if
// written so), "." between thousands and "," before the decimals.
func germanNumber(a *Amount, minDecimals int) string {
	if a == nil {
		return ""
	}
	places := max(int(-a.Exponent()), minDecimals)
	s := a.StringFixed(int32(places))
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteByte(',')
		b.WriteString(frac)
	}
	return b.String()
}
