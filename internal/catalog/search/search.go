package search

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of a search.
const (
	DefaultLimit  = 10
	MaxLimit      = 50
	MaxQueryBytes = 256 // longer queries are cut (at a rune boundary)
	maxQueryWords = 24
)

// Query is a search request.
type Query struct {
	Text  string
	Limit int // default DefaultLimit, at most MaxLimit
	// LifeSituation and Topic restrict results to one facet value.
	LifeSituation, Topic string
}

// Hit is one document found.
type Hit struct {
	Doc int // index into the documents given to New
	// Score is in [0,1]: 1 means the best hit covers the whole query.
	Score float64
	// Raw is the unnormalised score (the assistant compares hits by it).
	Raw float32
}

// FacetCount is one facet value with the number of matching documents.
type FacetCount struct {
	Value string
	Count int
}

// Result is the answer to a Query.
type Result struct {
	Hits []Hit
	// Total counts the relevant documents (before Limit).
	Total                  int
	LifeSituations, Topics []FacetCount
	// Suggestion is the query with misspelt words corrected ("did you
	// mean"), or "" when every word was understood as typed.
	Suggestion string
}

type qterm struct {
	id int32
	w  float32
}

type concept struct {
	terms []qterm
	// weak concepts ("beantragen", "kostet") add a little score but do not
	// count for coverage.
	weak bool
}

func (c *concept) add(id int32, w float32) {
	for i := range c.terms {
		if c.terms[i].id == id {
			if w > c.terms[i].w {
				c.terms[i].w = w
			}
			return
		}
	}
	c.terms = append(c.terms, qterm{id, w})
}

// weakWords carry little meaning in a request.
var weakWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields("beantragen antrag beantragung stellen neu neuer neue neues online termin formular service amt stadt bescheinigung erhalten holen hole hilfe frage fragen info information informationen appointment appointments apply applying application request paperwork fee fees cost costs termine office english englisch kosten kostet gebuhr gebuhren preis kaufen gekauft zahlen bezahlen gemacht lassen morgen heute woche monat jahr nachste letzte schnell dringend brauchen brauche wissen") {
		m[stem(w)] = true
	}
	return m
}()

// cutQuery trims q to MaxQueryBytes at a rune boundary.
func cutQuery(q string) string {
	if len(q) <= MaxQueryBytes {
		return q
	}
	cut := MaxQueryBytes
	for cut > 0 && !utf8.RuneStart(q[cut]) {
		cut--
	}
	return q[:cut]
}

func isDigits(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return w != ""
}

// expansion weights of the ways a query word reaches an index term.
const (
	wLemma      = 1.0  // an inflected verb form read as its infinitive
	wDerived    = 0.9  // a word of the same family (umziehen → Umzug)
	wPartKnown  = 0.45 // a part of a compound the index also knows whole
	wPart       = 0.8  // a part of a compound the index does not know
	wHead       = 0.7  // the last part of an unknown compound
	wSynonym    = 0.7  // a thesaurus synonym (divided by the word's ambiguity)
	wEnglish    = 0.9  // a translation of an English word
	wCompletion = 0.6  // a completion of a truncated word
)

// groupDamp scales each further reference entry of the same group.
var groupDamp = 0.5

var namedBoost float32 = 2

// rankDecay weighs an English word's later translations down (the
// generator lists the main senses first): the last counts 1-rankDecay.
var rankDecay float32 = 0.6

// wHyper weighs the broader words of a word (divided by the root of their
// number).
var wHyper float32 = 0.8

// wEnglishGerman scales the English reading of a word German knows too.
var wEnglishGerman float32 = 0.15

// wPhraseWord scales a word of a multi-word synonym.
var wPhraseWord float32 = 0.5

// synKnown scales synonyms of words the index knows itself.
var synKnown float32 = 0.15

// rareDF is the document frequency from which a known word's synonyms
// count least (synKnown); below it they count more, fully for unknown words.
var rareDF float32 = 3

type expander struct {
	ix *Index
	l  *language
	// corrected collects typo corrections for "did you mean".
	corrected map[string]string
	// german: the question is German, so a word German knows is read as
	// German first ("Kind", "Rente", "Bus"), its English sense barely.
	german bool
}

