package identity

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
)

// softKey is a software authenticator holding one ES256 passkey, producing
// the same bytes a platform authenticator sends ("none" attestation).
type softKey struct {
	key    *ecdsa.PrivateKey
	credID []byte
	user   []byte
	count  uint32
}

var b64 = base64.RawURLEncoding

func newSoftKey(t *testing.T) *softKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	return &softKey{key: k, credID: id}
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]string{"type": typ, "challenge": challenge, "origin": origin})
	return b
}

func authData(rpID string, flags byte, count uint32, attested []byte) []byte {
	h := sha256.Sum256([]byte(rpID))
	out := append([]byte{}, h[:]...)
	out = append(out, flags)
	out = binary.BigEndian.AppendUint32(out, count)
	return append(out, attested...)
}

// create answers navigator.credentials.create(options).
func (k *softKey) create(t *testing.T, options []byte, origin string) []byte {
	t.Helper()
	var opts struct {
		PublicKey struct {
			Challenge string              `json:"challenge"`
			RP        struct{ ID string } `json:"rp"`
			User      struct{ ID string } `json:"user"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &opts); err != nil {
		t.Fatal(err)
	}
	k.user, _ = b64.DecodeString(opts.PublicKey.User.ID)
	x, y := make([]byte, 32), make([]byte, 32)
	k.key.PublicKey.X.FillBytes(x)
	k.key.PublicKey.Y.FillBytes(y)
	cose, _ := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	attested := make([]byte, 16) // AAGUID
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(k.credID)))
	attested = append(attested, k.credID...)
	attested = append(attested, cose...)
	ad := authData(opts.PublicKey.RP.ID, 0x01|0x04|0x40, 0, attested) // UP, UV, AT
	att, _ := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": ad})
	resp, _ := json.Marshal(map[string]any{"id": b64.EncodeToString(k.credID), "rawId": b64.EncodeToString(k.credID), "type": "public-key",
		"response": map[string]string{"clientDataJSON": b64.EncodeToString(clientData("webauthn.create", opts.PublicKey.Challenge, origin)), "attestationObject": b64.EncodeToString(att)}})
	return resp
}

// get answers navigator.credentials.get(options).
func (k *softKey) get(t *testing.T, options []byte, origin, rpID string) []byte {
	t.Helper()
	var opts struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &opts); err != nil {
		t.Fatal(err)
	}
	k.count++
	ad := authData(rpID, 0x01|0x04, k.count, nil)
	cd := clientData("webauthn.get", opts.PublicKey.Challenge, origin)
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := json.Marshal(map[string]any{"id": b64.EncodeToString(k.credID), "rawId": b64.EncodeToString(k.credID), "type": "public-key",
		"response": map[string]string{"clientDataJSON": b64.EncodeToString(cd), "authenticatorData": b64.EncodeToString(ad),
			"signature": b64.EncodeToString(sig), "userHandle": b64.EncodeToString(k.user)}})
	return resp
}

func TestPasskeyRegistrationAndLogin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		w := newWorld(t, db, clk)
		rp := RelyingParty{ID: "musterstadt.example", Origin: "https://musterstadt.example", Name: "Musterstadt"}
		w.s.CreateStaff(ctx, System(w.t.ID), w.t.ID, "admin@musterstadt.example", "Admin", "richtiges-passwort", []Role{RoleAdmin})
		_, sess, err := w.s.Login(ctx, w.t.ID, LoginInput{Email: "admin@musterstadt.example", Password: "richtiges-passwort"})
		if err != nil {
			t.Fatal(err)
		}
		key := newSoftKey(t)
		opts, handle, err := w.s.BeginPasskeyRegistration(ctx, sess, rp)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.s.FinishPasskeyRegistration(ctx, sess, rp, handle, key.create(t, opts, rp.Origin)); err != nil {
			t.Fatalf("registration: %v", err)
		}
		if err := w.s.FinishPasskeyRegistration(ctx, sess, rp, handle, key.create(t, opts, rp.Origin)); !errors.Is(err, ErrPasskey) {
			t.Errorf("reused registration ceremony: %v", err)
		}

		login := func(k *softKey, origin string) (*Session, error) {
			opts, handle, err := w.s.BeginPasskeyLogin(ctx, w.t.ID, rp)
			if err != nil {
				t.Fatal(err)
			}
			_, s, err := w.s.FinishPasskeyLogin(ctx, w.t.ID, rp, handle, k.get(t, opts, origin, rp.ID))
			return s, err
		}
		got, err := login(key, rp.Origin)
		if err != nil || got.AccountRef != sess.AccountRef || got.Provider != "passkey" {
			t.Fatalf("passkey login: %+v %v", got, err)
		}
		if _, err := login(key, "https://evil.example"); !errors.Is(err, ErrPasskey) {
			t.Errorf("assertion for another origin: %v", err)
		}
		stranger := newSoftKey(t)
		stranger.user = key.user
		if _, err := login(stranger, rp.Origin); !errors.Is(err, ErrPasskey) {
			t.Errorf("unregistered key: %v", err)
		}
		// A ceremony cannot be used after it expired.
		opts, handle, _ = w.s.BeginPasskeyLogin(ctx, w.t.ID, rp)
		clk.Advance(PasskeyCeremonyTTL + time.Second)
		if _, _, err := w.s.FinishPasskeyLogin(ctx, w.t.ID, rp, handle, key.get(t, opts, rp.Origin, rp.ID)); !errors.Is(err, ErrPasskey) {
			t.Errorf("expired ceremony: %v", err)
		}
	})
}
