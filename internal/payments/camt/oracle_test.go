package camt

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/platform/datasets"
)

// The oracle: ../shared/data/payments/camt/*.json are the parse results of
// an independent library (genkgo/camt, PHP), dumped getter by getter.
// TestDatasetCamtOracle projects our Document into the oracle's shape
// (oracleView) and compares every leaf the oracle holds. oracleMapping
// below is the committed mapping from the oracle's getters to our fields;
// every getter the oracle dumps with a value must be listed in it, either
// with the field it is compared with or with the reason it is not.
//
// The dump writes each object once: a later occurrence of the same object
// is "__RECURSIVITY__" and is skipped (its content was compared where it
// first appeared).

// oracleMapping: oracle getter path (list indices dropped) → our field.
// "-" entries are not compared, with the reason.
var oracleMapping = map[string]string{
	"getGroupHeader.getMessageId":                                            "message_id",
	"getGroupHeader.getCreatedOn":                                            "created_at (as UTC instant)",
	"getGroupHeader.getAdditionalInformation":                                "additional_info",
	"getGroupHeader.getPagination.getPageNumber":                             "page.number",
	"getGroupHeader.getOriginalBusinessQuery.getMessageId":                   "original_query.message_id",
	"getGroupHeader.getOriginalBusinessQuery.getMessageNameId":               "original_query.message_name_id",
	"getGroupHeader.getOriginalBusinessQuery.getCreatedOn":                   "original_query.created_at",
	"getGroupHeader.getMessageRecipient.getName":                             "recipient.name",
	"getGroupHeader.getMessageRecipient.getCountryOfResidence":               "recipient.country_of_residence",
	"getGroupHeader.getMessageRecipient.getAddress.*":                        "recipient.address.* (street, building_number, post_code, town, country, lines, ...)",
	"getGroupHeader.getMessageRecipient.getIdentification.getBic":            "recipient.identification.bic",
	"getGroupHeader.getMessageRecipient.getIdentification.getBei":            "recipient.identification.bei (BICOrBEI of version 02)",
	"getGroupHeader.getMessageRecipient.getIdentification.getOtherId":        "recipient.identification.other[0].id",
	"getGroupHeader.getMessageRecipient.getIdentification.getOtherIssuer":    "recipient.identification.other[0].issuer",
	"getGroupHeader.getMessageRecipient.getIdentification.getIdentification": "recipient.identification: other[0].id, else the BIC",
	"record.__CLASS__":                                                                        "document type: Statement (camt.053) or Notification (camt.054)",
	"record.getId":                                                                            "statements[].id",
	"record.getCreatedOn":                                                                     "statements[].created_at",
	"record.getFromDate":                                                                      "statements[].from",
	"record.getToDate":                                                                        "statements[].to",
	"record.getElectronicSequenceNumber":                                                      "statements[].electronic_sequence",
	"record.getLegalSequenceNumber":                                                           "statements[].legal_sequence",
	"record.getCopyDuplicateIndicator":                                                        "statements[].copy_duplicate",
	"record.getPagination.getPageNumber":                                                      "statements[].page.number",
	"record.getAdditionalInformation":                                                         "statements[].additional_info",
	"record.getAccount.__CLASS__":                                                             "IbanAccount when account.iban is set, else OtherAccount",
	"record.getAccount.getIban.getIban":                                                       "statements[].account.iban",
	"record.getAccount.getIdentification":                                                     "statements[].account.iban, else account.other",
	"record.getAccount.getName":                                                               "statements[].account.name",
	"record.getBalances.getType":                                                              "statements[].balances[].type (OPBD→opening, CLBD→closing, OPAV→opening_available, CLAV→closing_available, PRCD→opening (the oracle reads a previously closed booked balance as the opening one), ITBD→interim, FWAV→forward_available, ITAV→interim_available, XPCD→expected_credit/expected_debit by the indicator, INFO→information)",
	"record.getBalances.getAmount.getAmount":                                                  "statements[].balances[].amount in minor units of the currency, negative for DBIT",
	"record.getBalances.getAmount.getCurrency.getCode":                                        "statements[].balances[].currency",
	"record.getBalances.getDate":                                                              "statements[].balances[].date",
	"entry.getIndex":                                                                          "entries[].index",
	"entry.getReference":                                                                      "entries[].reference (NtryRef)",
	"entry.getAmount.getAmount":                                                               "entries[].amount in minor units, negative for DBIT",
	"entry.getAmount.getCurrency.getCode":                                                     "entries[].currency",
	"entry.getCreditDebitIndicator":                                                           "entries[].credit_debit",
	"entry.getReversalIndicator":                                                              "entries[].reversal",
	"entry.getStatus":                                                                         "entries[].status",
	"entry.getBookingDate":                                                                    "entries[].booking_date",
	"entry.getValueDate":                                                                      "entries[].value_date",
	"entry.getAccountServicerReference":                                                       "entries[].account_servicer_reference",
	"entry.getAdditionalInfo":                                                                 "entries[].additional_info",
	"entry.getBatchPaymentId":                                                                 "entries[].batches[0].payment_information_id",
	"entry.getBankTransactionCode.getDomain.getCode":                                          "entries[].bank_transaction_code.domain",
	"entry.getBankTransactionCode.getDomain.getFamily.getCode":                                "entries[].bank_transaction_code.family",
	"entry.getBankTransactionCode.getDomain.getFamily.getSubFamilyCode":                       "entries[].bank_transaction_code.sub_family",
	"entry.getBankTransactionCode.getProprietary.getCode":                                     "entries[].bank_transaction_code.proprietary",
	"entry.getBankTransactionCode.getProprietary.getIssuer":                                   "entries[].bank_transaction_code.proprietary_issuer",
	"tx.getAmount.getAmount":                                                                  "details[].amount in minor units, negative for DBIT",
	"tx.getAmount.getCurrency.getCode":                                                        "details[].currency",
	"tx.getAmountDetails.getAmount":                                                           "details[].transaction_amount in minor units, negative when the entry is DBIT",
	"tx.getAmountDetails.getCurrency.getCode":                                                 "details[].transaction_amount.currency",
	"tx.getCreditDebitIndicator":                                                              "details[].credit_debit",
	"tx.getAdditionalTransactionInformation":                                                  "details[].additional_info",
	"tx.getBankTransactionCode.*":                                                             "details[].bank_transaction_code.* (as for entries)",
	"tx.getReference.getEndToEndId":                                                           "details[].end_to_end_id",
	"tx.getReference.getInstructionId":                                                        "details[].references.instruction_id",
	"tx.getReference.getPaymentInformationId":                                                 "details[].references.payment_information_id",
	"tx.getReference.getUuidEndToEndReference":                                                "details[].references.uetr",
	"tx.getReference.getMessageId":                                                            "details[].references.message_id",
	"tx.getReference.getAccountServicerReference":                                             "details[].references.account_servicer_reference",
	"tx.getReference.getTransactionId":                                                        "details[].references.transaction_id",
	"tx.getReference.getMandateId":                                                            "details[].references.mandate_id",
	"tx.getReference.getProprietaries.getType":                                                "details[].references.proprietary[].type",
	"tx.getReference.getProprietaries.getReference":                                           "details[].references.proprietary[].reference",
	"tx.getRelatedParties.__CLASS__":                                                          "RelatedParty",
	"tx.getRelatedParties.getRelatedPartyType.__CLASS__":                                      "details[].parties[].role (Debtor, Creditor, UltimateDebtor, UltimateCreditor; listed creditor first; the oracle does not read the initiating party, ours: role initiating_party)",
	"tx.getRelatedParties.getRelatedPartyType.getName":                                        "details[].parties[].name",
	"tx.getRelatedParties.getRelatedPartyType.getAddress.*":                                   "details[].parties[].address.*",
	"tx.getRelatedParties.getRelatedPartyType.getIdentification.__CLASS__":                    "details[].parties[].identification.kind (OrganisationIdentification, PrivateIdentification)",
	"tx.getRelatedParties.getRelatedPartyType.getIdentification.getBic":                       "details[].parties[].identification.bic",
	"tx.getRelatedParties.getRelatedPartyType.getIdentification.getOtherId":                   "details[].parties[].identification.other[0].id",
	"tx.getRelatedParties.getRelatedPartyType.getIdentification.getOtherIssuer":               "details[].parties[].identification.other[0].issuer",
	"tx.getRelatedParties.getRelatedPartyType.getIdentification.getOtherSchemeName":           "details[].parties[].identification.other[0].scheme",
	"tx.getRelatedParties.getRelatedPartyType.getIdentification.getIdentification":            "details[].parties[].identification.other[0].id",
	"tx.getRelatedParties.getRelatedPartyType.getIdentification.getBirthDate":                 "details[].parties[].identification.birth_date",
	"tx.getRelatedParties.getRelatedPartyType.getIdentification.getCityOfBirth":               "details[].parties[].identification.city_of_birth",
	"tx.getRelatedParties.getRelatedPartyType.getIdentification.getCountryOfBirth":            "details[].parties[].identification.country_of_birth",
	"tx.getRelatedParties.getRelatedPartyType.getIdentification.getProvinceOfBirth":           "details[].parties[].identification.province_of_birth",
	"tx.getRelatedParties.getAccount.__CLASS__":                                               "IbanAccount when the party's account has an IBAN",
	"tx.getRelatedParties.getAccount.getIban.getIban":                                         "details[].parties[].account.iban",
	"tx.getRelatedParties.getAccount.getIdentification":                                       "details[].parties[].account.iban, else other",
	"tx.getRelatedParties.getAccount.getName":                                                 "details[].parties[].account.name",
	"tx.getRelatedParty":                                                                      "- the last of getRelatedParties (an alias; compared there)",
	"tx.getRelatedAgents.getRelatedAgentType.__CLASS__":                                       "details[].agents[].role (DebtorAgent, CreditorAgent)",
	"tx.getRelatedAgents.getRelatedAgentType.getBIC":                                          "details[].agents[].bic",
	"tx.getRelatedAgents.getRelatedAgentType.getName":                                         "details[].agents[].name",
	"tx.getRelatedAgent":                                                                      "- the last of getRelatedAgents (an alias; compared there)",
	"tx.getRemittanceInformation.getMessage":                                                  "details[].remittance: unstructured[0], else the first structured creditor reference",
	"tx.getRemittanceInformation.getUnstructuredBlocks.getMessage":                            "details[].remittance.unstructured[]",
	"tx.getRemittanceInformation.getUnstructuredBlock.getMessage":                             "details[].remittance.unstructured[0]",
	"tx.getRemittanceInformation.getStructuredBlocks.getCreditorReferenceInformation.getRef":  "details[].remittance.structured[].creditor_reference.reference",
	"tx.getRemittanceInformation.getStructuredBlocks.getCreditorReferenceInformation.getCode": "details[].remittance.structured[].creditor_reference.code",
	"tx.getRemittanceInformation.getStructuredBlocks.getCreditorReferenceInformation.getProprietary": "details[].remittance.structured[].creditor_reference.proprietary",
	"tx.getRemittanceInformation.getStructuredBlocks.getAdditionalRemittanceInformation":             "details[].remittance.structured[].additional_info[0]",
	"tx.getRemittanceInformation.getStructuredBlock.*":                                               "details[].remittance.structured[0].*",
	"tx.getRemittanceInformation.getCreditorReferenceInformation.*":                                  "details[].remittance.structured[0].creditor_reference.*",
}

