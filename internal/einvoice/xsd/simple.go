package xsd

import (
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// prim is the primitive (or built-in derived) datatype whose lexical space a
// simple type checks.
type prim int

const (
	primAnySimple prim = iota // anySimpleType: any string
	primString
	primBoolean
	primDecimal
	primInteger
	primFloat
	primDouble
	primDuration
	primDateTime
	primTime
	primDate
	primGYearMonth
	primGYear
	primGMonthDay
	primGDay
	primGMonth
	primHexBinary
	primBase64Binary
	primAnyURI
	primQName
	primNOTATION
	primLanguage
	primName
	primNCName
	primNMTOKEN
)

type whiteSpace int

const (
	wsPreserve whiteSpace = iota
	wsReplace
	wsCollapse
)

type variety int

const (
	varAtomic variety = iota
	varList
	varUnion
)

// simpleType is a compiled simple type definition: a primitive lexical
// check plus the facets of every restriction step, merged.
type simpleType struct {
	name    qname
	variety variety
	prim    prim
	ws      whiteSpace
	id      bool // xsd:ID or derived: values must be unique in a document
	item    *simpleType
	members []*simpleType

	enums    []string // from the nearest restriction that has enumerations
	patterns []*regexp.Regexp
	length   int // -1 when absent
	minLen   int
	maxLen   int
	// integer range for the built-in integer types, and decimal bounds
	// for restrictions: kept as big.Rat when present.
	minIncl, maxIncl, minExcl, maxExcl *big.Rat
	totalDigits, fracDigits            int // -1 when absent
}

func newSimple(name qname, p prim, ws whiteSpace) *simpleType {
	return &simpleType{name: name, prim: p, ws: ws, length: -1, minLen: -1, maxLen: -1, totalDigits: -1, fracDigits: -1}
}

// derive copies st as the starting point of a restriction.
func (st *simpleType) derive() *simpleType {
	c := *st
	c.name = qname{}
	c.patterns = append([]*regexp.Regexp(nil), st.patterns...)
	return &c
}

var builtins map[string]*simpleType

func init() {
	builtins = map[string]*simpleType{}
	add := func(name string, p prim, ws whiteSpace) *simpleType {
		st := newSimple(qname{xsdNS, name}, p, ws)
		builtins[name] = st
		return st
	}
	add("anySimpleType", primAnySimple, wsPreserve)
	add("string", primString, wsPreserve)
	add("normalizedString", primString, wsReplace)
	add("token", primString, wsCollapse)
	add("language", primLanguage, wsCollapse)
	add("Name", primName, wsCollapse)
	add("NCName", primNCName, wsCollapse)
	add("ID", primNCName, wsCollapse).id = true
	add("IDREF", primNCName, wsCollapse)
	add("ENTITY", primNCName, wsCollapse)
	add("NMTOKEN", primNMTOKEN, wsCollapse)
	add("boolean", primBoolean, wsCollapse)
	add("decimal", primDecimal, wsCollapse)
	add("float", primFloat, wsCollapse)
	add("double", primDouble, wsCollapse)
	add("duration", primDuration, wsCollapse)
	add("dateTime", primDateTime, wsCollapse)
	add("time", primTime, wsCollapse)
	add("date", primDate, wsCollapse)
	add("gYearMonth", primGYearMonth, wsCollapse)
	add("gYear", primGYear, wsCollapse)
	add("gMonthDay", primGMonthDay, wsCollapse)
	add("gDay", primGDay, wsCollapse)
	add("gMonth", primGMonth, wsCollapse)
	add("hexBinary", primHexBinary, wsCollapse)
	add("base64Binary", primBase64Binary, wsCollapse)
	add("anyURI", primAnyURI, wsCollapse)
	add("QName", primQName, wsCollapse)
	add("NOTATION", primNOTATION, wsCollapse)
	ints := []struct {
		name     string
		min, max string
	}{
		{"integer", "", ""},
		{"nonPositiveInteger", "", "0"},
		{"negativeInteger", "", "-1"},
		{"long", "-9223372036854775808", "9223372036854775807"},
		{"int", "-2147483648", "2147483647"},
		{"short", "-32768", "32767"},
		{"byte", "-128", "127"},
		{"nonNegativeInteger", "0", ""},
		{"unsignedLong", "0", "18446744073709551615"},
		{"unsignedInt", "0", "4294967295"},
		{"unsignedShort", "0", "65535"},
		{"unsignedByte", "0", "255"},
		{"positiveInteger", "1", ""},
	}
	for _, it := range ints {
		st := add(it.name, primInteger, wsCollapse)
		st.fracDigits = 0
		if it.min != "" {
			st.minIncl, _ = new(big.Rat).SetString(it.min)
		}
		if it.max != "" {
			st.maxIncl, _ = new(big.Rat).SetString(it.max)
		}
	}
	for _, l := range []struct{ list, item string }{{"IDREFS", "IDREF"}, {"ENTITIES", "ENTITY"}, {"NMTOKENS", "NMTOKEN"}} {
		st := add(l.list, primAnySimple, wsCollapse)
		st.variety = varList
		st.item = builtins[l.item]
		st.minLen = 1
	}
}

// normalize applies the whiteSpace facet.
func normalize(s string, ws whiteSpace) string {
	switch ws {
	case wsReplace:
		if strings.ContainsAny(s, "\t\n\r") {
			s = strings.Map(func(r rune) rune {
				if r == '\t' || r == '\n' || r == '\r' {
					return ' '
				}
				return r
			}, s)
		}
	case wsCollapse:
		if needsCollapse(s) {
			s = collapse(s)
		}
	}
	return s
}

func collapse(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

func needsCollapse(s string) bool {
	if s == "" {
		return false
	}
	if isXMLSpace(rune(s[0])) || isXMLSpace(rune(s[len(s)-1])) {
		return true
	}
	prev := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\t' || c == '\n' || c == '\r' {
			return true
		}
		if c == ' ' {
			if prev {
				return true
			}
			prev = true
		} else {
			prev = false
		}
	}
	return false
}

func isXMLSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

// facetError is a datatype violation: the Xerces code and a message.
type facetError struct{ code, msg string }

// validate checks a raw (not yet normalised) value. It returns nil when the
// value is valid, and otherwise the first violation.
func (st *simpleType) validate(raw string) *facetError {
	if st.prim == primBase64Binary && st.variety == varAtomic && st.enums == nil && st.patterns == nil &&
		st.length < 0 && st.minLen < 0 && st.maxLen < 0 {
		// the common case of large attachments: no need to collapse
		// whitespace first, the check skips it
		if !isBase64(raw) {
			return &facetError{"cvc-datatype-valid.1.2.1", quote(normalize(raw, st.ws)) + " is not a valid value for 'base64Binary'."}
		}
		return nil
	}
	v := normalize(raw, st.ws)
	switch st.variety {
	case varList:
		items := strings.FieldsFunc(v, isXMLSpace)
		for _, it := range items {
			if e := st.item.validate(it); e != nil {
				return e
			}
		}
		if e := st.checkLength(len(items), v); e != nil {
			return e
		}
		return st.checkEnumPattern(v)
	case varUnion:
		ok := false
		for _, m := range st.members {
			if m.validate(v) == nil {
				ok = true
				break
			}
		}
		if !ok {
			return &facetError{"cvc-datatype-valid.1.2.3", quote(v) + " is not a valid value of union type " + st.display() + "."}
		}
		return st.checkEnumPattern(v)
	}
	if !lexicalOK(st.prim, v) {
		if st.prim == primLanguage {
			// Xerces defines language by its pattern facet
			return &facetError{"cvc-pattern-valid", quote(v) + " is not facet-valid with respect to pattern '[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*' for type 'language'."}
		}
		return &facetError{"cvc-datatype-valid.1.2.1", quote(v) + " is not a valid value for '" + primLabel(st.prim) + "'."}
	}
	if e := st.checkEnumPattern(v); e != nil {
		return e
	}
	if st.length >= 0 || st.minLen >= 0 || st.maxLen >= 0 {
		if e := st.checkLength(valueLength(st.prim, v), v); e != nil {
			return e
		}
	}
	if st.prim == primDecimal || st.prim == primInteger {
		if e := st.checkDecimal(v); e != nil {
			return e
		}
	}
	return nil
}

