package search

import (
	"strings"
)

// phraseTable holds only what no general language resource can know: the
// names of local offices and the abbreviations and new names of
// administrative matters. Everything else — synonyms, inflection, word
// families, compounds, English — comes from the language resources
// (lang.go), and what staff add for their city comes through New.
//
// Each line: "phrase, phrase, … => target; target; …". Matching is on
// stems. A line starting with "!" applies only when the phrase is all the
// query says ("Anmeldung" alone means the residence registration).
const phraseTable = `
# Offices: who names one wants one of its services
bürgerbüro, bürgeramt, bürgerservice, einwohnermeldeamt, meldeamt, meldebehörde, kvr, kreisverwaltungsreferat => Wohnsitzanmeldung; Personalausweis; Reisepass; Meldebescheinigung
zulassungsstelle, kfz stelle, kfz zulassungsstelle, straßenverkehrsamt => Fahrzeug Zulassung; Kennzeichen
führerscheinstelle, fahrerlaubnisbehörde => Führerschein; Fahrerlaubnis
standesamt => Eheschließung; Urkunde; Geburt
ausländerbehörde, abh => Aufenthaltserlaubnis; Aufenthaltstitel
jobcenter => Arbeitslosengeld II
# The residence registration as newcomers call it
!anmeldung, the anmeldung => Wohnsitzanmeldung
!abmeldung => Wohnsitz abmelden
# Abbreviations and new names the dictionaries do not have
wbs => Wohnberechtigungsschein
bafög, bafoeg => Ausbildungsförderung
alg 2, alg ii, hartz 4, hartz iv, hartz, bürgergeld => Arbeitslosengeld II
eat, elektronischer aufenthaltstitel => elektronischer Aufenthaltstitel
blue card, blaue karte => Blaue Karte EU; Aufenthaltserlaubnis Fachkräfte
gez => Rundfunkbeitrag
h kennzeichen => Historisches Kennzeichen
e kennzeichen => Elektrofahrzeug Kennzeichen
mpu => Begutachtung der Fahreignung
p schein => Personenbeförderungsschein
gdb => Grad der Behinderung Schwerbehindertenausweis
evb => Kfz-Versicherung
u3, krippe => Kindertagesstätte
`

// phraseIndex maps the first stem of a phrase to the phrases starting
// with it.
type phraseIndex struct {
	byFirst map[string][]phrase
}

type phrase struct {
	stems   []string
	targets []string
	alone   bool
}

// buildPhrases compiles the built-in table and extra lines.
func buildPhrases(extra []string) *phraseIndex {
	idx := &phraseIndex{byFirst: map[string][]phrase{}}
	for _, line := range append(strings.Split(phraseTable, "\n"), extra...) {
		idx.add(line)
	}
	return idx
}

// PhraseLines counts the lines of the built-in phrase table.
func PhraseLines() int {
	n := 0
	for _, line := range strings.Split(phraseTable, "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			n++
		}
	}
	return n
}

func (x *phraseIndex) add(line string) {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return
	}
	alone := strings.HasPrefix(line, "!")
	lhs, rhs, ok := strings.Cut(strings.TrimPrefix(line, "!"), "=>")
	if !ok {
		return
	}
	var targets []string
	for _, t := range strings.Split(rhs, ";") {
		if t = strings.TrimSpace(t); t != "" {
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		return
	}
	for _, p := range strings.Split(lhs, ",") {
		var stems []string
		words := tokenize(p, 8)
		for _, w := range words {
			if !stopwords[fold(w)] {
				stems = append(stems, stem(w))
			}
		}
		if len(stems) == 0 {
			continue
		}
		x.byFirst[stems[0]] = append(x.byFirst[stems[0]], phrase{stems: stems, targets: targets, alone: alone})
	}
}

// match returns the longest phrase starting at word i and its length;
// strong is the number of meaningful words in the query (phrases marked
// alone need to cover all of them).
func (x *phraseIndex) match(stems []string, i, strong int) (phrase, int) {
	var best phrase
	n := 0
	for _, p := range x.byFirst[stems[i]] {
		if len(p.stems) <= n || i+len(p.stems) > len(stems) || (p.alone && len(p.stems) < strong) {
			continue
		}
		ok := true
		for j, s := range p.stems {
			if stems[i+j] != s {
				ok = false
				break
			}
		}
		if ok {
			best, n = p, len(p.stems)
		}
	}
	return best, n
}
