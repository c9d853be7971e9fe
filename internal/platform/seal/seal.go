// Package seal puts an electronic seal (an X.509 signature of the
// authority, PAdES-style CMS in the PDF) on generated documents and checks
// seals on the way out. Decisions are sealed before they are sent; the
// mailbox shows the citizen whether a document's seal verifies.
//
// Keys come from a PKCS#12 file or from PEM files (certificate chain and
// private key); the demo city creates its own test CA (NewTestCA) and says
// so. Verification trusts only the configured roots, never certificates
// that travel inside the PDF.
package seal

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/sign"
	"github.com/digitorus/pdfsign/verify"
	"golang.org/x/crypto/pkcs12"
)

// Sealer seals PDFs with one key and certificate chain.
type Sealer struct {
	Key   crypto.Signer
	Cert  *x509.Certificate
	Chain []*x509.Certificate // issuers, leaf's issuer first
	// Roots are the trust anchors Verify accepts.
	Roots *x509.CertPool
	// Name and Location are written into the signature dictionary.
	Name, Location string
}

// oidDocumentSigning is the Document Signing extended key usage (RFC 9336).
var oidDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}

// Seal signs pdf (a complete PDF) and returns the sealed document: an
// incremental update with a certification signature that permits no
// further change.
func (s *Sealer) Seal(pdfBytes []byte, reason string, at time.Time) ([]byte, error) {
	if s == nil || s.Key == nil || s.Cert == nil {
		return nil, errors.New("seal: no key configured")
	}
	rdr, err := pdf.NewReader(bytes.NewReader(pdfBytes), int64(len(pdfBytes)))
	if err != nil {
		return nil, fmt.Errorf("seal: read pdf: %w", err)
	}
	var out bytes.Buffer
	chain := append([]*x509.Certificate{s.Cert}, s.Chain...)
	err = sign.Sign(bytes.NewReader(pdfBytes), &out, rdr, int64(len(pdfBytes)), sign.SignData{
		Signature: sign.SignDataSignature{
			Info:       sign.SignDataSignatureInfo{Name: s.Name, Location: s.Location, Reason: reason, Date: at},
			CertType:   sign.CertificationSignature,
			DocMDPPerm: sign.DoNotAllowAnyChangesPerms,
		},
		Signer:            s.Key,
		DigestAlgorithm:   crypto.SHA256,
		Certificate:       s.Cert,
		CertificateChains: [][]*x509.Certificate{chain},
	})
	if err != nil {
		return nil, fmt.Errorf("seal: sign: %w", err)
	}
	return out.Bytes(), nil
}

// Verification is what a check of a document's seal found.
type Verification struct {
	// Sealed: the document carries a signature at all.
	Sealed bool `json:"sealed"`
	// Valid: the signature matches the signed bytes, the signed bytes
	// cover the whole document (nothing appended) and the certificate
	// chains to a trusted root.
	Valid    bool      `json:"valid"`
	Signer   string    `json:"signer"`
	Issuer   string    `json:"issuer"`
	SignedAt time.Time `json:"signed_at"`
	Reason   string    `json:"reason"`
	// Problem says in English why a sealed document is not valid.
	Problem string `json:"problem,omitempty"`
}

