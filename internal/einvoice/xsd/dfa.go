package xsd

import (
	"slices"
	"strconv"
	"strings"
)

// The content model of a complex type is compiled (on first use) into a
// deterministic automaton: a Glushkov position automaton of the particle
// tree with min/maxOccurs unrolled, made deterministic by subset
// construction. The schemas obey Unique Particle Attribution, so the subset
// construction stays at about one state per position.

// maxPositions bounds the unrolling of large finite maxOccurs; beyond it
// the particle is treated as unbounded (more lenient, never stricter).
const maxPositions = 5000

type edge struct {
	next int
	elem *elemDecl // nil for a wildcard edge
	wc   *wildcard
}

type dstate struct {
	final bool
	elems map[qname]edge
	wilds []edge
	// expected lists the names that may come next, for messages.
	expected []string
}

type dfa struct {
	states []dstate
}

type rxOp int

const (
	rxLeaf rxOp = iota
	rxSeq
	rxAlt
	rxStar // zero or more
	rxPlus // one or more
	rxOpt
	rxEmpty
)

type rx struct {
	op   rxOp
	pos  int
	kids []*rx
}

type glushkov struct {
	leaves []*particle
	follow [][]int
}

func (gl *glushkov) build(p *particle) *rx {
	if p == nil {
		return &rx{op: rxEmpty}
	}
	term := func() *rx {
		switch p.kind {
		case pElem, pAny:
			gl.leaves = append(gl.leaves, p)
			gl.follow = append(gl.follow, nil)
			return &rx{op: rxLeaf, pos: len(gl.leaves) - 1}
		case pSeq:
			r := &rx{op: rxSeq}
			for _, k := range p.kids {
				r.kids = append(r.kids, gl.build(k))
			}
			return r
		case pChoice:
			r := &rx{op: rxAlt}
			for _, k := range p.kids {
				r.kids = append(r.kids, gl.build(k))
			}
			if len(r.kids) == 0 {
				return &rx{op: rxEmpty}
			}
			return r
		case pAll:
			// xsd:all is not used by the embedded schemas: approximate it
			// by a repeated choice (order-free, counts not checked).
			r := &rx{op: rxAlt}
			for _, k := range p.kids {
				r.kids = append(r.kids, gl.build(k))
			}
			if len(r.kids) == 0 {
				return &rx{op: rxEmpty}
			}
			return &rx{op: rxStar, kids: []*rx{r}}
		}
		return &rx{op: rxEmpty}
	}
	min, max := p.min, p.max
	if max == 0 {
		return &rx{op: rxEmpty}
	}
	if max > 0 && len(gl.leaves)+max*countLeaves(p) > maxPositions {
		max = -1
	}
	if min == 1 && max == 1 {
		return term()
	}
	seq := &rx{op: rxSeq}
	if max < 0 {
		for i := 0; i < min-1; i++ {
			seq.kids = append(seq.kids, term())
		}
		if min == 0 {
			seq.kids = append(seq.kids, &rx{op: rxStar, kids: []*rx{term()}})
		} else {
			seq.kids = append(seq.kids, &rx{op: rxPlus, kids: []*rx{term()}})
		}
		return seq
	}
	for i := 0; i < min; i++ {
		seq.kids = append(seq.kids, term())
	}
	// (t (t (t)?)?)? for the optional occurrences
	var opt *rx
	for i := 0; i < max-min; i++ {
		t := term()
		if opt != nil {
			t = &rx{op: rxSeq, kids: []*rx{t, opt}}
		}
		opt = &rx{op: rxOpt, kids: []*rx{t}}
	}
	if opt != nil {
		seq.kids = append(seq.kids, opt)
	}
	return seq
}

func countLeaves(p *particle) int {
	switch p.kind {
	case pElem, pAny:
		return 1
	}
	n := 0
	for _, k := range p.kids {
		m := 1
		if k.max > 1 {
			m = k.max
		}
		n += m * countLeaves(k)
	}
	if n == 0 {
		n = 1
	}
	return n
}

