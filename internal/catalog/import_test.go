package catalog

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rathaus/rathaus/internal/platform/datasets"
	"github.com/shopspring/decimal"
)

var update = flag.Bool("update", false, "regenerate derived files in data/")

func dataDir(t testing.TB) string {
	t.Helper()
	dir, err := datasets.Dir()
	if err != nil {
		if datasets.Required() {
			t.Fatalf("data sets: %v", err)
		}
		t.Skipf("data sets not available: %v", err)
	}
	return dir
}

// TestGenerateLeikaOZG keeps data/leika_ozg.csv (LeiKa key → OZG id for the
// keys of the demo services) in step with the LeiKa list; with -update it
// rewrites the file.
func TestGenerateLeikaOZG(t *testing.T) {
	dir := dataDir(t)
	f, err := os.Open(filepath.Join(dir, LeikaFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all := map[string]string{}
	err = readCSV(f, leikaHeader, func(rec []string, line int) error {
		if ValidLeikaKey(rec[0]) {
			all[rec[0]] = rec[6]
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	services, _, err := DemoCatalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, s := range services {
		for _, k := range s.LeikaKeys {
			if id, ok := ozgFor(k, all); ok {
				want[k] = id
			}
		}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(leikaOZGHeader)
	for _, k := range sortedKeys(want) {
		w.Write([]string{k, want[k]})
	}
	w.Flush()
	path := filepath.Join("data", "leika_ozg.csv")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(buf.String(), string(got)); diff != "" {
		t.Errorf("data/leika_ozg.csv is stale (run with -update) (-want +got):\n%s", diff)
	}
}

func TestDemoCatalog(t *testing.T) {
	services, rep, err := DemoCatalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rep.Munich.Services), 287; got != want {
		t.Errorf("Munich services = %d, want %d; skipped: %+v", got, want, rep.Munich.Skipped)
	}
	if len(rep.Munich.Skipped) != 0 {
		t.Errorf("skipped Munich entries: %+v", rep.Munich.Skipped)
	}
	if rep.Offices != 109 {
		t.Errorf("offices = %d, want 109", rep.Offices)
	}
	byExt := map[string]Service{}
	refs := map[string]bool{}
	withLS := 0
	for _, s := range services {
		byExt[s.ExternalID] = s
		if refs[s.ID] {
			t.Errorf("duplicate reference %s", s.ID)
		}
		refs[s.ID] = true
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", s.ExternalID, err)
		}
		if len(s.LifeSituations) > 0 {
			withLS++
		}
	}
	if withLS < 200 {
		t.Errorf("only %d of %d services have a life situation", withLS, len(services))
	}
	perso := byExt["1063441"]
	type view struct {
		Name      string
		Leika     []string
		Bookable  bool
		Minutes   int
		HasOffice bool
		Postcode  bool
		Fees      int
	}
	got := view{perso.Name, perso.LeikaKeys, perso.Bookable, perso.AppointmentMinutes, len(perso.Offices) > 0, len(perso.Offices) > 0 && perso.Offices[0].PostalCode != "", len(perso.Fees)}
	want := view{"Personalausweis", []string{"99008001000000"}, true, 15, true, true, 7}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Personalausweis (-want +got):\n%s", diff)
	}
	if strings.Contains(perso.Description, "<") || perso.Summary == "" {
		t.Errorf("description not plain or summary empty: %q / %q", perso.Description[:80], perso.Summary)
	}
	// the public flag is the booking flag, never a filter
	if s, ok := byExt["1063486"]; !ok || s.Bookable {
		t.Errorf("Wohnsitz abmelden: present=%v bookable=%v, want present and not bookable", ok, s.Bookable)
	}
	if s := byExt["1064076"]; len(s.LeikaKeys) != 4 {
		t.Errorf("comma-separated LeiKa list: %v", s.LeikaKeys)
	}
	// an ID card needs a visit; the residence registration can start online
	if perso.Availability.Online() || !byExt["1063475"].Availability.Online() {
		t.Errorf("availability: Personalausweis %s, Wohnsitzanmeldung %s", perso.Availability, byExt["1063475"].Availability)
	}
	dog := byExt["99102013000000"]
	if dog.Name == "" || !dog.Availability.Online() || dog.LeikaKeys[0] != "99102013000000" {
		t.Errorf("demo dog tax: %+v", dog)
	}
}

func TestLeikaImport(t *testing.T) {
	dir := dataDir(t)
	res, err := LoadLeika(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	noKey := 0
	for _, s := range res.Services {
		if len(s.LeikaKeys) == 0 {
			noKey++
		}
	}
	type counts struct{ Read, Imported, Skipped, NoKey int }
	got := counts{res.Read, len(res.Services), len(res.Skipped), noKey}
	want := counts{5251, 5248, 3, 435}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	for _, s := range res.Skipped {
		if !(strings.Contains(s.Reason, "neither 14 digits") && s.Line > 5000) && !(strings.Contains(s.Reason, "duplicate entry") && s.Line == 4548) {
			t.Errorf("unexpected skip %+v", s)
		}
	}
}

func TestImportErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		imp      Importer
		input    string
		wantLine int
		wantErr  error
		imported int
		skipped  []Skipped
	}{
		{
			name:    "munich broken JSON",
			imp:     &MunichImporter{},
			input:   "{\"services\":[\n{\"id\":\"1\",\"name\":\"A\"},\n{\"id\":\"2\",\"name\":\n]}",
			wantErr: ErrMalformed, wantLine: 4,
		},
		{
			name:    "munich no services array",
			imp:     &MunichImporter{},
			input:   `{"meta":{}}`,
			wantErr: ErrMalformed, wantLine: 1,
		},
		{
			name:     "munich invalid entries skipped",
			imp:      &MunichImporter{},
			input:    "{\"services\":[\n{\"id\":\"1\",\"name\":\"Ausweis\"},\n{\"id\":\"x\",\"name\":\"B\"},\n{\"id\":\"3\",\"name\":\"\"},\n{\"id\":\"4\",\"name\":\"C\",\"leika\":\"123\"},\n{\"id\":\"5\",\"name\":7},\n{\"id\":\"1\",\"name\":\"Ausweis\"}\n]}",
			imported: 1,
			skipped: []Skipped{
				{Line: 3, Element: "services[1] id=x", Reason: `id "x" is not numeric`},
				{Line: 4, Element: "services[2] id=3", Reason: "missing name"},
				{Line: 5, Element: "services[3] id=4", Reason: `LeiKa key "123" is not 14 digits`},
				{Line: 6, Element: "services[4]", Reason: "json: cannot unmarshal number into Go struct field munichService.name of type string"},
				{Line: 7, Element: "services[5] id=1", Reason: `duplicate entry (reference ` + Ref(SourceMunich, "1") + `, external id "1")`},
			},
		},
		{
			name:    "munich strict aborts on first",
			imp:     &MunichImporter{Strict: true},
			input:   "{\"services\":[\n{\"id\":\"1\",\"name\":\"A\"},\n{\"id\":\"x\",\"name\":\"B\"}\n]}",
			wantErr: ErrInvalid, wantLine: 3,
		},
		{
			name:    "leika bad quote",
			imp:     &LeikaImporter{},
			input:   strings.Join(leikaHeader, ",") + "\n99012001000000,\"Abbruch,4,,,,1,x,y,z\n",
			wantErr: ErrMalformed, wantLine: 2,
		},
		{
			name:    "leika wrong header",
			imp:     &LeikaImporter{},
			input:   "a,b,c,d,e,f,g,h,i,j\n",
			wantErr: ErrMalformed, wantLine: 1,
		},
		{
			name:    "leika wrong field count",
			imp:     &LeikaImporter{},
			input:   strings.Join(leikaHeader, ",") + "\n99012001000000,Abbruch\n",
			wantErr: ErrMalformed, wantLine: 2,
		},
		{
			name:     "leika no key and bad key",
			imp:      &LeikaImporter{},
			input:    strings.Join(leikaHeader, ",") + "\nnicht im LeiKa,Prüfung,1,,,,10478,Produkt,Anlagen,Umwelt\n123,Test,1,,,,1,x,y,z\n99012001000000,Abbruchgenehmigung,4,,,,10513,Abbruchgenehmigung,Bauen & Immobilien,Bauen & Wohnen\n99012001000000,Abbruchgenehmigung,4,,,,10513,Abbruchgenehmigung,Bauen & Immobilien,Bauen & Wohnen\n",
			imported: 2,
			skipped: []Skipped{
				{Line: 3, Element: "row 2", Reason: `LeiKa key "123" is neither 14 digits nor "nicht im LeiKa"`},
				{Line: 5, Element: "row 4 key=99012001000000", Reason: `duplicate entry (reference ` + Ref(SourceLeika, "99012001000000") + `, external id "99012001000000")`},
			},
		},
		{
			name:    "own format wrong format name",
			imp:     &JSONImporter{},
			input:   `{"format":"other","services":[]}`,
			wantErr: ErrMalformed, wantLine: 1,
		},
		{
			name:     "own format invalid entries",
			imp:      &JSONImporter{},
			input:    "{\"format\":\"rathaus-catalog\",\"version\":1,\"services\":[\n{\"name\":\"A\",\"external_id\":\"a\"},\n{\"name\":\"B\",\"online_availability\":\"telepathy\"},\n{\"name\":\"C\",\"fees\":[{\"kind\":\"fixed\",\"amount\":\"-3\"}]},\n{\"name\":\"D\",\"colour\":\"red\"}\n]}",
			imported: 1,
			skipped: []Skipped{
				{Line: 3, Element: "services[1]", Reason: `invalid service: unknown online availability "telepathy"`},
				{Line: 4, Element: "services[2]", Reason: "invalid service: fee 1: negative fee"},
				{Line: 5, Element: "services[3]", Reason: `json: unknown field "colour"`},
			},
		},
		{
			name:    "own format truncated",
			imp:     &JSONImporter{},
			input:   "{\"services\":[\n{\"name\":\"A\"}",
			wantErr: ErrMalformed, wantLine: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.imp.Import(ctx, strings.NewReader(tt.input))
			if tt.wantErr != nil {
				var ie *ImportError
				if !errors.Is(err, tt.wantErr) || !errors.As(err, &ie) {
					t.Fatalf("err = %v, want *ImportError wrapping %v", err, tt.wantErr)
				}
				if ie.Line != tt.wantLine {
					t.Errorf("line = %d, want %d (%v)", ie.Line, tt.wantLine, err)
				}
				if res != nil {
					t.Errorf("result on error: %+v", res)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Services) != tt.imported {
				t.Errorf("imported %d, want %d", len(res.Services), tt.imported)
			}
			if diff := cmp.Diff(tt.skipped, res.Skipped); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	services, _, err := DemoCatalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Export(&buf, services); err != nil {
		t.Fatal(err)
	}
	res, err := (&JSONImporter{Strict: true}).Import(ctx, bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(services, res.Services, cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	var again bytes.Buffer
	if err := Export(&again, res.Services); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("second export differs from the first")
	}
}

func dec(s string) *decimal.Decimal { d := decimal.RequireFromString(s); return &d }

func TestParseFees(t *testing.T) {
	tests := []struct {
		in   string
		want []Fee
	}{
		{"50 bis 60 Euro (abhängig von der Rechtsform)", []Fee{{Kind: FeeRange, Min: dec("50"), Max: dec("60"), Text: "50 bis 60 Euro (abhängig von der Rechtsform)"}}},
		{"- unter 24 Jahren: 27,60 Euro\n- über 24 Jahren: 46 Euro", []Fee{
			{Kind: FeeFixed, Label: "unter 24 Jahren", Amount: dec("27.60"), Text: "unter 24 Jahren: 27,60 Euro"},
			{Kind: FeeFixed, Label: "über 24 Jahren", Amount: dec("46"), Text: "über 24 Jahren: 46 Euro"},
		}},
		{"Ab 31,80 Euro", []Fee{{Kind: FeeRange, Min: dec("31.80"), Text: "Ab 31,80 Euro"}}},
		{"Erwachsene: bis 100 Euro", []Fee{{Kind: FeeRange, Label: "Erwachsene", Max: dec("100"), Text: "Erwachsene: bis 100 Euro"}}},
		{"gebührenfrei", []Fee{{Kind: FeeFree, Text: "gebührenfrei"}}},
		{"Genehmigung: 1.000 Euro", []Fee{{Kind: FeeFixed, Label: "Genehmigung", Amount: dec("1000"), Text: "Genehmigung: 1.000 Euro"}}},
		{"Siehe Übersicht \"Kostenersatz\"", []Fee{{Kind: FeeRule, Text: "Siehe Übersicht \"Kostenersatz\""}}},
		{"47 Euro (ab 24 Jahren) oder 27,60 Euro (bis 24 Jahre)", []Fee{{Kind: FeeRule, Text: "47 Euro (ab 24 Jahren) oder 27,60 Euro (bis 24 Jahre)"}}},
		{"zwischen 5,00 und 7,50 Euro je Plan", []Fee{{Kind: FeeRange, Min: dec("5.00"), Max: dec("7.50"), Text: "zwischen 5,00 und 7,50 Euro je Plan"}}},
		{"", nil},
	}
	for _, tt := range tests {
		got := parseFees(tt.in)
		if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })); diff != "" {
			t.Errorf("parseFees(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestHTML(t *testing.T) {
	tests := []struct {
		in, text, safe string
	}{
		{
			in:   `<p>Hallo&nbsp;<strong>Welt</strong></p><ul><li>eins</li><li>zwei</li></ul>`,
			text: "Hallo Welt\n\n- eins\n- zwei",
			safe: `<p>Hallo` + "\u00a0" + `<strong>Welt</strong></p><ul><li>eins</li><li>zwei</li></ul>`,
		},
		{
			in:   `<p onclick="x()">a<script>alert(1)</script><a href="javascript:alert(1)">b</a><a href="https://x.de/?a=1&amp;b=2" target="_blank">c</a>`,
			text: "abc",
			safe: `<p>ab<a href="https://x.de/?a=1&amp;b=2" rel="noreferrer">c</a></p>`,
		},
		{
			in:   `<strong>offen <a href="https://x.de">weiter`,
			text: "offen weiter",
			safe: `<strong>offen <a href="https://x.de" rel="noreferrer">weiter</a></strong>`,
		},
		{
			in:   `<img src=x onerror=alert(1)>1 < 2 &lt;b&gt;`,
			text: "1 < 2 <b>",
			safe: `1 &lt; 2 &lt;b&gt;`,
		},
	}
	for _, tt := range tests {
		if got := htmlToText(tt.in); got != tt.text {
			t.Errorf("htmlToText(%q) = %q, want %q", tt.in, got, tt.text)
		}
		if got := sanitizeHTML(tt.in); got != tt.safe {
			t.Errorf("sanitizeHTML(%q) = %q, want %q", tt.in, got, tt.safe)
		}
	}
}

func TestOfficesFor(t *testing.T) {
	s := Service{Offices: []Office{
		{ID: "a", Name: "A", PostalCode: "80331"},
		{ID: "b", Name: "B", PostalCode: "81371"},
		{ID: "c", Name: "C", PostalCode: "80999", PostalCodes: []string{"81373"}},
	}}
	ids := func(os []Office) []string {
		var out []string
		for _, o := range os {
			out = append(out, o.ID)
		}
		return out
	}
	for _, tt := range []struct {
		pc   string
		want []string
	}{
		{"81373", []string{"c", "b", "a"}},
		{"80333", []string{"a", "c", "b"}},
		{"", []string{"a", "b", "c"}},
	} {
		if diff := cmp.Diff(tt.want, ids(s.OfficesFor(tt.pc))); diff != "" {
			t.Errorf("OfficesFor(%q) (-want +got):\n%s", tt.pc, diff)
		}
	}
	_ = sort.Strings
}

func datasetsDir() (string, error) { return datasets.Dir() }