func TestDatasetCamtOracle(t *testing.T) {
	dir := camtDataDir(t)
	jsons, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(jsons) < 17 {
		t.Fatalf("found %d oracle files in %s, want 17", len(jsons), dir)
	}
	totalFields, files := 0, 0
	for _, jf := range jsons {
		name := strings.TrimSuffix(filepath.Base(jf), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, name+".xml"))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := ParseBytes(data)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			var oracle map[string]any
			raw, _ := os.ReadFile(jf)
			if err := json.Unmarshal(raw, &oracle); err != nil {
				t.Fatal(err)
			}
			n := compareOracle(t, oracle, doc)
			if n == 0 {
				t.Fatal("no field compared")
			}
			totalFields += n
			files++
		})
	}
	t.Logf("oracle: %d files, %d fields agreed", files, totalFields)
}

func camtDataDir(t *testing.T) string {
	t.Helper()
	d, err := datasets.Dir()
	if err == nil {
		dir := filepath.Join(d, "payments", "camt")
		if _, err := os.Stat(dir); err == nil {
			return dir
		}
	}
	if datasets.Required() {
		t.Fatalf("camt data set not found: %v", err)
	}
	t.Skip("camt data set not found (make conformance needs ../shared/data)")
	return ""
}

// compareOracle compares the oracle's message with ours and returns the
// number of leaves that agreed.
func compareOracle(t *testing.T, oracle map[string]any, doc *Document) int {
	t.Helper()
	agreed := 0
	cmpTree := func(scope string, want, got any) {
		wl, gl := map[string]any{}, map[string]any{}
		flatten(want, "", wl, true)
		flatten(got, "", gl, false)
		for p, w := range wl {
			key := scope + "." + mappingKey(p)
			if strings.HasSuffix(key, "__CLASS__") {
				if _, ok := oracleMapping[key]; !ok {
					continue // the class of a container carries no value
				}
			}
			if !mapped(key) {
				t.Errorf("oracle getter %s (%s = %v) is not in oracleMapping", key, p, w)
				continue
			}
			if strings.HasPrefix(mappedTo(key), "-") {
				continue
			}
			g, ok := gl[p]
			if !ok {
				t.Errorf("%s %s: oracle has %v, we have nothing", scope, p, w)
				continue
			}
			if !equalLeaf(w, g) {
				t.Errorf("%s %s: oracle %v, ours %v", scope, p, w, g)
				continue
			}
			agreed++
		}
		for p, g := range gl {
			if _, ok := wl[p]; !ok && !strings.HasSuffix(p, "__CLASS__") && !skippedInOracle(want, p) {
				t.Errorf("%s %s: we have %v, the oracle has nothing", scope, p, g)
			}
		}
	}
	gh, _ := oracle["getGroupHeader"].(map[string]any)
	cmpTree("getGroupHeader", gh, groupHeaderView(doc))

	// Records appear in getRecords or, first, as getRecord of an entry.
	records := map[string]map[string]any{}
	collect := func(r any) {
		if m, ok := r.(map[string]any); ok {
			id, _ := m["getId"].(string)
			records[id] = m
		}
	}
	entries, _ := oracle["getEntries"].([]any)
	for _, e := range entries {
		if m, ok := e.(map[string]any); ok {
			collect(m["getRecord"])
		}
	}
	for _, r := range asList(oracle["getRecords"]) {
		collect(r)
	}
	if len(records) == 0 {
		t.Fatal("oracle holds no record")
	}
	byID := map[string]*Statement{}
	for i := range doc.Statements {
		byID[doc.Statements[i].ID] = &doc.Statements[i]
	}
	for id, r := range records {
		st := byID[id]
		if st == nil {
			t.Errorf("oracle record %q: no such statement of ours", id)
			continue
		}
		r = without(r, "getEntries")
		cmpTree("record", r, recordView(doc, st))
	}
	for _, e := range entries {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		rec, _ := m["getRecord"].(map[string]any)
		id, _ := rec["getId"].(string)
		st := byID[id]
		idx, _ := m["getIndex"].(float64)
		if st == nil || int(idx) >= len(st.Entries) {
			t.Errorf("oracle entry %v of record %q: no such entry of ours", idx, id)
			continue
		}
		cmpTree("entry", without(m, "getRecord", "getTransactionDetail", "getTransactionDetails"), entryView(&st.Entries[int(idx)]))
		// getTransactionDetail is the first detail, getTransactionDetails all.
		ours := st.Entries[int(idx)].Details
		if td, ok := m["getTransactionDetail"].(map[string]any); ok {
			if len(ours) == 0 {
				t.Errorf("entry %v: oracle has a transaction detail, we have none", idx)
			} else {
				cmpTree("tx", td, detailView(&ours[0], &st.Entries[int(idx)]))
			}
		}
		for k, td := range asList(m["getTransactionDetails"]) {
			if tm, ok := td.(map[string]any); ok {
				if k >= len(ours) {
					t.Errorf("entry %v: oracle has transaction detail %d, we have %d", idx, k, len(ours))
					continue
				}
				cmpTree("tx", tm, detailView(&ours[k], &st.Entries[int(idx)]))
			}
		}
		if n := len(asList(m["getTransactionDetails"])); n != len(ours) {
			t.Errorf("entry %v: oracle has %d transaction details, we have %d", idx, n, len(ours))
		}
	}
	return agreed
}

