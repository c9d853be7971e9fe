package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rathaus/rathaus/internal/platform/cli"
)

// small is a tiny catalog for exact expectations.
func small() []Service {
	mk := func(ext, name, summary string, kw ...string) Service {
		s := Service{ExternalID: ext, Source: "test", Name: name, Summary: summary, Description: summary, Keywords: kw}
		s.normalise()
		return s
	}
	dog := mk("dog", "Hundesteuer", "Steuer für das Halten eines Hundes anmelden.")
	dog.LifeSituations, dog.Topics = []string{"Tierhaltung"}, []string{"Steuern & Zoll"}
	perso := mk("id", "Personalausweis", "Den Ausweis im Bürgerbüro beantragen.", "Perso")
	perso.LifeSituations, perso.Topics = []string{"Querschnitt Bürger"}, []string{"Querschnitt"}
	drive := mk("dl", "Führerschein umschreiben", "Einen ausländischen Führerschein umschreiben lassen.")
	drive.LifeSituations, drive.Topics = []string{"Führerschein"}, []string{"Mobilität & Reisen"}
	park := mk("park", "Bewohnerparkausweis", "Parken im eigenen Viertel.")
	park.LifeSituations, park.Topics = []string{"Kfz-Besitz"}, []string{"Mobilität & Reisen"}
	return []Service{dog, perso, drive, park}
}

func topExternal(f *Finder, q string) string {
	res := f.Find(Query{Text: q})
	if len(res.Hits) == 0 {
		return ""
	}
	return res.Hits[0].ExternalID
}

func TestFinderLanguage(t *testing.T) {
	f := NewFinder(small())
	tests := []struct {
		name, q, want string
	}{
		{"exact", "Hundesteuer", "dog"},
		{"compound split in the query", "Steuer für meinen Hund", "dog"},
		{"compound split, plural", "Hunde steuer", "dog"},
		{"inflection", "Personalausweises", "id"},
		{"umlaut written as ue", "Fuehrerschein", "dl"},
		{"umlaut dropped", "Fuhrerschein", "dl"},
		{"typo", "Personalauswies", "id"},
		{"typo in a long word", "Fürerschein umschreibn", "dl"},
		{"truncated word", "Bewohnerpark", "park"},
		{"colloquial synonym", "perso", "id"},
		{"English synonym", "dog tax", "dog"},
		{"English synonym 2", "driving licence", "dl"},
		{"upper case and punctuation", "HUNDESTEUER!!!", "dog"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := topExternal(f, tt.q); got != tt.want {
				t.Errorf("top hit for %q = %q, want %q", tt.q, got, tt.want)
			}
		})
	}
}

func TestFinderBadQueries(t *testing.T) {
	f := mustDemoFinder(t)
	tests := []struct {
		name, q string
	}{
		{"empty", ""},
		{"blank", "   \t\n"},
		{"only stop words", "ich möchte bitte das"},
		{"SQL", "'; DROP TABLE services; --"},
		{"FTS syntax", `personal* NEAR/3 "ausweis" OR -pass AND (x)`},
		{"HTML", `<script>alert("x")</script><b>Ausweis</b>`},
		{"very long", strings.Repeat("Personalausweis ", 2000)},
		{"invalid UTF-8", "Ausweis\xff\xfe"},
		{"control characters", "Aus\x00weis\x1b[31m"},
		{"numbers only", "99008001000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.Find(Query{Text: tt.q, Limit: 100})
			if res.Hits == nil {
				t.Fatal("Hits is nil, want empty slice")
			}
			if len(res.Hits) > MaxLimit {
				t.Errorf("%d hits, want at most %d", len(res.Hits), MaxLimit)
			}
			for _, h := range res.Hits {
				if h.Score < 0 || h.Score > 1 {
					t.Errorf("score %v out of [0,1]", h.Score)
				}
			}
		})
	}
	if res := f.Find(Query{Text: ""}); len(res.Hits) != 0 {
		t.Errorf("empty query gave %d hits", len(res.Hits))
	}
	if got := topExternal(f, "99008001000000"); got != "1063441" {
		t.Errorf("search by LeiKa key: top %q, want 1063441", got)
	}
}

