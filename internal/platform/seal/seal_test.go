package seal

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/platform/pdfdoc"
	"github.com/rathaus/rathaus/internal/platform/tooltest"
)

var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func letter(t testing.TB) []byte {
	t.Helper()
	b, err := pdfdoc.Render(pdfdoc.Doc{
		Sender: []string{"Stadt Musterstadt", "Marktplatz 1, 91052 Musterstadt"}, Recipient: []string{"Paul Beispiel", "Hauptstraße 5", "91052 Musterstadt"},
		Place: "Musterstadt", Date: "02.03.2026", Reference: "Aktenzeichen C-7K3M-Q9TX", Title: "Bescheid über die Hundesteuer",
		Paragraphs: []string{"Sehr geehrter Herr Beispiel,\n\nIhr Hund „Bello“ wird zur Hundesteuer angemeldet. Größe: groß; Straße: ß, ä, ö, ü."},
		Fields:     [][2]string{{"Steuer", "96,00 € im Jahr"}}, Closing: []string{"Rechtsbehelfsbelehrung: …"}, Footer: "Stadt Musterstadt", Created: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testSealer(t testing.TB) (*Sealer, *CA) {
	t.Helper()
	ca, err := NewTestCA("Stadt Musterstadt", now)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ca.IssueSeal("Stadt Musterstadt – Siegel", "Stadt Musterstadt", now, 365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return s, ca
}

func TestSealVerifies(t *testing.T) {
	s, _ := testSealer(t)
	doc := letter(t)
	if v := s.Verify(doc, now); v.Sealed || v.Valid {
		t.Fatalf("unsealed letter: %+v", v)
	}
	sealed, err := s.Seal(doc, "Bescheid C-7K3M-Q9TX", now)
	if err != nil {
		t.Fatal(err)
	}
	v := s.Verify(sealed, now.Add(time.Hour))
	if !v.Sealed || !v.Valid || v.Signer != "Stadt Musterstadt – Siegel" || v.Reason != "Bescheid C-7K3M-Q9TX" {
		t.Fatalf("sealed letter: %+v", v)
	}

	// A changed byte inside the signed range breaks the seal.
	i := bytes.Index(sealed, []byte("/Title"))
	tampered := bytes.Clone(sealed)
	tampered[i+1] = 'X'
	if v := s.Verify(tampered, now); v.Valid {
		t.Fatalf("tampered letter verifies: %+v", v)
	}
	// Bytes appended after sealing are not covered.
	appended := append(bytes.Clone(sealed), []byte("\n% appended\n")...)
	if v := s.Verify(appended, now); v.Valid || !strings.Contains(v.Problem, "changed after sealing") {
		t.Fatalf("appended letter: %+v", v)
	}
	// A seal from another CA is not trusted.
	other, _ := testSealer(t)
	if v := other.Verify(sealed, now); v.Valid || !strings.Contains(v.Problem, "not trusted") {
		t.Fatalf("foreign roots: %+v", v)
	}
	// An expired certificate is not valid at a later instant.
	if v := s.Verify(sealed, now.AddDate(2, 0, 0)); v.Valid {
		t.Fatalf("verifies after the certificate expired: %+v", v)
	}
}

// TestPdfsigAcceptsTheSeal checks the sealed PDF with poppler's pdfsig,
// an independent implementation, with our test CA in an NSS database.
func TestPdfsigAcceptsTheSeal(t *testing.T) {
	tooltest.Path(t, "pdfsig", "poppler-utils")
	s, ca := testSealer(t)
	sealed, err := s.Seal(letter(t), "Bescheid", now)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "bescheid.pdf")
	os.WriteFile(file, sealed, 0o600)
	out, err := exec.Command("pdfsig", file).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfsig: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Signature Validation: Signature is Valid.") {
		t.Fatalf("pdfsig does not accept the seal:\n%s", out)
	}
	t.Logf("pdfsig:\n%s", out)
	if _, ok := tooltest.Optional(t, "certutil", "libnss3-tools"); ok {
		nss := filepath.Join(dir, "nss")
		os.Mkdir(nss, 0o700)
		caFile := filepath.Join(dir, "ca.pem")
		chain, _, _ := (&Sealer{Key: s.Key, Cert: ca.Cert}).PEM()
		os.WriteFile(caFile, chain, 0o600)
		for _, args := range [][]string{{"-N", "-d", "sql:" + nss, "--empty-password"}, {"-A", "-d", "sql:" + nss, "-n", "test-ca", "-t", "CT,C,C", "-i", caFile}} {
			if b, err := exec.Command("certutil", args...).CombinedOutput(); err != nil {
				t.Fatalf("certutil %v: %v\n%s", args, err, b)
			}
		}
		out, err := exec.Command("pdfsig", "-nssdir", "sql:"+nss, file).CombinedOutput()
		if err != nil {
			t.Fatalf("pdfsig with CA: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "Certificate Validation: Certificate is Trusted.") {
			t.Fatalf("pdfsig does not trust the seal with the CA installed:\n%s", out)
		}
	}
	// A byte changed after sealing: pdfsig reports it.
	i := bytes.Index(sealed, []byte("Hundesteuer"))
	if i < 0 {
		i = bytes.Index(sealed, []byte("/Title"))
	}
	sealed[i+1] ^= 1
	os.WriteFile(file, sealed, 0o600)
	out, _ = exec.Command("pdfsig", file).CombinedOutput()
	if strings.Contains(string(out), "Signature is Valid.") {
		t.Fatalf("pdfsig accepts a tampered file:\n%s", out)
	}
}

func TestLoadPEMAndPKCS12(t *testing.T) {
	s, _ := testSealer(t)
	chain, key, err := s.PEM()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cf, kf := filepath.Join(dir, "chain.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cf, chain, 0o600)
	os.WriteFile(kf, key, 0o600)
	loaded, err := LoadFiles(cf, kf, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := loaded.Seal(letter(t), "x", now)
	if err != nil {
		t.Fatal(err)
	}
	if v := s.Verify(sealed, now); !v.Valid {
		t.Fatalf("PEM-loaded seal: %+v", v)
	}
	// A key that does not belong to the certificate is refused.
	other, _ := testSealer(t)
	_, otherKey, _ := other.PEM()
	if _, err := ParsePEM(chain, otherKey, nil); err == nil {
		t.Fatal("mismatched key accepted")
	}
	tooltest.Path(t, "openssl", "openssl")
	p12 := filepath.Join(dir, "seal.p12")
	leaf := chain[:bytes.Index(chain, []byte("-----END CERTIFICATE-----"))+len("-----END CERTIFICATE-----\n")]
	lf := filepath.Join(dir, "leaf.pem")
	os.WriteFile(lf, leaf, 0o600)
	if b, err := exec.Command("openssl", "pkcs12", "-export", "-legacy", "-in", lf, "-inkey", kf, "-out", p12, "-passout", "pass:geheim").CombinedOutput(); err != nil {
		// Older openssl has no -legacy.
		if b2, err2 := exec.Command("openssl", "pkcs12", "-export", "-in", lf, "-inkey", kf, "-out", p12, "-passout", "pass:geheim").CombinedOutput(); err2 != nil {
			t.Fatalf("openssl pkcs12: %v\n%s\n%s", err2, b, b2)
		}
	}
	trust := filepath.Join(dir, "trust.pem")
	os.WriteFile(trust, chain[len(leaf):], 0o600)
	fromP12, err := LoadFiles("", "", p12, "geheim", trust)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err = fromP12.Seal(letter(t), "x", now)
	if err != nil {
		t.Fatal(err)
	}
	if v := fromP12.Verify(sealed, now); !v.Valid {
		t.Fatalf("PKCS#12 seal: %+v", v)
	}
	if _, err := LoadFiles("", "", p12, "falsch", trust); err == nil {
		t.Fatal("wrong PKCS#12 password accepted")
	}
}

func BenchmarkSeal(b *testing.B) {
	s, _ := testSealer(b)
	doc := letter(b)
	for b.Loop() {
		if _, err := s.Seal(doc, "x", now); err != nil {
			b.Fatal(err)
		}
	}
}
