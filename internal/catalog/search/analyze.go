package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	snowball "github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/german"
)

// The text analysis shared by the index and the query: tokens are lower
// case letters and digits; transliterated umlauts ("ae", "oe", "ue") are
// read as umlauts; the German Snowball stemmer reduces inflection; the
// stem is then folded to ASCII (ä→a, ß→ss), so "Führerschein",
// "Fuehrerschein" and "Fuhrerschein" meet in one term.

// maxTokenLen bounds single tokens (longer ones are cut): no German word
// needs more, and it caps the work per token.
const maxTokenLen = 40

// tokenize splits s into lower-case words of letters and digits. Any other
// character separates words, which neutralises markup and query syntax.
func tokenize(s string, limit int) []string {
	var out []string
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		w := strings.ToLower(s[start:end])
		if len(w) > maxTokenLen {
			cut := maxTokenLen
			for cut > 0 && !utf8.RuneStart(w[cut]) {
				cut--
			}
			w = w[:cut]
		}
		out = append(out, w)
		start = -1
	}
	for i, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
		if limit > 0 && len(out) >= limit {
			return out
		}
	}
	flush(len(s))
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

var foldReplacer = strings.NewReplacer(
	"ä", "a", "ö", "o", "ü", "u", "ß", "ss", "à", "a", "á", "a", "â", "a",
	"è", "e", "é", "e", "ê", "e", "ë", "e", "ì", "i", "í", "i", "î", "i", "ï", "i",
	"ò", "o", "ó", "o", "ô", "o", "ù", "u", "ú", "u", "û", "u", "ç", "c", "ñ", "n",
	"ş", "s", "ğ", "g", "ı", "i", "ł", "l", "ø", "o", "å", "a", "æ", "ae", "œ", "oe",
)

// fold maps a lower-case word to ASCII without umlauts and with
// transliterations undone: "fuehrerschein", "führerschein" → "fuhrerschein".
func fold(w string) string {
	plain := true
	for i := 0; i < len(w); i++ {
		if c := w[i]; c >= 0x80 || (c == 'e' && i > 0 && (w[i-1] == 'a' || w[i-1] == 'o' || w[i-1] == 'u')) {
			plain = false
			break
		}
	}
	if plain {
		return w
	}
	w = foldReplacer.Replace(w)
	if strings.Contains(w, "ae") || strings.Contains(w, "oe") || strings.Contains(w, "ue") {
		var b strings.Builder
		for i := 0; i < len(w); i++ {
			if i+1 < len(w) && w[i+1] == 'e' && (w[i] == 'a' || w[i] == 'o' || (w[i] == 'u' && (i == 0 || w[i-1] != 'q'))) {
				b.WriteByte(w[i])
				i++
				continue
			}
			b.WriteByte(w[i])
		}
		w = b.String()
	}
	return w
}

// stem reduces a lower-case word to its folded stem.
func stem(w string) string {
	if len(w) <= 3 || !isLetters(w) {
		return fold(w)
	}
	env := snowball.NewEnv(w)
	german.Stem(env)
	return fold(env.Current())
}

func isLetters(w string) bool {
	for _, r := range w {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// stopwords are left out of queries (they still count inside synonym
// phrases): German and English function words and the fillers citizens put
// around what they want ("ich möchte … beantragen, wie geht das").
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		der die das den dem des ein eine einen einem einer eines kein keine keinen diese dieser dieses diesem diesen jene jener jenes nen ne
		und oder aber sondern denn weil dass ob wenn als wie wo was wer wen wem wann warum wieso weshalb womit wofur wohin woher
		ich du er sie es wir ihr mich mir dich dir uns euch sich man jemand
		mein meine meinen meinem meiner meines dein deine unser unsere unseren ihre ihren ihrem sein seine seinen seinem
		ist sind war waren bin bist sein habe hab hast hat haben hatte hatten wird werden wurde wurden worden
		kann kannst konnen konnte muss musst mussen soll sollte sollen darf durfen will willst wollen mochte mochten mocht brauche brauchen brauch
		bitte hallo guten tag danke gerne moin servus hi hey
		in im an am auf aus bei beim mit nach von vom zu zum zur fur uber unter vor hinter neben zwischen durch gegen ohne um bis seit
		gerade grade immer wieder erst gestern vorhin sofort vielleicht wirklich ganz total ziemlich echt irgendwann irgendwo irgendwas etwas alles alle viel viele wenig mehr weniger sonst trotzdem also nochmal extra
		her hin drin dran drauf rein raus rum hinein heraus dabei dafur damit darum davon dazu dahin daher
		nicht auch noch schon nur sehr mal so da hier dort jetzt dann gleich etwa eigentlich irgendwie genau bereits nun jetzt bald endlich leider einfach halt eben denn doch ja nein ok okay
		wo was tun machen mache macht erledigen kriegen bekomme bekommen krieg gibt geht gehen bekommt
		the a an to of for in on at by with from my me i we you your our is are was be been do does did how what where when who which can could should would need want get have has please
		and or not this that it its about some any
		m re s t ve ll d im ive dont doesnt didnt isnt wasnt arent cant wont don doesn didn isn wasn aren
		select drop table union insert into values delete truncate exec execute declare null sleep waitfor
		script alert javascript onerror onload iframe src href eval cookie near
	`) {
		m[w] = true
	}
	return m
}()

// stripMarkup keeps the text between tags: markup in a query is not a
// question ("<b>Hund</b>" asks for "Hund").
func stripMarkup(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '<':
			depth++
			b.WriteByte(' ')
		case r == '>' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}
