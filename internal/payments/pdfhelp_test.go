package payments

import (
	"encoding/hex"
	"fmt"
)

func fmtSscan(s string, a ...any) (int, error) { return fmt.Sscan(s, a...) }
func hexDecode(s string) ([]byte, error)       { return hex.DecodeString(s) }
