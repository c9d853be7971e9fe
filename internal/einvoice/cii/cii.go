package cii

import (
	"fmt"
	"strings"

	"github.com/rathaus/rathaus/internal/einvoice/en16931"
	"github.com/rathaus/rathaus/internal/einvoice/en16931/parsing"
	"github.com/rathaus/rathaus/internal/einvoice/en16931/xmltree"
)

// Namespaces of CII D16B.
const (
	NSInvoice = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
	nsRAM     = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
	nsUDT     = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
	nsQDT     = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
)

func prefix(space string) string {
	switch space {
	case NSInvoice:
		return "rsm"
	case nsRAM:
		return "ram"
	case nsUDT:
		return "udt"
	case nsQDT:
		return "qdt"
	}
	return ""
}

// Parse reads a CII D16B CrossIndustryInvoice into the semantic model. See
// the package documentation for what is an error and what is not.
func Parse(data []byte) (*en16931.Invoice, error) {
	root, err := xmltree.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("parse CII: %w", err)
	}
	if root.Name.Space != NSInvoice || root.Name.Local != "CrossIndustryInvoice" {
		return nil, fmt.Errorf("parse CII: %w: root element {%s}%s", en16931.ErrUnknownDocument, root.Name.Space, root.Name.Local)
	}
	inv := &en16931.Invoice{Syntax: en16931.SyntaxCII}
	p := &parser{inv: inv, Collector: parsing.Collector{Invoice: inv, Prefix: prefix}}
	p.document(root)
	p.Finish()
	return p.inv, nil
}

type parser struct {
	inv *en16931.Invoice
	parsing.Collector
}

// ram walks down a path of ram children; nil when any step is missing.
func ram(e *xmltree.Element, path ...string) *xmltree.Element {
	for _, p := range path {
		e = e.Child(nsRAM, p)
	}
	return e
}

// text returns the text at a path of ram children.
func text(e *xmltree.Element, path ...string) string { return ram(e, path...).Text() }

// date reads a udt:DateTimeString (or qdt:DateTimeString, udt:DateString)
// child of e in format 102. Another format is recorded as invalid: EN 16931
// allows only 102.
func (p *parser) date(e *xmltree.Element) *en16931.Date {
	if e == nil {
		return nil
	}
	s := e.Child(nsUDT, "DateTimeString")
	if s == nil {
		s = e.Child(nsQDT, "DateTimeString")
	}
	if s == nil {
		s = e.Child(nsUDT, "DateString")
	}
	if s == nil {
		s = e.Child(nsQDT, "DateString")
	}
	if s == nil {
		return nil
	}
	if f := s.AttrValue("format"); f != "102" {
		p.Invalid(s, s.Text(), fmt.Errorf("%w: date format %q, want 102", en16931.ErrInvalidValue, f))
		return nil
	}
	d, err := en16931.ParseDate102(s.Text())
	if err != nil {
		p.Invalid(s, s.Text(), err)
		return nil
	}
	return &d
}

func id(e *xmltree.Element) en16931.ID {
	return en16931.ID{Value: e.Text(), Scheme: e.AttrValue("schemeID")}
}