func asList(v any) []any { l, _ := v.([]any); return l }

func without(m map[string]any, keys ...string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

// flatten writes the leaves of a dump: "a.b[0].c" → value. In the oracle,
// nulls, empty strings of absent texts and recursion markers are left
// out; so are the "0" keys of dates (the date's own value is the leaf).
func flatten(v any, path string, out map[string]any, oracle bool) {
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x["0"].(string); ok && x["__CLASS__"] == "DateTimeImmutable" {
			out[path] = s
			return
		}
		for k, c := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			flatten(c, p, out, oracle)
		}
	case []any:
		for i, c := range x {
			flatten(c, path+"["+itoa(i)+"]", out, oracle)
		}
	case nil:
	case string:
		if x == "__RECURSIVITY__" || (x == "" && oracle) {
			return
		}
		out[path] = x
	default:
		out[path] = x
	}
}

// skippedInOracle: our leaf p has no oracle counterpart because the oracle
// replaced an enclosing object with a recursion marker or left it out.
func skippedInOracle(oracle any, p string) bool {
	cur := oracle
	for _, part := range splitPath(p) {
		switch x := cur.(type) {
		case map[string]any:
			c, ok := x[part.key]
			if !ok {
				return true // the oracle has no such getter (nil)
			}
			cur = c
		case nil:
			return true
		}
		if part.index >= 0 {
			l, ok := cur.([]any)
			if !ok || part.index >= len(l) {
				return true
			}
			cur = l[part.index]
		}
		if s, ok := cur.(string); ok && s == "__RECURSIVITY__" {
			return true
		}
		if cur == nil {
			return true
		}
	}
	if s, ok := cur.(string); ok && s == "" {
		return true
	}
	return false
}

