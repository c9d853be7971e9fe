package camt

import (
	"github.com/shopspring/decimal"
)

// Document is one camt.053 or camt.054 message.
type Document struct {
	MessageID string `json:"message_id"`
	// Type is the message definition, e.g. "camt.053.001.02".
	Type string `json:"type"`
	// CreatedAt is the message's creation time as written (ISO date-time,
	// with or without offset).
	CreatedAt      string      `json:"created_at"`
	AdditionalInfo string      `json:"additional_info,omitempty"`
	Recipient      *Party      `json:"recipient,omitempty"`
	Page           *Page       `json:"page,omitempty"`
	OriginalQuery  *Query      `json:"original_query,omitempty"`
	Statements     []Statement `json:"statements"`
}

// Kind returns "camt.053" or "camt.054".
func (d *Document) Kind() string {
	if len(d.Type) >= 8 {
		return d.Type[:8]
	}
	return d.Type
}

// Page is a message's or statement's pagination.
type Page struct {
	Number string `json:"number"`
	Last   bool   `json:"last"`
}

// Query is the original business query a message answers.
type Query struct {
	MessageID     string `json:"message_id"`
	MessageNameID string `json:"message_name_id,omitempty"`
	CreatedAt     string `json:"created_at,omitempty"`
}

// Statement is a camt.053 statement or a camt.054 notification.
type Statement struct {
	ID                 string    `json:"id"`
	CreatedAt          string    `json:"created_at,omitempty"`
	From               string    `json:"from,omitempty"`
	To                 string    `json:"to,omitempty"`
	ElectronicSequence string    `json:"electronic_sequence,omitempty"`
	LegalSequence      string    `json:"legal_sequence,omitempty"`
	CopyDuplicate      string    `json:"copy_duplicate,omitempty"`
	Page               *Page     `json:"page,omitempty"`
	Account            Account   `json:"account"`
	Balances           []Balance `json:"balances"`
	Entries            []Entry   `json:"entries"`
	AdditionalInfo     string    `json:"additional_info,omitempty"`
}

// Account is an account with its IBAN or other identification.
type Account struct {
	IBAN string `json:"iban"`
	// Other is a non-IBAN identification (Othr/Id).
	Other    string `json:"other,omitempty"`
	Name     string `json:"name"`
	Currency string `json:"currency,omitempty"`
	Owner    string `json:"owner,omitempty"`
	// Servicer is the servicing institution's BIC or name.
	ServicerBIC  string `json:"servicer_bic,omitempty"`
	ServicerName string `json:"servicer_name,omitempty"`
}

// Identification returns the IBAN, else the other identification.
func (a Account) Identification() string {
	if a.IBAN != "" {
		return a.IBAN
	}
	return a.Other
}

// Amount is an amount as written in the message with its currency.
type Amount struct {
	Text     string `json:"amount"`
	Currency string `json:"currency"`
}

// Value is the exact decimal value.
func (a Amount) Value() decimal.Decimal {
	d, _ := decimal.NewFromString(a.Text)
	return d
}

// Balance is one balance of a statement.
type Balance struct {
	// Type is the code (OPBD, CLBD, OPAV, CLAV, PRCD, ITBD, FWAV, ...) or
	// the proprietary type.
	Type        string `json:"type"`
	Amount      string `json:"amount"`
	Currency    string `json:"currency"`
	CreditDebit string `json:"credit_debit"`
	// Date is YYYY-MM-DD, or the date-time as written (DtTm).
	Date string `json:"date"`
}

