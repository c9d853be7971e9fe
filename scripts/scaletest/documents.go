package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

func init() {
	documentRoutes = append(documentRoutes, &applications{})
}

// applications stores documents the way a citizen does: an application for
// the demo city's dog tax with a proof upload (POST /api/v1/applications,
// multipart), which stores the upload and the generated receipt (PDF and
// JSON) as blobs. Reading back: the application's file list and receipt
// hashes, and the receipt PDF itself, whose bytes must hash to the key the
// application names.
type applications struct {
	once    sync.Once
	service string
	err     error
	mu      sync.Mutex
	uploads map[string]string // application ref -> SHA-256 of its upload
}

const citizenToken = "rh_demo_citizen_musterstadt"

func (*applications) name() string {
	return "POST /api/v1/applications (dog tax with a PDF proof; upload and receipt stored as blobs), read back with GET /api/v1/applications/{id} and /receipt"
}

func (*applications) available(ops map[string]bool) bool {
	return ops["submitApplication"] && ops["getApplication"] && ops["getApplicationReceipt"]
}

func (d *applications) serviceRef(base string) (string, error) {
	d.once.Do(func() {
		resp, err := http.Get(base + "/api/v1/services?limit=3&q=" + url.QueryEscape("Hundesteuer"))
		if err != nil {
			d.err = err
			return
		}
		defer resp.Body.Close()
		var fr struct {
			Results []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"results"`
		}
		json.NewDecoder(resp.Body).Decode(&fr)
		for _, r := range fr.Results {
			if strings.Contains(r.Name, "Hundesteuer") {
				d.service = r.ID
				return
			}
		}
		d.err = fmt.Errorf("no Hundesteuer service in the demo catalog (%d results)", len(fr.Results))
	})
	return d.service, d.err
}

func (d *applications) store(ctx context.Context, l *load, c *http.Client) (string, bool) {
	svc, err := d.serviceRef(l.base)
	if err != nil {
		l.rec.add(result{kind: "document", failed: true, detail: err.Error()})
		return "", false
	}
	n := l.seq.Add(1)
	proof := fmt.Appendf(nil, "%%PDF-1.4\n%% Nachweis Blindenführhund, Skalierungstest %s-%d\n1 0 obj<<>>endobj\ntrailer<<>>\n%%%%EOF\n", l.run, n)
	sum := sha256.Sum256(proof)
	answers := map[string]any{
		"given_name": "Paul", "family_name": fmt.Sprintf("Skala %d", n), "birth_date": "1980-04-23",
		"address":  map[string]any{"street": "Lindenstraße", "house_number": fmt.Sprint(1 + n%200), "postcode": "91052", "city": "Musterstadt"},
		"dog_name": fmt.Sprintf("Bello %d", n), "breed": "Labrador-Mischling", "dog_birth_date": "2022-05-01", "kept_since": "2025-01-15",
		"dangerous": false, "other_dogs": false, "reduction": "guide_dog", "direct_debit": false,
	}
	doc, _ := json.Marshal(map[string]any{"service": svc, "answers": answers})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, _ := mw.CreateFormField("application")
	part.Write(doc)
	fw, _ := mw.CreateFormFile("proof", "nachweis.pdf")
	fw.Write(proof)
	mw.Close()
	req, _ := http.NewRequestWithContext(ctx, "POST", l.base+"/api/v1/applications", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+citizenToken)
	_, rb, ok := l.do(c, "document", req, http.StatusCreated)
	if !ok {
		return "", false
	}
	var got struct {
		Reference string `json:"reference"`
	}
	if json.Unmarshal(rb, &got) != nil || got.Reference == "" {
		return "", false
	}
	d.mu.Lock()
	if d.uploads == nil {
		d.uploads = map[string]string{}
	}
	d.uploads[got.Reference] = hex.EncodeToString(sum[:])
	d.mu.Unlock()
	return got.Reference, true
}

// fetch checks the application at base: it lists the upload with the hash
// of the bytes sent, and its receipt PDF is served with the bytes its key
// names (the blob store re-hashes them too).
func (d *applications) fetch(base string, c *http.Client, ref string) (bool, error) {
	get := func(path string) ([]byte, error) {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+citizenToken)
		resp, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			return nil, fmt.Errorf("GET %s: %d", path, resp.StatusCode)
		}
		return b, err
	}
	b, err := get("/api/v1/applications/" + ref)
	if err != nil {
		return false, err
	}
	var app struct {
		Files []struct {
			SHA256 string `json:"sha256"`
		} `json:"files"`
		ReceiptPDF string `json:"receipt_pdf_sha256"`
	}
	if err := json.Unmarshal(b, &app); err != nil {
		return false, err
	}
	d.mu.Lock()
	want := d.uploads[ref]
	d.mu.Unlock()
	found := false
	for _, f := range app.Files {
		found = found || f.SHA256 == want
	}
	if !found {
		return false, fmt.Errorf("application %s does not list the upload %s", ref, want)
	}
	pdf, err := get("/api/v1/applications/" + ref + "/receipt")
	if err != nil {
		return false, err
	}
	sum := sha256.Sum256(pdf)
	if hex.EncodeToString(sum[:]) != app.ReceiptPDF {
		return false, fmt.Errorf("receipt of %s: served bytes hash to %x, the application names %s", ref, sum, app.ReceiptPDF)
	}
	return true, nil
}

// keys returns the upload keys of every stored application (for the
// bucket check).
func (d *applications) keys() map[string]string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]string, len(d.uploads))
	for k, v := range d.uploads {
		out[k] = v
	}
	return out
}
