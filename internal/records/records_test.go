package records

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/blobtest"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/tooltest"
)

// schemaDir is the xdomea 3.0.0 schema set of the shared data sets.
func schemaDir(t *testing.T) string {
	t.Helper()
	for _, d := range []string{os.Getenv("RATHAUS_DATASETS"), "../../../shared/data", "../../../../shared/data"} {
		if d == "" {
			continue
		}
		p := filepath.Join(d, "records", "xdomea-3.0.0", "schemas", "xdomea-Nachrichten-AussonderungDurchfuehren.xsd")
		if _, err := os.Stat(p); err == nil {
			abs, _ := filepath.Abs(p)
			return abs
		}
	}
	t.Skip("xdomea schemas not found (../shared/data/records)")
	return ""
}

type fixture struct {
	s    *Service
	tn   int64
	file string
	docs map[string][]byte
}

// closedFile makes an e-file with a PDF, a PNG, JSON and an umlaut name,
// and closes it.
func closedFile(t *testing.T, db *database.DB, clk *clock.Fake) fixture {
	t.Helper()
	ctx := context.Background()
	ids := &identity.Service{DB: db}
	tn, err := ids.CreateTenant(ctx, identity.Tenant{Slug: "musterstadt", Name: "Musterstadt", Settings: identity.Settings{FederalState: "BY"}})
	if err != nil {
		t.Fatal(err)
	}
	// The installation's store records each Put in a transaction of its own,
	// so a Put inside a use case's transaction would deadlock; tests use it.
	blobs := &blob.Tracked{Store: blobtest.Open(t), DB: db} // a bucket of a real S3 server under make test-s3
	s := &Service{DB: db, Blobs: blobs}
	docs := map[string][]byte{
		"Eingangsbestätigung.pdf": []byte("%PDF-1.7\nreceipt\n"),
		"antrag.json":             []byte(`{"dog":"Bello"}`),
		"Impfpass Foto.png":       []byte("\x89PNG\r\n\x1a\nimage"),
	}
	var inputs []DocumentInput
	for _, n := range []string{"Eingangsbestätigung.pdf", "antrag.json", "Impfpass Foto.png"} {
		key, size, err := blobs.Put(ctx, bytes.NewReader(docs[n]))
		if err != nil {
			t.Fatal(err)
		}
		mt := map[string]string{".pdf": "application/pdf", ".json": "application/json", ".png": "image/png"}[filepath.Ext(n)]
		inputs = append(inputs, DocumentInput{Name: n, Kind: "upload", MediaType: mt, BlobKey: key, Size: size})
	}
	var fileRef string
	err = database.WithTx(ctx, db, func(tx *database.Tx) error {
		var err error
		fileRef, err = s.Open(tx, Opening{TenantID: tn.ID, CaseRef: "C-AAAA-BBBB", ApplicationRef: "A-CCCC-DDDD", Title: "Hundesteuer – Anmeldung <Bello> & Co",
			ServiceRef: "L-EEEE-FFFF", ServiceName: "Hundesteuer", LeikaKey: "99102013000000", UnitRef: "E-GGGG-HHHH", UnitName: "Steueramt", OpenedAt: clk.Now(), RetentionYears: 10})
		if err != nil {
			return err
		}
		if err := s.Add(tx, tn.ID, fileRef, inputs...); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tn.ID, Actor: "U-MUEL-LER0", Action: "case.decide", ObjectType: "case", ObjectRef: "C-AAAA-BBBB"})
	})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(48 * time.Hour)
	trail, err := s.PrepareTrail(ctx, tn.ID, fileRef, []string{"C-AAAA-BBBB"})
	if err != nil {
		t.Fatal(err)
	}
	err = database.WithTx(ctx, db, func(tx *database.Tx) error {
		return s.Close(tx, Closing{TenantID: tn.ID, FileRef: fileRef, ClosedAt: tx.Now(), Metadata: map[string]string{"outcome": "approval"}, Trail: trail})
	})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{s: s, tn: tn.ID, file: fileRef, docs: docs}
}

var officer = func(tn int64) identity.Principal {
	return identity.Principal{TenantID: tn, AccountID: 7, Ref: "U-ARCH-IV00", Kind: "staff", Roles: []identity.Role{identity.RoleRecordsOfficer}}
}

