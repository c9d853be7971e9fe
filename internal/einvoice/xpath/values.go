package xpath

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Item is one member of an XPath sequence: *Node or an atomic value
// (String, Untyped, Bool, Double, Decimal, Integer, Date).
type Item any

// Seq is an XPath sequence.
type Seq []Item

// Atomic value types. Values read from the (untyped) document are Untyped,
// as in a processor without schema awareness.
type (
	String  string
	Untyped string
	Bool    bool
	Double  float64
	Integer int64
	// Decimal is an exact xs:decimal.
	Decimal struct{ R *big.Rat }
	// Date is an xs:date: days since 0001-01-01 in its own time zone, and
	// the time zone offset in minutes (tzSet false when absent).
	Date struct {
		Y, M, D int
		TZ      int
		TZSet   bool
	}
)

// DynamicError is an XPath dynamic or type error (for example a failed cast).
type DynamicError struct{ Code, Msg string }

func (e *DynamicError) Error() string { return e.Code + ": " + e.Msg }

func errorf(code, format string, args ...any) error {
	return &DynamicError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

var (
	trueSeq  = Seq{Bool(true)}
	falseSeq = Seq{Bool(false)}
)

func boolSeq(b bool) Seq {
	if b {
		return trueSeq
	}
	return falseSeq
}

func atomize(it Item) Item {
	if n, ok := it.(*Node); ok {
		return Untyped(n.StringValue())
	}
	return it
}

func atomizeSeq(s Seq) Seq {
	allAtomic := true
	for _, it := range s {
		if _, ok := it.(*Node); ok {
			allAtomic = false
			break
		}
	}
	if allAtomic {
		return s
	}
	out := make(Seq, len(s))
	for i, it := range s {
		out[i] = atomize(it)
	}
	return out
}

// EBV computes the effective boolean value.
func EBV(s Seq) (bool, error) {
	if len(s) == 0 {
		return false, nil
	}
	if _, ok := s[0].(*Node); ok {
		return true, nil
	}
	if len(s) > 1 {
		return false, errorf("FORG0006", "effective boolean value of a sequence of %d atomic values", len(s))
	}
	switch v := s[0].(type) {
	case Bool:
		return bool(v), nil
	case String:
		return v != "", nil
	case Untyped:
		return v != "", nil
	case Double:
		return v != 0 && !math.IsNaN(float64(v)), nil
	case Integer:
		return v != 0, nil
	case Decimal:
		return v.R.Sign() != 0, nil
	}
	return false, errorf("FORG0006", "effective boolean value of %T", s[0])
}

// StringOf returns the string value of an item.
func StringOf(it Item) string {
	switch v := it.(type) {
	case *Node:
		return v.StringValue()
	case String:
		return string(v)
	case Untyped:
		return string(v)
	case Bool:
		if v {
			return "true"
		}
		return "false"
	case Double:
		return formatDouble(float64(v))
	case Integer:
		return strconv.FormatInt(int64(v), 10)
	case Decimal:
		return formatDecimal(v.R)
	case Date:
		return v.String()
	}
	return ""
}

func (d Date) String() string {
	s := fmt.Sprintf("%04d-%02d-%02d", d.Y, d.M, d.D)
	if d.TZSet {
		if d.TZ == 0 {
			return s + "Z"
		}
		sign := '+'
		tz := d.TZ
		if tz < 0 {
			sign = '-'
			tz = -tz
		}
		s += fmt.Sprintf("%c%02d:%02d", sign, tz/60, tz%60)
	}
	return s
}

func formatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "INF"
	case math.IsInf(f, -1):
		return "-INF"
	case f == 0:
		if math.Signbit(f) {
			return "-0"
		}
		return "0"
	}
	a := math.Abs(f)
	if a >= 1e-6 && a < 1e6 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, 64)
	// Go: 1.5E+07 / 1E+07; XPath: 1.5E7 / 1.0E7
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

