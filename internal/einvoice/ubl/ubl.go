package ubl

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/rathaus/rathaus/internal/einvoice/en16931"
	"github.com/rathaus/rathaus/internal/einvoice/en16931/parsing"
	"github.com/rathaus/rathaus/internal/einvoice/en16931/xmltree"
)

// Namespaces of UBL 2.1.
const (
	NSInvoice    = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
	NSCreditNote = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
	nsCAC        = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
	nsCBC        = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
)

func prefix(space string) string {
	switch space {
	case nsCAC:
		return "cac"
	case nsCBC:
		return "cbc"
	}
	return ""
}

// Parse reads a UBL 2.1 Invoice or CreditNote into the semantic model. See
// the package documentation for what is an error and what is not.
func Parse(data []byte) (*en16931.Invoice, error) {
	root, err := xmltree.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("parse UBL: %w", err)
	}
	inv := &en16931.Invoice{}
	p := &parser{inv: inv, Collector: parsing.Collector{Invoice: inv, Prefix: prefix}}
	switch {
	case root.Name.Space == NSInvoice && root.Name.Local == "Invoice":
		p.inv.Kind, p.inv.Syntax = en16931.KindInvoice, en16931.SyntaxUBLInvoice
		p.typeCode, p.lineName, p.qtyName = "InvoiceTypeCode", "InvoiceLine", "InvoicedQuantity"
	case root.Name.Space == NSCreditNote && root.Name.Local == "CreditNote":
		p.inv.Kind, p.inv.Syntax = en16931.KindCreditNote, en16931.SyntaxUBLCreditNote
		p.typeCode, p.lineName, p.qtyName = "CreditNoteTypeCode", "CreditNoteLine", "CreditedQuantity"
	default:
		return nil, fmt.Errorf("parse UBL: %w: root element {%s}%s", en16931.ErrUnknownDocument, root.Name.Space, root.Name.Local)
	}
	p.document(root)
	p.Finish()
	return p.inv, nil
}

type parser struct {
	inv *en16931.Invoice
	parsing.Collector
	typeCode, lineName, qtyName string
}

func cac(e *xmltree.Element, path ...string) *xmltree.Element {
	return walk(e, nsCAC, path)
}

func walk(e *xmltree.Element, ns string, path []string) *xmltree.Element {
	for _, p := range path {
		e = e.Child(ns, p)
	}
	return e
}

// cbc returns the text of the cbc child named local of e.
func cbc(e *xmltree.Element, local string) string { return e.Child(nsCBC, local).Text() }

func (p *parser) date(e *xmltree.Element) *en16931.Date {
	if e == nil {
		return nil
	}
	d, err := en16931.ParseISODate(e.Text())
	if err != nil {
		p.Invalid(e, e.Text(), err)
		return nil
	}
	return &d
}

func id(e *xmltree.Element) en16931.ID {
	return en16931.ID{Value: e.Text(), Scheme: e.AttrValue("schemeID")}
}