func TestEFileAndXdomeaHandover(t *testing.T) {
	xsd := schemaDir(t)
	tooltest.Path(t, "xmllint", "libxml2-utils")
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		fx := closedFile(t, db, clk)
		p := officer(fx.tn)
		f, err := fx.s.Get(ctx, p, fx.tn, fx.file)
		if err != nil {
			t.Fatal(err)
		}
		if f.Status != StatusKept || f.ClosedAt == nil || f.RetainUntil != "2036-12-31" || len(f.Documents) != 4 || f.Documents[3].Kind != "audit_trail" {
			t.Fatalf("closed file: %+v", f)
		}
		// The audit trail document holds the case's entries.
		var trail bytes.Buffer
		rc, _ := fx.s.Blobs.Open(ctx, f.Documents[3].SHA256)
		io.Copy(&trail, rc)
		rc.Close()
		if !strings.Contains(trail.String(), `"case.decide"`) || !strings.Contains(trail.String(), `"records.file.open"`) {
			t.Fatalf("audit trail document:\n%s", trail.String())
		}
		// Nothing can be added once closed.
		err = database.WithTx(ctx, db, func(tx *database.Tx) error {
			return fx.s.Add(tx, fx.tn, fx.file, DocumentInput{Name: "late.pdf", Kind: "upload", MediaType: "application/pdf", BlobKey: f.Documents[0].SHA256, Size: 1})
		})
		if !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("add to closed file: %v", err)
		}
		// The database refuses to delete a file or change a document.
		for _, q := range []string{`DELETE FROM record_files WHERE ref = '` + fx.file + `'`, `UPDATE record_documents SET sha256 = 'x'`, `DELETE FROM record_documents`} {
			if err := database.WithTx(ctx, db, func(tx *database.Tx) error { _, err := tx.ExecContext(ctx, q); return err }); err == nil {
				t.Fatalf("%s succeeded", q)
			}
		}

		// Hand-over package.
		var zbuf bytes.Buffer
		if _, err := fx.s.Export(ctx, p, fx.tn, fx.file, Handover{Authority: "Stadt Musterstadt", Archive: "Stadtarchiv Musterstadt", Version: "test"}, &zbuf); err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(zbuf.Bytes()), int64(zbuf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		var message string
		contents := map[string][]byte{}
		for _, zf := range zr.File {
			if strings.Contains(zf.Name, "/") {
				t.Fatalf("zip entry %q not at the top", zf.Name)
			}
			rc, _ := zf.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			contents[zf.Name] = b
			if strings.HasSuffix(zf.Name, ".xml") && strings.Contains(zf.Name, "0503") {
				message = zf.Name
			}
			os.WriteFile(filepath.Join(dir, zf.Name), b, 0o600)
		}
		if message == "" || zr.File[0].Name != message {
			t.Fatalf("no 0503 message first in the zip: %v", zr.File[0].Name)
		}
		out, err := exec.Command("xmllint", "--noout", "--schema", xsd, filepath.Join(dir, message)).CombinedOutput()
		if err != nil {
			t.Fatalf("xmllint: %v\n%.3000s", err, out)
		}
		t.Logf("xmllint: %s", strings.TrimSpace(string(out)))
		// Every document named in the message is in the zip with the hash
		// the message and the e-file give.
		type feld struct {
			Name string `xml:"Name"`
			Wert string `xml:"Wert"`
		}
		var msg struct {
			Akte struct {
				Kennzeichen string `xml:"AllgemeineMetadaten>Kennzeichen"`
				Vorgang     struct {
					Dokument []struct {
						Datei  string `xml:"Version>Format>Primaerdokument>Dateiname"`
						Felder []feld `xml:"AnwendungsspezifischeErweiterung>Feld"`
					} `xml:"Dokument"`
				} `xml:"Akteninhalt>Vorgang"`
			} `xml:"Schriftgutobjekt>Akte"`
		}
		if err := xml.Unmarshal(contents[message], &msg); err != nil {
			t.Fatal(err)
		}
		if msg.Akte.Kennzeichen != fx.file || len(msg.Akte.Vorgang.Dokument) != len(f.Documents) {
			t.Fatalf("message describes %q with %d documents, want %s with %d", msg.Akte.Kennzeichen, len(msg.Akte.Vorgang.Dokument), fx.file, len(f.Documents))
		}
		for i, d := range msg.Akte.Vorgang.Dokument {
			b, ok := contents[d.Datei]
			if !ok {
				t.Fatalf("document %s missing from the zip", d.Datei)
			}
			sum := sha256.Sum256(b)
			got := hex.EncodeToString(sum[:])
			var inMessage string
			for _, fl := range d.Felder {
				if fl.Name == "SHA-256" {
					inMessage = fl.Wert
				}
			}
			if got != inMessage || got != f.Documents[i].SHA256 {
				t.Fatalf("document %s: zip %s, message %s, e-file %s", d.Datei, got, inMessage, f.Documents[i].SHA256)
			}
		}
		if len(contents) != len(f.Documents)+1 {
			t.Fatalf("zip has %d entries, want %d", len(contents), len(f.Documents)+1)
		}

		// Retention: nothing is disposed of before the period ends.
		if err := fx.s.Dispose(ctx, p, fx.tn, fx.file, StatusDestroyed); !fault.HasCode(err, "file", "retention_running") {
			t.Fatalf("dispose during retention: %v", err)
		}
		worker := identity.Principal{TenantID: fx.tn, AccountID: 8, Ref: "U-X", Kind: "staff", Roles: []identity.Role{identity.RoleCaseWorker}}
		if err := fx.s.Dispose(ctx, worker, fx.tn, fx.file, StatusDestroyed); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("case worker disposes: %v", err)
		}
		due, _ := fx.s.DueForDisposal(ctx, fx.tn, calendar.Date{Year: 2036, Month: 12, Day: 31})
		if len(due) != 0 {
			t.Fatalf("due on the last day of retention: %d", len(due))
		}
		// The retention job lists it the day after the period ends.
		q := jobs.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		q.Register(RetentionJob, fx.s.RetentionHandler())
		clk.Set(time.Date(2037, 1, 1, 3, 0, 0, 0, time.UTC))
		if err := database.WithTx(ctx, db, func(tx *database.Tx) error {
			return ScheduleRetention(tx, fx.tn, calendar.Date{Year: 2037, Month: 1, Day: 1})
		}); err != nil {
			t.Fatal(err)
		}
		if err := q.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		entries, _ := audit.List(ctx, db, fx.tn, 5)
		found := false
		for _, e := range entries {
			found = found || (e.Action == "records.retention.due" && strings.Contains(e.After, fx.file))
		}
		if !found {
			t.Fatalf("retention job did not list %s: %+v", fx.file, entries)
		}
		var next int
		db.R.QueryRow(`SELECT COUNT(*) FROM jobs WHERE kind = $1 AND status = 'queued'`, RetentionJob).Scan(&next)
		if next != 1 {
			t.Fatalf("next retention run scheduled: %d", next)
		}
		if err := fx.s.Dispose(ctx, p, fx.tn, fx.file, StatusHandedOver); err != nil {
			t.Fatal(err)
		}
		f, _ = fx.s.Get(ctx, p, fx.tn, fx.file)
		if f.Status != StatusHandedOver || f.DisposedAt == nil || len(f.Documents) != 4 {
			t.Fatalf("after hand-over: %+v", f)
		}
		if err := fx.s.Dispose(ctx, p, fx.tn, fx.file, StatusDestroyed); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("second disposal: %v", err)
		}
		// Another tenant's officer sees nothing.
		if _, err := fx.s.Get(ctx, officer(fx.tn+1), fx.tn, fx.file); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("other tenant: %v", err)
		}
	})
}

func FuzzSafeFileName(f *testing.F) {
	for _, s := range []string{"Eingangsbestätigung.pdf", "../../etc/passwd", "a b\\c.png", "", "...."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := safeFileName(s)
		if n == "" || strings.ContainsAny(n, "/\\ ") || strings.HasPrefix(n, ".") || len(n) > 100 {
			t.Fatalf("safeFileName(%q) = %q", s, n)
		}
	})
}