func (st *simpleType) display() string {
	if st.name.local != "" {
		return "'" + st.name.local + "'"
	}
	return "(anonymous)"
}

func quote(v string) string { return "Value '" + v + "'" }

func (st *simpleType) checkEnumPattern(v string) *facetError {
	if st.enums != nil {
		found := false
		for _, e := range st.enums {
			if e == v {
				found = true
				break
			}
		}
		if !found {
			return &facetError{"cvc-enumeration-valid", quote(v) + " is not facet-valid with respect to enumeration " + "[" + strings.Join(st.enums, ", ") + "]. It must be a value from the enumeration."}
		}
	}
	for _, p := range st.patterns {
		if !p.MatchString(v) {
			return &facetError{"cvc-pattern-valid", quote(v) + " is not facet-valid with respect to pattern '" + p.String() + "' for type " + st.display() + "."}
		}
	}
	return nil
}

func (st *simpleType) checkLength(n int, v string) *facetError {
	if st.length >= 0 && n != st.length {
		return &facetError{"cvc-length-valid", quote(v) + " with length = '" + strconv.Itoa(n) + "' is not facet-valid with respect to length '" + strconv.Itoa(st.length) + "' for type " + st.display() + "."}
	}
	if st.minLen >= 0 && n < st.minLen {
		return &facetError{"cvc-minLength-valid", quote(v) + " with length = '" + strconv.Itoa(n) + "' is not facet-valid with respect to minLength '" + strconv.Itoa(st.minLen) + "' for type " + st.display() + "."}
	}
	if st.maxLen >= 0 && n > st.maxLen {
		return &facetError{"cvc-maxLength-valid", quote(v) + " with length = '" + strconv.Itoa(n) + "' is not facet-valid with respect to maxLength '" + strconv.Itoa(st.maxLen) + "' for type " + st.display() + "."}
	}
	return nil
}

func (st *simpleType) checkDecimal(v string) *facetError {
	if st.totalDigits < 0 && st.fracDigits < 0 && st.minIncl == nil && st.maxIncl == nil && st.minExcl == nil && st.maxExcl == nil {
		return nil
	}
	intPart, frac := decimalDigits(v)
	if st.fracDigits >= 0 && frac > st.fracDigits {
		if st.prim == primInteger && st.fracDigits == 0 {
			return &facetError{"cvc-datatype-valid.1.2.1", quote(v) + " is not a valid value for 'integer'."}
		}
		return &facetError{"cvc-fractionDigits-valid", quote(v) + " has " + strconv.Itoa(frac) + " fraction digits, but the number of fraction digits has been limited to " + strconv.Itoa(st.fracDigits) + "."}
	}
	if st.totalDigits >= 0 && intPart+frac > st.totalDigits {
		return &facetError{"cvc-totalDigits-valid", quote(v) + " has " + strconv.Itoa(intPart+frac) + " total digits, but the number of total digits has been limited to " + strconv.Itoa(st.totalDigits) + "."}
	}
	if st.minIncl == nil && st.maxIncl == nil && st.minExcl == nil && st.maxExcl == nil {
		return nil
	}
	r, ok := new(big.Rat).SetString(strings.TrimPrefix(v, "+"))
	if !ok {
		return nil
	}
	if st.minIncl != nil && r.Cmp(st.minIncl) < 0 {
		return &facetError{"cvc-minInclusive-valid", quote(v) + " is not facet-valid with respect to minInclusive '" + st.minIncl.RatString() + "' for type " + st.display() + "."}
	}
	if st.maxIncl != nil && r.Cmp(st.maxIncl) > 0 {
		return &facetError{"cvc-maxInclusive-valid", quote(v) + " is not facet-valid with respect to maxInclusive '" + st.maxIncl.RatString() + "' for type " + st.display() + "."}
	}
	if st.minExcl != nil && r.Cmp(st.minExcl) <= 0 {
		return &facetError{"cvc-minExclusive-valid", quote(v) + " is not facet-valid with respect to minExclusive '" + st.minExcl.RatString() + "' for type " + st.display() + "."}
	}
	if st.maxExcl != nil && r.Cmp(st.maxExcl) >= 0 {
		return &facetError{"cvc-maxExclusive-valid", quote(v) + " is not facet-valid with respect to maxExclusive '" + st.maxExcl.RatString() + "' for type " + st.display() + "."}
	}
	return nil
}

