package catalog

import (
	"unicode/utf8"

	"github.com/rathaus/rathaus/internal/catalog/search"
)

// Finder searches a catalog: the services are turned into documents of
// the search engine (package search), which does all text analysis and
// ranking. It is immutable after NewFinder and safe for concurrent use;
// when the catalog changes, build a new Finder and swap it in.
type Finder struct {
	services []Service
	byID     map[string]int
	// docs[i] is the service of document i (federal entries whose key a
	// city service carries are not indexed).
	docs []int
	ix   *search.Index
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
	// Suggestion is the query with misspelt words corrected ("did you
	// mean"), "" when none.
	Suggestion string `json:"-"`
	// raw scores of Hits, for the assistant
	raw []float32
}

// Limits of the finder.
const (
	DefaultLimit  = search.DefaultLimit
	MaxLimit      = search.MaxLimit
	MaxQueryBytes = search.MaxQueryBytes
)

// NewFinder indexes services (the slice is kept; do not modify it). Staff
// phrases (Phrase lines, see PhraseLine) are added to the engine's table.
func NewFinder(services []Service, phrases ...string) *Finder {
	f := &Finder{services: services, byID: make(map[string]int, len(services))}
	own := ownKeys(services)
	related := federalNames(services)
	var docs []search.Document
	for i := range services {
		s := &services[i]
		f.byID[s.ID] = i
		if s.IsFederal() && coveredBy(own, *s) {
			continue // the city's own service stands for it
		}
		f.docs = append(f.docs, i)
		d := search.Document{
			Name: s.Name, Keywords: s.Keywords, Summary: s.Summary, Description: s.Description,
			Keys: append(append([]string{}, s.LeikaKeys...), s.ExternalID), Reference: s.IsFederal(),
			LifeSituations: s.LifeSituations, Topics: s.Topics, Prior: 1,
		}
		if len(s.LeikaKeys) > 0 {
			d.Group = s.LeikaKeys[0][:8]
		}
		if !s.IsFederal() {
			seen := map[string]bool{s.Name: true}
			for _, k := range s.LeikaKeys {
				for _, n := range related[k[:8]] {
					if !seen[n] {
						seen[n] = true
						d.Related = append(d.Related, n)
					}
				}
			}
		}
		if s.Description == "" && !s.IsFederal() {
			// Entries without a description (internal appointment types
			// of the source) give a citizen little.
			d.Prior = 0.8
		}
		if s.IsFederal() {
			// A city's finder answers with the city's services first; the
			// federal entries fill in the matters it has none for.
			d.Prior = 0.5
			// The laws an entry rests on name its matter too
			// (Mutterschaftsgeld: "Mutterschutzgesetz").
			if d.Description == "" {
				d.Description = s.LegalBasis
			}
		}
		docs = append(docs, d)
	}
	f.ix = search.New(docs, phrases)
	return f
}

// federalNames maps LeiKa service objects (8 digits) to the names under
// which the federal catalogue knows them (entry names and OZG services):
// a city service is also found by the federal words for its matter. The
// federal entries come from services when they hold any, else from the
// embedded federal catalogue.
func federalNames(services []Service) map[string][]string {
	for i := range services {
		if services[i].IsFederal() {
			return namesByObject(services)
		}
	}
	return embeddedFederalNames()
}

func namesByObject(fed []Service) map[string][]string {
	out := map[string][]string{}
	for i := range fed {
		s := &fed[i]
		if !s.IsFederal() || len(s.LeikaKeys) == 0 {
			continue
		}
		g := s.LeikaKeys[0][:8]
		if len(out[g]) < 16 {
			out[g] = append(out[g], s.Name)
			out[g] = append(out[g], s.Keywords...)
		}
	}
	return out
}

// docOf returns the document of the service id, or -1.
func (f *Finder) docOf(id string) int {
	i, ok := f.byID[id]
	if !ok {
		return -1
	}
	for d, si := range f.docs {
		if si == i {
			return d
		}
	}
	return -1
}

// Len is the number of indexed services.
func (f *Finder) Len() int { return len(f.docs) }

// Services returns the services the finder was built from (do not modify).
func (f *Finder) Services() []Service { return f.services }

// Service returns the service with the public reference id.
func (f *Finder) Service(id string) (Service, bool) {
	i, ok := f.byID[id]
	if !ok {
		return Service{}, false
	}
	return f.services[i], true
}

// Find searches the catalog. It never fails: empty, hostile or unknown
// queries give an empty result.
func (f *Finder) Find(q Query) Result {
	res := Result{Query: q.Text, Hits: []Hit{}, Facets: Facets{LifeSituations: []FacetCount{}, Topics: []FacetCount{}}}
	r := f.ix.Search(search.Query{Text: q.Text, Limit: q.Limit, LifeSituation: q.LifeSituation, Topic: q.Topic})
	res.Total = r.Total
	res.Suggestion = r.Suggestion
	for _, h := range r.Hits {
		s := &f.services[f.docs[h.Doc]]
		res.Hits = append(res.Hits, Hit{ID: s.ID, ExternalID: s.ExternalID, LeikaKeys: nonNil(s.LeikaKeys), Name: s.Name, Score: h.Score})
		res.raw = append(res.raw, h.Raw)
	}
	for _, c := range r.LifeSituations {
		res.Facets.LifeSituations = append(res.Facets.LifeSituations, FacetCount{c.Value, c.Count})
	}
	for _, c := range r.Topics {
		res.Facets.Topics = append(res.Facets.Topics, FacetCount{c.Value, c.Count})
	}
	return res
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// cutQuery trims q to MaxQueryBytes at a rune boundary, as the finder
// reads it.
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
