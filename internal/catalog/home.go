package catalog

import (
	"context"
	"net/url"
	"sort"
	"strings"
)

// HomeLink is one link of the home page.
type HomeLink struct {
	Label, URL string
}

// Home is what the catalog contributes to the home page.
type Home struct {
	// Popular are the city's most used services.
	Popular []HomeLink
	// LifeSituations lead to the services of one life situation.
	LifeSituations []HomeLink
}

// everydayObjects are the LeiKa service objects (first eight digits) of
// what most people come to a citizen office for, in that order: ID card,
// passport, registration of residence, registration certificate,
// certificate of good conduct, trade registration, vehicle registration,
// marriage, death certificate, dog tax. They stand in for case volumes a
// catalog does not record.
var everydayObjects = []string{"99008001", "99085001", "99115005", "99115003", "99049001", "99050012", "99036020", "99059001", "99101004", "99102013"}

// maxPopular and maxLifeSituations bound the home page's lists.
const (
	maxPopular        = 8
	maxLifeSituations = 12
)

// Home returns the tenant's most used services (by yearly case volume,
// then the everyday matters) and its largest life situations. It reads
// the finder (no query beyond the revision check).
func (c *Catalog) Home(ctx context.Context, tenantID int64) (Home, error) {
	f, err := c.Finder(ctx, tenantID)
	if err != nil {
		return Home{}, err
	}
	return f.Home(), nil
}

// Home computes the home page lists from the finder's services.
func (f *Finder) Home() Home {
	h := Home{Popular: []HomeLink{}, LifeSituations: []HomeLink{}}
	services := f.Services()
	rank := func(s *Service) int {
		for _, k := range s.LeikaKeys {
			for i, o := range everydayObjects {
				if strings.HasPrefix(k, o) {
					return i
				}
			}
		}
		return len(everydayObjects)
	}
	var cands []int
	for i := range services {
		s := &services[i]
		if !s.IsFederal() && (s.YearlyCaseVolume > 0 || rank(s) < len(everydayObjects)) {
			cands = append(cands, i)
		}
	}
	sort.SliceStable(cands, func(a, b int) bool {
		sa, sb := &services[cands[a]], &services[cands[b]]
		if sa.YearlyCaseVolume != sb.YearlyCaseVolume {
			return sa.YearlyCaseVolume > sb.YearlyCaseVolume
		}
		if ra, rb := rank(sa), rank(sb); ra != rb {
			return ra < rb
		}
		return len(sa.Name) < len(sb.Name) // the general service before its special cases
	})
	seen := map[string]bool{}
	for _, i := range cands {
		s := &services[i]
		group := s.ID
		if len(s.LeikaKeys) > 0 {
			group = s.LeikaKeys[0][:8]
		}
		if seen[group] {
			continue
		}
		seen[group] = true
		h.Popular = append(h.Popular, HomeLink{Label: s.Name, URL: serviceURL(s.ID)})
		if len(h.Popular) == maxPopular {
			break
		}
	}
	counts := map[string]int{}
	for i := range services {
		for _, ls := range services[i].LifeSituations {
			if !services[i].IsFederal() {
				counts[ls] += 2 // the city's own services weigh more
			} else {
				counts[ls]++
			}
		}
	}
	names := make([]string, 0, len(counts))
	for ls := range counts {
		if !strings.HasPrefix(ls, "Querschnitt") { // not a situation of life
			names = append(names, ls)
		}
	}
	sort.Slice(names, func(a, b int) bool {
		if counts[names[a]] != counts[names[b]] {
			return counts[names[a]] > counts[names[b]]
		}
		return names[a] < names[b]
	})
	if len(names) > maxLifeSituations {
		names = names[:maxLifeSituations]
	}
	sort.Strings(names)
	for _, ls := range names {
		h.LifeSituations = append(h.LifeSituations, HomeLink{Label: ls, URL: "/leistungen?" + url.Values{"lebenslage": {ls}}.Encode()})
	}
	return h
}

// ByLifeSituation lists the services of one life situation (the city's
// own first, then by name), at most limit.
func (f *Finder) ByLifeSituation(ls string, limit int) []Service {
	var out []Service
	own := ownKeys(f.services)
	for _, s := range f.services {
		if contains(s.LifeSituations, ls) && !(s.IsFederal() && coveredBy(own, s)) {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].IsFederal() != out[b].IsFederal() {
			return !out[a].IsFederal()
		}
		return out[a].Name < out[b].Name
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}