// decimalDigits counts the significant integer and fraction digits of a
// lexically valid decimal (leading zeros of the integer part and trailing
// zeros of the fraction do not count, as in the value space).
func decimalDigits(v string) (intDigits, fracDigits int) {
	v = strings.TrimLeft(v, "+-")
	ip, fp, _ := strings.Cut(v, ".")
	ip = strings.TrimLeft(ip, "0")
	fp = strings.TrimRight(fp, "0")
	return len(ip), len(fp)
}

func valueLength(p prim, v string) int {
	switch p {
	case primHexBinary:
		return len(v) / 2
	case primBase64Binary:
		n := 0
		pad := 0
		for i := 0; i < len(v); i++ {
			c := v[i]
			if c == '=' {
				pad++
				n++
			} else if !isXMLSpace(rune(c)) {
				n++
			}
		}
		return n/4*3 - pad
	}
	return utf8.RuneCountInString(v)
}

func primLabel(p prim) string {
	switch p {
	case primString, primAnySimple:
		return "string"
	case primBoolean:
		return "boolean"
	case primDecimal:
		return "decimal"
	case primInteger:
		return "integer"
	case primFloat:
		return "float"
	case primDouble:
		return "double"
	case primDuration:
		return "duration"
	case primDateTime:
		return "dateTime"
	case primTime:
		return "time"
	case primDate:
		return "date"
	case primGYearMonth:
		return "gYearMonth"
	case primGYear:
		return "gYear"
	case primGMonthDay:
		return "gMonthDay"
	case primGDay:
		return "gDay"
	case primGMonth:
		return "gMonth"
	case primHexBinary:
		return "hexBinary"
	case primBase64Binary:
		return "base64Binary"
	case primAnyURI:
		return "anyURI"
	case primQName:
		return "QName"
	case primNOTATION:
		return "NOTATION"
	case primLanguage:
		return "language"
	case primName:
		return "Name"
	case primNCName:
		return "NCName"
	case primNMTOKEN:
		return "NMTOKEN"
	}
	return "anySimpleType"
}