type pathPart struct {
	key   string
	index int
}

var reIndex = regexp.MustCompile(`^(.*)\[(\d+)\]$`)

func splitPath(p string) []pathPart {
	var out []pathPart
	for _, s := range strings.Split(p, ".") {
		pp := pathPart{key: s, index: -1}
		for {
			m := reIndex.FindStringSubmatch(pp.key)
			if m == nil {
				break
			}
			// only one index per key in these dumps
			pp.key = m[1]
			pp.index = atoi(m[2])
		}
		out = append(out, pp)
	}
	return out
}

var reAnyIndex = regexp.MustCompile(`\[\d+\]`)

func mappingKey(p string) string { return reAnyIndex.ReplaceAllString(p, "") }

func mapped(key string) bool { return mappedTo(key) != "" }

func mappedTo(key string) string {
	if v, ok := oracleMapping[key]; ok {
		return v
	}
	// prefix entries "x.*"
	keys := make([]string, 0, len(oracleMapping))
	for k := range oracleMapping {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.HasSuffix(k, ".*") && strings.HasPrefix(key, strings.TrimSuffix(k, "*")) {
			return oracleMapping[k]
		}
		if strings.HasPrefix(oracleMapping[k], "-") && strings.HasPrefix(key, k+".") {
			return oracleMapping[k]
		}
	}
	return ""
}

