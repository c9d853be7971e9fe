package app

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/blobtest"
	"github.com/rathaus/rathaus/internal/platform/database"
)

// submitDogTax posts the demo dog tax application with a PDF proof as the
// demo citizen, through the real route.
func submitDogTax(t *testing.T, s *server, proof string) (*http.Response, []byte) {
	t.Helper()
	answers := map[string]any{
		"given_name": "Paul", "family_name": "Beispiel", "birth_date": "1980-04-23",
		"address":  map[string]any{"street": "Lindenstraße", "house_number": "4", "postcode": "91052", "city": "Musterstadt"},
		"dog_name": "Bello", "breed": "Labrador-Mischling", "dog_birth_date": "2022-05-01", "kept_since": "2025-01-15",
		"dangerous": false, "other_dogs": false, "reduction": "guide_dog", "direct_debit": false,
	}
	doc, _ := json.Marshal(map[string]any{"service": DemoServiceRef, "answers": answers})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	p, _ := mw.CreateFormField("application")
	p.Write(doc)
	f, _ := mw.CreateFormFile("proof", "nachweis.pdf")
	f.Write([]byte("%PDF-1.4\n% " + proof + "\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"))
	mw.Close()
	req, _ := http.NewRequest("POST", s.base+"/api/v1/applications", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+DemoToken("citizen"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b := new(bytes.Buffer)
	b.ReadFrom(resp.Body)
	resp.Body.Close()
	return resp, b.Bytes()
}

func countApplications(t *testing.T, in installation) int {
	t.Helper()
	db, err := database.Open(context.Background(), database.Options{DataDir: in.dir, URL: in.url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.R.QueryRow(`SELECT COUNT(*) FROM applications`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The object store becomes unreachable: a citizen's submission gets a 503
// problem document, and no application or reference is written; when the
// store is back, the same submission goes through.
func TestSubmissionWithTheObjectStoreUnreachable(t *testing.T) {
	if os.Getenv(blobtest.URL) == "" {
		blobtest.S3URL(t) // skips, or fails under RATHAUS_REQUIRE_S3=1
	}
	eachInstallation(t, func(t *testing.T, in installation) {
		c := blobtest.Config(t, blobtest.S3URL(t))
		line := blobtest.NewLine(t, c.Endpoint)
		c.Endpoint = line.Addr()
		in.blobVars = map[string]string{"RATHAUS_BLOB_URL": blob.Location{S3: &c}.String(), "RATHAUS_S3_ACCESS_KEY": c.AccessKey, "RATHAUS_S3_SECRET_KEY": c.SecretKey}
		s := in.start(t, "demo")
		before := countApplications(t, in)
		line.Cut()
		resp, body := submitDogTax(t, s, "während des Ausfalls")
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("submission with the store unreachable: %d %s %s, want 503 problem+json", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		if n := countApplications(t, in); n != before {
			t.Errorf("%d applications after the refused submission, %d before", n, before)
		}
		line.Restore()
		if resp, body := submitDogTax(t, s, "danach"); resp.StatusCode != http.StatusCreated {
			t.Errorf("submission after the store is back: %d %s", resp.StatusCode, body)
		}
		s.stop()
		if out, errs, code := in.run(t, "blobs", "verify"); code != 0 {
			t.Errorf("blobs verify: exit %d %s %s", code, out, errs)
		}
	})
}

// A receipt altered in the store is refused to the citizen (never the
// altered bytes) and audited — on the directory and, under make test-s3, on S3.
func TestAlteredReceiptIsNeverServed(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in installation) {
		s := in.start(t, "demo")
		resp, body := submitDogTax(t, s, "Original")
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("submission: %d %s", resp.StatusCode, body)
		}
		var sub struct {
			Reference string `json:"reference"`
		}
		json.Unmarshal(body, &sub)
		resp, body = s.do(t, "GET", "/api/v1/applications/"+sub.Reference, DemoToken("citizen"), "")
		var app struct {
			ReceiptPDF string `json:"receipt_pdf_sha256"`
		}
		if err := json.Unmarshal(body, &app); err != nil || !blob.ValidKey(app.ReceiptPDF) {
			t.Fatalf("application: %d %s", resp.StatusCode, body)
		}
		e := openEnv(t, in, nil)
		altered := []byte("%PDF-1.4\n% Bescheid: Steuer erlassen\n%%EOF\n")
		blobtest.Alter(t, e.blobs, app.ReceiptPDF, altered)
		resp, body = s.do(t, "GET", "/api/v1/applications/"+sub.Reference+"/receipt", DemoToken("citizen"), "")
		if resp.StatusCode == 200 || bytes.Contains(body, []byte("Steuer erlassen")) {
			t.Errorf("altered receipt: %d, %d bytes served", resp.StatusCode, len(body))
		}
		tn, err := e.tenant(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		entries, _ := audit.List(context.Background(), e.db, tn.ID, 20)
		found := false
		for _, en := range entries {
			found = found || en.Action == "blob.corrupt" && en.ObjectRef == app.ReceiptPDF
		}
		if !found {
			t.Error("no blob.corrupt audit entry for the altered receipt")
		}
	})
}