func (p *parser) document(r *xmltree.Element) {
	inv := p.inv
	inv.ProcessControl = en16931.ProcessControl{
		BusinessProcessType: cbc(r, "ProfileID"),
		SpecificationID:     cbc(r, "CustomizationID"),
	}
	inv.Number = cbc(r, "ID")
	inv.IssueDate = p.date(r.Child(nsCBC, "IssueDate"))
	inv.DueDate = p.date(r.Child(nsCBC, "DueDate")) // Invoice; a CreditNote has it in PaymentMeans
	inv.TypeCode = cbc(r, p.typeCode)
	for _, n := range r.All(nsCBC, "Note") {
		inv.Notes = append(inv.Notes, note(n.Text()))
	}
	inv.TaxPointDate = p.date(r.Child(nsCBC, "TaxPointDate"))
	inv.CurrencyCode = cbc(r, "DocumentCurrencyCode")
	inv.TaxCurrencyCode = cbc(r, "TaxCurrencyCode")
	inv.BuyerAccountingReference = cbc(r, "AccountingCost")
	inv.BuyerReference = cbc(r, "BuyerReference")
	if per := r.Child(nsCAC, "InvoicePeriod"); per != nil {
		inv.TaxPointDateCode = cbc(per, "DescriptionCode")
		inv.InvoicingPeriod = p.period(per)
	}
	inv.PurchaseOrderReference = cbc(cac(r, "OrderReference"), "ID")
	inv.SalesOrderReference = cbc(cac(r, "OrderReference"), "SalesOrderID")
	for _, b := range r.All(nsCAC, "BillingReference") {
		d := b.Child(nsCAC, "InvoiceDocumentReference")
		if d == nil {
			continue
		}
		inv.PrecedingInvoices = append(inv.PrecedingInvoices, en16931.PrecedingInvoice{
			Number: cbc(d, "ID"), IssueDate: p.date(d.Child(nsCBC, "IssueDate")),
		})
	}
	inv.DespatchAdviceReference = cbc(cac(r, "DespatchDocumentReference"), "ID")
	inv.ReceivingAdviceReference = cbc(cac(r, "ReceiptDocumentReference"), "ID")
	inv.TenderOrLotReference = cbc(cac(r, "OriginatorDocumentReference"), "ID")
	inv.ContractReference = cbc(cac(r, "ContractDocumentReference"), "ID")
	for _, d := range r.All(nsCAC, "AdditionalDocumentReference") {
		switch cbc(d, "DocumentTypeCode") {
		case "130":
			if inv.InvoicedObjectID.IsZero() {
				inv.InvoicedObjectID = id(d.Child(nsCBC, "ID"))
			}
			continue
		case "50":
			// A CreditNote has no ProjectReference; BT-11 is carried here.
			if p.inv.Kind == en16931.KindCreditNote && inv.ProjectReference == "" {
				inv.ProjectReference = cbc(d, "ID")
				continue
			}
		}
		inv.AdditionalDocuments = append(inv.AdditionalDocuments, p.additionalDocument(d))
	}
	if inv.ProjectReference == "" {
		inv.ProjectReference = cbc(cac(r, "ProjectReference"), "ID")
	}

	var creditorID string
	inv.Seller, creditorID = p.party(cac(r, "AccountingSupplierParty", "Party"), true)
	inv.Buyer, _ = p.party(cac(r, "AccountingCustomerParty", "Party"), false)
	if pe := r.Child(nsCAC, "PayeeParty"); pe != nil {
		payee := &en16931.Payee{
			Name:                cbc(cac(pe, "PartyName"), "Name"),
			LegalRegistrationID: id(cac(pe, "PartyLegalEntity").Child(nsCBC, "CompanyID")),
		}
		for _, pi := range pe.All(nsCAC, "PartyIdentification") {
			x := id(pi.Child(nsCBC, "ID"))
			if x.Scheme == "SEPA" {
				creditorID = x.Value // BT-90 given by the payee
				continue
			}
			if payee.Identifier.IsZero() {
				payee.Identifier = x
			}
		}
		inv.Payee = payee
	}
	if tr := r.Child(nsCAC, "TaxRepresentativeParty"); tr != nil {
		inv.SellerTaxRepresentative = &en16931.TaxRepresentative{
			Name:    cbc(cac(tr, "PartyName"), "Name"),
			VATID:   cbc(cac(tr, "PartyTaxScheme"), "CompanyID"),
			Address: address(tr.Child(nsCAC, "PostalAddress")),
		}
	}
	if dl := r.Child(nsCAC, "Delivery"); dl != nil {
		d := &en16931.Delivery{
			PartyName:  cbc(cac(dl, "DeliveryParty", "PartyName"), "Name"),
			LocationID: id(cac(dl, "DeliveryLocation").Child(nsCBC, "ID")),
			ActualDate: p.date(dl.Child(nsCBC, "ActualDeliveryDate")),
		}
		if a := cac(dl, "DeliveryLocation", "Address"); a != nil {
			addr := address(a)
			d.Address = &addr
		}
		inv.Delivery = d
	}
	p.payment(r, creditorID)
	for _, ac := range r.All(nsCAC, "AllowanceCharge") {
		x, charge := p.allowanceCharge(ac, true)
		if charge {
			inv.Charges = append(inv.Charges, x)
		} else {
			inv.Allowances = append(inv.Allowances, x)
		}
	}
	for _, tt := range r.All(nsCAC, "TaxTotal") {
		amt := tt.Child(nsCBC, "TaxAmount")
		cur := amt.AttrValue("currencyID")
		switch {
		case inv.TaxCurrencyCode != "" && cur == inv.TaxCurrencyCode && cur != inv.CurrencyCode:
			inv.Totals.VATInAccountingCurrency = p.Amount(amt)
		case inv.Totals.VAT == nil:
			inv.Totals.VAT = p.Amount(amt)
		}
		for _, st := range tt.All(nsCAC, "TaxSubtotal") {
			cat := st.Child(nsCAC, "TaxCategory")
			inv.VATBreakdown = append(inv.VATBreakdown, en16931.VATBreakdown{
				TaxableAmount:       p.Amount(st.Child(nsCBC, "TaxableAmount")),
				TaxAmount:           p.Amount(st.Child(nsCBC, "TaxAmount")),
				Category:            cbc(cat, "ID"),
				Rate:                p.Amount(cat.Child(nsCBC, "Percent")),
				ExemptionReason:     cbc(cat, "TaxExemptionReason"),
				ExemptionReasonCode: cbc(cat, "TaxExemptionReasonCode"),
			})
		}
	}
	if m := r.Child(nsCAC, "LegalMonetaryTotal"); m != nil {
		t := &inv.Totals
		t.LineNet = p.Amount(m.Child(nsCBC, "LineExtensionAmount"))
		t.WithoutVAT = p.Amount(m.Child(nsCBC, "TaxExclusiveAmount"))
		t.WithVAT = p.Amount(m.Child(nsCBC, "TaxInclusiveAmount"))
		t.Allowances = p.Amount(m.Child(nsCBC, "AllowanceTotalAmount"))
		t.Charges = p.Amount(m.Child(nsCBC, "ChargeTotalAmount"))
		t.Paid = p.Amount(m.Child(nsCBC, "PrepaidAmount"))
		t.Rounding = p.Amount(m.Child(nsCBC, "PayableRoundingAmount"))
		t.Payable = p.Amount(m.Child(nsCBC, "PayableAmount"))
	}
	inv.Lines = []en16931.Line{}
	for _, l := range r.All(nsCAC, p.lineName) {
		inv.Lines = append(inv.Lines, p.line(l))
	}
}