func (e *expander) addStem(c *concept, st string, w float32) bool {
	if id, ok := e.ix.terms[st]; ok {
		c.add(id, w)
		return true
	}
	return false
}

// expansion is the cached reading of one query word at weight 1.
type expansion struct {
	terms     []qterm
	corrected string
}

// maxCached bounds the per-index cache of word expansions.
const maxCached = 50000

// expandWord adds the terms of word (see expand) to c, through the
// index's cache: citizens ask with the same words again and again.
func (e *expander) expandWord(c *concept, word string, w float32, depth int) {
	key := word
	if depth > 0 {
		key = "\x00" + word
	}
	if e.german {
		key = "\x01" + key
	}
	var x *expansion
	if v, ok := e.ix.cache.Load(key); ok {
		x = v.(*expansion)
	} else {
		var tmp concept
		sub := &expander{ix: e.ix, l: e.l, corrected: map[string]string{}, german: e.german}
		sub.expand(&tmp, word, 1, depth)
		x = &expansion{terms: tmp.terms, corrected: sub.corrected[word]}
		if e.ix.cached.Add(1) <= maxCached {
			e.ix.cache.Store(key, x)
		}
	}
	for _, t := range x.terms {
		c.add(t.id, t.w*w)
	}
	if x.corrected != "" && e.corrected != nil {
		e.corrected[word] = x.corrected
	}
}

// expand adds the index terms a query word stands for to c: its stem,
// its infinitive, words of its family, the parts of a compound, its
// synonyms, its translation when it is English, and — for words neither
// the index nor the dictionary knows — close spellings and completions.
func (e *expander) expand(c *concept, word string, w float32, depth int) {
	ix, l := e.ix, e.l
	st := stem(word)
	if weakWords[st] {
		w *= 0.3
	}
	ft := fold(word)
	known := e.addStem(c, st, w)
	understood := known || l.isInflected(ft)
	inf := l.lemma(word)
	if inf == "" && strings.HasSuffix(word, "en") && l.isWord(word) {
		inf = word
	}
	if inf != "" {
		understood = true
		if ist := stem(inf); ist != st {
			e.addStem(c, ist, w*wLemma)
		}
		for _, dst := range l.derivedStems(inf) {
			if dst != st {
				e.addStem(c, dst, w*wDerived)
			}
		}
	}
	if parts := ix.parts(l, ft); len(parts) > 1 {
		whole := known || l.isWord(ft)
		understood = true
		pw := float32(wPartKnown)
		if !whole {
			pw = wPart
		}
		for i, p := range parts {
			pst := stem(p)
			if i == len(parts)-1 && !whole {
				pw = max(pw, wHead)
			}
			e.addStem(c, pst, w*pw)
		}
	}
	// Synonyms of the word and of its infinitive, weighted down by how
	// many meanings the word has.
	for _, s := range []string{st, stem(inf)} {
		if s == "" {
			continue
		}
		syns, amb := l.synonyms(s)
		if amb == 0 {
			continue
		}
		understood = true
		sw := float32(wSynonym)
		if known {
			// a word the documents use often enough stands for itself;
			// one they use once or twice is as good as unknown
			df := float32(ix.df[ix.terms[st]])
			sw *= synKnown + (1-synKnown)*max(0, 1-df/rareDF)
		}
		switch {
		case amb > 5:
			sw *= 0.5
		case amb > 2:
			sw *= 0.75
		}
		for _, syn := range syns {
			if depth == 0 {
				// a verb synonym reaches its nouns too (klauen → stehlen →
				// Diebstahl)
				sinf := l.lemma(syn + "en")
				if sinf == "" && l.isWord(syn+"en") {
					sinf = syn + "en"
				}
				if sinf != "" {
					for _, dst := range l.derivedStems(sinf) {
						e.addStem(c, dst, w*sw*wDerived)
					}
				}
			}
			if !e.addStem(c, syn, w*sw) && depth == 0 && len(syn) >= 8 && !known {
				// a compound synonym the index does not know whole stands
				// for its head (a Strafzettel is a Zettel)
				if parts := ix.parts(l, syn); len(parts) > 1 {
					e.addStem(c, stem(parts[len(parts)-1]), w*sw*0.5)
				}
			}
		}
		// the content words of multi-word synonyms, as hints
		for _, pw := range l.phraseSynonyms(s) {
			if len(pw) >= 4 && !stopwords[pw] && !weakWords[pw] {
				e.addStem(c, pw, w*sw*wPhraseWord)
			}
		}
	}
	// Broader words, for a word the documents do not use (a Gartenhaus
	// is a Gebäude, a Böller a Feuerwerkskörper).
	if depth == 0 && wHyper > 0 && (!known || ix.df[ix.terms[st]] < int32(rareDF)) {
		for _, s := range []string{st, stem(inf)} {
			hs := l.hyper[s]
			if len(hs) == 0 {
				continue
			}
			understood = true
			hw := wHyper / float32(math.Sqrt(float64(len(hs))))
			for _, h := range hs {
				e.addStem(c, h, w*hw)
			}
		}
	}
	if depth == 0 {
		if de := l.translate(word); len(de) > 0 {
			understood = understood || !known
			ew := float32(wEnglish)
			if e.german && (l.isWord(ft) || inf != "") {
				// a German word that is also English ("Kind", "Rente",
				// "Bus") means the German first
				ew *= wEnglishGerman
			}
			for i, g := range de {
				rw := 1 - rankDecay*float32(i)/float32(len(de))
				for _, gw := range tokenize(g, 0) {
					if !stopwords[fold(gw)] {
						e.expandWord(c, gw, w*ew*rw, depth+1)
					}
				}
			}
		}
	}
	if understood || len(st) < 4 || !isLetters(st) || depth > 0 {
		return
	}
	e.typos(c, word, st, w)
	if len(ft) >= 4 {
		lo := sort.Search(len(ix.sorted), func(i int) bool { return ix.termStr[ix.sorted[i]] >= ft })
		var comp []int32
		for i := lo; i < len(ix.sorted) && strings.HasPrefix(ix.termStr[ix.sorted[i]], ft); i++ {
			comp = append(comp, ix.sorted[i])
			if len(comp) > 64 {
				break
			}
		}
		sort.Slice(comp, func(a, b int) bool { return ix.df[comp[a]] > ix.df[comp[b]] })
		for i, tid := range comp {
			if i == 5 {
				break
			}
			c.add(tid, w*wCompletion)
		}
	}
}