func (p *parser) document(r *xmltree.Element) {
	inv := p.inv
	ctx := r.Child(NSInvoice, "ExchangedDocumentContext")
	inv.ProcessControl = en16931.ProcessControl{
		BusinessProcessType: text(ctx, "BusinessProcessSpecifiedDocumentContextParameter", "ID"),
		SpecificationID:     text(ctx, "GuidelineSpecifiedDocumentContextParameter", "ID"),
	}
	doc := r.Child(NSInvoice, "ExchangedDocument")
	inv.Number = text(doc, "ID")
	inv.TypeCode = text(doc, "TypeCode")
	inv.Kind = en16931.KindOfTypeCode(inv.TypeCode)
	inv.IssueDate = p.date(ram(doc, "IssueDateTime"))
	for _, n := range doc.All(nsRAM, "IncludedNote") {
		inv.Notes = append(inv.Notes, en16931.Note{SubjectCode: text(n, "SubjectCode"), Text: text(n, "Content")})
	}

	tx := r.Child(NSInvoice, "SupplyChainTradeTransaction")
	agr := ram(tx, "ApplicableHeaderTradeAgreement")
	del := ram(tx, "ApplicableHeaderTradeDelivery")
	set := ram(tx, "ApplicableHeaderTradeSettlement")

	// Agreement: parties and references.
	inv.BuyerReference = text(agr, "BuyerReference")
	inv.Seller = p.party(ram(agr, "SellerTradeParty"), true)
	inv.Buyer = p.party(ram(agr, "BuyerTradeParty"), false)
	if tr := ram(agr, "SellerTaxRepresentativeTradeParty"); tr != nil {
		rep := &en16931.TaxRepresentative{Name: text(tr, "Name"), Address: address(ram(tr, "PostalTradeAddress"))}
		for _, reg := range tr.All(nsRAM, "SpecifiedTaxRegistration") {
			if x := ram(reg, "ID"); x.AttrValue("schemeID") == "VA" && rep.VATID == "" {
				rep.VATID = x.Text()
			}
		}
		inv.SellerTaxRepresentative = rep
	}
	inv.SalesOrderReference = text(agr, "SellerOrderReferencedDocument", "IssuerAssignedID")
	inv.PurchaseOrderReference = text(agr, "BuyerOrderReferencedDocument", "IssuerAssignedID")
	inv.ContractReference = text(agr, "ContractReferencedDocument", "IssuerAssignedID")
	inv.ProjectReference = text(agr, "SpecifiedProcuringProject", "ID")
	for _, d := range agr.All(nsRAM, "AdditionalReferencedDocument") {
		switch text(d, "TypeCode") {
		case "50":
			if inv.TenderOrLotReference == "" {
				inv.TenderOrLotReference = text(d, "IssuerAssignedID")
			}
		case "130":
			if inv.InvoicedObjectID.IsZero() {
				inv.InvoicedObjectID = en16931.ID{Value: text(d, "IssuerAssignedID"), Scheme: text(d, "ReferenceTypeCode")}
			}
		default: // 916: additional supporting document
			inv.AdditionalDocuments = append(inv.AdditionalDocuments, p.additionalDocument(d))
		}
	}

	// Delivery.
	if del != nil {
		d := &en16931.Delivery{}
		if st := ram(del, "ShipToTradeParty"); st != nil {
			d.PartyName = text(st, "Name")
			d.LocationID = id(ram(st, "ID"))
			if d.LocationID.IsZero() {
				d.LocationID = id(ram(st, "GlobalID"))
			}
			if a := ram(st, "PostalTradeAddress"); a != nil {
				addr := address(a)
				d.Address = &addr
			}
		}
		d.ActualDate = p.date(ram(del, "ActualDeliverySupplyChainEvent", "OccurrenceDateTime"))
		if *d != (en16931.Delivery{}) {
			inv.Delivery = d
		}
		inv.DespatchAdviceReference = text(del, "DespatchAdviceReferencedDocument", "IssuerAssignedID")
		inv.ReceivingAdviceReference = text(del, "ReceivingAdviceReferencedDocument", "IssuerAssignedID")
	}

	// Settlement.
	inv.CurrencyCode = text(set, "InvoiceCurrencyCode")
	inv.TaxCurrencyCode = text(set, "TaxCurrencyCode")
	if pe := ram(set, "PayeeTradeParty"); pe != nil {
		payee := &en16931.Payee{
			Name:                text(pe, "Name"),
			Identifier:          id(ram(pe, "ID")),
			LegalRegistrationID: id(ram(pe, "SpecifiedLegalOrganization", "ID")),
		}
		if payee.Identifier.IsZero() {
			payee.Identifier = id(ram(pe, "GlobalID"))
		}
		inv.Payee = payee
	}
	p.payment(set)
	for _, tt := range set.All(nsRAM, "ApplicableTradeTax") {
		inv.VATBreakdown = append(inv.VATBreakdown, en16931.VATBreakdown{
			TaxableAmount:       p.Amount(ram(tt, "BasisAmount")),
			TaxAmount:           p.Amount(ram(tt, "CalculatedAmount")),
			Category:            text(tt, "CategoryCode"),
			Rate:                p.Amount(ram(tt, "RateApplicablePercent")),
			ExemptionReason:     text(tt, "ExemptionReason"),
			ExemptionReasonCode: text(tt, "ExemptionReasonCode"),
		})
		if inv.TaxPointDateCode == "" {
			inv.TaxPointDateCode = text(tt, "DueDateTypeCode")
		}
		if inv.TaxPointDate == nil {
			if tp := ram(tt, "TaxPointDate"); tp != nil {
				inv.TaxPointDate = p.date(tp)
			}
		}
	}
	inv.InvoicingPeriod = p.period(ram(set, "BillingSpecifiedPeriod"))
	for _, ac := range set.All(nsRAM, "SpecifiedTradeAllowanceCharge") {
		x, charge := p.allowanceCharge(ac, true)
		if charge {
			inv.Charges = append(inv.Charges, x)
		} else {
			inv.Allowances = append(inv.Allowances, x)
		}
	}
	if m := ram(set, "SpecifiedTradeSettlementHeaderMonetarySummation"); m != nil {
		t := &inv.Totals
		t.LineNet = p.Amount(ram(m, "LineTotalAmount"))
		t.Charges = p.Amount(ram(m, "ChargeTotalAmount"))
		t.Allowances = p.Amount(ram(m, "AllowanceTotalAmount"))
		t.WithoutVAT = p.Amount(ram(m, "TaxBasisTotalAmount"))
		for _, ta := range m.All(nsRAM, "TaxTotalAmount") {
			cur := ta.AttrValue("currencyID")
			switch {
			case inv.TaxCurrencyCode != "" && cur == inv.TaxCurrencyCode && cur != inv.CurrencyCode:
				t.VATInAccountingCurrency = p.Amount(ta)
			case t.VAT == nil:
				t.VAT = p.Amount(ta)
			}
		}
		t.Rounding = p.Amount(ram(m, "RoundingAmount"))
		t.WithVAT = p.Amount(ram(m, "GrandTotalAmount"))
		t.Paid = p.Amount(ram(m, "TotalPrepaidAmount"))
		t.Payable = p.Amount(ram(m, "DuePayableAmount"))
	}
	for _, d := range set.All(nsRAM, "InvoiceReferencedDocument") {
		inv.PrecedingInvoices = append(inv.PrecedingInvoices, en16931.PrecedingInvoice{
			Number:    text(d, "IssuerAssignedID"),
			IssueDate: p.date(ram(d, "FormattedIssueDateTime")),
		})
	}
	inv.BuyerAccountingReference = text(set, "ReceivableSpecifiedTradeAccountingAccount", "ID")

	inv.Lines = []en16931.Line{}
	for _, l := range tx.All(nsRAM, "IncludedSupplyChainTradeLineItem") {
		inv.Lines = append(inv.Lines, p.line(l))
	}
}

