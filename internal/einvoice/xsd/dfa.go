package xsd

import (
	"math/bits"
	"slices"
)

// The content model of a complex type is compiled (on first use) into a
// Glushkov position automaton: one position per element or wildcard
// particle, with min/maxOccurs unrolled, and for each position the set of
// positions that may follow it (bitsets). Validation tracks the set of
// current positions; the schemas obey Unique Particle Attribution, so the
// set has one member except after unrolled optional repeats.

// maxPositions bounds the unrolling of large finite maxOccurs; beyond it
// the particle is treated as unbounded (more lenient, never stricter).
const maxPositions = 5000

type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) has(i int32) bool { return b[i>>6]&(1<<(uint(i)&63)) != 0 }
func (b bitset) set(i int)        { b[i>>6] |= 1 << (uint(i) & 63) }
func (b bitset) or(o bitset) {
	for i := range o {
		b[i] |= o[i]
	}
}

func (b bitset) each(f func(int)) {
	for w, x := range b {
		for x != 0 {
			t := bits.TrailingZeros64(x)
			f(w*64 + t)
			x &^= 1 << uint(t)
		}
	}
}

type automaton struct {
	leaves   []*particle
	follow   []bitset
	first    bitset
	last     bitset
	nullable bool
	byName   map[qname][]int32
	wilds    []int32
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
	leaves  []*particle
	followB []bitset
}

func (gl *glushkov) build(p *particle) *rx {
	if p == nil {
		return &rx{op: rxEmpty}
	}
	term := func() *rx {
		switch p.kind {
		case pElem, pAny:
			gl.leaves = append(gl.leaves, p)
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
func (gl *glushkov) analyse(r *rx, n int) (bool, bitset, bitset) {
	switch r.op {
	case rxLeaf:
		f := newBitset(n)
		f.set(r.pos)
		return false, f, f
	case rxSeq:
		nullable := true
		first, last := newBitset(n), newBitset(n)
		for _, k := range r.kids {
			kn, kf, kl := gl.analyse(k, n)
			last.each(func(p int) { gl.followB[p].or(kf) })
			if nullable {
				first.or(kf)
			}
			if kn {
				last.or(kl)
			} else {
				last = slices.Clone(kl)
			}
			nullable = nullable && kn
		}
		return nullable, first, last
	case rxAlt:
		nullable := false
		first, last := newBitset(n), newBitset(n)
		for _, k := range r.kids {
			kn, kf, kl := gl.analyse(k, n)
			nullable = nullable || kn
			first.or(kf)
			last.or(kl)
		}
		return nullable, first, last
	case rxStar, rxPlus:
		kn, kf, kl := gl.analyse(r.kids[0], n)
		kl.each(func(p int) { gl.followB[p].or(kf) })
		return kn || r.op == rxStar, kf, kl
	case rxOpt:
		_, kf, kl := gl.analyse(r.kids[0], n)
		return true, kf, kl
	}
	return true, newBitset(n), newBitset(n)
}

func buildAutomaton(p *particle) *automaton {
	gl := &glushkov{}
	r := gl.build(p)
	n := len(gl.leaves)
	gl.followB = make([]bitset, n)
	for i := range gl.followB {
		gl.followB[i] = newBitset(n)
	}
	nullable, first, last := gl.analyse(r, n)
	a := &automaton{leaves: gl.leaves, follow: gl.followB, first: first, last: last, nullable: nullable, byName: map[qname][]int32{}}
	for i, l := range gl.leaves {
		if l.kind == pElem {
			a.byName[l.elem.name] = append(a.byName[l.elem.name], int32(i))
		} else {
			a.wilds = append(a.wilds, int32(i))
		}
	}
	return a
}

// reachable reports whether position q may come next.
func (a *automaton) reachable(cur []int32, started bool, q int32) bool {
	if !started {
		return a.first.has(q)
	}
	for _, p := range cur {
		if a.follow[p].has(q) {
			return true
		}
	}
	return false
}

// step moves over an element named name. It appends the next positions to
// next[:0] and returns them with the matched particle, or nil when the
// element is not allowed here.
func (a *automaton) step(cur []int32, started bool, name qname, next []int32) ([]int32, *particle) {
	next = next[:0]
	var leaf *particle
	for _, q := range a.byName[name] {
		if a.reachable(cur, started, q) {
			next = append(next, q)
			if leaf == nil {
				leaf = a.leaves[q]
			}
		}
	}
	if leaf != nil {
		return next, leaf
	}
	for _, q := range a.wilds {
		if a.leaves[q].wc.allows(name.ns) && a.reachable(cur, started, q) {
			next = append(next, q)
			if leaf == nil {
				leaf = a.leaves[q]
			}
		}
	}
	return next, leaf
}

// findDecl returns the first element declaration of the content model
// named name, or nil when there is none or a wildcard allowing its
// namespace comes first (Xerces' recovery after a content error).
func (a *automaton) findDecl(name qname) *elemDecl {
	for _, l := range a.leaves {
		if l.kind == pElem {
			if l.elem.name == name {
				return l.elem
			}
		} else if l.wc.allows(name.ns) {
			return nil
		}
	}
	return nil
}

func (a *automaton) final(cur []int32, started bool) bool {
	if !started {
		return a.nullable
	}
	for _, p := range cur {
		if a.last.has(p) {
			return true
		}
	}
	return false
}

// expected lists the local names that may come next, for messages.
func (a *automaton) expected(cur []int32, started bool) []string {
	var out []string
	for q := range a.leaves {
		if !a.reachable(cur, started, int32(q)) {
			continue
		}
		nm := "WC[##any]"
		if l := a.leaves[q]; l.kind == pElem {
			nm = l.elem.name.local
		}
		if !slices.Contains(out, nm) {
			out = append(out, nm)
		}
	}
	return out
}

func (t *typeDef) automaton() *automaton {
	t.dfaOnce.Do(func() { t.dfa = buildAutomaton(t.particle) })
	return t.dfa
}