// lexicalOK checks v (already whitespace-normalised) against the lexical
// space of the primitive, as Xerces does.
func lexicalOK(p prim, v string) bool {
	switch p {
	case primAnySimple, primString:
		return true
	case primBoolean:
		return v == "true" || v == "false" || v == "1" || v == "0"
	case primDecimal:
		return isDecimal(v)
	case primInteger:
		return isInteger(v)
	case primFloat, primDouble:
		return isFloat(v)
	case primDuration:
		return isDuration(v)
	case primDateTime:
		d, t, ok := strings.Cut(v, "T")
		if !ok {
			return false
		}
		date, rest := splitDate(d)
		if rest != "" || !isDate(date) {
			return false
		}
		return isTimeTZ(t)
	case primTime:
		return isTimeTZ(v)
	case primDate:
		date, tz := splitDate(v)
		return isDate(date) && isTZ(tz)
	case primGYearMonth:
		return isGYearMonth(v)
	case primGYear:
		y, tz := splitYear(v)
		return isYear(y) && isTZ(tz)
	case primGMonthDay:
		return len(v) >= 7 && v[:2] == "--" && isMonthDay(v[2:7]) && isTZ(v[7:])
	case primGDay:
		return len(v) >= 5 && v[:3] == "---" && twoDigits(v[3:5], 1, 31) && isTZ(v[5:])
	case primGMonth:
		return len(v) >= 4 && v[:2] == "--" && twoDigits(v[2:4], 1, 12) && isTZ(v[4:])
	case primHexBinary:
		if len(v)%2 != 0 {
			return false
		}
		for i := 0; i < len(v); i++ {
			if !isHex(v[i]) {
				return false
			}
		}
		return true
	case primBase64Binary:
		return isBase64(v)
	case primAnyURI:
		return isAnyURI(v)
	case primQName, primNOTATION:
		pfx, local, ok := strings.Cut(v, ":")
		if !ok {
			return isNCName(v)
		}
		return isNCName(pfx) && isNCName(local)
	case primLanguage:
		return isLanguage(v)
	case primName:
		return isName(v)
	case primNCName:
		return isNCName(v)
	case primNMTOKEN:
		if v == "" {
			return false
		}
		for _, r := range v {
			if !isNameChar(r) {
				return false
			}
		}
		return true
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isDecimal(v string) bool {
	if v != "" && (v[0] == '+' || v[0] == '-') {
		v = v[1:]
	}
	ip, fp, dot := strings.Cut(v, ".")
	if !dot {
		return allDigits(ip)
	}
	if ip == "" {
		return allDigits(fp)
	}
	return allDigits(ip) && (fp == "" || allDigits(fp))
}

func isInteger(v string) bool {
	if v != "" && (v[0] == '+' || v[0] == '-') {
		v = v[1:]
	}
	return allDigits(v)
}

func isFloat(v string) bool {
	switch v {
	case "INF", "-INF", "NaN":
		return true
	}
	mant, exp, hasExp := strings.Cut(v, "e")
	if !hasExp {
		mant, exp, hasExp = strings.Cut(v, "E")
	}
	if !isDecimal(mant) {
		return false
	}
	return !hasExp || isInteger(exp)
}

func isDuration(v string) bool {
	if strings.HasPrefix(v, "-") {
		v = v[1:]
	}
	if !strings.HasPrefix(v, "P") {
		return false
	}
	v = v[1:]
	if v == "" {
		return false
	}
	datePart, timePart, hasT := strings.Cut(v, "T")
	if hasT && timePart == "" {
		return false
	}
	any := false
	parse := func(s, units string, allowFrac bool) bool {
		ui := 0
		for s != "" {
			i := 0
			for i < len(s) && (isDigit(s[i]) || (allowFrac && s[i] == '.')) {
				i++
			}
			if i == 0 || i == len(s) {
				return false
			}
			num := s[:i]
			u := s[i]
			k := strings.IndexByte(units[ui:], u)
			if k < 0 {
				return false
			}
			ui += k + 1
			if strings.Contains(num, ".") {
				if u != 'S' || !isDecimal(num) {
					return false
				}
			}
			any = true
			s = s[i+1:]
		}
		return true
	}
	if !parse(datePart, "YMD", false) {
		return false
	}
	if hasT && !parse(timePart, "HMS", true) {
		return false
	}
	return any
}

// splitDate splits "YYYY-MM-DD" from a trailing time zone.
func splitDate(v string) (date, tz string) {
	i := 0
	if strings.HasPrefix(v, "-") {
		i = 1
	}
	j := strings.IndexByte(v[i:], '-')
	if j < 0 {
		return v, ""
	}
	end := i + j + 6 // -MM-DD
	if end > len(v) {
		return v, ""
	}
	return v[:end], v[end:]
}

func splitYear(v string) (year, tz string) {
	i := 0
	if strings.HasPrefix(v, "-") {
		i = 1
	}
	j := i
	for j < len(v) && isDigit(v[j]) {
		j++
	}
	return v[:j], v[j:]
}

func isYear(y string) bool {
	y = strings.TrimPrefix(y, "-")
	if len(y) < 4 || !allDigits(y) {
		return false
	}
	if len(y) > 4 && y[0] == '0' {
		return false
	}
	return strings.Trim(y, "0") != "" // year 0000 is not allowed in XSD 1.0
}

func twoDigits(s string, lo, hi int) bool {
	if len(s) != 2 || !isDigit(s[0]) || !isDigit(s[1]) {
		return false
	}
	n := int(s[0]-'0')*10 + int(s[1]-'0')
	return n >= lo && n <= hi
}

func isDate(d string) bool {
	y, rest := splitYear(d)
	if !isYear(y) || len(rest) != 6 || rest[0] != '-' || rest[3] != '-' {
		return false
	}
	if !twoDigits(rest[1:3], 1, 12) || !twoDigits(rest[4:6], 1, 31) {
		return false
	}
	m := int(rest[1]-'0')*10 + int(rest[2]-'0')
	day := int(rest[4]-'0')*10 + int(rest[5]-'0')
	return day <= daysIn(y, m)
}

func daysIn(year string, m int) int {
	switch m {
	case 4, 6, 9, 11:
		return 30
	case 2:
		y := strings.TrimPrefix(year, "-")
		// leap year test on the last digits suffices for divisibility by 400.
		n, err := strconv.Atoi(y)
		if err != nil {
			b, ok := new(big.Int).SetString(y, 10)
			if !ok {
				return 29
			}
			m4 := new(big.Int).Mod(b, big.NewInt(400)).Int64()
			n = int(m4)
		}
		if n%4 == 0 && (n%100 != 0 || n%400 == 0) {
			return 29
		}
		return 28
	}
	return 31
}

func isMonthDay(s string) bool {
	if len(s) != 5 || s[2] != '-' || !twoDigits(s[:2], 1, 12) || !twoDigits(s[3:], 1, 31) {
		return false
	}
	m := int(s[0]-'0')*10 + int(s[1]-'0')
	d := int(s[3]-'0')*10 + int(s[4]-'0')
	return d <= daysIn("2000", m)
}

func isGYearMonth(v string) bool {
	y, rest := splitYear(v)
	if !isYear(y) || len(rest) < 3 || rest[0] != '-' || !twoDigits(rest[1:3], 1, 12) {
		return false
	}
	return isTZ(rest[3:])
}

func isTZ(tz string) bool {
	if tz == "" || tz == "Z" {
		return true
	}
	if len(tz) != 6 || (tz[0] != '+' && tz[0] != '-') || tz[3] != ':' {
		return false
	}
	if !twoDigits(tz[1:3], 0, 14) || !twoDigits(tz[4:6], 0, 59) {
		return false
	}
	if tz[1:3] == "14" && tz[4:6] != "00" {
		return false
	}
	return true
}

// isTimeTZ checks hh:mm:ss(.s+)?(tz)?
func isTimeTZ(t string) bool {
	if len(t) < 8 || t[2] != ':' || t[5] != ':' {
		return false
	}
	if !twoDigits(t[0:2], 0, 24) || !twoDigits(t[3:5], 0, 59) || !twoDigits(t[6:8], 0, 59) {
		return false
	}
	rest := t[8:]
	frac := ""
	if strings.HasPrefix(rest, ".") {
		i := 1
		for i < len(rest) && isDigit(rest[i]) {
			i++
		}
		if i == 1 {
			return false
		}
		frac = rest[1:i]
		rest = rest[i:]
	}
	if t[0:2] == "24" && (t[3:5] != "00" || t[6:8] != "00" || strings.Trim(frac, "0") != "") {
		return false
	}
	return isTZ(rest)
}

func isBase64(v string) bool {
	// Xerces: whitespace (already collapsed to single spaces) is ignored;
	// the remaining characters form quads, padding only at the end, and
	// the unused bits before padding must be zero.
	n := 0
	pad := 0
	var last byte
	for i := 0; i < len(v); i++ {
		c := v[i]
		k := b64Index[c]
		switch {
		case k >= 0:
			if pad > 0 {
				return false
			}
			last = c
		case c == ' ' || c == '\n' || c == '\t' || c == '\r':
			continue
		case c == '=':
			pad++
		default:
			return false
		}
		n++
	}
	if n%4 != 0 || pad > 2 {
		return false
	}
	if pad == 1 && b64Index[last]&3 != 0 {
		return false
	}
	if pad == 2 && b64Index[last]&15 != 0 {
		return false
	}
	return true
}

var b64Index = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(b64Alphabet); i++ {
		t[b64Alphabet[i]] = int8(i)
	}
	return t
}()

const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// isAnyURI follows Xerces: characters that would need escaping (space,
// <, >, ", {, }, |, \, ^, `, controls, non-ASCII) are taken as escaped,
// and the result must parse as a URI reference (RFC 2396 with RFC 2732
// brackets) relative to a dummy base. What fails in practice: an invalid
// scheme, an empty scheme-specific part ("urn:"), a bad percent escape,
// a second '#', and characters not allowed in a hierarchical path.
func isAnyURI(v string) bool {
	if v == "" {
		return true
	}
	rest := v
	opaque := false
	if colon := strings.IndexByte(v, ':'); colon >= 0 {
		if colon == 0 {
			return false
		}
		if !strings.ContainsAny(v[:colon], "/?#") {
			scheme := v[:colon]
			if !isAlpha(scheme[0]) {
				return false
			}
			for i := 1; i < len(scheme); i++ {
				c := scheme[i]
				if !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
					return false
				}
			}
			rest = v[colon+1:]
			if rest == "" || rest[0] == '#' {
				return false
			}
			opaque = rest[0] != '/'
		}
	}
	body, frag, hasFrag := strings.Cut(rest, "#")
	if hasFrag && !uriChars(frag, uricChar) {
		return false
	}
	if opaque {
		return uriChars(body, uricChar)
	}
	body, query, hasQuery := strings.Cut(body, "?")
	if hasQuery && !uriChars(query, uricChar) {
		return false
	}
	if strings.HasPrefix(body, "//") {
		auth := body[2:]
		path := ""
		if i := strings.IndexByte(auth, '/'); i >= 0 {
			auth, path = auth[:i], auth[i:]
		}
		if !uriChars(auth, func(c byte) bool { return pathChar(c) || c == '[' || c == ']' }) {
			return false
		}
		body = path
	}
	return uriChars(body, pathChar)
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func unreservedChar(c byte) bool {
	return isAlpha(c) || isDigit(c) || strings.IndexByte("-_.!~*'()", c) >= 0
}

func pathChar(c byte) bool { return unreservedChar(c) || strings.IndexByte(";/:@&=+$,", c) >= 0 }

func uricChar(c byte) bool { return pathChar(c) || c == '?' || c == '[' || c == ']' }

// needsEscape reports the characters Xerces escapes before parsing.
func needsEscape(c byte) bool {
	return c <= 0x20 || c >= 0x7f || strings.IndexByte("<>\"{}|\\^`", c) >= 0
}

func uriChars(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
		case needsEscape(c), ok(c):
		default:
			return false
		}
	}
	return true
}