func (p *parser) period(e *xmltree.Element) *en16931.Period {
	if e == nil {
		return nil
	}
	per := &en16931.Period{Start: p.date(ram(e, "StartDateTime")), End: p.date(ram(e, "EndDateTime"))}
	if per.Start == nil && per.End == nil {
		return nil
	}
	return per
}

func (p *parser) additionalDocument(d *xmltree.Element) en16931.AdditionalDocument {
	doc := en16931.AdditionalDocument{
		ID:          text(d, "IssuerAssignedID"),
		Description: text(d, "Name"),
		ExternalURI: text(d, "URIID"),
	}
	if b := ram(d, "AttachmentBinaryObject"); b != nil {
		a := &en16931.Attachment{MimeCode: b.AttrValue("mimeCode"), Filename: b.AttrValue("filename")}
		content, err := b.Base64()
		if err != nil {
			p.Invalid(b, fmt.Sprintf("(base64, %d bytes)", len(b.RawText())), err)
		} else {
			a.Content, a.Size = content, len(content)
		}
		doc.Attachment = a
	}
	return doc
}

// party reads BG-4 (seller) or BG-7 (buyer) from a ram:*TradeParty.
func (p *parser) party(e *xmltree.Element, seller bool) en16931.Party {
	var pt en16931.Party
	if e == nil {
		return pt
	}
	pt.Name = text(e, "Name")
	for _, x := range e.All(nsRAM, "ID") {
		pt.Identifiers = append(pt.Identifiers, id(x))
	}
	for _, x := range e.All(nsRAM, "GlobalID") {
		pt.Identifiers = append(pt.Identifiers, id(x))
	}
	if seller {
		pt.AdditionalLegalInfo = text(e, "Description")
	}
	if lo := ram(e, "SpecifiedLegalOrganization"); lo != nil {
		pt.LegalRegistrationID = id(ram(lo, "ID"))
		pt.TradingName = text(lo, "TradingBusinessName")
	}
	if c := ram(e, "DefinedTradeContact"); c != nil {
		name := text(c, "PersonName")
		if name == "" {
			name = text(c, "DepartmentName")
		}
		pt.Contact = &en16931.Contact{
			Name:      name,
			Telephone: text(c, "TelephoneUniversalCommunication", "CompleteNumber"),
			Email:     text(c, "EmailURIUniversalCommunication", "URIID"),
		}
	}
	pt.Address = address(ram(e, "PostalTradeAddress"))
	pt.ElectronicAddress = id(ram(e, "URIUniversalCommunication", "URIID"))
	for _, reg := range e.All(nsRAM, "SpecifiedTaxRegistration") {
		x := ram(reg, "ID")
		switch x.AttrValue("schemeID") {
		case "VA":
			if pt.VATID == "" {
				pt.VATID = x.Text()
			}
		case "FC":
			if seller && pt.TaxRegistrationID == "" {
				pt.TaxRegistrationID = x.Text()
			}
		}
	}
	return pt
}

