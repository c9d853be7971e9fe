package en16931

import (
	"github.com/shopspring/decimal"
)

// Kind tells an invoice from a credit note.
type Kind string

const (
	KindInvoice    Kind = "invoice"
	KindCreditNote Kind = "credit_note"
)

// Syntax names the XML syntax an invoice was read from. The values are
// those of the `syntax` field in the verdict files.
type Syntax string

const (
	SyntaxUBLInvoice    Syntax = "ubl-invoice"
	SyntaxUBLCreditNote Syntax = "ubl-creditnote"
	SyntaxCII           Syntax = "cii"
)

// creditNoteTypeCodes are the UNTDID 1001 codes EN 16931 lists for credit
// notes (the codes a UBL CreditNote may carry in BT-3).
var creditNoteTypeCodes = map[string]bool{
	"81": true, "83": true, "261": true, "262": true, "296": true,
	"308": true, "381": true, "396": true, "420": true, "458": true, "532": true,
}

// KindOfTypeCode returns KindCreditNote for the UNTDID 1001 credit note codes
// and KindInvoice for any other code. CII has one root element for both, so
// its parser derives the kind from BT-3.
func KindOfTypeCode(code string) Kind {
	if creditNoteTypeCodes[code] {
		return KindCreditNote
	}
	return KindInvoice
}

// ID is an identifier with its optional identification scheme
// (schemeID in UBL and CII; for BT-158 also the scheme version).
type ID struct {
	Value         string `json:"value"`
	Scheme        string `json:"scheme_id,omitempty"`
	SchemeVersion string `json:"scheme_version,omitempty"`
}

// IsZero reports whether the identifier is absent.
func (id ID) IsZero() bool { return id == ID{} }

// Amount is an exact decimal: money, quantity, percentage or rate. It keeps
// the scale written in the document: "800.00" stays "800.00" in String and
// JSON (a decimal string), and compares equal to "800" with Equal. Numeric
// terms are pointers: nil means the term is absent (or malformed, see
// Invoice.Invalid).
type Amount struct{ decimal.Decimal }

// Invoice is the EN 16931 semantic model of one invoice or credit note.
// Field comments name the business term (BT-n) or group (BG-n). Absent terms
// are zero values (empty string, nil pointer, empty slice). Amounts keep the
// sign written in the document; a credit note does not negate them.
type Invoice struct {
	// Kind comes from the root element in UBL (Invoice or CreditNote) and
	// from BT-3 in CII, which has one root for both.
	Kind   Kind   `json:"kind"`
	Syntax Syntax `json:"syntax"`

	Number                   string `json:"number"`                               // BT-1
	IssueDate                *Date  `json:"issue_date,omitempty"`                 // BT-2
	TypeCode                 string `json:"type_code"`                            // BT-3
	CurrencyCode             string `json:"currency_code"`                        // BT-5
	TaxCurrencyCode          string `json:"tax_currency_code,omitempty"`          // BT-6
	TaxPointDate             *Date  `json:"tax_point_date,omitempty"`             // BT-7
	TaxPointDateCode         string `json:"tax_point_date_code,omitempty"`        // BT-8
	DueDate                  *Date  `json:"due_date,omitempty"`                   // BT-9
	BuyerReference           string `json:"buyer_reference,omitempty"`            // BT-10
	ProjectReference         string `json:"project_reference,omitempty"`          // BT-11
	ContractReference        string `json:"contract_reference,omitempty"`         // BT-12
	PurchaseOrderReference   string `json:"purchase_order_reference,omitempty"`   // BT-13
	SalesOrderReference      string `json:"sales_order_reference,omitempty"`      // BT-14
	ReceivingAdviceReference string `json:"receiving_advice_reference,omitempty"` // BT-15
	DespatchAdviceReference  string `json:"despatch_advice_reference,omitempty"`  // BT-16
	TenderOrLotReference     string `json:"tender_or_lot_reference,omitempty"`    // BT-17
	InvoicedObjectID         ID     `json:"invoiced_object_id,omitzero"`          // BT-18
	BuyerAccountingReference string `json:"buyer_accounting_reference,omitempty"` // BT-19
	PaymentTerms             string `json:"payment_terms,omitempty"`              // BT-20

	Notes             []Note             `json:"notes,omitempty"`              // BG-1
	ProcessControl    ProcessControl     `json:"process_control"`              // BG-2
	PrecedingInvoices []PrecedingInvoice `json:"preceding_invoices,omitempty"` // BG-3

	Seller                  Party              `json:"seller"`                              // BG-4
	Buyer                   Party              `json:"buyer"`                               // BG-7
	Payee                   *Payee             `json:"payee,omitempty"`                     // BG-10
	SellerTaxRepresentative *TaxRepresentative `json:"seller_tax_representative,omitempty"` // BG-11
	Delivery                *Delivery          `json:"delivery,omitempty"`                  // BG-13
	InvoicingPeriod         *Period            `json:"invoicing_period,omitempty"`          // BG-14

	PaymentInstructions *PaymentInstructions `json:"payment_instructions,omitempty"` // BG-16

	Allowances []AllowanceCharge `json:"allowances,omitempty"` // BG-20
	Charges    []AllowanceCharge `json:"charges,omitempty"`    // BG-21

	Totals       Totals         `json:"totals"`                  // BG-22
	VATBreakdown []VATBreakdown `json:"vat_breakdown,omitempty"` // BG-23

	AdditionalDocuments []AdditionalDocument `json:"additional_documents,omitempty"` // BG-24

	Lines []Line `json:"lines"` // BG-25

	// Invalid lists the parsed terms whose text could not be read (a number
	// or date that is not well formed). Such a term is left absent in the
	// model; the rule engine, not the parser, decides what that means. At
	// most MaxInvalid are listed (plus one entry counting the rest).
	Invalid []InvalidValue `json:"invalid,omitempty"`
}