func equalLeaf(w, g any) bool {
	if ws, ok := w.(string); ok {
		if gs, ok := g.(string); ok {
			return ws == gs
		}
		return false
	}
	return w == g
}

func itoa(i int) string { return decimal.NewFromInt(int64(i)).String() }
func atoi(s string) int { d, _ := decimal.NewFromString(s); return int(d.IntPart()) }

// --- our Document in the oracle's shape ---

func oracleDate(s string) any {
	if s == "" {
		return nil
	}
	if len(s) == 10 {
		return s + "T00:00:00+00:00"
	}
	v := s
	layouts := []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"}
	for _, l := range layouts {
		if tm, err := time.Parse(l, v); err == nil {
			return tm.UTC().Format("2006-01-02T15:04:05+00:00")
		}
	}
	return "unparseable " + s
}

func minor(amount, ccy, cd string) any {
	if amount == "" {
		return nil
	}
	d, err := decimal.NewFromString(amount)
	if err != nil {
		return "bad " + amount
	}
	d = d.Shift(int32(MinorUnits(ccy)))
	if cd == "DBIT" {
		d = d.Neg()
	}
	return d.String()
}

func money(amount, ccy, cd string) any {
	if amount == "" {
		return nil
	}
	return map[string]any{"getAmount": minor(amount, ccy, cd), "getCurrency": map[string]any{"getCode": ccy}}
}

