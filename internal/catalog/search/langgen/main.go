// Command langgen turns the German language resources Debian ships into the
// compact files the finder embeds (internal/catalog/search/data):
//
//   - words.txt.gz — the base forms of the de_DE Hunspell dictionary
//     (Debian hunspell-de-de, igerman98, GPL-2+), for compound splitting;
//   - thesaurus.txt.gz — the synonym sets of OpenThesaurus (Debian
//     openthesaurus-de-text, LGPL-2.1+), annotations removed, terms of at
//     most three words;
//   - hypernyms.txt.gz — the broader words OpenThesaurus gives a meaning
//     ("Gartenhaus" → Gebäude, Bau), from its LibreOffice form (Debian
//     mythes-de, the same OpenThesaurus, LGPL-2.1+);
//   - verbs.txt.gz — inflected verb forms and their infinitive ("gezogen",
//     "zog", "meldet an"), english.txt.gz — English words and two-word
//     phrases with up to ten German translations (plain words before
//     compounds), and dingsets.txt.gz — German synonym sets: the head
//     words of one entry ("aufmachen; öffnen") and a noun with the noun
//     that explains it ("Welpe (junger Hund)"); all from the Ding
//     dictionary (Debian trans-de-en, GPL-2+);
//   - derivations.txt — the ablaut nouns of strong verbs (this folder's
//     derivations.txt, copied).
//
// Run it after installing the four packages:
//
//	apt-get install openthesaurus-de-text mythes-de hunspell-de-de trans-de-en
//	go run ./internal/catalog/search/langgen
//
// The output is deterministic (sorted, gzip without name or time), so a
// re-run on the same package versions changes nothing.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

func main() {
	dic := flag.String("hunspell", "/usr/share/hunspell/de_DE.dic", "Hunspell dictionary (de_DE)")
	thes := flag.String("thesaurus", "/usr/share/openthesaurus-de/openthesaurus.txt", "OpenThesaurus text export")
	mythesPath := flag.String("mythes", "/usr/share/mythes/th_de_DE_v2.dat", "OpenThesaurus for LibreOffice (MyThes), with hypernyms")
	dingPath := flag.String("ding", "/usr/share/trans/de-en", "Ding German–English dictionary")
	out := flag.String("out", "internal/catalog/search/data", "output directory")
	flag.IntVar(&maxTranslations, "translations", maxTranslations, "German words kept per English term")
	flag.Parse()
	steps := []struct {
		name string
		fn   func() ([]byte, error)
	}{
		{"words.txt.gz", func() ([]byte, error) { return words(*dic) }},
		{"thesaurus.txt.gz", func() ([]byte, error) { return thesaurus(*thes) }},
		{"verbs.txt.gz", func() ([]byte, error) { v, _, err := ding(*dingPath); return v, err }},
		{"english.txt.gz", func() ([]byte, error) { _, e, err := ding(*dingPath); return e, err }},
		{"dingsets.txt.gz", func() ([]byte, error) { _, _, err := ding(*dingPath); return dingOnce.sets, err }},
		{"hypernyms.txt.gz", func() ([]byte, error) { return hypernyms(*mythesPath) }},
	}
	for _, s := range steps {
		data, err := s.fn()
		if err != nil {
			fmt.Fprintln(os.Stderr, "langgen:", err)
			os.Exit(1)
		}
		gz, err := compress(data)
		if err != nil {
			fmt.Fprintln(os.Stderr, "langgen:", err)
			os.Exit(1)
		}
		if err := os.WriteFile(filepath.Join(*out, s.name), gz, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "langgen:", err)
			os.Exit(1)
		}
		fmt.Printf("%s: %d bytes (%d uncompressed)\n", s.name, len(gz), len(data))
	}
	der, err := os.ReadFile(filepath.Join(filepath.Dir(*out), "langgen", "derivations.txt"))
	if err == nil {
		err = os.WriteFile(filepath.Join(*out, "derivations.txt"), der, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "langgen:", err)
		os.Exit(1)
	}
}

