package search

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func docs() []Document {
	return []Document{
		{Name: "Hundesteuer", Summary: "Steuer für Ihren Hund anmelden.", Group: "99102013"},
		{Name: "Wohnsitzanmeldung", Description: "Nach dem Umzug melden Sie Ihre neue Wohnung an.", Group: "99115005"},
		{Name: "Sperrmüll Entsorgung", Reference: true, Group: "99001009"},
		{Name: "Verlust oder Diebstahl Personalausweis", Group: "99008001"},
		{Name: "Personalausweis", Group: "99008001"},
		{Name: "Hundesteuer Festsetzung", Reference: true, Group: "99102013"},
		{Name: "Führerschein Ersatz", Reference: true, Group: "99023001"},
	}
}

func top(ix *Index, q string) string {
	res := ix.Search(Query{Text: q})
	if len(res.Hits) == 0 {
		return ""
	}
	return ix.docs[res.Hits[0].Doc].Name
}

func TestSearchReadsGerman(t *testing.T) {
	ix := New(docs(), nil)
	for q, want := range map[string]string{
		"Steuer für meinen Hund":        "Hundesteuer",                            // compound parts
		"ich bin umgezogen":             "Wohnsitzanmeldung",                      // participle → infinitive → Umzug (ablaut)
		"wo melde ich meine Wohnung an": "Wohnsitzanmeldung",                      // separable verb
		"Sperrmüllabholung":             "Sperrmüll Entsorgung",                   // compound of known parts
		"Geldbörse geklaut":             "Verlust oder Diebstahl Personalausweis", // klauen → stehlen → Diebstahl
		"Lappen":                        "Führerschein Ersatz",                    // thesaurus: Lappen (ugs.) = Führerschein
		"bulky waste":                   "Sperrmüll Entsorgung",                   // English two-word term
		"Fuehrerschein":                 "Führerschein Ersatz",                    // transliterated umlaut
		"persnalausweis":                "Personalausweis",                        // typo
	} {
		if got := top(ix, q); got != want {
			t.Errorf("top for %q = %q, want %q\n%s", q, got, want, strings.Join(ix.Explain(q), "\n"))
		}
	}
}

func TestOwnBeforeReferenceOfTheSameMatter(t *testing.T) {
	ix := New(docs(), nil)
	res := ix.Search(Query{Text: "Hundesteuer Festsetzung"})
	if len(res.Hits) < 2 || ix.docs[res.Hits[0].Doc].Reference {
		t.Errorf("the city's own service is not first: %+v", res.Hits)
	}
}

func TestSuggestion(t *testing.T) {
	ix := New(docs(), nil)
	if got := ix.Search(Query{Text: "persnalausweis"}).Suggestion; got != "personalausweis" {
		t.Errorf("suggestion %q", got)
	}
	if got := ix.Search(Query{Text: "Personalausweis"}).Suggestion; got != "" {
		t.Errorf("suggestion for a correct word: %q", got)
	}
}

func TestExtraPhrases(t *testing.T) {
	ix := New(docs(), []string{"zamperl => Hundesteuer"})
	if got := top(ix, "Zamperl"); got != "Hundesteuer" {
		t.Errorf("staff phrase: top %q", got)
	}
	if PhraseLines() > 40 {
		t.Errorf("%d phrase lines: the table is for office names and abbreviations only", PhraseLines())
	}
}

