package inbox

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/rathaus/rathaus/internal/einvoice/en16931"
)

// TermGroup is one business group of the readable view with the terms
// present in the invoice.
type TermGroup struct {
	Term  string // BG-n, "" for the document itself
	Title string
	Index int // 1-based position for repeated groups (lines), 0 otherwise
	Rows  []TermRow
}

// TermRow is one business term present in the invoice.
type TermRow struct {
	Term  string // BT-n ("" for a value of the model without a term number)
	Label string // German
	Value string
}

// term is the German label and number of a model path (JSON names, list
// indexes replaced by []).
type term struct{ id, label string }

var terms = map[string]term{
	"number": {"BT-1", "Rechnungsnummer"}, "issue_date": {"BT-2", "Rechnungsdatum"}, "type_code": {"BT-3", "Rechnungsart (Code)"},
	"currency_code": {"BT-5", "Währung"}, "tax_currency_code": {"BT-6", "Steuerwährung"}, "tax_point_date": {"BT-7", "Steuerfälligkeitsdatum"},
	"tax_point_date_code": {"BT-8", "Code des Steuerfälligkeitsdatums"}, "due_date": {"BT-9", "Fälligkeitsdatum"},
	"buyer_reference": {"BT-10", "Käuferreferenz (Leitweg-ID)"}, "project_reference": {"BT-11", "Projektnummer"},
	"contract_reference": {"BT-12", "Vertragsnummer"}, "purchase_order_reference": {"BT-13", "Bestellnummer"},
	"sales_order_reference": {"BT-14", "Auftragsnummer"}, "receiving_advice_reference": {"BT-15", "Wareneingangsmeldung"},
	"despatch_advice_reference": {"BT-16", "Versandanzeige"}, "tender_or_lot_reference": {"BT-17", "Ausschreibung/Los"},
	"invoiced_object_id.value": {"BT-18", "Abrechnungsobjekt"}, "invoiced_object_id.scheme_id": {"BT-18-1", "Kennungsschema"},
	"buyer_accounting_reference": {"BT-19", "Buchungsreferenz des Käufers"}, "payment_terms": {"BT-20", "Zahlungsbedingungen"},
	"notes[].subject_code": {"BT-21", "Betreff der Bemerkung"}, "notes[].text": {"BT-22", "Bemerkung"},
	"process_control.business_process_type": {"BT-23", "Geschäftsprozess"}, "process_control.specification_id": {"BT-24", "Spezifikation"},
	"preceding_invoices[].number": {"BT-25", "Vorausgegangene Rechnung"}, "preceding_invoices[].issue_date": {"BT-26", "Datum der vorausgegangenen Rechnung"},
	"payee.name": {"BT-59", "Name"}, "payee.identifier.value": {"BT-60", "Kennung"}, "payee.legal_registration_id.value": {"BT-61", "Registernummer"},
	"seller_tax_representative.name": {"BT-62", "Name"}, "seller_tax_representative.vat_id": {"BT-63", "USt-IdNr."},
	"seller_tax_representative.address.line1": {"BT-64", "Straße"}, "seller_tax_representative.address.line2": {"BT-65", "Adresszusatz"},
	"seller_tax_representative.address.line3": {"BT-164", "Adresszeile 3"}, "seller_tax_representative.address.city": {"BT-66", "Ort"},
	"seller_tax_representative.address.post_code": {"BT-67", "Postleitzahl"}, "seller_tax_representative.address.subdivision": {"BT-68", "Region"},
	"seller_tax_representative.address.country_code": {"BT-69", "Land"},
	"delivery.address.line1":                         {"BT-75", "Straße"}, "delivery.address.line2": {"BT-76", "Adresszusatz"}, "delivery.address.line3": {"BT-165", "Adresszeile 3"},
	"delivery.address.city": {"BT-77", "Ort"}, "delivery.address.post_code": {"BT-78", "Postleitzahl"}, "delivery.address.subdivision": {"BT-79", "Region"},
	"delivery.address.country_code": {"BT-80", "Land"},
	"delivery.party_name":           {"BT-70", "Empfänger"}, "delivery.location_id.value": {"BT-71", "Lieferort"}, "delivery.actual_date": {"BT-72", "Lieferdatum"},
	"invoicing_period.start": {"BT-73", "Beginn des Rechnungszeitraums"}, "invoicing_period.end": {"BT-74", "Ende des Rechnungszeitraums"},
	"payment_instructions.means_code": {"BT-81", "Zahlungsart (Code)"}, "payment_instructions.means_text": {"BT-82", "Zahlungsart"},
	"payment_instructions.remittance_info":               {"BT-83", "Verwendungszweck"},
	"payment_instructions.credit_transfers[].account_id": {"BT-84", "Konto (IBAN)"}, "payment_instructions.credit_transfers[].account_name": {"BT-85", "Kontoinhaber"},
	"payment_instructions.credit_transfers[].service_provider_id": {"BT-86", "BIC"},
	"payment_instructions.card.account_number":                    {"BT-87", "Kartennummer"}, "payment_instructions.card.holder_name": {"BT-88", "Karteninhaber"},
	"payment_instructions.direct_debit.mandate_id": {"BT-89", "Mandatsreferenz"}, "payment_instructions.direct_debit.creditor_id": {"BT-90", "Gläubiger-ID"},
	"payment_instructions.direct_debit.debited_account_id": {"BT-91", "Belastetes Konto"},
	"totals.line_net": {"BT-106", "Summe der Positionen (netto)"}, "totals.allowances": {"BT-107", "Summe der Nachlässe"},
	"totals.charges": {"BT-108", "Summe der Zuschläge"}, "totals.without_vat": {"BT-109", "Gesamtbetrag ohne Umsatzsteuer"},
	"totals.vat": {"BT-110", "Umsatzsteuer gesamt"}, "totals.vat_in_accounting_currency": {"BT-111", "Umsatzsteuer in Buchungswährung"},
	"totals.with_vat": {"BT-112", "Gesamtbetrag mit Umsatzsteuer"}, "totals.paid": {"BT-113", "Bereits gezahlt"},
	"totals.rounding": {"BT-114", "Rundungsbetrag"}, "totals.payable": {"BT-115", "Fälliger Betrag"},
	"vat_breakdown[].taxable_amount": {"BT-116", "Steuerpflichtiger Betrag"}, "vat_breakdown[].tax_amount": {"BT-117", "Steuerbetrag"},
	"vat_breakdown[].category": {"BT-118", "Steuerkategorie"}, "vat_breakdown[].rate": {"BT-119", "Steuersatz (%)"},
	"vat_breakdown[].exemption_reason": {"BT-120", "Befreiungsgrund"}, "vat_breakdown[].exemption_reason_code": {"BT-121", "Code des Befreiungsgrunds"},
	"additional_documents[].id": {"BT-122", "Kennung"}, "additional_documents[].description": {"BT-123", "Beschreibung"},
	"additional_documents[].external_uri": {"BT-124", "Adresse"}, "additional_documents[].attachment.filename": {"BT-125-2", "Dateiname"},
	"additional_documents[].attachment.mime_code": {"BT-125-1", "Dateityp"}, "additional_documents[].attachment.size": {"BT-125", "Größe (Bytes)"},
	"lines[].id": {"BT-126", "Positionsnummer"}, "lines[].note": {"BT-127", "Bemerkung"}, "lines[].object_id.value": {"BT-128", "Objektkennung"},
	"lines[].quantity": {"BT-129", "Menge"}, "lines[].unit_code": {"BT-130", "Einheit"}, "lines[].net_amount": {"BT-131", "Nettobetrag"},
	"lines[].order_line_reference": {"BT-132", "Bestellposition"}, "lines[].buyer_accounting_reference": {"BT-133", "Buchungsreferenz"},
	"lines[].period.start": {"BT-134", "Leistungsbeginn"}, "lines[].period.end": {"BT-135", "Leistungsende"},
	"lines[].price.net": {"BT-146", "Nettopreis"}, "lines[].price.discount": {"BT-147", "Preisnachlass"}, "lines[].price.gross": {"BT-148", "Bruttopreis"},
	"lines[].price.base_quantity": {"BT-149", "Basismenge"}, "lines[].price.base_quantity_unit": {"BT-150", "Einheit der Basismenge"},
	"lines[].vat.category": {"BT-151", "Steuerkategorie"}, "lines[].vat.rate": {"BT-152", "Steuersatz (%)"},
	"lines[].item.name": {"BT-153", "Artikelname"}, "lines[].item.description": {"BT-154", "Artikelbeschreibung"},
	"lines[].item.seller_id": {"BT-155", "Artikelnummer des Verkäufers"}, "lines[].item.buyer_id": {"BT-156", "Artikelnummer des Käufers"},
	"lines[].item.standard_id.value": {"BT-157", "Standardkennung"}, "lines[].item.classifications[].value": {"BT-158", "Klassifizierung"},
	"lines[].item.classifications[].scheme_version": {"BT-158-2", "Version des Klassifizierungsschemas"},
	"lines[].item.origin_country_code":              {"BT-159", "Ursprungsland"}, "lines[].item.attributes[].name": {"BT-160", "Merkmal"},
	"lines[].item.attributes[].value": {"BT-161", "Wert des Merkmals"},
}