// MaxInvalid bounds Invoice.Invalid: beyond it the parsers count the
// malformed values and add one last entry with the count and no element.
const MaxInvalid = 100

// InvalidValue records a term whose text is not a valid number or date.
type InvalidValue struct {
	Element string `json:"element"` // path from the root, with prefixes, e.g. cac:LegalMonetaryTotal/cbc:PayableAmount
	Text    string `json:"text"`
	Reason  string `json:"reason"`
}

// Note is BG-1.
type Note struct {
	SubjectCode string `json:"subject_code,omitempty"` // BT-21
	Text        string `json:"text"`                   // BT-22
}

// ProcessControl is BG-2.
type ProcessControl struct {
	BusinessProcessType string `json:"business_process_type,omitempty"` // BT-23
	SpecificationID     string `json:"specification_id"`                // BT-24
}

// PrecedingInvoice is BG-3.
type PrecedingInvoice struct {
	Number    string `json:"number"`               // BT-25
	IssueDate *Date  `json:"issue_date,omitempty"` // BT-26
}

// Party is the seller (BG-4) or the buyer (BG-7). For the buyer,
// TaxRegistrationID and AdditionalLegalInfo stay empty; Identifiers holds
// every identifier written, although EN 16931 allows one BT-46 (the rule
// engine judges the cardinality).
type Party struct {
	Name                string   `json:"name"`                            // BT-27 / BT-44
	TradingName         string   `json:"trading_name,omitempty"`          // BT-28 / BT-45
	Identifiers         []ID     `json:"identifiers,omitempty"`           // BT-29 / BT-46
	LegalRegistrationID ID       `json:"legal_registration_id,omitzero"`  // BT-30 / BT-47
	VATID               string   `json:"vat_id,omitempty"`                // BT-31 / BT-48
	TaxRegistrationID   string   `json:"tax_registration_id,omitempty"`   // BT-32
	AdditionalLegalInfo string   `json:"additional_legal_info,omitempty"` // BT-33
	ElectronicAddress   ID       `json:"electronic_address,omitzero"`     // BT-34 / BT-49
	Address             Address  `json:"address"`                         // BG-5 / BG-8
	Contact             *Contact `json:"contact,omitempty"`               // BG-6 / BG-9
}

// Address is BG-5, BG-8, BG-12 and BG-15.
type Address struct {
	Line1       string `json:"line1,omitempty"`        // BT-35 / BT-50 / BT-64 / BT-75
	Line2       string `json:"line2,omitempty"`        // BT-36 / BT-51 / BT-65 / BT-76
	Line3       string `json:"line3,omitempty"`        // BT-162 / BT-163 / BT-164 / BT-165
	City        string `json:"city,omitempty"`         // BT-37 / BT-52 / BT-66 / BT-77
	PostCode    string `json:"post_code,omitempty"`    // BT-38 / BT-53 / BT-67 / BT-78
	Subdivision string `json:"subdivision,omitempty"`  // BT-39 / BT-54 / BT-68 / BT-79
	CountryCode string `json:"country_code,omitempty"` // BT-40 / BT-55 / BT-69 / BT-80
}