var byteRangeRE = regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`)

// Verify checks the seals of doc against roots at the instant.
func Verify(doc []byte, roots *x509.CertPool, at time.Time) Verification {
	var v Verification
	opts := verify.DefaultVerifyOptions()
	opts.RequiredEKUs = nil
	opts.AllowedEKUs = nil
	opts.RequireDigitalSignatureKU = false
	opts.ValidateTimestampCertificates = false
	res, err := verify.VerifyWithOptions(bytes.NewReader(doc), int64(len(doc)), opts)
	if err != nil || res == nil || len(res.Signers) == 0 {
		if err != nil && bytes.Contains(doc, []byte("/ByteRange")) {
			v.Sealed = true
			v.Problem = "signature unreadable"
		}
		return v
	}
	v.Sealed = true
	sg := res.Signers[len(res.Signers)-1]
	v.Reason = sg.Reason
	if sg.SignatureTime != nil {
		v.SignedAt = *sg.SignatureTime
	}
	if !sg.ValidSignature {
		v.Problem = "signature does not match the document"
		return v
	}
	// The last signature must cover the whole file: bytes appended after
	// signing (an incremental update) would not be covered.
	m := byteRangeRE.FindAllSubmatch(doc, -1)
	if len(m) == 0 {
		v.Problem = "no byte range"
		return v
	}
	last := m[len(m)-1]
	var r [4]int64
	for i := range r {
		r[i], _ = strconv.ParseInt(string(last[i+1]), 10, 64)
	}
	if r[0] != 0 || r[2]+r[3] != int64(len(doc)) {
		v.Problem = "document changed after sealing"
		return v
	}
	if len(sg.Certificates) == 0 {
		v.Problem = "no certificate"
		return v
	}
	leaf := sg.Certificates[0].Certificate
	v.Signer, v.Issuer = leaf.Subject.CommonName, leaf.Issuer.CommonName
	inter := x509.NewCertPool()
	for _, c := range sg.Certificates[1:] {
		inter.AddCert(c.Certificate)
	}
	if roots == nil {
		v.Problem = "no trusted roots configured"
		return v
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		v.Problem = "certificate not trusted: " + err.Error()
		return v
	}
	v.Valid = true
	return v
}

// Verify checks doc against the sealer's roots.
func (s *Sealer) Verify(doc []byte, at time.Time) Verification {
	if s == nil {
		return Verify(doc, nil, at)
	}
	return Verify(doc, s.Roots, at)
}

// CA is a certificate authority for the demo and tests.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}

// NewTestCA creates a self-signed root valid for ten years from now. Its
// name says it is a test CA: it must never seal real decisions.
func NewTestCA(org string, now time.Time) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: org + " Test-CA (nur Demo)", Organization: []string{org}, Country: []string{"DE"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key}, nil
}

// IssueSeal issues a seal certificate for the authority named name (valid
// for validity) and returns a Sealer trusting the CA.
func (ca *CA) IssueSeal(name, org string, now time.Time, validity time.Duration) (*Sealer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tpl := &x509.Certificate{
		SerialNumber:       serial(),
		Subject:            pkix.Name{CommonName: name, Organization: []string{org}, Country: []string{"DE"}},
		NotBefore:          now.Add(-time.Hour),
		NotAfter:           now.Add(validity),
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{oidDocumentSigning},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	return &Sealer{Key: key, Cert: cert, Chain: []*x509.Certificate{ca.Cert}, Roots: roots, Name: name}, nil
}

// PEM encodes the sealer's chain and key (for the demo's files).
func (s *Sealer) PEM() (chain, key []byte, err error) {
	var b bytes.Buffer
	for _, c := range append([]*x509.Certificate{s.Cert}, s.Chain...) {
		pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	der, err := x509.MarshalPKCS8PrivateKey(s.Key)
	if err != nil {
		return nil, nil, err
	}
	return b.Bytes(), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParsePEM builds a sealer from a PEM certificate chain (leaf first) and a
// PEM private key (PKCS#8, PKCS#1 or EC). The last certificate of the chain
// is its trust anchor unless roots are given.
func ParsePEM(chainPEM, keyPEM []byte, roots *x509.CertPool) (*Sealer, error) {
	var certs []*x509.Certificate
	for rest := chainPEM; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("seal: certificate: %w", err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("seal: no certificate in the PEM file")
	}
	blk, _ := pem.Decode(keyPEM)
	if blk == nil {
		return nil, errors.New("seal: no private key in the PEM file")
	}
	key, err := parseKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	return newSealer(key, certs, roots)
}

func parseKey(der []byte) (crypto.Signer, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("seal: unsupported private key")
}

// ParsePKCS12 builds a sealer from a PKCS#12 (.p12/.pfx) file with one key
// and its certificate.
func ParsePKCS12(data []byte, password string, roots *x509.CertPool) (*Sealer, error) {
	key, cert, err := pkcs12.Decode(data, password)
	if err != nil {
		return nil, fmt.Errorf("seal: pkcs12: %w", err)
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, errors.New("seal: pkcs12 key cannot sign")
	}
	return newSealer(s, []*x509.Certificate{cert}, roots)
}

func newSealer(key crypto.Signer, certs []*x509.Certificate, roots *x509.CertPool) (*Sealer, error) {
	leaf := certs[0]
	if !publicKeysMatch(key.Public(), leaf.PublicKey) {
		return nil, errors.New("seal: the private key does not belong to the certificate")
	}
	if roots == nil {
		roots = x509.NewCertPool()
		roots.AddCert(certs[len(certs)-1])
	}
	return &Sealer{Key: key, Cert: leaf, Chain: certs[1:], Roots: roots, Name: leaf.Subject.CommonName}, nil
}

func publicKeysMatch(a, b crypto.PublicKey) bool {
	switch k := a.(type) {
	case *rsa.PublicKey:
		return k.Equal(b)
	case *ecdsa.PublicKey:
		return k.Equal(b)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if e, ok := a.(equaler); ok {
		return e.Equal(b)
	}
	return false
}

// LoadFiles reads a sealer from PEM files or a PKCS#12 file (chosen by
// which paths are set); trustFile, if set, holds the PEM roots.
func LoadFiles(certFile, keyFile, p12File, p12Password, trustFile string) (*Sealer, error) {
	var roots *x509.CertPool
	if trustFile != "" {
		b, err := os.ReadFile(trustFile)
		if err != nil {
			return nil, err
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("seal: no certificate in %s", trustFile)
		}
	}
	if p12File != "" {
		b, err := os.ReadFile(p12File)
		if err != nil {
			return nil, err
		}
		return ParsePKCS12(b, p12Password, roots)
	}
	c, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	k, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	return ParsePEM(c, k, roots)
}