// typos adds index terms within a small edit distance of an unknown word.
func (e *expander) typos(c *concept, word, st string, w float32) {
	ix := e.ix
	limit := 1
	if len(st) >= 7 {
		limit = 2
	}
	grams := trigramsOf(st)
	counts := map[int32]int{}
	for _, g := range grams {
		for _, tid := range ix.trigrams[g] {
			counts[tid]++
		}
	}
	need := max(1, len(grams)-3*limit)
	type cand struct {
		id int32
		d  int
	}
	var cands []cand
	for tid, n := range counts {
		if n < need {
			continue
		}
		if d := editDistance(st, ix.termStr[tid], limit); d <= limit {
			cands = append(cands, cand{tid, d})
		}
	}
	sort.Slice(cands, func(a, b int) bool {
		if cands[a].d != cands[b].d {
			return cands[a].d < cands[b].d
		}
		if ix.df[cands[a].id] != ix.df[cands[b].id] {
			return ix.df[cands[a].id] > ix.df[cands[b].id]
		}
		return ix.termStr[cands[a].id] < ix.termStr[cands[b].id]
	})
	for i, cd := range cands {
		if i == 4 {
			break
		}
		if i == 0 && e.corrected != nil && ix.surface[cd.id] != "" {
			e.corrected[word] = ix.surface[cd.id]
		}
		c.add(cd.id, w*(1-0.2*float32(cd.d)))
	}
}

// joinSeparable rejoins a split verb: a sentence ending in a particle
// ("ich melde mich um") with a verb form the dictionary knows together
// with that particle becomes the infinitive ("ummelden").
func joinSeparable(l *language, words []string) []string {
	if len(words) < 2 {
		return words
	}
	last := words[len(words)-1]
	particle := false
	for _, p := range verbParticles {
		particle = particle || last == p
	}
	if !particle {
		return words
	}
	for i := 0; i < len(words)-1; i++ {
		f := words[i]
		inf := l.lemma(f + " " + last)
		if inf == "" {
			switch base := l.lemma(f); {
			case base != "" && l.isWord(last+base):
				inf = last + base
			case strings.HasSuffix(f, "en") && l.isWord(last+f):
				inf = last + f // "wir ziehen … her": herziehen
			case l.isWord(last + f + "n"):
				inf = last + f + "n" // "melde … an": anmelden
			}
		}
		if inf != "" {
			out := append([]string(nil), words[:len(words)-1]...)
			out[i] = inf
			return out
		}
	}
	return words
}