// Contact is BG-6 and BG-9.
type Contact struct {
	Name      string `json:"name,omitempty"`      // BT-41 / BT-56
	Telephone string `json:"telephone,omitempty"` // BT-42 / BT-57
	Email     string `json:"email,omitempty"`     // BT-43 / BT-58
}

// Payee is BG-10.
type Payee struct {
	Name                string `json:"name"`                           // BT-59
	Identifier          ID     `json:"identifier,omitzero"`            // BT-60
	LegalRegistrationID ID     `json:"legal_registration_id,omitzero"` // BT-61
}

// TaxRepresentative is BG-11.
type TaxRepresentative struct {
	Name    string  `json:"name"`    // BT-62
	VATID   string  `json:"vat_id"`  // BT-63
	Address Address `json:"address"` // BG-12
}

// Delivery is BG-13 with the delivery address BG-15.
type Delivery struct {
	PartyName  string   `json:"party_name,omitempty"`  // BT-70
	LocationID ID       `json:"location_id,omitzero"`  // BT-71
	ActualDate *Date    `json:"actual_date,omitempty"` // BT-72
	Address    *Address `json:"address,omitempty"`     // BG-15
}

// Period is BG-14 and BG-26.
type Period struct {
	Start *Date `json:"start,omitempty"` // BT-73 / BT-134
	End   *Date `json:"end,omitempty"`   // BT-74 / BT-135
}

// PaymentInstructions is BG-16.
type PaymentInstructions struct {
	MeansCode       string           `json:"means_code"`                 // BT-81
	MeansText       string           `json:"means_text,omitempty"`       // BT-82
	RemittanceInfo  string           `json:"remittance_info,omitempty"`  // BT-83
	CreditTransfers []CreditTransfer `json:"credit_transfers,omitempty"` // BG-17
	Card            *Card            `json:"card,omitempty"`             // BG-18
	DirectDebit     *DirectDebit     `json:"direct_debit,omitempty"`     // BG-19
}

// CreditTransfer is BG-17.
type CreditTransfer struct {
	AccountID         string `json:"account_id"`                    // BT-84 (IBAN or proprietary)
	AccountName       string `json:"account_name,omitempty"`        // BT-85
	ServiceProviderID string `json:"service_provider_id,omitempty"` // BT-86 (BIC)
}

// Card is BG-18.
type Card struct {
	AccountNumber string `json:"account_number"`        // BT-87 (last digits only, by the standard)
	HolderName    string `json:"holder_name,omitempty"` // BT-88
}

// DirectDebit is BG-19.
type DirectDebit struct {
	MandateID        string `json:"mandate_id,omitempty"`         // BT-89
	CreditorID       string `json:"creditor_id,omitempty"`        // BT-90
	DebitedAccountID string `json:"debited_account_id,omitempty"` // BT-91
}

// AllowanceCharge is a document allowance (BG-20, BT-92..BT-98), a document
// charge (BG-21, BT-99..BT-105), a line allowance (BG-27, BT-136..BT-140) or a
// line charge (BG-28, BT-141..BT-145). Line ones carry no VAT terms.
type AllowanceCharge struct {
	Amount      *Amount `json:"amount"`                 // BT-92 / BT-99 / BT-136 / BT-141
	BaseAmount  *Amount `json:"base_amount,omitempty"`  // BT-93 / BT-100 / BT-137 / BT-142
	Percent     *Amount `json:"percent,omitempty"`      // BT-94 / BT-101 / BT-138 / BT-143
	VATCategory string  `json:"vat_category,omitempty"` // BT-95 / BT-102
	VATRate     *Amount `json:"vat_rate,omitempty"`     // BT-96 / BT-103
	Reason      string  `json:"reason,omitempty"`       // BT-97 / BT-104 / BT-139 / BT-144
	ReasonCode  string  `json:"reason_code,omitempty"`  // BT-98 / BT-105 / BT-140 / BT-145
}

