package camt

// MinorUnits is the number of decimals of an ISO 4217 currency (2 for
// currencies not listed here, as for most). Statements may carry more
// decimals than that (up to 5); callers that book money decide what to do
// with them (payments sends them to the finance worklist).
func MinorUnits(ccy string) int {
	switch ccy {
	case "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF":
		return 0
	case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND":
		return 3
	case "CLF", "UYW":
		return 4
	}
	return 2
}