var noteSubject = regexp.MustCompile(`^#([A-Z]{3})#`)

// note splits the "#CODE#text" convention (used by XRechnung and Peppol to
// carry BT-21 in UBL, which has no element for it) into subject and text.
func note(s string) en16931.Note {
	if m := noteSubject.FindStringSubmatch(s); m != nil {
		return en16931.Note{SubjectCode: m[1], Text: s[len(m[0]):]}
	}
	return en16931.Note{Text: s}
}

func (p *parser) period(e *xmltree.Element) *en16931.Period {
	if e == nil {
		return nil
	}
	s, t := e.Child(nsCBC, "StartDate"), e.Child(nsCBC, "EndDate")
	if s == nil && t == nil {
		return nil
	}
	return &en16931.Period{Start: p.date(s), End: p.date(t)}
}

func (p *parser) additionalDocument(d *xmltree.Element) en16931.AdditionalDocument {
	doc := en16931.AdditionalDocument{
		ID:          cbc(d, "ID"),
		Description: cbc(d, "DocumentDescription"),
		ExternalURI: cbc(cac(d, "Attachment", "ExternalReference"), "URI"),
	}
	if b := cac(d, "Attachment").Child(nsCBC, "EmbeddedDocumentBinaryObject"); b != nil {
		doc.Attachment = p.attachment(b)
	}
	return doc
}

func (p *parser) attachment(b *xmltree.Element) *en16931.Attachment {
	a := &en16931.Attachment{MimeCode: b.AttrValue("mimeCode"), Filename: b.AttrValue("filename")}
	content, err := b.Base64()
	if err != nil {
		p.Invalid(b, fmt.Sprintf("(base64, %d bytes)", len(b.RawText())), err)
		return a
	}
	a.Content, a.Size = content, len(content)
	return a
}