// party terms: seller BT-27.., buyer BT-44..
var partyTerms = map[string][2]term{
	"name": {{"BT-27", "Name"}, {"BT-44", "Name"}}, "trading_name": {{"BT-28", "Handelsname"}, {"BT-45", "Handelsname"}},
	"identifiers[].value": {{"BT-29", "Kennung"}, {"BT-46", "Kennung"}}, "legal_registration_id.value": {{"BT-30", "Registernummer"}, {"BT-47", "Registernummer"}},
	"vat_id": {{"BT-31", "USt-IdNr."}, {"BT-48", "USt-IdNr."}}, "tax_registration_id": {{"BT-32", "Steuernummer"}, {"", ""}},
	"additional_legal_info": {{"BT-33", "Rechtliche Informationen"}, {"", ""}}, "electronic_address.value": {{"BT-34", "Elektronische Adresse"}, {"BT-49", "Elektronische Adresse"}},
	"address.line1": {{"BT-35", "Straße"}, {"BT-50", "Straße"}}, "address.line2": {{"BT-36", "Adresszusatz"}, {"BT-51", "Adresszusatz"}},
	"address.line3": {{"BT-162", "Adresszeile 3"}, {"BT-163", "Adresszeile 3"}}, "address.city": {{"BT-37", "Ort"}, {"BT-52", "Ort"}},
	"address.post_code": {{"BT-38", "Postleitzahl"}, {"BT-53", "Postleitzahl"}}, "address.subdivision": {{"BT-39", "Region"}, {"BT-54", "Region"}},
	"address.country_code": {{"BT-40", "Land"}, {"BT-55", "Land"}}, "contact.name": {{"BT-41", "Ansprechpartner"}, {"BT-56", "Ansprechpartner"}},
	"contact.telephone": {{"BT-42", "Telefon"}, {"BT-57", "Telefon"}}, "contact.email": {{"BT-43", "E-Mail"}, {"BT-58", "E-Mail"}},
}

