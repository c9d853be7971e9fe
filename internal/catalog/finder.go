package catalog

import (
	"math"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// Finder is an in-memory search index over a catalog. It is immutable
// after NewFinder and safe for concurrent use; when the catalog changes,
// build a new Finder and swap it in (building ~5,300 services takes well
// under a second).
type Finder struct {
	services []Service
	byID     map[string]int

	terms    map[string]int32 // folded stem → term id
	termStr  []string
	postings [][]posting
	idf      []float32
	df       []int32
	prior    []float32
	// nameTerms are the terms of each service's name (without stop words).
	nameTerms [][]int32

	lex      map[string]bool    // folded surface words, for decompounding
	trigrams map[string][]int32 // trigram → term ids, for typos
	sorted   []int32            // term ids in string order, for prefixes

	scratch sync.Pool
}

type posting struct {
	doc int32
	w   float32
}

// Query is a search request.
type Query struct {
	Text string
	// Limit is the number of hits (default 10, at most 50).
	Limit int
	// LifeSituation and Topic restrict results to one facet value.
	LifeSituation string
	Topic         string
}

// Hit is one search result, as the API and the CLI print it.
type Hit struct {
	ID         string   `json:"id"`
	ExternalID string   `json:"external_id"`
	LeikaKeys  []string `json:"leika_keys"`
	Name       string   `json:"name"`
	// Score is in [0,1]: 1 means the best hit covers the whole query.
	Score float64 `json:"score"`
}

// FacetCount is one facet value with the number of matching services.
type FacetCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Facets summarise the matching services.
type Facets struct {
	LifeSituations []FacetCount `json:"life_situations"`
	Topics         []FacetCount `json:"topics"`
}

// Result is the answer to a Query.
type Result struct {
	Query string `json:"query"`
	Hits  []Hit  `json:"results"`
	// Total counts the relevant services (before Limit).
	Total  int    `json:"total"`
	Facets Facets `json:"facets"`
	// raw scores of Hits, for the assistant
	raw []float32
}

// Limits of the finder.
const (
	DefaultLimit  = 10
	MaxLimit      = 50
	MaxQueryBytes = 256 // longer queries are cut (at a rune boundary)
	maxQueryWords = 24
)

// Field weights and BM25 parameters.
const (
	k1 = 2.5
)

type field struct {
	weight, b float32
}

var (
	fName     = field{5, 0.5}
	fKeywords = field{2.5, 0.4}
	fSummary  = field{1.5, 0.75}
	fDesc     = field{0.6, 0.75}
	fClass    = field{0.6, 0.3}
)

// NewFinder indexes services. The slice is kept; do not modify it afterwards.
func NewFinder(services []Service) *Finder {
	f := &Finder{
		services: services,
		byID:     make(map[string]int, len(services)),
		terms:    map[string]int32{},
		lex:      map[string]bool{},
		trigrams: map[string][]int32{},
	}
	type docFields struct{ texts [5][]string }
	fields := [5]field{fName, fKeywords, fSummary, fDesc, fClass}
	docs := make([]docFields, len(services))
	// Pass 1: tokens and the surface lexicon.
	for i := range services {
		s := &services[i]
		f.byID[s.ID] = i
		kw := strings.Join(s.Keywords, " ") + " " + s.ExternalID + " " + strings.Join(s.LeikaKeys, " ")
		class := strings.Join(s.LifeSituations, " ") + " " + strings.Join(s.Topics, " ")
		for j, text := range []string{s.Name, kw, s.Summary, s.Description, class} {
			toks := tokenize(text, 0)
			docs[i].texts[j] = toks
			for _, t := range toks {
				if len(t) >= 3 && isLetters(t) {
					f.lex[fold(t)] = true
				}
			}
		}
	}
	for _, w := range synonyms().words {
		f.lex[w] = true
	}
	// Pass 2: weighted term frequencies per document.
	var avg [5]float32
	for i := range docs {
		for j := range fields {
			avg[j] += float32(len(docs[i].texts[j]))
		}
	}
	for j := range avg {
		avg[j] = avg[j]/float32(max(1, len(docs))) + 1
	}
	stemCache := map[string]string{}
	partsCache := map[string][]string{}
	stemOf := func(w string) string {
		st, ok := stemCache[w]
		if !ok {
			st = stem(w)
			stemCache[w] = st
		}
		return st
	}
	f.prior = make([]float32, len(services))
	f.nameTerms = make([][]int32, len(services))
	var postings map[int32][]posting = map[int32][]posting{}
	for i := range docs {
		wtf := map[int32]float32{}
		for j, fl := range fields {
			toks := docs[i].texts[j]
			norm := fl.weight / (1 - fl.b + fl.b*float32(len(toks))/avg[j])
			for _, t := range toks {
				st := stemOf(t)
				wtf[f.termID(st)] += norm
				ft := fold(t)
				if len(ft) < 8 {
					continue
				}
				parts, ok := partsCache[ft]
				if !ok {
					parts = f.decompose(ft)
					partsCache[ft] = parts
				}
				// The last part is the head of a German compound (a
				// Bewohnerparkausweis is a Parkausweis); it counts more
				// than the modifiers.
				for k, p := range parts {
					pw := float32(0.5)
					if k == len(parts)-1 {
						pw = 0.5
					}
					if ps := stemOf(p); ps != st {
						wtf[f.termID(ps)] += pw * norm
					}
				}
			}
		}
		for id, w := range wtf {
			postings[id] = append(postings[id], posting{doc: int32(i), w: w * (k1 + 1) / (w + k1)})
		}
		for _, t := range docs[i].texts[0] {
			if !stopwords[fold(t)] {
				f.nameTerms[i] = append(f.nameTerms[i], f.terms[stemOf(t)])
			}
		}
		f.prior[i] = 1
		s := &services[i]
		if everyday(s.LeikaKeys) {
			f.prior[i] = 1.1
		}
		if s.Description == "" {
			// Entries without a description (internal appointment types of
			// the source, bare federal catalog lines) give a citizen
			// little; described services of the city come first.
			f.prior[i] = 0.8
		}
	}
	n := float64(len(services))
	f.postings = make([][]posting, len(f.termStr))
	f.idf = make([]float32, len(f.termStr))
	f.df = make([]int32, len(f.termStr))
	for id := range f.termStr {
		p := postings[int32(id)]
		sort.Slice(p, func(a, b int) bool { return p[a].doc < p[b].doc })
		f.postings[id] = p
		df := float64(len(p))
		f.df[id] = int32(len(p))
		f.idf[id] = float32(math.Log(1 + (n-df+0.5)/(df+0.5)))
	}
	// Typo and prefix structures over the term vocabulary.
	f.sorted = make([]int32, len(f.termStr))
	for id, t := range f.termStr {
		f.sorted[id] = int32(id)
		if len(t) >= 4 && isLetters(t) {
			for _, g := range trigramsOf(t) {
				f.trigrams[g] = append(f.trigrams[g], int32(id))
			}
		}
	}
	sort.Slice(f.sorted, func(a, b int) bool { return f.termStr[f.sorted[a]] < f.termStr[f.sorted[b]] })
	f.scratch.New = func() any { return newScratch(len(services)) }
	return f
}

func (f *Finder) termID(st string) int32 {
	id, ok := f.terms[st]
	if !ok {
		id = int32(len(f.termStr))
		f.terms[st] = id
		f.termStr = append(f.termStr, st)
	}
	return id
}

// Len is the number of indexed services.
func (f *Finder) Len() int { return len(f.services) }

// Services returns the indexed services (do not modify).
func (f *Finder) Services() []Service { return f.services }

// Service returns the service with the public reference id.
func (f *Finder) Service(id string) (Service, bool) {
	i, ok := f.byID[id]
	if !ok {
		return Service{}, false
	}
	return f.services[i], true
}

// head returns the stem of the last part of a compound: the longest known
// word (at least four letters) that ends w, or "" ("schreckschusspistole"
// → "pistol"). Unlike decompose it does not need to know the other parts.
func (f *Finder) head(w string) string {
	for i := 3; i+4 <= len(w); i++ {
		if f.lex[w[i:]] {
			return stem(w[i:])
		}
	}
	return ""
}

// everydayLeika are LeiKa service objects (first eight digits) that make up
// most requests at any German citizen office: ID card, passport,
// registration of residence, registration certificate, certificate of
// good conduct, trade registration, vehicle registration, marriage, death
// certificate, dog tax. Services with such a key get a small ranking prior,
// so a bare "Anmeldung" means the everyday service first.
var everydayLeika = []string{"99008001", "99085001", "99115005", "99115003", "99049001", "99050012", "99036008", "99036020", "99059001", "99101004", "99102013"}

func everyday(keys []string) bool {
	for _, k := range keys {
		for _, p := range everydayLeika {
			if strings.HasPrefix(k, p) {
				return true
			}
		}
	}
	return false
}

// shortParts are three-letter words allowed as compound parts.
var shortParts = map[string]bool{"amt": true, "tag": true, "rat": true, "weg": true, "bau": true, "tod": true, "kfz": true, "eid": true, "pkw": true, "lkw": true, "zoll": true, "kur": true}

// linking elements (Fugen) a non-final compound part may end with.
var fugen = []string{"s", "es", "n", "en", "e", "er", "ns"}

func (f *Finder) isPart(p string, final bool) bool {
	if len(p) < 4 && !shortParts[p] {
		return false
	}
	if f.lex[p] {
		return true
	}
	if final {
		return false
	}
	for _, fg := range fugen {
		if strings.HasSuffix(p, fg) && len(p)-len(fg) >= 4 && f.lex[p[:len(p)-len(fg)]] {
			return true
		}
	}
	return false
}

// decompose splits a folded compound into known words with the fewest
// parts ("hundesteuer" → "hundes"→"hunde"/"hund", "steuer"), or returns nil.
// Linking elements stay on the left part; stemming removes them later.
func (f *Finder) decompose(w string) []string {
	n := len(w)
	if n < 7 || n > maxTokenLen {
		return nil
	}
	const inf = 1 << 20
	best := make([]int, n+1)
	prev := make([]int, n+1)
	for i := 1; i <= n; i++ {
		best[i] = inf
		for j := max(0, i-24); j <= i-3; j++ {
			if best[j] == inf {
				continue
			}
			if j == 0 && i == n {
				continue // the whole word is not a split
			}
			if f.isPart(w[j:i], i == n) && best[j]+1 < best[i] {
				best[i] = best[j] + 1
				prev[i] = j
			}
		}
	}
	if best[n] == inf || best[n] < 2 {
		return nil
	}
	var parts []string
	for i := n; i > 0; i = prev[i] {
		p := w[prev[i]:i]
		if i != n && !f.lex[p] {
			for _, fg := range fugen {
				if strings.HasSuffix(p, fg) && f.lex[p[:len(p)-len(fg)]] {
					p = p[:len(p)-len(fg)]
					break
				}
			}
		}
		parts = append(parts, p)
	}
	for a, b := 0, len(parts)-1; a < b; a, b = a+1, b-1 {
		parts[a], parts[b] = parts[b], parts[a]
	}
	return parts
}

func trigramsOf(t string) []string {
	p := " " + t + " "
	out := make([]string, 0, len(p))
	for i := 0; i+3 <= len(p); i++ {
		out = append(out, p[i:i+3])
	}
	return out
}

// editDistance is the optimal string alignment distance of a and b (bytes;
// terms are ASCII after folding), or limit+1 once it exceeds limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

type qterm struct {
	id int32
	w  float32
}

type concept struct {
	terms []qterm
	// weak concepts ("beantragen", "kostet") add a little score but do not
	// count for coverage: a service is not worse for lacking them.
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

// weakWords carry little meaning in a request ("beantragen", "neu").
var weakWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields("beantragen antrag beantragung stellen neu neuer neue neues online termin formular service amt stadt munchen musterstadt bescheinigung erhalten holen hole hilfe frage fragen info information informationen appointment appointments termine office english englisch kosten kostet gebuhr gebuhren preis munich kaufen gekauft verkaufen verkauft zahlen bezahlen gemacht lassen morgen heute woche monat jahr nachste letzte schnell dringend") {
		m[stem(w)] = true
	}
	return m
}()

// expandWord adds the index terms for one query word to c: the stem, the
// parts of a compound, and — for words the index does not know — close
// spellings and completions.
func (f *Finder) expandWord(c *concept, word string, w float32) {
	st := stem(word)
	if weakWords[st] {
		w *= 0.3
	}
	id, known := f.terms[st]
	if known {
		c.add(id, w)
	}
	ft := fold(word)
	if parts := f.decompose(ft); len(parts) > 1 {
		pw := float32(0.45)
		if !known {
			pw = 0.8
		}
		for _, p := range parts {
			if pid, ok := f.terms[stem(p)]; ok {
				c.add(pid, w*pw)
			}
		}
	}
	if known || len(st) < 5 || !isLetters(st) {
		return
	}
	if h := f.head(ft); h != "" {
		if hid, ok := f.terms[h]; ok {
			c.add(hid, w*0.7)
		}
	}
	// Typos: candidates sharing trigrams, checked by edit distance.
	limit := 1
	if len(st) >= 8 {
		limit = 2
	}
	grams := trigramsOf(st)
	counts := map[int32]int{}
	for _, g := range grams {
		for _, tid := range f.trigrams[g] {
			counts[tid]++
		}
	}
	need := len(grams) - 3*limit
	if need < 1 {
		need = 1
	}
	type cand struct {
		id int32
		d  int
	}
	var cands []cand
	for tid, n := range counts {
		if n < need {
			continue
		}
		if d := editDistance(st, f.termStr[tid], limit); d <= limit {
			cands = append(cands, cand{tid, d})
		}
	}
	sort.Slice(cands, func(a, b int) bool {
		if cands[a].d != cands[b].d {
			return cands[a].d < cands[b].d
		}
		if f.df[cands[a].id] != f.df[cands[b].id] {
			return f.df[cands[a].id] > f.df[cands[b].id]
		}
		return f.termStr[cands[a].id] < f.termStr[cands[b].id]
	})
	for i, cd := range cands {
		if i == 4 {
			break
		}
		c.add(cd.id, w*(1-0.2*float32(cd.d)))
	}
	// Completions of a truncated word ("führersch", "perso").
	if len(ft) >= 4 {
		lo := sort.Search(len(f.sorted), func(i int) bool { return f.termStr[f.sorted[i]] >= ft })
		var comp []int32
		for i := lo; i < len(f.sorted) && strings.HasPrefix(f.termStr[f.sorted[i]], ft); i++ {
			comp = append(comp, f.sorted[i])
			if len(comp) > 64 {
				break
			}
		}
		sort.Slice(comp, func(a, b int) bool { return f.df[comp[a]] > f.df[comp[b]] })
		for i, tid := range comp {
			if i == 5 {
				break
			}
			c.add(tid, w*0.6)
		}
	}
}

func isDigits(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return w != ""
}

// separableVerbs maps stems of verbs that citizens split ("ich melde mich
// um", "wo melde ich mich an") to their infinitive.
var separableVerbs = map[string]string{
	"meld": "melden", "zieh": "ziehen", "zog": "ziehen", "tausch": "tauschen", "schreib": "schreiben",
	"hol": "holen", "geb": "geben", "gib": "geben", "trag": "tragen", "tret": "treten", "trit": "treten",
	"stell": "stellen", "schalt": "schalten", "leg": "legen",
}

var verbParticles = map[string]bool{"an": true, "ab": true, "um": true, "aus": true, "ein": true, "zu": true, "weg": true, "nach": true, "auf": true, "her": true, "hin": true, "zuruck": true, "zurück": true, "hierher": true, "fest": true}

// joinSeparableVerbs rejoins a split German verb: when a sentence ends in a
// particle ("an", "ab", "um", …) and contains a known verb, the verb is
// replaced by particle+verb ("melde … an" → "anmelden").
func joinSeparableVerbs(words []string) []string {
	if len(words) < 2 {
		return words
	}
	last := words[len(words)-1]
	if !verbParticles[last] {
		return words
	}
	for i := 0; i < len(words)-1; i++ {
		if inf, ok := separableVerbs[stem(words[i])]; ok {
			out := append([]string(nil), words[:len(words)-1]...)
			out[i] = last + inf
			return out
		}
	}
	return words
}

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

// parse turns query text into concepts: each content word (or synonym
// phrase) is one concept whose terms are alternatives.
func (f *Finder) parse(text string) []concept {
	text = cutQuery(text)
	if strings.ContainsRune(text, '<') {
		// Markup is not a question: keep only its visible text.
		text = htmlToText(text)
	}
	words := joinSeparableVerbs(tokenize(text, maxQueryWords))
	var content []string
	for _, w := range words {
		if !stopwords[fold(w)] {
			content = append(content, w)
		}
	}
	if len(content) == 0 {
		return nil
	}
	stems := make([]string, len(content))
	heads := make([]string, len(content))
	for i, w := range content {
		stems[i] = stem(w)
		// A compound can be read through its head ("Schreckschusspistole"
		// → "Pistole", "Kinderreisepass" → "Pass").
		heads[i] = f.head(fold(w))
	}
	syn := synonyms()
	strong := 0
	for _, st := range stems {
		if !weakWords[st] {
			strong++
		}
	}
	var out []concept
	for i := 0; i < len(content); {
		var c concept
		p, n := syn.match(stems, heads, i, strong)
		if n == 0 {
			if isDigits(content[i]) && len(content[i]) < 4 {
				i++ // a lone small number says nothing on its own
				continue
			}
			f.expandWord(&c, content[i], 1)
			c.weak = weakWords[stems[i]]
			if len(c.terms) > 0 {
				out = append(out, c)
			}
			i++
			continue
		}
		// The words of a multi-word phrase are read through the phrase:
		// "Pass verlängern" means a new passport, not any extension.
		ow, tw := float32(1), float32(0.85)
		if n > 1 {
			ow = 0.35
		}
		// A known compound matched only through its head keeps its own
		// meaning first: "Parkausweis verloren" is about the Parkausweis,
		// even though "Ausweis verloren" is a phrase; the phrase then only
		// hints.
		for j := range p.stems {
			if _, known := f.terms[stems[i+j]]; known && stems[i+j] != p.stems[j] {
				ow, tw = 1, 0.45
			}
		}
		for _, w := range content[i : i+n] {
			f.expandWord(&c, w, ow)
		}
		for _, t := range p.targets {
			for _, w := range tokenize(t, 0) {
				if !stopwords[fold(w)] {
					f.expandWord(&c, w, tw)
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

// Find searches the catalog. It never fails: empty, hostile or unknown
// queries give an empty result.
func (f *Finder) Find(q Query) Result {
	res := Result{Query: q.Text, Hits: []Hit{}, Facets: Facets{LifeSituations: []FacetCount{}, Topics: []FacetCount{}}}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	concepts := f.parse(q.Text)
	if len(concepts) == 0 || len(f.services) == 0 {
		return res
	}
	sc := f.scratch.Get().(*scratch)
	defer func() {
		for _, d := range sc.touched {
			sc.total[d], sc.cov[d], sc.seen[d] = 0, 0, false
		}
		sc.touched = sc.touched[:0]
		f.scratch.Put(sc)
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
			qw := t.w * f.idf[t.id]
			imp = max(imp, qw)
			for _, p := range f.postings[t.id] {
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
			contrib := sc.mx[d] + 0.5*(sc.sum[d]-sc.mx[d])
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
	// Services whose whole name the query says (directly or through a
	// synonym) are what the citizen named.
	named := map[int32]bool{}
	for _, c := range concepts {
		for _, t := range c.terms {
			if t.w >= 0.8 {
				named[t.id] = true
			}
		}
	}
	type scored struct {
		doc int32
		raw float32
		cov float32
	}
	cands := make([]scored, 0, len(sc.touched))
	for _, d := range sc.touched {
		s := &f.services[d]
		if q.LifeSituation != "" && !contains(s.LifeSituations, q.LifeSituation) {
			continue
		}
		if q.Topic != "" && !contains(s.Topics, q.Topic) {
			continue
		}
		cov := min(1, sc.cov[d]/totalImp)
		raw := sc.total[d] * f.prior[d] * (0.2 + 0.8*cov*cov)
		if nt := f.nameTerms[d]; len(nt) > 0 {
			all := true
			for _, id := range nt {
				if !named[id] {
					all = false
					break
				}
			}
			if all {
				raw *= 1.25
			}
		}
		cands = append(cands, scored{d, raw, cov})
	}
	if len(cands) == 0 {
		return res
	}
	sort.Slice(cands, func(a, b int) bool {
		if cands[a].raw != cands[b].raw {
			return cands[a].raw > cands[b].raw
		}
		return cands[a].doc < cands[b].doc
	})
	top := cands[0].raw
	floor := top * 0.12
	ls, tp := map[string]int{}, map[string]int{}
	for _, c := range cands {
		if c.raw < floor {
			break
		}
		res.Total++
		s := &f.services[c.doc]
		for _, v := range s.LifeSituations {
			ls[v]++
		}
		for _, v := range s.Topics {
			tp[v]++
		}
		if len(res.Hits) < limit {
			score := float64(c.raw/top) * float64(0.5+0.5*c.cov)
			res.Hits = append(res.Hits, Hit{
				ID: s.ID, ExternalID: s.ExternalID, LeikaKeys: nonNil(s.LeikaKeys), Name: s.Name,
				Score: math.Round(score*1000) / 1000,
			})
			res.raw = append(res.raw, c.raw)
		}
	}
	res.Facets.LifeSituations = facetList(ls)
	res.Facets.Topics = facetList(tp)
	return res
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
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