func isLanguage(v string) bool {
	parts := strings.Split(v, "-")
	for i, p := range parts {
		if len(p) < 1 || len(p) > 8 {
			return false
		}
		for j := 0; j < len(p); j++ {
			c := p[j]
			alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
			if !alpha && (i == 0 || !isDigit(c)) {
				return false
			}
		}
	}
	return true
}

func isNameStart(r rune) bool {
	return r == '_' || r == ':' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' ||
		r >= 0xC0 && r <= 0xD6 || r >= 0xD8 && r <= 0xF6 || r >= 0xF8 && r <= 0x2FF ||
		r >= 0x370 && r <= 0x37D || r >= 0x37F && r <= 0x1FFF || r >= 0x200C && r <= 0x200D ||
		r >= 0x2070 && r <= 0x218F || r >= 0x2C00 && r <= 0x2FEF || r >= 0x3001 && r <= 0xD7FF ||
		r >= 0xF900 && r <= 0xFDCF || r >= 0xFDF0 && r <= 0xFFFD || r >= 0x10000 && r <= 0xEFFFF
}

func isNameChar(r rune) bool {
	return isNameStart(r) || r == '-' || r == '.' || r >= '0' && r <= '9' || r == 0xB7 ||
		r >= 0x300 && r <= 0x36F || r >= 0x203F && r <= 0x2040
}

func isName(v string) bool {
	if v == "" {
		return false
	}
	for i, r := range v {
		if i == 0 && !isNameStart(r) || !isNameChar(r) {
			return false
		}
	}
	return true
}

func isNCName(v string) bool { return isName(v) && !strings.Contains(v, ":") }
