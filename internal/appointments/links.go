package appointments

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/rathaus/rathaus/internal/platform/ref"
)

// Signed links: a token is a public reference and an HMAC of it under the
// tenant's link key, for one purpose — "T-7K3M-Q9TX.3q2-…". Tokens are
// deterministic, so every mail about a booking (confirmation, reminder,
// offer) carries the same link without storing a secret per booking; a
// tampered token, or one made for another purpose, is refused. The key is
// the tenant's (appointment_keys), so a token of one municipality is
// nothing in another.

// Token purposes.
const (
	purposeManage   = "manage"   // cancel and rebook a booking
	purposeConfirm  = "confirm"  // confirm a held booking (e-mail double opt-in)
	purposeLottery  = "lottery"  // see a lottery entry
	purposeWaitlist = "waitlist" // confirm or leave a waitlist entry
	purposeTicket   = "ticket"   // a waiting ticket's page
)

func signRef(key []byte, purpose, r string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(r))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// makeToken signs a reference for a purpose.
func makeToken(key []byte, purpose, r string) string {
	return r + "." + signRef(key, purpose, r)
}

// parseToken returns the reference of a valid token with the prefix and
// purpose.
func parseToken(key []byte, purpose, prefix, tok string) (string, bool) {
	r, sig, ok := strings.Cut(strings.TrimSpace(tok), ".")
	if !ok || len(tok) > 100 {
		return "", false
	}
	r = strings.ToUpper(r)
	if !ref.Valid(prefix, r) {
		return "", false
	}
	if !hmac.Equal([]byte(sig), []byte(signRef(key, purpose, r))) {
		return "", false
	}
	return r, true
}
