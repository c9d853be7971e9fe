package forms

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/datasets"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// fill is SampleAnswers for a test: the files it needs, as the pages
// would have them.
func fill(t *testing.T, d *Definition, answers map[string]any, now time.Time) (map[string]any, map[string][]File) {
	t.Helper()
	got, paths, err := SampleAnswers(d, answers, now)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]File{}
	for _, p := range paths {
		files[p] = []File{{Field: p, Name: "nachweis.pdf", MediaType: "application/pdf", Size: 100, SHA256: strings.Repeat("ab", 32)}}
	}
	return got, files
}

func inferred(rep *ImportReport, fimID string) []FieldType {
	var out []FieldType
	for _, i := range rep.Inferred {
		if i.FIMID == fimID {
			out = append(out, i.Type)
		}
	}
	return out
}

// TestImportGewerbeanmeldung imports the FIM Gewerbeanmeldung: every step
// and field arrives, open types are inferred and listed, rules become
// conditions, and a GmbH can fill in the form completely and submit it.
func TestImportGewerbeanmeldung(t *testing.T) {
	d, rep, err := ImportFIM(DemoFIM())
	if err != nil {
		t.Fatalf("%v\n%+v", err, rep)
	}
	if rep.FIMID != "S05000001296" || rep.Title != "Gewerbeanmeldung" || len(d.Steps) != 10 || rep.Fields < 200 {
		t.Errorf("report = %s %q, %d steps, %d fields", rep.FIMID, rep.Title, len(d.Steps), rep.Fields)
	}
	for id, want := range map[string]FieldType{
		"F05000017507": TypeDate,     // Datum des Beginns der angemeldeten Tätigkeit
		"F05000017498": TypeYesNo,    // Beschäftigen Sie Personen in Vollzeit?
		"F05000017499": TypeNumber,   // Anzahl der Personen in Vollzeit
		"F05000017511": TypeSelect,   // Rechtsform: federal code list
		"F05000017485": TypeSelect,   // value list of six entries
		"F60000000332": TypeRadio,    // Geschlecht: code list of four
		"F60000000246": TypePostcode, // Postleitzahl (domestic)
		"F60000000382": TypeText,     // Postleitzahl of an address abroad
		"F60000000242": TypeEmail,
		"F60000000240": TypePhone,
		"F05000017521": TypeFile, // Fügen Sie einen aktuellen Registerauszug bei.
		"F05000017488": TypeTextarea,
	} {
		got := inferred(rep, id)
		if len(got) == 0 || got[0] != want {
			t.Errorf("%s inferred as %v, want %s", id, got, want)
		}
	}
	if rep.Rules < 50 || len(rep.Skipped) == 0 {
		t.Errorf("rules: %d imported, %d skipped", rep.Rules, len(rep.Skipped))
	}
	legal := fieldAt(d, "f05000017511")
	if legal == nil || len(legal.Options) < 70 {
		t.Fatalf("Rechtsform options: %+v", legal)
	}
	// A GmbH: the step for legal persons is shown, the one for partnerships not.
	now := dbtest.Epoch
	a := map[string]any{"f05000017511": "221110", "f05000017485": "01"}
	canon, _, _ := Validate(d, a, Check{Now: now})
	shown := map[string]bool{}
	for _, s := range d.Steps {
		shown[s.ID] = d.StepVisible(s, canon)
	}
	if !shown["g05000011652"] || shown["g05000011653"] || shown["g05000011651"] {
		t.Errorf("steps shown for a GmbH: %v", shown)
	}
	// Neugründung: the previous company number is not asked; otherwise required.
	if f := fieldAt(d, "f05000017508"); f == nil || f.VisibleIf == nil {
		t.Errorf("Bisherige Unternehmensnummer has no condition: %+v", f)
	}
	answers, files := fill(t, d, a, now)
	got, ordered, err := Validate(d, answers, Check{Now: now, Files: files, Strict: true})
	if err != nil {
		t.Fatalf("filled answers refused: %v", err)
	}
	if _, ok := got["f05000017508"]; ok {
		t.Error("a Neugründung answered the previous company number")
	}
	t.Logf("a GmbH answers %d top-level questions and attaches %d files", len(got), len(ordered))
	b, _ := json.Marshal(got)
	if len(b) < 500 {
		t.Errorf("answers suspiciously small: %s", b)
	}
}

// TestImportEveryFIMSchema: all four FIM schemas of the data set import
// into definitions the checker accepts, and each can be completed.
func TestImportEveryFIMSchema(t *testing.T) {
	dir, err := datasets.Dir()
	if err != nil {
		if datasets.Required() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "forms", "*_fields.json"))
	if len(files) < 4 {
		t.Fatalf("found %d FIM schemas in %s", len(files), dir)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, rep, err := ImportFIM(b)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		fill(t, d, map[string]any{}, dbtest.Epoch)
		t.Logf("%s: %s, %d steps, %d fields, %d inferred, %d rules, %d skipped", filepath.Base(f), rep.Title, rep.Steps, rep.Fields, len(rep.Inferred), rep.Rules, len(rep.Skipped))
	}
}