// isGerman tells a German question from an English one: at least as many
// of its words are German only (dictionary words, verb forms, German
// function words) as English only; a word of both languages ("Kind",
// "Register") counts for neither, so a question of such words alone is
// read as German.
func isGerman(l *language, words []string) bool {
	de, en := 0, 0
	for _, w := range words {
		f := fold(w)
		if stopwords[f] {
			switch {
			case englishStop[f]:
				en++
			case !bothStop[f]:
				de++
			}
			continue
		}
		german, english := l.isWord(f) || l.isInflected(f), len(l.translate(w)) > 0
		switch {
		case german && !english:
			de++
		case english && !german:
			en++
		}
	}
	return de >= en
}

// englishStop are English function words (the stop words say nothing of a
// question's language otherwise).
var englishStop = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields("the a to of for my me i we you your our is are how what where when who which can could should would need want get have has please and or not this that it m re ve ll im ive dont doesnt didnt isnt wasnt arent cant wont don doesn didn isn wasn aren") {
		m[w] = true
	}
	return m
}()

// bothStop are function words of both languages.
var bothStop = map[string]bool{"in": true, "an": true, "so": true}

// parse turns query text into concepts: each content word (or phrase) is
// one concept whose terms are alternatives.
func (ix *Index) parse(text string, corrected map[string]string) []concept {
	l := lang()
	text = cutQuery(text)
	if strings.ContainsRune(text, '<') {
		text = stripMarkup(text)
	}
	words := joinSeparable(l, tokenize(text, maxQueryWords))
	e := &expander{ix: ix, l: l, corrected: corrected, german: isGerman(l, words)}
	var out []concept
	// English two-word terms ("bulky waste", "child benefit") first.
	used := make([]bool, len(words))
	for i := 0; i+1 < len(words); i++ {
		if stopwords[fold(words[i])] || stopwords[fold(words[i+1])] {
			continue
		}
		if _, known := ix.terms[stem(words[i])]; known && l.isWord(fold(words[i])) {
			continue // a German word
		}
		de := l.translate(words[i] + " " + words[i+1])
		if len(de) == 0 {
			continue
		}
		var c concept
		for _, g := range de {
			for _, gw := range tokenize(g, 0) {
				if !stopwords[fold(gw)] {
					e.expandWord(&c, gw, wEnglish, 1)
				}
			}
		}
		if len(c.terms) > 0 {
			out = append(out, c)
			used[i], used[i+1] = true, true
			i++
		}
	}
	var content []string
	for i, w := range words {
		if !used[i] && !stopwords[fold(w)] {
			content = append(content, w)
		}
	}
	if len(content) == 0 {
		return out
	}
	stems := make([]string, len(content))
	strong := 0
	for i, w := range content {
		stems[i] = stem(w)
		if !weakWords[stems[i]] {
			strong++
		}
	}
	for i := 0; i < len(content); {
		var c concept
		p, n := ix.phrases.match(stems, i, strong)
		if n == 0 {
			if isDigits(content[i]) && len(content[i]) < 4 {
				i++ // a lone small number says nothing on its own
				continue
			}
			e.expandWord(&c, content[i], 1, 0)
			c.weak = weakWords[stems[i]]
			if len(c.terms) > 0 {
				out = append(out, c)
			}
			i++
			continue
		}
		// A phrase is read through its targets; its own words still count.
		ow := float32(1)
		if n > 1 {
			ow = 0.35
		}
		for _, w := range content[i : i+n] {
			e.expandWord(&c, w, ow, 1)
		}
		for _, t := range p.targets {
			for _, w := range tokenize(t, 0) {
				if !stopwords[fold(w)] {
					e.expandWord(&c, w, 0.85, 1)
				}
			}
		}
		if len(c.terms) > 0 {
			out = append(out, c)
		}
		i += n
	}
	return out
}