// party reads BG-4 (seller) or BG-7 (buyer). For the seller it also returns
// a SEPA creditor identifier (BT-90), which UBL carries as a party
// identification with scheme "SEPA".
func (p *parser) party(e *xmltree.Element, seller bool) (en16931.Party, string) {
	var pt en16931.Party
	if e == nil {
		return pt, ""
	}
	var creditorID string
	pt.ElectronicAddress = id(e.Child(nsCBC, "EndpointID"))
	for _, pi := range e.All(nsCAC, "PartyIdentification") {
		x := id(pi.Child(nsCBC, "ID"))
		if seller && x.Scheme == "SEPA" {
			creditorID = x.Value
			continue
		}
		pt.Identifiers = append(pt.Identifiers, x)
	}
	pt.TradingName = cbc(cac(e, "PartyName"), "Name")
	pt.Address = address(e.Child(nsCAC, "PostalAddress"))
	for _, ts := range e.All(nsCAC, "PartyTaxScheme") {
		v := cbc(ts, "CompanyID")
		if strings.EqualFold(cbc(cac(ts, "TaxScheme"), "ID"), "VAT") { // BR-CO-26 compares upper-cased
			if pt.VATID == "" {
				pt.VATID = v
			}
		} else if seller && pt.TaxRegistrationID == "" {
			pt.TaxRegistrationID = v
		}
	}
	if le := e.Child(nsCAC, "PartyLegalEntity"); le != nil {
		pt.Name = cbc(le, "RegistrationName")
		pt.LegalRegistrationID = id(le.Child(nsCBC, "CompanyID"))
		if seller {
			pt.AdditionalLegalInfo = cbc(le, "CompanyLegalForm")
		}
	}
	if c := e.Child(nsCAC, "Contact"); c != nil {
		pt.Contact = &en16931.Contact{
			Name: cbc(c, "Name"), Telephone: cbc(c, "Telephone"), Email: cbc(c, "ElectronicMail"),
		}
	}
	return pt, creditorID
}

func address(a *xmltree.Element) en16931.Address {
	if a == nil {
		return en16931.Address{}
	}
	return en16931.Address{
		Line1:       cbc(a, "StreetName"),
		Line2:       cbc(a, "AdditionalStreetName"),
		Line3:       cbc(cac(a, "AddressLine"), "Line"),
		City:        cbc(a, "CityName"),
		PostCode:    cbc(a, "PostalZone"),
		Subdivision: cbc(a, "CountrySubentity"),
		CountryCode: cbc(cac(a, "Country"), "IdentificationCode"),
	}
}

// payment reads BG-16..BG-19 and BT-20. UBL may repeat PaymentMeans; BT-81..
// BT-83 come from the first, the accounts of all are collected.
func (p *parser) payment(r *xmltree.Element, creditorID string) {
	inv := p.inv
	var terms []string
	for _, t := range r.All(nsCAC, "PaymentTerms") {
		for _, n := range t.All(nsCBC, "Note") {
			terms = append(terms, n.Text())
		}
	}
	inv.PaymentTerms = strings.Join(terms, "\n")
	means := r.All(nsCAC, "PaymentMeans")
	if len(means) == 0 && creditorID == "" {
		return
	}
	pi := &en16931.PaymentInstructions{}
	var dd en16931.DirectDebit
	dd.CreditorID = creditorID
	for i, m := range means {
		if i == 0 {
			code := m.Child(nsCBC, "PaymentMeansCode")
			pi.MeansCode, pi.MeansText = code.Text(), code.AttrValue("name")
			pi.RemittanceInfo = cbc(m, "PaymentID")
		}
		if inv.Kind == en16931.KindCreditNote && inv.DueDate == nil {
			inv.DueDate = p.date(m.Child(nsCBC, "PaymentDueDate")) // BT-9 of a CreditNote
		}
		for _, a := range m.All(nsCAC, "PayeeFinancialAccount") {
			pi.CreditTransfers = append(pi.CreditTransfers, en16931.CreditTransfer{
				AccountID:         cbc(a, "ID"),
				AccountName:       cbc(a, "Name"),
				ServiceProviderID: cbc(cac(a, "FinancialInstitutionBranch"), "ID"),
			})
		}
		if c := m.Child(nsCAC, "CardAccount"); c != nil && pi.Card == nil {
			pi.Card = &en16931.Card{AccountNumber: cbc(c, "PrimaryAccountNumberID"), HolderName: cbc(c, "HolderName")}
		}
		if md := m.Child(nsCAC, "PaymentMandate"); md != nil && dd.MandateID == "" && dd.DebitedAccountID == "" {
			dd.MandateID = cbc(md, "ID")
			dd.DebitedAccountID = cbc(cac(md, "PayerFinancialAccount"), "ID")
		}
	}
	if dd != (en16931.DirectDebit{}) {
		pi.DirectDebit = &dd
	}
	inv.PaymentInstructions = pi
}