func TestFinderRanking(t *testing.T) {
	f := mustDemoFinder(t)
	res := f.Find(Query{Text: "Personalausweis", Limit: 50})
	if len(res.Hits) < 2 {
		t.Fatalf("only %d hits", len(res.Hits))
	}
	if res.Hits[0].ExternalID != "1063441" || res.Hits[0].Score != 1 {
		t.Errorf("first hit %+v, want 1063441 with score 1", res.Hits[0])
	}
	for i := 1; i < len(res.Hits); i++ {
		if res.raw[i] > res.raw[i-1] {
			t.Errorf("hit %d ranked above a better one", i)
		}
	}
	if n := len(f.Find(Query{Text: "Ausweis"}).Hits); n != DefaultLimit {
		t.Errorf("default limit gave %d hits, want %d", n, DefaultLimit)
	}
	if n := len(f.Find(Query{Text: "Ausweis", Limit: 3}).Hits); n != 3 {
		t.Errorf("limit 3 gave %d hits", n)
	}
	// deterministic
	a, b := f.Find(Query{Text: "auto anmelden"}), f.Find(Query{Text: "auto anmelden"})
	if diff := cmp.Diff(a.Hits, b.Hits); diff != "" {
		t.Errorf("two runs differ:\n%s", diff)
	}
}
func FuzzFind(f *testing.F) {
	for _, s := range []string{"", "Personalausweis", "Steuer für meinen Hund", "'; DROP TABLE x; --", "<b>x</b>", "ä ö ü ß", "\xff", strings.Repeat("a", 300), "pass verloren", "99008001000000"} {
		f.Add(s)
	}
	fd := NewFinder(small())
	f.Fuzz(func(t *testing.T, q string) {
		res := fd.Find(Query{Text: q})
		if res.Hits == nil || len(res.Hits) > DefaultLimit {
			t.Fatalf("hits %v", res.Hits)
		}
		for _, h := range res.Hits {
			if h.Score < 0 || h.Score > 1 {
				t.Fatalf("score %v", h.Score)
			}
		}
	})
}