var groupTitles = map[string]term{
	"notes": {"BG-1", "Bemerkungen"}, "process_control": {"BG-2", "Prozesssteuerung"}, "preceding_invoices": {"BG-3", "Vorausgegangene Rechnungen"},
	"seller": {"BG-4", "Verkäufer"}, "buyer": {"BG-7", "Käufer"}, "payee": {"BG-10", "Zahlungsempfänger"},
	"seller_tax_representative": {"BG-11", "Steuervertreter des Verkäufers"}, "delivery": {"BG-13", "Lieferung"}, "invoicing_period": {"BG-14", "Rechnungszeitraum"},
	"payment_instructions": {"BG-16", "Zahlungsanweisungen"}, "allowances": {"BG-20", "Nachlässe"}, "charges": {"BG-21", "Zuschläge"},
	"totals": {"BG-22", "Gesamtbeträge"}, "vat_breakdown": {"BG-23", "Aufschlüsselung der Umsatzsteuer"}, "additional_documents": {"BG-24", "Rechnungsbegründende Unterlagen"},
	"lines": {"BG-25", "Rechnungsposition"},
}

var allowanceTerms = map[string]term{
	"amount": {"", "Betrag"}, "base_amount": {"", "Grundbetrag"}, "percent": {"", "Prozentsatz"}, "vat_category": {"", "Steuerkategorie"},
	"vat_rate": {"", "Steuersatz (%)"}, "reason": {"", "Grund"}, "reason_code": {"", "Code des Grundes"},
}