func compress(data []byte) ([]byte, error) {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func isWord(w string) bool {
	if w == "" {
		return false
	}
	for _, r := range w {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

func lines(path string, each func(string)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		each(sc.Text())
	}
	return sc.Err()
}

func sortedLines(set map[string]bool) []byte {
	out := make([]string, 0, len(set))
	for l := range set {
		out = append(out, l)
	}
	sort.Strings(out)
	return []byte(strings.Join(out, "\n") + "\n")
}

// ungRule is one line of the dictionary's "SFX J" class: the -ung nouns
// of verbs (anmelden → Anmeldung), which are derived, not listed.
type ungRule struct {
	strip, add string
	cond       *regexp.Regexp
}

// ungRules reads the SFX J lines (singular forms) of the affix file.
func ungRules(aff string) ([]ungRule, error) {
	var out []ungRule
	err := lines(aff, func(l string) {
		f := strings.Fields(l)
		if len(f) != 5 || f[0] != "SFX" || f[1] != "J" || !strings.HasSuffix(f[3], "ung") {
			return
		}
		strip := f[2]
		if strip == "0" {
			strip = ""
		}
		out = append(out, ungRule{strip: strip, add: f[3], cond: regexp.MustCompile(f[4] + "$")})
	})
	return out, err
}

// words: the dictionary's entries without their affix flags, lower case,
// letters only, at least three letters, plus the -ung nouns of the verbs
// flagged for them.
func words(path string) ([]byte, error) {
	rules, err := ungRules(strings.TrimSuffix(path, ".dic") + ".aff")
	if err != nil {
		return nil, fmt.Errorf("hunspell affixes: %w", err)
	}
	set := map[string]bool{}
	first := true
	err = lines(path, func(l string) {
		if first { // the entry count
			first = false
			return
		}
		w, flags, _ := strings.Cut(strings.TrimSpace(l), "/")
		w = strings.ToLower(w)
		if len([]rune(w)) < 3 || !isWord(w) {
			return
		}
		set[w] = true
		if strings.Contains(flags, "J") {
			for _, r := range rules {
				if r.cond.MatchString(w) && strings.HasSuffix(w, r.strip) {
					set[strings.TrimSuffix(w, r.strip)+r.add] = true
					break
				}
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("hunspell: %w", err)
	}
	simpleWords = set
	return sortedLines(set), nil
}

var parens = regexp.MustCompile(`\([^)]*\)`)

// thesaurus: one synonym set a line, terms separated by ";", lower case,
// annotations ("(ugs.)", "(sich)") removed; sets with fewer than two terms
// left out.
// singleWords keeps the one-word terms of list, sorted and unique.
func singleWords(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range list {
		if !strings.Contains(t, " ") && len([]rune(t)) >= 3 && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// hypernyms reads OpenThesaurus in its MyThes form (Debian mythes-de): a
// head word line "word|n" and n meaning lines "-|term|term|…", where terms
// marked "(Oberbegriff)" are the meaning's broader words. It returns
// "TERM;TERM\tBROADER;BROADER" lines (terms of at most three words,
// annotations removed) for the meanings that have broader words.
func hypernyms(path string) ([]byte, error) {
	out := map[string]bool{}
	clean := func(t string) string {
		t = strings.ToLower(strings.Join(strings.Fields(parens.ReplaceAllString(t, " ")), " "))
		ws := strings.Fields(t)
		if len(ws) == 0 || len(ws) > 3 {
			return ""
		}
		for _, w := range ws {
			if !isWord(strings.Trim(w, "-")) {
				return ""
			}
		}
		return t
	}
	err := lines(path, func(l string) {
		if !strings.HasPrefix(l, "-|") {
			return
		}
		var terms, broader []string
		seen := map[string]bool{}
		for _, t := range strings.Split(l[2:], "|") {
			if strings.Contains(t, "(Unterbegriff)") {
				continue
			}
			c := clean(t)
			if c == "" || seen[c] {
				continue
			}
			seen[c] = true
			if strings.Contains(t, "(Oberbegriff)") {
				broader = append(broader, c)
			} else {
				terms = append(terms, c)
			}
		}
		if len(terms) > 0 && len(broader) > 0 {
			sort.Strings(terms)
			sort.Strings(broader)
			out[strings.Join(terms, ";")+"\t"+strings.Join(broader, ";")] = true
		}
	})
	if err != nil {
		return nil, fmt.Errorf("mythes: %w", err)
	}
	return sortedLines(out), nil
}

func thesaurus(path string) ([]byte, error) {
	set := map[string]bool{}
	err := lines(path, func(l string) {
		if strings.HasPrefix(l, "#") {
			return
		}
		seen := map[string]bool{}
		var terms []string
		for _, t := range strings.Split(l, ";") {
			t = strings.ToLower(strings.Join(strings.Fields(parens.ReplaceAllString(t, " ")), " "))
			ws := strings.Fields(t)
			if len(ws) == 0 || len(ws) > 3 || seen[t] {
				continue
			}
			ok := true
			for _, w := range ws {
				ok = ok && isWord(strings.Trim(w, "-"))
			}
			if ok {
				seen[t] = true
				terms = append(terms, t)
			}
		}
		if len(terms) >= 2 {
			sort.Strings(terms)
			set[strings.Join(terms, ";")] = true
		}
	})
	if err != nil {
		return nil, fmt.Errorf("openthesaurus: %w", err)
	}
	return sortedLines(set), nil
}

var (
	dingTags  = regexp.MustCompile(`\{[^}]*\}|\[[^\]]*\]|\([^)]*\)|<[^>]*>|/[^/]*/`)
	pronouns  = map[string]bool{"ich": true, "du": true, "er": true, "sie": true, "es": true, "wir": true, "ihr": true, "er/sie": true, "ich/er/sie": true, "hat/hatte": true, "ist/war": true, "hat": true, "ist": true, "war": true, "hatte": true, "sich": true}
	objectPre = regexp.MustCompile(`^((jdn|jdm|etw|jds|sb|sth)\./?)+\s*`)
)

// nounGloss is a German noun entry's explanation in parentheses.
var nounGloss = regexp.MustCompile(`^[^;(]*\{[mfn]\}\s*\(([^)]*)\)`)

// maxTranslations caps the German words kept per English term.
var maxTranslations = 10

// simpleWords are the Hunspell base forms (it lists no compounds), set by
// words before ding runs.
var simpleWords map[string]bool

var dingObjects = regexp.MustCompile(`\b(sb|sth|jdn|jdm|etw|jds)\.(/(sb|sth)\.)?|\bone's\b|\boneself\b`)

var dingOnce struct {
	verbs, english, sets []byte
	err                  error
	done                 bool
}

// ding reads the Ding dictionary once: verbs gets "FORM\tINFINITIVE" for
// the inflected forms of each German verb entry; english gets
// "ENGLISH\tGERMAN;GERMAN" for English words and two-word phrases ("to"
// dropped) with at most maxTranslations German head words, those of
// entries where the English term comes first preferred, plain words before
// compounds; the synonym sets (dingOnce.sets) are collected on the way.
func ding(path string) ([]byte, []byte, error) {
	if dingOnce.done {
		return dingOnce.verbs, dingOnce.english, dingOnce.err
	}
	dingOnce.done = true
	set := map[string]bool{}
	synsets := map[string]bool{}
	type cand struct {
		de   string
		rank int
	}
	en := map[string][]cand{}
	err := lines(path, func(l string) {
		if strings.HasPrefix(l, "#") {
			return
		}
		de, eng, ok := strings.Cut(l, " :: ")
		if !ok {
			return
		}
		groups := strings.Split(de, " | ")
		head := groups[0]
		verb := strings.Contains(head, "{vt}") || strings.Contains(head, "{vi}") || strings.Contains(head, "{vr}")
		var heads []string
		for _, v := range strings.Split(head, ";") {
			v = strings.TrimSpace(objectPre.ReplaceAllString(strings.TrimSpace(dingTags.ReplaceAllString(v, " ")), ""))
			v = strings.Join(strings.Fields(v), " ")
			ws := strings.Fields(v)
			if len(ws) >= 1 && len(ws) <= 2 && isWord(strings.ReplaceAll(v, " ", "")) {
				heads = append(heads, strings.ToLower(v))
			}
		}
		if len(heads) == 0 {
			return
		}
		if single := singleWords(heads); len(single) >= 2 && len(single) <= 6 {
			synsets[strings.Join(single, ";")] = true
		}
		// A noun explained by a noun: "Welpe {m} (junger Hund)".
		if m := nounGloss.FindStringSubmatch(head); m != nil && len(heads) == 1 && !strings.Contains(heads[0], " ") {
			var nouns []string
			for _, w := range strings.Fields(m[1]) {
				if r := []rune(w); len(r) >= 3 && unicode.IsUpper(r[0]) && isWord(w) {
					nouns = append(nouns, strings.ToLower(w))
				}
			}
			if len(nouns) == 1 && nouns[0] != heads[0] {
				synsets[strings.Join(singleWords([]string{heads[0], nouns[0]}), ";")] = true
			}
		}
		if verb {
			lemma := heads[0]
			if ws := strings.Fields(lemma); len(ws) == 2 && ws[0] == "sich" {
				lemma = ws[1]
			}
			if !strings.Contains(lemma, " ") && strings.HasSuffix(lemma, "n") {
				for _, g := range groups[1:] {
					var ws []string
					for _, w := range strings.Fields(strings.ToLower(dingTags.ReplaceAllString(g, " "))) {
						if !pronouns[w] {
							ws = append(ws, w)
						}
					}
					form := strings.Join(ws, " ")
					if len(ws) == 0 || len(ws) > 2 || form == lemma || !isWord(strings.ReplaceAll(form, " ", "")) {
						continue
					}
					set[form+"\t"+lemma] = true
				}
			}
		}
		egroups := strings.Split(eng, " | ")
		if verb && len(egroups) == len(groups) {
			// The English groups follow the German ones: "to lose | losing
			// | lost" beside "verlieren | verlierend | verloren".
			for _, g := range egroups[1:] {
				for _, e := range strings.Split(g, ";") {
					e = strings.ToLower(strings.Join(strings.Fields(dingTags.ReplaceAllString(dingObjects.ReplaceAllString(e, " "), " ")), " "))
					if ws := strings.Fields(e); len(ws) == 1 && isWord(e) && !strings.Contains(heads[0], " ") {
						en[e] = append(en[e], cand{heads[0], 40})
					}
				}
			}
		}
		for pos, e := range strings.Split(egroups[0], ";") {
			e = dingObjects.ReplaceAllString(e, " ")
			e = strings.ToLower(strings.Join(strings.Fields(dingTags.ReplaceAllString(e, " ")), " "))
			e = strings.TrimPrefix(e, "to ")
			ws := strings.Fields(e)
			if len(ws) == 0 || len(ws) > 2 || !isWord(strings.ReplaceAll(e, " ", "")) {
				continue
			}
			for i, h := range heads {
				h = strings.TrimPrefix(h, "sich ") // "sich abmelden": to deregister
				if i < 2 && !strings.Contains(h, " ") {
					rank := pos*4 + i
					if simpleWords != nil && !simpleWords[h] {
						// a compound ("Heimaturlaub") after the plain
						// words of the same place ("Urlaub")
						rank += 2
					}
					en[e] = append(en[e], cand{h, rank})
				}
			}
		}
	})
	if err != nil {
		dingOnce.err = fmt.Errorf("ding: %w", err)
		return nil, nil, dingOnce.err
	}
	eset := map[string]bool{}
	for e, cs := range en {
		sort.SliceStable(cs, func(a, b int) bool { return cs[a].rank < cs[b].rank })
		var ds []string
		seen := map[string]bool{}
		for _, c := range cs {
			if !seen[c.de] && len(ds) < maxTranslations {
				seen[c.de] = true
				ds = append(ds, c.de)
			}
		}
		eset[e+"\t"+strings.Join(ds, ";")] = true
	}
	dingOnce.verbs, dingOnce.english, dingOnce.sets = sortedLines(set), sortedLines(eset), sortedLines(synsets)
	return dingOnce.verbs, dingOnce.english, nil
}