// allowanceCharge reads cac:AllowanceCharge; it reports whether it is a
// charge (cbc:ChargeIndicator true).
func (p *parser) allowanceCharge(e *xmltree.Element, document bool) (en16931.AllowanceCharge, bool) {
	x := en16931.AllowanceCharge{
		Amount:     p.Amount(e.Child(nsCBC, "Amount")),
		BaseAmount: p.Amount(e.Child(nsCBC, "BaseAmount")),
		Percent:    p.Amount(e.Child(nsCBC, "MultiplierFactorNumeric")),
		Reason:     cbc(e, "AllowanceChargeReason"),
		ReasonCode: cbc(e, "AllowanceChargeReasonCode"),
	}
	if document {
		cat := e.Child(nsCAC, "TaxCategory")
		x.VATCategory = cbc(cat, "ID")
		x.VATRate = p.Amount(cat.Child(nsCBC, "Percent"))
	}
	return x, isTrue(cbc(e, "ChargeIndicator"))
}

// isTrue reads an xs:boolean.
func isTrue(s string) bool { return s == "true" || s == "1" }

func (p *parser) line(l *xmltree.Element) en16931.Line {
	qty := l.Child(nsCBC, p.qtyName)
	ln := en16931.Line{
		ID:                       cbc(l, "ID"),
		Note:                     cbc(l, "Note"),
		Quantity:                 p.Amount(qty),
		UnitCode:                 qty.AttrValue("unitCode"),
		NetAmount:                p.Amount(l.Child(nsCBC, "LineExtensionAmount")),
		BuyerAccountingReference: cbc(l, "AccountingCost"),
		Period:                   p.period(l.Child(nsCAC, "InvoicePeriod")),
		OrderLineReference:       cbc(cac(l, "OrderLineReference"), "LineID"),
	}
	for _, d := range l.All(nsCAC, "DocumentReference") {
		if cbc(d, "DocumentTypeCode") == "130" && ln.ObjectID.IsZero() {
			ln.ObjectID = id(d.Child(nsCBC, "ID"))
		}
	}
	for _, ac := range l.All(nsCAC, "AllowanceCharge") {
		x, charge := p.allowanceCharge(ac, false)
		if charge {
			ln.Charges = append(ln.Charges, x)
		} else {
			ln.Allowances = append(ln.Allowances, x)
		}
	}
	if pr := l.Child(nsCAC, "Price"); pr != nil {
		bq := pr.Child(nsCBC, "BaseQuantity")
		ln.Price = en16931.Price{
			Net:              p.Amount(pr.Child(nsCBC, "PriceAmount")),
			BaseQuantity:     p.Amount(bq),
			BaseQuantityUnit: bq.AttrValue("unitCode"),
		}
		if ac := pr.Child(nsCAC, "AllowanceCharge"); ac != nil {
			ln.Price.Discount = p.Amount(ac.Child(nsCBC, "Amount"))
			ln.Price.Gross = p.Amount(ac.Child(nsCBC, "BaseAmount"))
		}
	}
	if it := l.Child(nsCAC, "Item"); it != nil {
		cat := it.Child(nsCAC, "ClassifiedTaxCategory")
		ln.VAT = en16931.LineVAT{Category: cbc(cat, "ID"), Rate: p.Amount(cat.Child(nsCBC, "Percent"))}
		ln.Item = en16931.Item{
			Name:              cbc(it, "Name"),
			Description:       cbc(it, "Description"),
			SellerID:          cbc(cac(it, "SellersItemIdentification"), "ID"),
			BuyerID:           cbc(cac(it, "BuyersItemIdentification"), "ID"),
			StandardID:        id(cac(it, "StandardItemIdentification").Child(nsCBC, "ID")),
			OriginCountryCode: cbc(cac(it, "OriginCountry"), "IdentificationCode"),
		}
		for _, c := range it.All(nsCAC, "CommodityClassification") {
			code := c.Child(nsCBC, "ItemClassificationCode")
			if code == nil {
				continue
			}
			ln.Item.Classifications = append(ln.Item.Classifications, en16931.ID{
				Value: code.Text(), Scheme: code.AttrValue("listID"), SchemeVersion: code.AttrValue("listVersionID"),
			})
		}
		for _, a := range it.All(nsCAC, "AdditionalItemProperty") {
			ln.Item.Attributes = append(ln.Item.Attributes, en16931.ItemAttribute{Name: cbc(a, "Name"), Value: cbc(a, "Value")})
		}
	}
	return ln
}