// Terms lists every business term present in the document, grouped by
// business group in the order of EN 16931, with German labels. A value of
// the model without a known term is still shown, under its model name, so
// nothing in the invoice is hidden from the clerk.
func Terms(doc *en16931.Invoice) []TermGroup {
	if doc == nil {
		return nil
	}
	b, _ := json.Marshal(doc)
	var m map[string]any
	json.Unmarshal(b, &m)
	delete(m, "kind")
	delete(m, "syntax")
	delete(m, "invalid")
	order := []string{"", "notes", "process_control", "preceding_invoices", "seller", "buyer", "payee", "seller_tax_representative", "delivery",
		"invoicing_period", "payment_instructions", "allowances", "charges", "totals", "vat_breakdown", "additional_documents", "lines"}
	var out []TermGroup
	doc0 := TermGroup{Title: "Rechnung"}
	for _, g := range order {
		if g == "" {
			keys := sortedKeys(m)
			for _, k := range keys {
				if _, isGroup := groupTitles[k]; isGroup {
					continue
				}
				flatten(k, m[k], func(path, val string) { doc0.Rows = append(doc0.Rows, rowFor(path, val)) })
			}
			if len(doc0.Rows) > 0 {
				out = append(out, doc0)
			}
			continue
		}
		v, ok := m[g]
		if !ok {
			continue
		}
		gt := groupTitles[g]
		if list, ok := v.([]any); ok && (g == "lines" || g == "allowances" || g == "charges" || g == "vat_breakdown" || g == "additional_documents") {
			for i, item := range list {
				tg := TermGroup{Term: gt.id, Title: gt.title(), Index: i + 1}
				flatten(g+"[]", item, func(path, val string) { tg.Rows = append(tg.Rows, rowFor(path, val)) })
				if len(tg.Rows) > 0 {
					out = append(out, tg)
				}
			}
			continue
		}
		tg := TermGroup{Term: gt.id, Title: gt.title()}
		flatten(g, v, func(path, val string) { tg.Rows = append(tg.Rows, rowFor(path, val)) })
		if len(tg.Rows) > 0 {
			out = append(out, tg)
		}
	}
	return out
}

func (t term) title() string { return t.label }

func rowFor(path, val string) TermRow {
	if t, ok := terms[path]; ok {
		return TermRow{Term: t.id, Label: t.label, Value: val}
	}
	for _, p := range []string{"seller.", "buyer."} {
		if rest, ok := strings.CutPrefix(path, p); ok {
			if pt, ok := partyTerms[rest]; ok {
				t := pt[0]
				if p == "buyer." {
					t = pt[1]
				}
				if t.label != "" {
					return TermRow{Term: t.id, Label: t.label, Value: val}
				}
			}
		}
	}
	last := path[strings.LastIndexAny(path, ".]")+1:]
	if strings.Contains(path, "allowances[]") || strings.Contains(path, "charges[]") {
		if t, ok := allowanceTerms[last]; ok {
			return TermRow{Label: t.label, Value: val}
		}
	}
	if strings.HasSuffix(path, "scheme_id") {
		return TermRow{Label: "Schema", Value: val}
	}
	return TermRow{Label: strings.ReplaceAll(path, "_", " "), Value: val}
}

// flatten walks a JSON value and calls emit for every non-empty leaf with
// its path (list indexes as []).
func flatten(path string, v any, emit func(path, val string)) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) {
			flatten(path+"."+k, x[k], emit)
		}
	case []any:
		for _, item := range x {
			flatten(path+"[]", item, emit)
		}
	case string:
		if strings.TrimSpace(x) != "" {
			emit(path, x)
		}
	case float64:
		emit(path, strconv.FormatFloat(x, 'f', -1, 64))
	case bool:
		emit(path, fmt.Sprint(x))
	}
}

// sortedKeys orders a group's keys as the model declares them where it
// matters for reading (name first), else alphabetically.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	rank := func(k string) string {
		for i, first := range []string{"id", "number", "name", "issue_date", "due_date", "type_code", "currency_code", "buyer_reference"} {
			if k == first {
				return fmt.Sprintf("0%d", i)
			}
		}
		return "1" + k
	}
	sort.Slice(keys, func(i, j int) bool { return rank(keys[i]) < rank(keys[j]) })
	return keys
}