func str(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func addressView(a *Address) any {
	if a == nil {
		return nil
	}
	lines := []any{}
	for _, l := range a.Lines {
		lines = append(lines, l)
	}
	return map[string]any{"getDepartment": str(a.Department), "getSubDepartment": str(a.SubDepartment), "getStreetName": str(a.Street),
		"getBuildingNumber": str(a.BuildingNumber), "getPostCode": str(a.PostCode), "getTownName": str(a.Town),
		"getCountrySubDivision": str(a.CountrySubDivision), "getCountry": str(a.Country), "getAddressLines": lines}
}

func identificationView(id *Identification) any {
	if id == nil {
		return nil
	}
	m := map[string]any{"getBic": str(id.BIC)}
	if id.Kind == "organisation" {
		m["__CLASS__"] = `Genkgo\Camt\DTO\OrganisationIdentification`
		m["getBei"] = str(id.BEI)
	} else {
		m["__CLASS__"] = `Genkgo\Camt\DTO\PrivateIdentification`
		m["getCityOfBirth"] = str(id.CityOfBirth)
		m["getCountryOfBirth"] = str(id.CountryOfBirth)
		m["getProvinceOfBirth"] = str(id.ProvinceOfBirth)
		if id.BirthDate != "" {
			m["getBirthDate"] = oracleDate(id.BirthDate)
		}
		delete(m, "getBic")
	}
	if len(id.Other) > 0 {
		m["getOtherId"] = id.Other[0].ID
		m["getOtherIssuer"] = str(id.Other[0].Issuer)
		m["getOtherSchemeName"] = str(id.Other[0].Scheme)
		m["getIdentification"] = id.Other[0].ID
	} else if id.BIC != "" {
		m["getIdentification"] = id.BIC
	}
	return m
}

func accountView(a *Account) any {
	if a == nil {
		return nil
	}
	m := map[string]any{"getIdentification": a.Identification(), "getName": str(a.Name)}
	if a.IBAN != "" {
		m["__CLASS__"] = `Genkgo\Camt\DTO\IbanAccount`
		m["getIban"] = map[string]any{"getIban": a.IBAN}
	} else {
		m["__CLASS__"] = `Genkgo\Camt\DTO\OtherAccount`
	}
	return m
}

func groupHeaderView(doc *Document) any {
	m := map[string]any{"getMessageId": doc.MessageID, "getCreatedOn": oracleDate(doc.CreatedAt), "getAdditionalInformation": str(doc.AdditionalInfo)}
	if doc.Page != nil {
		m["getPagination"] = map[string]any{"getPageNumber": doc.Page.Number}
	}
	if q := doc.OriginalQuery; q != nil {
		m["getOriginalBusinessQuery"] = map[string]any{"getMessageId": q.MessageID, "getMessageNameId": str(q.MessageNameID), "getCreatedOn": oracleDate(q.CreatedAt)}
	}
	if r := doc.Recipient; r != nil {
		m["getMessageRecipient"] = map[string]any{"getName": str(r.Name), "getCountryOfResidence": str(r.CountryOfResidence),
			"getAddress": addressView(r.Address), "getIdentification": identificationView(r.Identification)}
	}
	return m
}

var balanceTypes = map[string]string{"OPBD": "opening", "CLBD": "closing", "OPAV": "opening_available", "CLAV": "closing_available",
	"PRCD": "opening", "ITBD": "interim", "FWAV": "forward_available", "ITAV": "interim_available", "XPCD": "expected", "INFO": "information"}

func recordView(doc *Document, st *Statement) any {
	class := `Genkgo\Camt\Camt053\DTO\Statement`
	if doc.Kind() == "camt.054" {
		class = `Genkgo\Camt\Camt054\DTO\Notification`
	}
	bals := []any{}
	for _, b := range st.Balances {
		typ := balanceTypes[b.Type]
		if b.Type == "XPCD" {
			typ = map[string]string{"CRDT": "expected_credit", "DBIT": "expected_debit"}[b.CreditDebit]
		}
		if typ == "" {
			typ = b.Type
		}
		bals = append(bals, map[string]any{"getType": typ, "getAmount": money(b.Amount, b.Currency, b.CreditDebit), "getDate": oracleDate(b.Date)})
	}
	m := map[string]any{"__CLASS__": class, "getId": st.ID, "getCreatedOn": oracleDate(st.CreatedAt), "getFromDate": oracleDate(st.From), "getToDate": oracleDate(st.To),
		"getElectronicSequenceNumber": str(st.ElectronicSequence), "getLegalSequenceNumber": str(st.LegalSequence),
		"getCopyDuplicateIndicator": str(st.CopyDuplicate), "getAdditionalInformation": str(st.AdditionalInfo),
		"getAccount": accountView(&st.Account), "getBalances": bals}
	if st.Page != nil {
		m["getPagination"] = map[string]any{"getPageNumber": st.Page.Number}
	}
	return m
}

func btcView(b *BankTransactionCode) any {
	if b == nil {
		return nil
	}
	m := map[string]any{}
	if b.Domain != "" {
		m["getDomain"] = map[string]any{"getCode": b.Domain, "getFamily": map[string]any{"getCode": b.Family, "getSubFamilyCode": b.SubFamily}}
	}
	if b.Proprietary != "" {
		m["getProprietary"] = map[string]any{"getCode": b.Proprietary, "getIssuer": str(b.ProprietaryIssuer)}
	}
	return m
}

func entryView(e *Entry) any {
	m := map[string]any{"getIndex": float64(e.Index), "getReference": str(e.Reference), "getAmount": money(e.Amount, e.Currency, e.CreditDebit),
		"getCreditDebitIndicator": e.CreditDebit, "getReversalIndicator": e.Reversal, "getStatus": e.Status,
		"getBookingDate": oracleDate(e.BookingDate), "getValueDate": oracleDate(e.ValueDate),
		"getAccountServicerReference": str(e.AccountServicerReference), "getAdditionalInfo": str(e.AdditionalInfo),
		"getBankTransactionCode": btcView(e.BankTransactionCode)}
	if len(e.Batches) > 0 {
		m["getBatchPaymentId"] = str(e.Batches[0].PaymentInformationID)
	}
	return m
}

var partyClass = map[string]string{RoleDebtor: "Debtor", RoleCreditor: "Creditor", RoleUltimateDebtor: "UltimateDebtor", RoleUltimateCreditor: "UltimateCreditor", RoleInitiatingParty: "InitiatingParty"}
var agentClass = map[string]string{"debtor_agent": "DebtorAgent", "creditor_agent": "CreditorAgent"}

// The oracle lists related parties creditor first and has no initiating
// party; agents creditor's first.
var partyOrder = []string{RoleCreditor, RoleDebtor, RoleUltimateCreditor, RoleUltimateDebtor}
var agentOrder = []string{"creditor_agent", "debtor_agent"}

func detailView(d *Detail, e *Entry) any {
	parties := []any{}
	var ordered []*Party
	for _, role := range partyOrder {
		for i := range d.Parties {
			if d.Parties[i].Role == role {
				ordered = append(ordered, &d.Parties[i])
			}
		}
	}
	for _, p := range ordered {
		pt := map[string]any{"__CLASS__": `Genkgo\Camt\DTO\` + partyClass[p.Role], "getName": str(p.Name), "getAddress": addressView(p.Address),
			"getIdentification": identificationView(p.Identification)}
		parties = append(parties, map[string]any{"__CLASS__": `Genkgo\Camt\DTO\RelatedParty`, "getRelatedPartyType": pt, "getAccount": accountView(p.Account)})
	}
	agents := []any{}
	var oa []Agent
	for _, role := range agentOrder {
		for _, a := range d.Agents {
			if a.Role == role {
				oa = append(oa, a)
			}
		}
	}
	for _, a := range oa {
		agents = append(agents, map[string]any{"getRelatedAgentType": map[string]any{"__CLASS__": `Genkgo\Camt\DTO\` + agentClass[a.Role], "getBIC": str(a.BIC), "getName": str(a.Name)}})
	}
	refs := []any{}
	for _, p := range d.References.Proprietary {
		refs = append(refs, map[string]any{"getType": p.Type, "getReference": p.Reference})
	}
	r := d.References
	// The oracle gives a transaction the entry's indicator (it does not
	// read TxDtls/CdtDbtInd) and signs the amounts with it.
	m := map[string]any{"getCreditDebitIndicator": e.CreditDebit, "getAmount": money(d.Amount, d.Currency, e.CreditDebit),
		"getAdditionalTransactionInformation": str(d.AdditionalInfo), "getBankTransactionCode": btcView(d.BankTransactionCode),
		"getReference": map[string]any{"getEndToEndId": str(r.EndToEndID), "getInstructionId": str(r.InstructionID), "getPaymentInformationId": str(r.PaymentInformationID),
			"getUuidEndToEndReference": str(r.UETR), "getMessageId": str(r.MessageID), "getAccountServicerReference": str(r.AccountServicerReference),
			"getTransactionId": str(r.TransactionID), "getMandateId": str(r.MandateID), "getProprietaries": refs},
		"getRelatedParties": parties, "getRelatedAgents": agents}
	if d.TransactionAmount != nil {
		m["getAmountDetails"] = money(d.TransactionAmount.Text, d.TransactionAmount.Currency, e.CreditDebit)
	}
	rem := d.Remittance
	if len(rem.Unstructured) > 0 || len(rem.Structured) > 0 {
		ri := map[string]any{}
		var ub []any
		for _, u := range rem.Unstructured {
			ub = append(ub, map[string]any{"getMessage": u})
		}
		ri["getUnstructuredBlocks"] = ub
		if len(ub) > 0 {
			ri["getUnstructuredBlock"] = ub[0]
			ri["getMessage"] = rem.Unstructured[0]
		}
		var sb []any
		for _, s := range rem.Structured {
			blk := map[string]any{}
			if len(s.AdditionalInfo) > 0 {
				blk["getAdditionalRemittanceInformation"] = s.AdditionalInfo[0]
			}
			if cr := s.CreditorReference; cr != nil {
				blk["getCreditorReferenceInformation"] = map[string]any{"getRef": str(cr.Reference), "getCode": str(cr.Code), "getProprietary": str(cr.Proprietary)}
			}
			sb = append(sb, blk)
		}
		ri["getStructuredBlocks"] = sb
		if len(sb) > 0 {
			ri["getStructuredBlock"] = sb[0]
			if cri, ok := sb[0].(map[string]any)["getCreditorReferenceInformation"]; ok {
				ri["getCreditorReferenceInformation"] = cri
				if _, ok := ri["getMessage"]; !ok {
					ri["getMessage"] = cri.(map[string]any)["getRef"]
				}
			}
		}
		m["getRemittanceInformation"] = ri
	}
	return m
}