type scratch struct {
	sum, mx, total, cov []float32
	seen                []bool
	touched, ctouched   []int32
}

func newScratch(n int) *scratch {
	return &scratch{sum: make([]float32, n), mx: make([]float32, n), total: make([]float32, n), cov: make([]float32, n), seen: make([]bool, n)}
}

// Search finds the documents for q, best first. It never fails or panics:
// empty, hostile or unknown queries give an empty result.
func (ix *Index) Search(q Query) Result {
	res := Result{Hits: []Hit{}, LifeSituations: []FacetCount{}, Topics: []FacetCount{}}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	corrected := map[string]string{}
	concepts := ix.parse(q.Text, corrected)
	res.Suggestion = suggestion(q.Text, corrected)
	if len(concepts) == 0 || len(ix.docs) == 0 {
		return res
	}
	sc := ix.scratch.Get().(*scratch)
	defer func() {
		for _, d := range sc.touched {
			sc.total[d], sc.cov[d], sc.seen[d] = 0, 0, false
		}
		sc.touched = sc.touched[:0]
		ix.scratch.Put(sc)
	}()
	allWeak := true
	for _, c := range concepts {
		allWeak = allWeak && c.weak
	}
	var totalImp float32
	for _, c := range concepts {
		var imp float32
		sc.ctouched = sc.ctouched[:0]
		for _, t := range c.terms {
			qw := t.w * ix.idf[t.id]
			imp = max(imp, qw)
			for _, p := range ix.postings[t.id] {
				v := qw * p.w
				if sc.sum[p.doc] == 0 {
					sc.ctouched = append(sc.ctouched, p.doc)
				}
				sc.sum[p.doc] += v
				sc.mx[p.doc] = max(sc.mx[p.doc], v)
			}
		}
		if c.weak && !allWeak {
			imp = 0
		}
		totalImp += imp
		for _, d := range sc.ctouched {
			contrib := sc.mx[d] + 0.3*(sc.sum[d]-sc.mx[d])
			if !sc.seen[d] {
				sc.seen[d] = true
				sc.touched = append(sc.touched, d)
			}
			sc.total[d] += contrib
			if imp > 0 {
				sc.cov[d] += imp * min(1, sc.mx[d]/(imp*0.8))
			}
			sc.sum[d], sc.mx[d] = 0, 0
		}
	}
	if totalImp == 0 {
		return res
	}
	// Documents whose whole name the query says are what the citizen named.
	named := map[int32]bool{}
	for _, c := range concepts {
		for _, t := range c.terms {
			if t.w >= 0.8 {
				named[t.id] = true
			}
		}
	}
	type scored struct {
		doc      int32
		raw, cov float32
	}
	cands := make([]scored, 0, len(sc.touched))
	for _, d := range sc.touched {
		doc := &ix.docs[d]
		if q.LifeSituation != "" && !contains(doc.LifeSituations, q.LifeSituation) {
			continue
		}
		if q.Topic != "" && !contains(doc.Topics, q.Topic) {
			continue
		}
		cov := min(1, sc.cov[d]/totalImp)
		prior := doc.Prior
		if prior == 0 {
			prior = 1
		}
		raw := sc.total[d] * prior * (0.2 + 0.8*cov)
		if nt := ix.nameTerms[d]; len(nt) > 0 {
			all := true
			for _, id := range nt {
				if !named[id] {
					all = false
					break
				}
			}
			if all {
				raw *= namedBoost
			}
		}
		cands = append(cands, scored{d, raw, cov})
	}
	if len(cands) == 0 {
		return res
	}
	// The city's own service comes before reference entries of the same
	// matter (LeiKa object): lift it just above the best of them.
	bestRef := map[string]float32{}
	for _, c := range cands {
		if d := &ix.docs[c.doc]; d.Reference && d.Group != "" && c.raw > bestRef[d.Group] {
			bestRef[d.Group] = c.raw
		}
	}
	if len(bestRef) > 0 {
		for i := range cands {
			d := &ix.docs[cands[i].doc]
			if r, ok := bestRef[d.Group]; ok && !d.Reference && cands[i].raw < r*1.0001 {
				cands[i].raw = r * 1.0001
				cands[i].cov = max(cands[i].cov, 0)
			}
		}
	}
	sort.Slice(cands, func(a, b int) bool {
		if cands[a].raw != cands[b].raw {
			return cands[a].raw > cands[b].raw
		}
		return cands[a].doc < cands[b].doc
	})
	// Only candidates near the best can end up in the result (the floor
	// below); the rest need no sorting.
	var best float32
	for _, c := range cands {
		best = max(best, c.raw)
	}
	kept := cands[:0]
	for _, c := range cands {
		if c.raw >= best*0.1 {
			kept = append(kept, c)
		}
	}
	cands = kept
	// Several reference entries of one matter (a federal object and its
	// Verrichtungen: "Wohngeld", "Wohngeld Änderung", …) are one answer:
	// the second and later yield their place to other matters.
	seenGroup := map[string]int{}
	for i := range cands {
		d := &ix.docs[cands[i].doc]
		if !d.Reference || d.Group == "" {
			continue
		}
		if n := seenGroup[d.Group]; n > 0 {
			cands[i].raw *= float32(math.Pow(groupDamp, float64(n)))
		}
		seenGroup[d.Group]++
	}
	sort.SliceStable(cands, func(a, b int) bool { return cands[a].raw > cands[b].raw })
	top := cands[0].raw
	floor := top * 0.12
	ls, tp := map[string]int{}, map[string]int{}
	for _, c := range cands {
		if c.raw < floor {
			break
		}
		res.Total++
		doc := &ix.docs[c.doc]
		for _, v := range doc.LifeSituations {
			ls[v]++
		}
		for _, v := range doc.Topics {
			tp[v]++
		}
		if len(res.Hits) < limit {
			score := float64(c.raw/top) * float64(0.5+0.5*c.cov)
			res.Hits = append(res.Hits, Hit{Doc: int(c.doc), Score: math.Round(score*1000) / 1000, Raw: c.raw})
		}
	}
	res.LifeSituations = facetList(ls)
	res.Topics = facetList(tp)
	return res
}