func formatDecimal(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	// r has a terminating expansion (denominator 2^a 5^b).
	d := new(big.Int).Set(r.Denom())
	n := 0
	ten := big.NewInt(10)
	for d.Cmp(big.NewInt(1)) != 0 && n < 60 {
		g := new(big.Int).GCD(nil, nil, d, ten)
		if g.Cmp(big.NewInt(1)) == 0 {
			break
		}
		d.Quo(d, g)
		n++
	}
	s := r.FloatString(n)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func trimXML(s string) string {
	i, j := 0, len(s)
	for i < j && isXMLSpace(s[i]) {
		i++
	}
	for j > i && isXMLSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// decimalLexical reports whether s is a valid xs:decimal literal.
func decimalLexical(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	return digits > 0 && i == len(s)
}

func doubleLexical(s string) bool {
	switch s {
	case "INF", "-INF", "+INF", "NaN":
		return true
	}
	mant, exp, hasExp := strings.Cut(s, "e")
	if !hasExp {
		mant, exp, hasExp = strings.Cut(s, "E")
	}
	if !decimalLexical(mant) {
		return false
	}
	if hasExp {
		e := exp
		if e != "" && (e[0] == '+' || e[0] == '-') {
			e = e[1:]
		}
		if e == "" {
			return false
		}
		for i := 0; i < len(e); i++ {
			if e[i] < '0' || e[i] > '9' {
				return false
			}
		}
	}
	return true
}

func parseDouble(s string) (float64, bool) {
	s = trimXML(s)
	if !doubleLexical(s) {
		return 0, false
	}
	switch s {
	case "INF", "+INF":
		return math.Inf(1), true
	case "-INF":
		return math.Inf(-1), true
	case "NaN":
		return math.NaN(), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return f, true
		}
		return 0, false
	}
	return f, true
}

var pow10s = func() [19]int64 {
	var p [19]int64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

func parseDecimal(s string) (*big.Rat, bool) {
	s = trimXML(s)
	if !decimalLexical(s) {
		return nil, false
	}
	// Fast path: up to 18 digits fit an int64 mantissa.
	var mant int64
	scale, digits := 0, 0
	neg, frac := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '-':
			neg = true
		case c == '+':
		case c == '.':
			frac = true
		default:
			if digits == 18 {
				r, ok := new(big.Rat).SetString(s)
				return r, ok
			}
			if mant != 0 || c != '0' {
				digits++
			}
			mant = mant*10 + int64(c-'0')
			if frac {
				scale++
			}
		}
	}
	if scale > 18 {
		r, ok := new(big.Rat).SetString(s)
		return r, ok
	}
	if neg {
		mant = -mant
	}
	return new(big.Rat).SetFrac64(mant, pow10s[scale]), true
}

func parseInteger(s string) (Integer, bool) {
	s = trimXML(s)
	t := s
	if t != "" && (t[0] == '+' || t[0] == '-') {
		t = t[1:]
	}
	if t == "" {
		return 0, false
	}
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 64)
	if err != nil {
		// Out of int64 range: saturate; castable is still true.
		if s[0] == '-' {
			return math.MinInt64, true
		}
		return math.MaxInt64, true
	}
	return Integer(v), true
}

func parseDate(s string) (Date, bool) {
	s = trimXML(s)
	var d Date
	neg := false
	if strings.HasPrefix(s, "-") {
		neg = true
		s = s[1:]
	}
	// YYYY-MM-DD[tz]
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i < 4 || i >= len(s) || s[i] != '-' {
		return d, false
	}
	y, _ := strconv.Atoi(s[:i])
	if i > 4 && s[0] == '0' {
		return d, false
	}
	rest := s[i+1:]
	if len(rest) < 5 || rest[2] != '-' {
		return d, false
	}
	m, err1 := strconv.Atoi(rest[:2])
	day, err2 := strconv.Atoi(rest[3:5])
	if err1 != nil || err2 != nil || !isDigits(rest[:2]) || !isDigits(rest[3:5]) {
		return d, false
	}
	if neg {
		y = -y
	}
	if m < 1 || m > 12 || day < 1 || day > daysIn(y, m) {
		return d, false
	}
	d = Date{Y: y, M: m, D: day}
	tz := rest[5:]
	switch {
	case tz == "":
	case tz == "Z":
		d.TZSet = true
	case len(tz) == 6 && (tz[0] == '+' || tz[0] == '-') && tz[3] == ':' && isDigits(tz[1:3]) && isDigits(tz[4:6]):
		hh, _ := strconv.Atoi(tz[1:3])
		mm, _ := strconv.Atoi(tz[4:6])
		if hh > 14 || mm > 59 || (hh == 14 && mm != 0) {
			return d, false
		}
		d.TZ = hh*60 + mm
		if tz[0] == '-' {
			d.TZ = -d.TZ
		}
		d.TZSet = true
	default:
		return d, false
	}
	return d, true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if (y%4 == 0 && y%100 != 0) || y%400 == 0 {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// minutes returns the date's start instant in minutes relative to an
// arbitrary epoch, normalised to UTC (implicit time zone: UTC).
func (d Date) minutes() int64 {
	y, m := int64(d.Y), int64(d.M)
	if m <= 2 {
		y--
		m += 12
	}
	days := 365*y + y/4 - y/100 + y/400 + (153*(m-3)+2)/5 + int64(d.D)
	return days*1440 - int64(d.TZ)
}

func ratOf(it Item) *big.Rat {
	switch v := it.(type) {
	case Integer:
		return new(big.Rat).SetInt64(int64(v))
	case Decimal:
		return v.R
	}
	return nil
}

func isNumeric(it Item) bool {
	switch it.(type) {
	case Integer, Decimal, Double:
		return true
	}
	return false
}

func toDouble(it Item) float64 {
	switch v := it.(type) {
	case Double:
		return float64(v)
	case Integer:
		return float64(v)
	case Decimal:
		f, _ := v.R.Float64()
		return f
	}
	return math.NaN()
}

func doubleToRat(f float64) (*big.Rat, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, errorf("FOCA0002", "cannot convert %v to xs:decimal", f)
	}
	r, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'f', -1, 64))
	return r, nil
}