func TestImportFIMRefusesUnreadable(t *testing.T) {
	for name, in := range map[string]string{
		"not json":    "<xml/>",
		"no nodes":    `{"meta":{"fim_id":"S1"},"nodes":[]}`,
		"only junk":   `{"meta":{"fim_id":"S1"},"nodes":[{"path_id":"","kind":"field"}]}`,
		"wrong types": `{"nodes":"many"}`,
	} {
		if _, _, err := ImportFIM([]byte(in)); err == nil {
			t.Errorf("%s: imported", name)
		}
	}
	// Hostile labels stay text: ids are made from FIM ids, never from labels.
	d, _, err := ImportFIM([]byte(`{"meta":{"fim_id":"S1","bezeichnung":"<script>x</script>"},"nodes":[{"path_id":"G1","id":"G1","kind":"group","label":"A","anzahl":"1:1"},{"path_id":"G1.F1","id":"F1","kind":"field","label":"\"><img src=x>","anzahl":"1:1"}]}`))
	if err != nil || d.Steps[0].Fields[0].ID != "f1" || d.Title["de"] != "<script>x</script>" {
		t.Errorf("hostile labels: %+v %v", d, err)
	}
}

// TestImportFIMTwiceMakesANewDraft: importing again adds a draft version;
// the published one stays as it was.
func TestImportFIMTwiceMakesANewDraft(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		w := newWorld(t, db, clk)
		ctx := context.Background()
		rep, err := w.s.ImportFIMDraft(ctx, w.manager, w.tenant.ID, DemoFIM(), FIMImport{ServiceID: "L-GEW0-0001", Audience: []string{"business"}})
		if err != nil || rep.Version != 1 || rep.Form == "" {
			t.Fatalf("first import: %+v %v", rep, err)
		}
		if err := w.s.Publish(ctx, w.manager, w.tenant.ID, rep.Form, 1); err != nil {
			t.Fatal(err)
		}
		rep2, err := w.s.ImportFIMDraft(ctx, w.manager, w.tenant.ID, DemoFIM(), FIMImport{})
		if err != nil || rep2.Form != rep.Form || rep2.Version != 2 {
			t.Fatalf("second import: %+v %v", rep2, err)
		}
		// The form's own settings, which FIM does not carry, stay.
		d2, _, err := w.s.Version(ctx, w.manager, w.tenant.ID, rep.Form, 2)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(d2.Audience, ",") != "business" {
			t.Errorf("second import's audience: %v", d2.Audience)
		}
		rep3, _ := w.s.ImportFIMDraft(ctx, w.manager, w.tenant.ID, DemoFIM(), FIMImport{})
		f, _ := w.s.Form(ctx, w.manager, w.tenant.ID, rep.Form)
		if rep3.Version != 3 || len(f.Versions) != 3 || f.Versions[0].Status != VersionPublished || f.Versions[1].Status != VersionDraft || f.Versions[2].Status != VersionDraft {
			t.Errorf("versions after three imports: %+v", f.Versions)
		}
		if _, err := w.s.ImportFIMDraft(ctx, w.citizen, w.tenant.ID, DemoFIM(), FIMImport{}); err == nil {
			t.Error("a citizen imported a form")
		}
		// The business can submit the published import.
		biz := w.account(t, "business", "firma@example.org", "Firma GmbH")
		d, _, _, err := w.s.CurrentForm(ctx, w.tenant.ID, "L-GEW0-0001")
		if err != nil {
			t.Fatal(err)
		}
		answers, files := fill(t, d, map[string]any{"f05000017511": "221110", "f05000017485": "01"}, clk.Now())
		var ups []Upload
		for path := range files {
			ups = append(ups, Upload{Field: path, Name: "auszug.pdf", Data: pdfBytes()})
		}
		app, err := w.s.Submit(ctx, biz, w.tenant.ID, Submission{ServiceID: "L-GEW0-0001", Answers: answers, Uploads: ups, Strict: true})
		if err != nil {
			t.Fatalf("business submits the Gewerbeanmeldung: %v", err)
		}
		if app.FormVersion != 1 || app.AccountKind != "business" {
			t.Errorf("app = %+v", app)
		}
		if _, err := w.s.Submit(ctx, w.citizen, w.tenant.ID, Submission{ServiceID: "L-GEW0-0001", Answers: answers}); !fault.HasCode(err, "service", "account_kind") {
			t.Errorf("a citizen submits the business form: %v", err)
		}
	})
}

func FuzzImportFIM(f *testing.F) {
	f.Add(DemoFIM())
	f.Add([]byte(`{"meta":{"fim_id":"S1"},"nodes":[{"path_id":"G1","id":"G1","kind":"group","label":"A","anzahl":"0:*"},{"path_id":"G1.F1","id":"F1","kind":"field","label":"Datum?","anzahl":"1:*","werte":[{"code":"1","name":"Ja"},{"code":"2","name":"Nein"}]}],"rule_edges":[{"parent":"G1.F1","child":"G1","operator":"=","values":["ja"],"actions":["required"]}]}`))
	f.Add([]byte(`{"nodes":[{"path_id":"A.B.C","kind":"field"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, _, err := ImportFIM(data)
		if err != nil {
			return
		}
		// Whatever comes in, what comes out is a valid definition that
		// survives its own JSON.
		if err := d.Check(); err != nil {
			t.Fatalf("imported definition fails its check: %v", err)
		}
		if _, err := ParseDefinition(d.Marshal()); err != nil {
			t.Fatalf("definition does not round-trip: %v", err)
		}
		_, _, _ = Validate(d, map[string]any{}, Check{Now: dbtest.Epoch})
		_ = fmt.Sprint(d.Lines(Answers{}, "de"))
	})
}