// analyse returns nullable, first and last of r and fills follow sets.
func (gl *glushkov) analyse(r *rx) (bool, []int, []int) {
	switch r.op {
	case rxEmpty:
		return true, nil, nil
	case rxLeaf:
		return false, []int{r.pos}, []int{r.pos}
	case rxSeq:
		nullable := true
		var first, last []int
		for _, k := range r.kids {
			kn, kf, kl := gl.analyse(k)
			for _, p := range last {
				gl.follow[p] = union(gl.follow[p], kf)
			}
			if nullable {
				first = union(first, kf)
			}
			if kn {
				last = union(last, kl)
			} else {
				last = append([]int(nil), kl...)
			}
			nullable = nullable && kn
		}
		return nullable, first, last
	case rxAlt:
		nullable := false
		var first, last []int
		for _, k := range r.kids {
			kn, kf, kl := gl.analyse(k)
			nullable = nullable || kn
			first = union(first, kf)
			last = union(last, kl)
		}
		return nullable, first, last
	case rxStar, rxPlus:
		kn, kf, kl := gl.analyse(r.kids[0])
		for _, p := range kl {
			gl.follow[p] = union(gl.follow[p], kf)
		}
		return kn || r.op == rxStar, kf, kl
	case rxOpt:
		_, kf, kl := gl.analyse(r.kids[0])
		return true, kf, kl
	}
	return true, nil, nil
}

func union(a, b []int) []int {
	for _, x := range b {
		if !slices.Contains(a, x) {
			a = append(a, x)
		}
	}
	return a
}

func setKey(s []int) string {
	c := slices.Clone(s)
	slices.Sort(c)
	var b strings.Builder
	for _, x := range c {
		b.WriteString(strconv.Itoa(x))
		b.WriteByte(',')
	}
	return b.String()
}

// buildDFA compiles a content model. State 0 is the start state.
func buildDFA(p *particle) *dfa {
	gl := &glushkov{}
	r := gl.build(p)
	nullable, first, last := gl.analyse(r)
	isLast := make([]bool, len(gl.leaves))
	for _, x := range last {
		isLast[x] = true
	}
	d := &dfa{}
	index := map[string]int{}
	// candidates (the positions that may match next) per state
	var cands [][]int
	var sets [][]int
	add := func(set []int, final bool) int {
		k := setKey(set)
		if i, ok := index[k]; ok {
			return i
		}
		i := len(d.states)
		index[k] = i
		var c []int
		for _, x := range set {
			c = union(c, gl.follow[x])
		}
		d.states = append(d.states, dstate{final: final})
		cands = append(cands, c)
		sets = append(sets, set)
		return i
	}
	d.states = append(d.states, dstate{final: nullable})
	cands = append(cands, first)
	sets = append(sets, nil)
	index["start"] = 0
	for i := 0; i < len(d.states); i++ {
		st := dstate{final: d.states[i].final, elems: map[qname]edge{}}
		byName := map[qname][]int{}
		var names []qname
		for _, x := range cands[i] {
			leaf := gl.leaves[x]
			if leaf.kind == pElem {
				if _, ok := byName[leaf.elem.name]; !ok {
					names = append(names, leaf.elem.name)
				}
				byName[leaf.elem.name] = append(byName[leaf.elem.name], x)
			}
		}
		for _, n := range names {
			set := byName[n]
			final := false
			for _, x := range set {
				final = final || isLast[x]
			}
			next := add(set, final)
			st.elems[n] = edge{next: next, elem: gl.leaves[set[0]].elem}
			st.expected = append(st.expected, n.local)
		}
		for _, x := range cands[i] {
			leaf := gl.leaves[x]
			if leaf.kind == pAny {
				next := add([]int{x}, isLast[x])
				st.wilds = append(st.wilds, edge{next: next, wc: leaf.wc})
				st.expected = append(st.expected, "WC[...]")
			}
		}
		d.states[i] = st
	}
	return d
}

func (t *typeDef) automaton() *dfa {
	t.dfaOnce.Do(func() { t.dfa = buildDFA(t.particle) })
	return t.dfa
}