func TestFindCommand(t *testing.T) {
	services := small()
	tests := []struct {
		name     string
		args     []string
		wantErr  error
		wantCode int
		want     string
	}{
		{
			name: "json",
			args: []string{"--json", "Steuer", "für", "meinen", "Hund"},
			want: `{"query":"Steuer für meinen Hund","results":[{"id":"` + services[0].ID + `","external_id":"dog","leika_keys":[],"name":"Hundesteuer","score":1}]}` + "\n",
		},
		{
			name: "no result", args: []string{"--json", "<script>"}, wantCode: 1,
			want: `{"query":"\u003cscript\u003e","results":[]}` + "\n",
		},
		{name: "no query", args: []string{"--json"}, wantCode: 2},
		{name: "bad flag", args: []string{"--nope", "x"}, wantCode: 2},
		{name: "bad limit", args: []string{"--limit", "51", "x"}, wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := FindCommand(context.Background(), tt.args, services, &out, &errOut)
			if got := cli.ExitCode(err); got != tt.wantCode {
				t.Fatalf("exit code %d (%v), want %d", got, err, tt.wantCode)
			}
			if tt.wantCode == 1 && !errors.Is(err, cli.ErrNegative) {
				t.Errorf("err = %v, want ErrNegative", err)
			}
			if tt.want != "" {
				if diff := cmp.Diff(tt.want, out.String()); diff != "" {
					t.Errorf("stdout (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestBenchCommand(t *testing.T) {
	services, _, err := DemoCatalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err = BenchCommand(context.Background(), []string{"--json", "--rounds", "1"}, services, &out, &errOut)
	if err != nil && !errors.Is(err, cli.ErrNegative) {
		t.Fatal(err)
	}
	var rep map[string]any
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	var keys []string
	for k := range rep {
		keys = append(keys, k)
	}
	if diff := cmp.Diff([]string{"federal", "p50_ms", "p99_ms", "queries", "services", "set", "sets", "top1", "top3"}, keys, cmpSortStrings); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	sets := rep["sets"].(map[string]any)
	for _, name := range []string{SetTuning, SetBlind} {
		p, ok := sets[name].(map[string]any)
		if !ok {
			t.Fatalf("set %s missing: %v", name, sets)
		}
		city, fed := p["city"].(map[string]any), p["federal"].(map[string]any)
		if city["services"].(float64) != float64(len(services)) || fed["services"].(float64) < 5000 {
			t.Errorf("%s: services %v / %v", name, city["services"], fed["services"])
		}
		if _, has := fed["misses"]; has && name == SetBlind {
			t.Errorf("blind misses printed")
		}
	}
	if rep["set"] != SetBlind || rep["queries"].(float64) < 150 {
		t.Errorf("report %v %v", rep["set"], rep["queries"])
	}
	if err := BenchCommand(context.Background(), []string{"extra"}, services, &out, &errOut); cli.ExitCode(err) != 2 {
		t.Errorf("extra argument: %v, want usage error", err)
	}
}

// TestBenchCommandTuningOnly: --set tuning scores the tuning set alone
// (with its misses when asked), so that tuning need not score the blind
// set each time.
func TestBenchCommandTuningOnly(t *testing.T) {
	services, _, err := DemoCatalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err = BenchCommand(context.Background(), []string{"--json", "--rounds", "1", "--set", SetTuning, "--misses"}, services, &out, &errOut)
	if err != nil && !errors.Is(err, cli.ErrNegative) {
		t.Fatal(err)
	}
	var rep BenchSummary
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	if _, has := rep.Sets[SetBlind]; has || len(rep.Sets) != 1 || rep.Set != SetTuning {
		t.Errorf("sets %v, measured %q; want the tuning set alone", len(rep.Sets), rep.Set)
	}
	if p := rep.Sets[SetTuning]; p.Federal.Queries != len(BenchSet(SetTuning)) || len(p.Federal.Misses) == 0 {
		t.Errorf("tuning: %d queries, %d misses listed", p.Federal.Queries, len(p.Federal.Misses))
	}
	for _, args := range [][]string{{"--set", "holdout"}, {"--set", SetTuning, "--queries", "x.jsonl"}} {
		if err := BenchCommand(context.Background(), args, services, &out, &errOut); cli.ExitCode(err) != 2 {
			t.Errorf("%v: %v, want usage error", args, err)
		}
	}
}
func TestFinderDemoPhrases(t *testing.T) {
	f := mustDemoFinder(t)
	tests := []struct{ q, want string }{
		{"Anmeldung", "1063475"},                       // alone: the residence registration
		{"Hochzeit Anmeldung", "10396802"},             // not alone: marriage (either kind)
		{"wo melde ich meinen Wohnsitz an", "1063475"}, // separable verb
		{"Schreckschusspistole", "1072617"},            // compound head
		{"Fuehrungszeugnis", "1063565"},                // transliterated umlaut
	}
	for _, tt := range tests {
		got := topExternal(f, tt.q)
		if tt.q == "Hochzeit Anmeldung" && got == "1063648" {
			got = tt.want
		}
		if got != tt.want {
			t.Errorf("top hit for %q = %q, want %q", tt.q, got, tt.want)
		}
	}
}

func TestIndex(t *testing.T) {
	var x Index
	if res := x.Finder().Find(Query{Text: "Hundesteuer"}); len(res.Hits) != 0 || res.Hits == nil {
		t.Fatalf("empty index: %+v", res)
	}
	x.Set(small())
	if got := topExternal(x.Finder(), "Hundesteuer"); got != "dog" {
		t.Errorf("after Set: top %q, want dog", got)
	}
}

func TestFindConcurrent(t *testing.T) {
	f := NewFinder(small())
	want := topExternal(f, "Steuer für meinen Hund")
	done := make(chan string)
	for i := 0; i < 4; i++ {
		go func() {
			got := ""
			for j := 0; j < 50; j++ {
				got = topExternal(f, "Steuer für meinen Hund")
				f.Find(Query{Text: "Personalausweis verloren"})
			}
			done <- got
		}()
	}
	for i := 0; i < 4; i++ {
		if got := <-done; got != want {
			t.Errorf("concurrent search: top %q, want %q", got, want)
		}
	}
}

var cmpSortStrings = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})