// Totals is BG-22.
type Totals struct {
	LineNet                 *Amount `json:"line_net"`                             // BT-106
	Allowances              *Amount `json:"allowances,omitempty"`                 // BT-107
	Charges                 *Amount `json:"charges,omitempty"`                    // BT-108
	WithoutVAT              *Amount `json:"without_vat"`                          // BT-109
	VAT                     *Amount `json:"vat,omitempty"`                        // BT-110
	VATInAccountingCurrency *Amount `json:"vat_in_accounting_currency,omitempty"` // BT-111
	WithVAT                 *Amount `json:"with_vat"`                             // BT-112
	Paid                    *Amount `json:"paid,omitempty"`                       // BT-113
	Rounding                *Amount `json:"rounding,omitempty"`                   // BT-114
	Payable                 *Amount `json:"payable"`                              // BT-115
}

// VATBreakdown is BG-23.
type VATBreakdown struct {
	TaxableAmount       *Amount `json:"taxable_amount"`                  // BT-116
	TaxAmount           *Amount `json:"tax_amount"`                      // BT-117
	Category            string  `json:"category"`                        // BT-118
	Rate                *Amount `json:"rate,omitempty"`                  // BT-119
	ExemptionReason     string  `json:"exemption_reason,omitempty"`      // BT-120
	ExemptionReasonCode string  `json:"exemption_reason_code,omitempty"` // BT-121
}

// AdditionalDocument is BG-24.
type AdditionalDocument struct {
	ID          string      `json:"id"`                     // BT-122
	Description string      `json:"description,omitempty"`  // BT-123
	ExternalURI string      `json:"external_uri,omitempty"` // BT-124
	Attachment  *Attachment `json:"attachment,omitempty"`   // BT-125
}

// Attachment is the embedded document BT-125. Content holds the decoded
// bytes; it is left out of JSON (the size is given instead).
type Attachment struct {
	MimeCode string `json:"mime_code,omitempty"` // BT-125-1
	Filename string `json:"filename,omitempty"`  // BT-125-2
	Size     int    `json:"size"`
	Content  []byte `json:"-"`
}

// Line is BG-25.
type Line struct {
	ID                       string            `json:"id"`                                   // BT-126
	Note                     string            `json:"note,omitempty"`                       // BT-127
	ObjectID                 ID                `json:"object_id,omitzero"`                   // BT-128
	Quantity                 *Amount           `json:"quantity"`                             // BT-129
	UnitCode                 string            `json:"unit_code"`                            // BT-130
	NetAmount                *Amount           `json:"net_amount"`                           // BT-131
	OrderLineReference       string            `json:"order_line_reference,omitempty"`       // BT-132
	BuyerAccountingReference string            `json:"buyer_accounting_reference,omitempty"` // BT-133
	Period                   *Period           `json:"period,omitempty"`                     // BG-26
	Allowances               []AllowanceCharge `json:"allowances,omitempty"`                 // BG-27
	Charges                  []AllowanceCharge `json:"charges,omitempty"`                    // BG-28
	Price                    Price             `json:"price"`                                // BG-29
	VAT                      LineVAT           `json:"vat"`                                  // BG-30
	Item                     Item              `json:"item"`                                 // BG-31
}

// Price is BG-29.
type Price struct {
	Net              *Amount `json:"net"`                          // BT-146
	Discount         *Amount `json:"discount,omitempty"`           // BT-147
	Gross            *Amount `json:"gross,omitempty"`              // BT-148
	BaseQuantity     *Amount `json:"base_quantity,omitempty"`      // BT-149
	BaseQuantityUnit string  `json:"base_quantity_unit,omitempty"` // BT-150
}

// LineVAT is BG-30.
type LineVAT struct {
	Category string  `json:"category"`       // BT-151
	Rate     *Amount `json:"rate,omitempty"` // BT-152
}

// Item is BG-31 with its attributes BG-32.
type Item struct {
	Name              string          `json:"name"`                          // BT-153
	Description       string          `json:"description,omitempty"`         // BT-154
	SellerID          string          `json:"seller_id,omitempty"`           // BT-155
	BuyerID           string          `json:"buyer_id,omitempty"`            // BT-156
	StandardID        ID              `json:"standard_id,omitzero"`          // BT-157
	Classifications   []ID            `json:"classifications,omitempty"`     // BT-158
	OriginCountryCode string          `json:"origin_country_code,omitempty"` // BT-159
	Attributes        []ItemAttribute `json:"attributes,omitempty"`          // BG-32
}

// ItemAttribute is BG-32.
type ItemAttribute struct {
	Name  string `json:"name"`  // BT-160
	Value string `json:"value"` // BT-161
}