// suggestion rewrites text with the corrected words, or returns "".
func suggestion(text string, corrected map[string]string) string {
	if len(corrected) == 0 {
		return ""
	}
	words := tokenize(cutQuery(text), maxQueryWords)
	changed := false
	for i, w := range words {
		if c, ok := corrected[w]; ok && c != w {
			words[i] = c
			changed = true
		}
	}
	if !changed {
		return ""
	}
	return strings.Join(words, " ")
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func facetList(m map[string]int) []FacetCount {
	out := make([]FacetCount, 0, len(m))
	for v, n := range m {
		out = append(out, FacetCount{v, n})
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Count != out[b].Count {
			return out[a].Count > out[b].Count
		}
		return out[a].Value < out[b].Value
	})
	return out
}

// Explain describes how text is read: one line per concept with its terms,
// weights and idf (a debugging aid).
func (ix *Index) Explain(text string) []string {
	var out []string
	for _, c := range ix.parse(text, nil) {
		var b strings.Builder
		if c.weak {
			b.WriteString("(weak)")
		}
		for _, t := range c.terms {
			b.WriteString(" " + ix.termStr[t.id] + "(" + strconv.FormatFloat(float64(t.w), 'f', 2, 32) + " idf " + strconv.FormatFloat(float64(ix.idf[t.id]), 'f', 2, 32) + ")")
		}
		out = append(out, b.String())
	}
	return out
}

// ExplainDoc describes how document doc matches text: per concept its
// best term and contribution (a debugging aid).
func (ix *Index) ExplainDoc(text string, doc int) []string {
	var out []string
	for _, c := range ix.parse(text, nil) {
		best, bv, sum := "", float32(0), float32(0)
		for _, t := range c.terms {
			for _, p := range ix.postings[t.id] {
				if int(p.doc) == doc {
					v := t.w * ix.idf[t.id] * p.w
					sum += v
					if v > bv {
						best, bv = ix.termStr[t.id], v
					}
				}
			}
		}
		out = append(out, best+" "+strconv.FormatFloat(float64(bv), 'f', 2, 32)+" sum "+strconv.FormatFloat(float64(sum), 'f', 2, 32))
	}
	return out
}