func address(a *xmltree.Element) en16931.Address {
	if a == nil {
		return en16931.Address{}
	}
	return en16931.Address{
		Line1:       text(a, "LineOne"),
		Line2:       text(a, "LineTwo"),
		Line3:       text(a, "LineThree"),
		City:        text(a, "CityName"),
		PostCode:    text(a, "PostcodeCode"),
		Subdivision: text(a, "CountrySubDivisionName"),
		CountryCode: text(a, "CountryID"),
	}
}

// payment reads BG-16..BG-19, BT-9 and BT-20. CII may repeat the payment
// means and terms; BT-81..BT-82 come from the first means, the accounts of
// all are collected, term descriptions are joined by new lines.
func (p *parser) payment(set *xmltree.Element) {
	inv := p.inv
	var terms []string
	dd := en16931.DirectDebit{CreditorID: text(set, "CreditorReferenceID")}
	for _, t := range set.All(nsRAM, "SpecifiedTradePaymentTerms") {
		if s := text(t, "Description"); s != "" {
			terms = append(terms, s)
		}
		if inv.DueDate == nil {
			inv.DueDate = p.date(ram(t, "DueDateDateTime"))
		}
		if dd.MandateID == "" {
			dd.MandateID = text(t, "DirectDebitMandateID")
		}
	}
	inv.PaymentTerms = strings.Join(terms, "\n")
	remittance := text(set, "PaymentReference")
	means := set.All(nsRAM, "SpecifiedTradeSettlementPaymentMeans")
	if len(means) == 0 && remittance == "" && dd == (en16931.DirectDebit{}) {
		return
	}
	pi := &en16931.PaymentInstructions{RemittanceInfo: remittance}
	for i, m := range means {
		if i == 0 {
			pi.MeansCode = text(m, "TypeCode")
			pi.MeansText = text(m, "Information")
		}
		if a := ram(m, "PayeePartyCreditorFinancialAccount"); a != nil {
			acct := text(a, "IBANID")
			if acct == "" {
				acct = text(a, "ProprietaryID")
			}
			pi.CreditTransfers = append(pi.CreditTransfers, en16931.CreditTransfer{
				AccountID:         acct,
				AccountName:       text(a, "AccountName"),
				ServiceProviderID: text(m, "PayeeSpecifiedCreditorFinancialInstitution", "BICID"),
			})
		}
		if c := ram(m, "ApplicableTradeSettlementFinancialCard"); c != nil && pi.Card == nil {
			pi.Card = &en16931.Card{AccountNumber: text(c, "ID"), HolderName: text(c, "CardholderName")}
		}
		if dd.DebitedAccountID == "" {
			dd.DebitedAccountID = text(m, "PayerPartyDebtorFinancialAccount", "IBANID")
		}
	}
	if dd != (en16931.DirectDebit{}) {
		pi.DirectDebit = &dd
	}
	inv.PaymentInstructions = pi
}

// allowanceCharge reads ram:SpecifiedTradeAllowanceCharge; it reports whether
// it is a charge (udt:Indicator true).
func (p *parser) allowanceCharge(e *xmltree.Element, document bool) (en16931.AllowanceCharge, bool) {
	x := en16931.AllowanceCharge{
		Amount:     p.Amount(ram(e, "ActualAmount")),
		BaseAmount: p.Amount(ram(e, "BasisAmount")),
		Percent:    p.Amount(ram(e, "CalculationPercent")),
		Reason:     text(e, "Reason"),
		ReasonCode: text(e, "ReasonCode"),
	}
	if document {
		x.VATCategory = text(e, "CategoryTradeTax", "CategoryCode")
		x.VATRate = p.Amount(ram(e, "CategoryTradeTax", "RateApplicablePercent"))
	}
	ind := ram(e, "ChargeIndicator").Child(nsUDT, "Indicator").Text()
	return x, ind == "true" || ind == "1"
}