// Cast converts an atomic value to the named type (local name of an xs: type).
func Cast(it Item, typ string) (Item, error) {
	it = atomize(it)
	switch typ {
	case "string":
		return String(StringOf(it)), nil
	case "untypedAtomic":
		return Untyped(StringOf(it)), nil
	case "double", "float":
		switch v := it.(type) {
		case String, Untyped:
			f, ok := parseDouble(StringOf(v))
			if !ok {
				return nil, errorf("FORG0001", "cannot cast %q to xs:double", StringOf(v))
			}
			return Double(f), nil
		case Bool:
			if v {
				return Double(1), nil
			}
			return Double(0), nil
		case Double, Integer, Decimal:
			return Double(toDouble(v)), nil
		}
	case "decimal":
		switch v := it.(type) {
		case String, Untyped:
			r, ok := parseDecimal(StringOf(v))
			if !ok {
				return nil, errorf("FORG0001", "cannot cast %q to xs:decimal", StringOf(v))
			}
			return Decimal{r}, nil
		case Bool:
			if v {
				return Decimal{big.NewRat(1, 1)}, nil
			}
			return Decimal{new(big.Rat)}, nil
		case Integer:
			return Decimal{ratOf(v)}, nil
		case Decimal:
			return v, nil
		case Double:
			r, err := doubleToRat(float64(v))
			if err != nil {
				return nil, err
			}
			return Decimal{r}, nil
		}
	case "integer", "int", "long":
		switch v := it.(type) {
		case String, Untyped:
			i, ok := parseInteger(StringOf(v))
			if !ok {
				return nil, errorf("FORG0001", "cannot cast %q to xs:integer", StringOf(v))
			}
			if i == math.MaxInt64 || i == math.MinInt64 {
				// Beyond int64: keep the exact value (as a decimal with
				// an integral value).
				r, _ := new(big.Rat).SetString(strings.TrimPrefix(trimXML(StringOf(v)), "+"))
				return Decimal{r}, nil
			}
			return i, nil
		case Bool:
			if v {
				return Integer(1), nil
			}
			return Integer(0), nil
		case Integer:
			return v, nil
		case Decimal:
			q := new(big.Int).Quo(v.R.Num(), v.R.Denom())
			if !q.IsInt64() {
				return nil, errorf("FOAR0002", "integer overflow")
			}
			return Integer(q.Int64()), nil
		case Double:
			f := float64(v)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, errorf("FOCA0002", "cannot cast %v to xs:integer", f)
			}
			return Integer(int64(math.Trunc(f))), nil
		}
	case "boolean":
		switch v := it.(type) {
		case String, Untyped:
			switch trimXML(StringOf(v)) {
			case "true", "1":
				return Bool(true), nil
			case "false", "0":
				return Bool(false), nil
			}
			return nil, errorf("FORG0001", "cannot cast %q to xs:boolean", StringOf(v))
		case Bool:
			return v, nil
		case Double:
			f := float64(v)
			return Bool(f != 0 && !math.IsNaN(f)), nil
		case Integer, Decimal:
			return Bool(ratOf(v).Sign() != 0), nil
		}
	case "date":
		switch v := it.(type) {
		case String, Untyped:
			d, ok := parseDate(StringOf(v))
			if !ok {
				return nil, errorf("FORG0001", "cannot cast %q to xs:date", StringOf(v))
			}
			return d, nil
		case Date:
			return v, nil
		}
	default:
		return nil, errorf("XPST0051", "unsupported type xs:%s", typ)
	}
	return nil, errorf("XPTY0004", "cannot cast %T to xs:%s", it, typ)
}

// typeOrder ranks numeric types for promotion.
func numRank(it Item) int {
	switch it.(type) {
	case Integer:
		return 0
	case Decimal:
		return 1
	case Double:
		return 2
	}
	return -1
}