func TestDecompose(t *testing.T) {
	ix := New(nil, nil)
	l := lang()
	for in, want := range map[string][]string{
		"hundesteuer":         {"hunde", "steuer"},
		"bewohnerparkausweis": {"bewohner", "park", "ausweis"},
		"personalausweis":     {"personal", "ausweis"},
		"ausweis":             nil,
	} {
		var folded []string
		for _, w := range want {
			folded = append(folded, fold(w))
		}
		if diff := cmp.Diff(folded, ix.decompose(l, fold(in))); diff != "" {
			t.Errorf("decompose(%q) (-want +got):\n%s", in, diff)
		}
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{"führerschein": "fuhrerschein", "fuehrerschein": "fuhrerschein", "straße": "strasse", "café": "cafe", "plain": "plain"} {
		if got := fold(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b        string
		limit, want int
	}{{"ausweis", "ausweis", 2, 0}, {"ausweis", "auswies", 2, 1}, {"ausweis", "ausweiss", 2, 1}, {"ausweis", "aweis", 2, 2}, {"ausweis", "pass", 2, 3}} {
		if got := editDistance(tt.a, tt.b, tt.limit); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestJoinSeparable(t *testing.T) {
	l := lang()
	for in, want := range map[string]string{
		"wo melde ich meinen wohnsitz an": "wo anmelden ich meinen wohnsitz",
		"ich ziehe nächste woche um":      "ich umziehen nächste woche",
		"ich melde mein auto ab":          "ich abmelden mein auto",
		"ausweis verloren":                "ausweis verloren",
		"an":                              "an",
	} {
		if got := strings.Join(joinSeparable(l, tokenize(in, 0)), " "); got != want {
			t.Errorf("joinSeparable(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTranslateVariants: English words the dictionary lists under another
// inflection or spelling are still translated; German words are not varied.
func TestTranslateVariants(t *testing.T) {
	l := lang()
	for en, want := range map[string]string{
		"criminal record": "strafregister", // listed as "criminal records"
		"driving license": "führerschein",  // listed as "driving licence"
		"licenses":        "",              // checked below: some translation
	} {
		got := l.translate(en)
		if want != "" && !contains(got, want) {
			t.Errorf("translate(%q) = %v, want %q among them", en, got, want)
		}
		if len(got) == 0 {
			t.Errorf("translate(%q) is empty", en)
		}
	}
	if got := englishVariants("moving"); !contains(got, "move") {
		t.Errorf("englishVariants(moving) = %v, want move among them", got)
	}
	if got, exact := l.translate("rente"), l.translate1("rente"); len(got) != len(exact) {
		t.Errorf("translate(rente) = %v: a German word must not be varied", got)
	}
}

// TestBadQueries: nothing a citizen can type breaks the search.
func TestBadQueries(t *testing.T) {
	ix := New(docs(), nil)
	for _, q := range []string{"", "   ", strings.Repeat("Hund ", 5000), strings.Repeat("ä", 10000), "'; DROP TABLE services; --", "<script>alert(1)</script>Hund",
		"Hund\x00steuer", "\xff\xfe", "Собака налог Hund", "犬の税金", "🐕 Steuer", "AND OR NOT * ? ~ ^ \" ( )", strings.Repeat("x", MaxQueryBytes+7)} {
		res := ix.Search(Query{Text: q, Limit: 1000})
		if res.Hits == nil || res.LifeSituations == nil || res.Topics == nil || len(res.Hits) > MaxLimit {
			t.Errorf("%.30q: %+v", q, res)
		}
	}
	if got := top(ix, "<b>Hundesteuer</b>"); got != "Hundesteuer" {
		t.Errorf("markup: %q", got)
	}
}

func FuzzSearch(f *testing.F) {
	for _, s := range []string{"", "Personalausweis", "Steuer für meinen Hund", "'; DROP TABLE x; --", "<b>x</b>", "ä ö ü ß", "\xff", strings.Repeat("a", 300), "bulky waste", "wo melde ich mich an", "99008001000000"} {
		f.Add(s)
	}
	ix := New(docs(), []string{"abc => Hundesteuer"})
	f.Fuzz(func(t *testing.T, q string) {
		res := ix.Search(Query{Text: q})
		if res.Hits == nil || len(res.Hits) > DefaultLimit {
			t.Fatalf("hits %v", res.Hits)
		}
		for _, h := range res.Hits {
			if h.Score < 0 || h.Score > 1 || h.Doc < 0 || h.Doc >= ix.Len() {
				t.Fatalf("hit %+v", h)
			}
		}
		if utf8.ValidString(q) && !utf8.ValidString(res.Suggestion) {
			t.Fatalf("suggestion %q", res.Suggestion)
		}
		for _, w := range tokenize(cutQuery(q), maxQueryWords) {
			if len(w) > maxTokenLen {
				t.Fatalf("token %q", w)
			}
		}
	})
}

// FuzzPhraseLine: staff phrase lines of any shape build an index.
func FuzzPhraseLine(f *testing.F) {
	for _, s := range []string{"a => b", "!x, y => z; w", "=>", "", "no arrow", strings.Repeat("a, ", 100) + "=> b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		ix := New(docs()[:2], []string{line})
		ix.Search(Query{Text: line})
	})
}

// TestSearchReadsWithTheNewResources covers one reading per language
// resource added in the second round; each case fails without its
// resource (checked by removing it).
func TestSearchReadsWithTheNewResources(t *testing.T) {
	ix := New([]Document{
		{Name: "Gaststättengewerbe Erlaubnis", Reference: true},
		{Name: "Gedenkstätten für Gäste"},
		{Name: "Hundesteuer", Description: "Die Steuer zahlt, wer einen Hund hält."},
		{Name: "Zweitwohnungsteuer"},
		{Name: "Abriss eines Gebäudes anzeigen"},
		{Name: "Gartenabfall"},
		{Name: "Wohnsitz abmelden", Description: "Wer ins Ausland zieht, meldet sich ab."},
		{Name: "Tagespflege für Kinder"},
		{Name: "Kindergeld"},
		{Name: "Art und Gattung von Tieren", Reference: true},
	}, nil)
	for q, want := range map[string]string{
		"Gaststätte":             "Gaststättengewerbe Erlaubnis",   // a shorter compound inside a document's compound
		"wir haben einen Welpen": "Hundesteuer",                    // Ding: "Welpe (junger Hund)"
		"Gartenhaus abreißen":    "Abriss eines Gebäudes anzeigen", // OpenThesaurus: Gartenhaus ⊂ Gebäude
		"deregister":             "Wohnsitz abmelden",              // Ding: "sich abmelden" :: to deregister
		"daycare":                "Tagespflege für Kinder",         // "day care", written as one word
		"Geld für mein Kind":     "Kindergeld",                     // German "Kind", not English "kind" (Art)
	} {
		if got := top(ix, q); got != want {
			t.Errorf("top for %q = %q, want %q\n%s", q, got, want, strings.Join(ix.Explain(q), "\n"))
		}
	}
}

// TestGermanWordsAreReadAsGerman: a word of both languages is English
// only in an English question.
func TestGermanWordsAreReadAsGerman(t *testing.T) {
	ix := New([]Document{{Name: "Kindergeld"}, {Name: "Art und Gattung von Tieren"}}, nil)
	for q, want := range map[string]string{
		"Kind":                "Kindergeld",
		"Geld für mein Kind":  "Kindergeld",
		"what kind of animal": "Art und Gattung von Tieren",
	} {
		if got := top(ix, q); got != want {
			t.Errorf("top for %q = %q, want %q\n%s", q, got, want, strings.Join(ix.Explain(q), "\n"))
		}
	}
}

// TestContractionsSayNothing: the pieces of "I'm", "we're", "don't" are
// not words of a question.
func TestContractionsSayNothing(t *testing.T) {
	ix := New([]Document{{Name: "M-Ticket"}, {Name: "Re-Zertifizierung"}, {Name: "Wohnsitzanmeldung"}}, nil)
	for _, q := range []string{"I'm", "we're", "don't", "I've", "we'll"} {
		if res := ix.Search(Query{Text: q}); len(res.Hits) != 0 {
			t.Errorf("%q found %d documents: %v", q, len(res.Hits), ix.Explain(q))
		}
	}
}