func (p *parser) line(l *xmltree.Element) en16931.Line {
	doc := ram(l, "AssociatedDocumentLineDocument")
	agr := ram(l, "SpecifiedLineTradeAgreement")
	set := ram(l, "SpecifiedLineTradeSettlement")
	qty := ram(l, "SpecifiedLineTradeDelivery", "BilledQuantity")
	ln := en16931.Line{
		ID:                       text(doc, "LineID"),
		Note:                     text(doc, "IncludedNote", "Content"),
		Quantity:                 p.Amount(qty),
		UnitCode:                 qty.AttrValue("unitCode"),
		NetAmount:                p.Amount(ram(set, "SpecifiedTradeSettlementLineMonetarySummation", "LineTotalAmount")),
		OrderLineReference:       text(agr, "BuyerOrderReferencedDocument", "LineID"),
		BuyerAccountingReference: text(set, "ReceivableSpecifiedTradeAccountingAccount", "ID"),
		Period:                   p.period(ram(set, "BillingSpecifiedPeriod")),
	}
	for _, d := range set.All(nsRAM, "AdditionalReferencedDocument") {
		if text(d, "TypeCode") == "130" && ln.ObjectID.IsZero() {
			ln.ObjectID = en16931.ID{Value: text(d, "IssuerAssignedID"), Scheme: text(d, "ReferenceTypeCode")}
		}
	}
	for _, ac := range set.All(nsRAM, "SpecifiedTradeAllowanceCharge") {
		x, charge := p.allowanceCharge(ac, false)
		if charge {
			ln.Charges = append(ln.Charges, x)
		} else {
			ln.Allowances = append(ln.Allowances, x)
		}
	}
	if np := ram(agr, "NetPriceProductTradePrice"); np != nil {
		bq := ram(np, "BasisQuantity")
		ln.Price.Net = p.Amount(ram(np, "ChargeAmount"))
		ln.Price.BaseQuantity = p.Amount(bq)
		ln.Price.BaseQuantityUnit = bq.AttrValue("unitCode")
	}
	if gp := ram(agr, "GrossPriceProductTradePrice"); gp != nil {
		ln.Price.Gross = p.Amount(ram(gp, "ChargeAmount"))
		ln.Price.Discount = p.Amount(ram(gp, "AppliedTradeAllowanceCharge", "ActualAmount"))
		if ln.Price.BaseQuantity == nil {
			bq := ram(gp, "BasisQuantity")
			ln.Price.BaseQuantity = p.Amount(bq)
			ln.Price.BaseQuantityUnit = bq.AttrValue("unitCode")
		}
	}
	tax := ram(set, "ApplicableTradeTax")
	ln.VAT = en16931.LineVAT{Category: text(tax, "CategoryCode"), Rate: p.Amount(ram(tax, "RateApplicablePercent"))}
	if pr := ram(l, "SpecifiedTradeProduct"); pr != nil {
		ln.Item = en16931.Item{
			Name:              text(pr, "Name"),
			Description:       text(pr, "Description"),
			SellerID:          text(pr, "SellerAssignedID"),
			BuyerID:           text(pr, "BuyerAssignedID"),
			StandardID:        id(ram(pr, "GlobalID")),
			OriginCountryCode: text(pr, "OriginTradeCountry", "ID"),
		}
		for _, c := range pr.All(nsRAM, "DesignatedProductClassification") {
			code := ram(c, "ClassCode")
			if code == nil {
				continue
			}
			ln.Item.Classifications = append(ln.Item.Classifications, en16931.ID{
				Value: code.Text(), Scheme: code.AttrValue("listID"), SchemeVersion: code.AttrValue("listVersionID"),
			})
		}
		for _, a := range pr.All(nsRAM, "ApplicableProductCharacteristic") {
			ln.Item.Attributes = append(ln.Item.Attributes, en16931.ItemAttribute{Name: text(a, "Description"), Value: text(a, "Value")})
		}
	}
	return ln
}