// Entry is one booking line of a statement.
type Entry struct {
	// Index is the entry's position in its statement (0-based).
	Index       int    `json:"index"`
	Reference   string `json:"reference,omitempty"`
	Amount      string `json:"amount"`
	Currency    string `json:"currency"`
	CreditDebit string `json:"credit_debit"`
	Reversal    bool   `json:"reversal"`
	Status      string `json:"status"`
	// BookingDate and ValueDate are YYYY-MM-DD (Dt), or the date-time as
	// written (DtTm); "" when absent.
	BookingDate              string               `json:"booking_date"`
	ValueDate                string               `json:"value_date"`
	AccountServicerReference string               `json:"account_servicer_reference"`
	BankTransactionCode      *BankTransactionCode `json:"bank_transaction_code,omitempty"`
	AdditionalInfo           string               `json:"additional_info,omitempty"`
	// Batches are the batch bookings this entry sums up (NtryDtls/Btch).
	Batches []Batch  `json:"batches,omitempty"`
	Details []Detail `json:"details"`
}

// Money returns the entry's amount.
func (e Entry) Money() Amount { return Amount{Text: e.Amount, Currency: e.Currency} }

// Batch describes a batch booking.
type Batch struct {
	MessageID            string `json:"message_id,omitempty"`
	PaymentInformationID string `json:"payment_information_id,omitempty"`
	NumberOfTransactions string `json:"number_of_transactions,omitempty"`
	Total                string `json:"total,omitempty"`
	Currency             string `json:"currency,omitempty"`
	CreditDebit          string `json:"credit_debit,omitempty"`
}

// BankTransactionCode is the ISO domain/family/sub-family code and the
// proprietary code.
type BankTransactionCode struct {
	Domain            string `json:"domain,omitempty"`
	Family            string `json:"family,omitempty"`
	SubFamily         string `json:"sub_family,omitempty"`
	Proprietary       string `json:"proprietary,omitempty"`
	ProprietaryIssuer string `json:"proprietary_issuer,omitempty"`
}

// Detail is one transaction of an entry (TxDtls).
type Detail struct {
	Amount      string `json:"amount,omitempty"`
	Currency    string `json:"currency,omitempty"`
	CreditDebit string `json:"credit_debit,omitempty"`
	// TransactionAmount is AmtDtls/TxAmt (the amount of the transaction
	// as booked).
	TransactionAmount   *Amount              `json:"transaction_amount,omitempty"`
	InstructedAmount    *Amount              `json:"instructed_amount,omitempty"`
	EndToEndID          string               `json:"end_to_end_id"`
	References          References           `json:"references"`
	BankTransactionCode *BankTransactionCode `json:"bank_transaction_code,omitempty"`
	Parties             []Party              `json:"parties"`
	Agents              []Agent              `json:"agents"`
	Remittance          Remittance           `json:"remittance"`
	AdditionalInfo      string               `json:"additional_info,omitempty"`
	ReturnReason        string               `json:"return_reason,omitempty"`
}

// References are the identifiers of a transaction (Refs).
type References struct {
	MessageID                         string        `json:"message_id,omitempty"`
	AccountServicerReference          string        `json:"account_servicer_reference,omitempty"`
	PaymentInformationID              string        `json:"payment_information_id,omitempty"`
	InstructionID                     string        `json:"instruction_id,omitempty"`
	EndToEndID                        string        `json:"end_to_end_id,omitempty"`
	UETR                              string        `json:"uetr,omitempty"`
	TransactionID                     string        `json:"transaction_id,omitempty"`
	MandateID                         string        `json:"mandate_id,omitempty"`
	ChequeNumber                      string        `json:"cheque_number,omitempty"`
	ClearingSystemReference           string        `json:"clearing_system_reference,omitempty"`
	AccountOwnerTransactionID         string        `json:"account_owner_transaction_id,omitempty"`
	AccountServicerTransactionID      string        `json:"account_servicer_transaction_id,omitempty"`
	MarketInfrastructureTransactionID string        `json:"market_infrastructure_transaction_id,omitempty"`
	ProcessingID                      string        `json:"processing_id,omitempty"`
	Proprietary                       []Proprietary `json:"proprietary,omitempty"`
}

// Proprietary is a typed proprietary reference.
type Proprietary struct {
	Type      string `json:"type"`
	Reference string `json:"reference"`
}

