package search

import (
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Document is what the index knows of one service. Fields are weighted
// from the name down to the description (BM25F).
type Document struct {
	Name string
	// Keywords: the service's own synonyms and the phrases staff added.
	Keywords []string
	Summary  string
	// Description is the full plain text.
	Description string
	// Related: names of the same matter elsewhere (the federal entries and
	// the OZG service of its LeiKa object), life situations and topics.
	Related []string
	// Keys are the LeiKa keys (also searchable as numbers).
	Keys []string
	// Group is the LeiKa service object (the first 8 digits of the first
	// key), "" without a key.
	Group string
	// Reference marks an entry of a general catalogue (the federal list)
	// rather than a service the city offers: of one Group, the city's own
	// services rank above reference entries.
	Reference bool
	// Prior scales the score (1 = neutral).
	Prior float32
	// Facets of the document.
	LifeSituations, Topics []string
}

type field struct{ weight, b float32 }

// Field weights and length normalisation, name first.
var fields = [...]field{
	{5, 0.5},    // name
	{2.5, 0.4},  // keywords
	{1.5, 0.75}, // summary
	{0.6, 0.75}, // description
	{1.0, 0.3},  // related
}

const k1 = 2.5

// indexLemma weighs the infinitive of an inflected verb in a document.
var indexLemma float32 = 0.8

// Index is an immutable in-memory index over documents, safe for
// concurrent use.
type Index struct {
	docs []Document

	terms    map[string]int32 // folded stem → term id
	termStr  []string
	surface  []string // the most frequent word of each term, for "did you mean"
	postings [][]posting
	idf      []float32
	df       []int32
	// nameTerms are the terms of each document's name without stop words.
	nameTerms [][]int32

	lex      map[string]bool    // folded surface words of the documents
	trigrams map[string][]int32 // trigram → term ids, for typos
	sorted   []int32            // term ids in string order, for prefixes
	phrases  *phraseIndex

	scratch sync.Pool
	// cache holds word → *expansion; cached counts the entries.
	cache, partsCache sync.Map
	cached            atomic.Int64
}

type posting struct {
	doc int32
	w   float32
}

// New indexes docs (kept; do not modify them afterwards). extraPhrases are
// "phrase, phrase => target; target" lines added to the built-in phrase
// table (the phrases staff maintain).
func New(docs []Document, extraPhrases []string) *Index {
	l := lang()
	ix := &Index{
		docs:     docs,
		terms:    map[string]int32{},
		lex:      map[string]bool{},
		trigrams: map[string][]int32{},
		phrases:  buildPhrases(extraPhrases),
	}
	texts := make([][len(fields)][]string, len(docs))
	for i := range docs {
		d := &docs[i]
		kw := strings.Join(d.Keywords, " ") + " " + strings.Join(d.Keys, " ")
		for j, text := range [len(fields)]string{d.Name, kw, d.Summary, d.Description, strings.Join(d.Related, " ") + " " + strings.Join(d.LifeSituations, " ") + " " + strings.Join(d.Topics, " ")} {
			toks := tokenize(text, 0)
			texts[i][j] = toks
			for _, t := range toks {
				if len(t) >= 3 && isLetters(t) {
					ix.lex[fold(t)] = true
				}
			}
		}
	}
	var avg [len(fields)]float32
	for i := range texts {
		for j := range fields {
			avg[j] += float32(len(texts[i][j]))
		}
	}
	for j := range avg {
		avg[j] = avg[j]/float32(max(1, len(docs))) + 1
	}
	stemCache := map[string]string{}
	stemOf := func(w string) string {
		st, ok := stemCache[w]
		if !ok {
			st = stem(w)
			stemCache[w] = st
		}
		return st
	}
	partsCache := map[string][]string{}
	lemmaCache := map[string]string{}
	surfaceCount := map[int32]map[string]int{}
	postings := map[int32][]posting{}
	ix.nameTerms = make([][]int32, len(docs))
	for i := range texts {
		wtf := map[int32]float32{}
		for j, fl := range fields {
			toks := texts[i][j]
			norm := fl.weight / (1 - fl.b + fl.b*float32(len(toks))/avg[j])
			for _, t := range toks {
				st := stemOf(t)
				id := ix.termID(st)
				wtf[id] += norm
				// An inflected verb also stands for its infinitive
				// ("gestohlen" → stehlen), as queries are read.
				if inf, ok := lemmaCache[t]; ok || len(t) >= 4 {
					if !ok {
						inf = l.lemma(t)
						lemmaCache[t] = inf
					}
					if inf != "" {
						if ist := stemOf(inf); ist != st {
							wtf[ix.termID(ist)] += indexLemma * norm
						}
					}
				}
				if j == 0 || j == 1 {
					m := surfaceCount[id]
					if m == nil {
						m = map[string]int{}
						surfaceCount[id] = m
					}
					m[t]++
				}
				ft := fold(t)
				if len(ft) < 7 {
					continue
				}
				parts, ok := partsCache[ft]
				if !ok {
					parts = ix.decompose(l, ft)
					partsCache[ft] = parts
				}
				// A compound also stands for its parts (a Hundesteuer is a
				// Steuer for a Hund).
				for k, p := range parts {
					pw := float32(0.6)
					if k == len(parts)-1 {
						pw = 0.9 // the head: a Wohnsitzanmeldung is an Anmeldung
					}
					if ps := stemOf(p); ps != st {
						wtf[ix.termID(ps)] += pw * norm
					}
				}
				// And for its shorter compounds: a Gaststättengewerbe
				// is about a Gaststätte, a Bewohnerparkausweis is a
				// Parkausweis (the dictionary lists neither whole).
				for a := 0; a+1 < len(parts); a++ {
					for b := a + 2; b <= len(parts); b++ {
						if a == 0 && b == len(parts) {
							continue
						}
						pw := float32(0.6)
						if b == len(parts) {
							pw = 0.9
						}
						if ps := stemOf(strings.Join(parts[a:b], "")); ps != st {
							wtf[ix.termID(ps)] += pw * norm
						}
					}
				}
			}
		}
		for id, w := range wtf {
			postings[id] = append(postings[id], posting{doc: int32(i), w: w * (k1 + 1) / (w + k1)})
		}
		for _, t := range texts[i][0] {
			if !stopwords[fold(t)] {
				ix.nameTerms[i] = append(ix.nameTerms[i], ix.terms[stemOf(t)])
			}
		}
	}
	n := float64(len(docs))
	ix.postings = make([][]posting, len(ix.termStr))
	ix.idf = make([]float32, len(ix.termStr))
	ix.df = make([]int32, len(ix.termStr))
	ix.surface = make([]string, len(ix.termStr))
	for id := range ix.termStr {
		p := postings[int32(id)]
		sort.Slice(p, func(a, b int) bool { return p[a].doc < p[b].doc })
		ix.postings[id] = p
		df := float64(len(p))
		ix.df[id] = int32(len(p))
		ix.idf[id] = float32(math.Log(1 + (n-df+0.5)/(df+0.5)))
		best, bn := "", 0
		for w, c := range surfaceCount[int32(id)] {
			if c > bn || (c == bn && w < best) {
				best, bn = w, c
			}
		}
		ix.surface[id] = best
	}
	ix.sorted = make([]int32, len(ix.termStr))
	for id, t := range ix.termStr {
		ix.sorted[id] = int32(id)
		if len(t) >= 4 && isLetters(t) {
			for _, g := range trigramsOf(t) {
				ix.trigrams[g] = append(ix.trigrams[g], int32(id))
			}
		}
	}
	sort.Slice(ix.sorted, func(a, b int) bool { return ix.termStr[ix.sorted[a]] < ix.termStr[ix.sorted[b]] })
	ix.scratch.New = func() any { return newScratch(len(docs)) }
	return ix
}

func (ix *Index) termID(st string) int32 {
	id, ok := ix.terms[st]
	if !ok {
		id = int32(len(ix.termStr))
		ix.terms[st] = id
		ix.termStr = append(ix.termStr, st)
	}
	return id
}

// Len is the number of documents.
func (ix *Index) Len() int { return len(ix.docs) }

// known reports whether a folded word is a word of the documents or of
// the dictionary.
func (ix *Index) known(l *language, w string) bool { return ix.lex[w] || l.isFoldedWord(w) }

// shortParts are three-letter words allowed as compound parts.
var shortParts = map[string]bool{"amt": true, "tag": true, "rat": true, "weg": true, "bau": true, "tod": true, "kfz": true, "eid": true, "pkw": true, "lkw": true, "kur": true, "kita": true, "ehe": true, "see": true, "uhr": true, "bus": true, "arzt": true}

// linking elements (Fugen) a non-final compound part may end with.
var fugen = []string{"s", "es", "n", "en", "e", "er", "ns"}

func (ix *Index) isPart(l *language, p string, final bool) bool {
	if len(p) < 4 && !shortParts[p] {
		return false
	}
	if ix.known(l, p) {
		return true
	}
	if final {
		return false
	}
	for _, fg := range fugen {
		if strings.HasSuffix(p, fg) && len(p)-len(fg) >= 3 && ix.known(l, p[:len(p)-len(fg)]) {
			return true
		}
	}
	return false
}

// parts is decompose, cached per index.
func (ix *Index) parts(l *language, w string) []string {
	if v, ok := ix.partsCache.Load(w); ok {
		return v.([]string)
	}
	p := ix.decompose(l, w)
	if ix.cached.Add(1) <= maxCached {
		ix.partsCache.Store(w, p)
	}
	return p
}

// decompose splits a folded compound into known words (of the documents or
// the dictionary) with the fewest parts ("hundesteuer" → "hund",
// "steuer"), or returns nil. Linking elements are dropped.
func (ix *Index) decompose(l *language, w string) []string {
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
			if best[j] == inf || (j == 0 && i == n) {
				continue
			}
			if ix.isPart(l, w[j:i], i == n) && best[j]+1 < best[i] {
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
		if i != n && !ix.known(l, p) {
			for _, fg := range fugen {
				if strings.HasSuffix(p, fg) && ix.known(l, p[:len(p)-len(fg)]) {
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