// Party roles.
const (
	RoleDebtor           = "debtor"
	RoleCreditor         = "creditor"
	RoleUltimateDebtor   = "ultimate_debtor"
	RoleUltimateCreditor = "ultimate_creditor"
	RoleInitiatingParty  = "initiating_party"
	RoleRecipient        = "recipient"
)

// Party is a related party of a transaction (or the message recipient).
type Party struct {
	Role string `json:"role"`
	Name string `json:"name,omitempty"`
	// Agent is set when the party is a financial institution
	// (Pty/Agt choice of version 08).
	Agent              bool            `json:"agent,omitempty"`
	BIC                string          `json:"bic,omitempty"`
	Address            *Address        `json:"address,omitempty"`
	Identification     *Identification `json:"identification,omitempty"`
	CountryOfResidence string          `json:"country_of_residence,omitempty"`
	// Account is the debtor's or creditor's account (DbtrAcct, CdtrAcct).
	Account *Account `json:"account,omitempty"`
}

// Address is a postal address.
type Address struct {
	Department         string   `json:"department,omitempty"`
	SubDepartment      string   `json:"sub_department,omitempty"`
	Street             string   `json:"street,omitempty"`
	BuildingNumber     string   `json:"building_number,omitempty"`
	PostCode           string   `json:"post_code,omitempty"`
	Town               string   `json:"town,omitempty"`
	CountrySubDivision string   `json:"country_sub_division,omitempty"`
	Country            string   `json:"country,omitempty"`
	Lines              []string `json:"lines,omitempty"`
}

// Identification is an organisation's or a person's identification.
type Identification struct {
	Kind string `json:"kind"` // "organisation" or "person"
	// BIC is the organisation's BIC (BICOrBEI, AnyBIC).
	BIC             string    `json:"bic,omitempty"`
	BEI             string    `json:"bei,omitempty"`
	BirthDate       string    `json:"birth_date,omitempty"`
	CityOfBirth     string    `json:"city_of_birth,omitempty"`
	ProvinceOfBirth string    `json:"province_of_birth,omitempty"`
	CountryOfBirth  string    `json:"country_of_birth,omitempty"`
	Other           []OtherID `json:"other,omitempty"`
}

// OtherID is an identification under a scheme.
type OtherID struct {
	ID     string `json:"id"`
	Scheme string `json:"scheme,omitempty"`
	Issuer string `json:"issuer,omitempty"`
}

// Agent is a related financial institution (debtor's or creditor's agent ...).
type Agent struct {
	Role           string `json:"role"` // debtor_agent, creditor_agent, intermediary_agent_1, ...
	BIC            string `json:"bic,omitempty"`
	Name           string `json:"name,omitempty"`
	ClearingSystem string `json:"clearing_system,omitempty"`
	MemberID       string `json:"member_id,omitempty"`
}

// Remittance is the remittance information of a transaction.
type Remittance struct {
	Unstructured []string     `json:"unstructured"`
	Structured   []Structured `json:"structured"`
}

// Structured is one structured remittance block.
type Structured struct {
	CreditorReference *CreditorReference `json:"creditor_reference,omitempty"`
	AdditionalInfo    []string           `json:"additional_info,omitempty"`
}

// CreditorReference is a creditor reference with its type (SCOR for an
// ISO 11649 RF reference).
type CreditorReference struct {
	Code        string `json:"code,omitempty"`
	Proprietary string `json:"proprietary,omitempty"`
	Issuer      string `json:"issuer,omitempty"`
	Reference   string `json:"reference"`
}

// CreditorReferences lists every creditor reference of the remittance.
func (r Remittance) CreditorReferences() []string {
	var out []string
	for _, s := range r.Structured {
		if s.CreditorReference != nil && s.CreditorReference.Reference != "" {
			out = append(out, s.CreditorReference.Reference)
		}
	}
	return out
}
