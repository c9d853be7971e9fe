package xsd

import (
	"strings"
	"testing"
)

// accepts runs the automaton of p over the names (single letters, no
// namespace; "*" stands for an element in namespace urn:other).
func accepts(p *particle, word string) bool {
	a := buildAutomaton(p)
	var cur []int32
	started := false
	for _, c := range strings.Split(word, "") {
		q := qname{"", c}
		if c == "*" {
			q = qname{"urn:other", "x"}
		}
		next, leaf := a.step(cur, started, q, nil)
		if leaf == nil {
			return false
		}
		cur, started = next, true
	}
	return a.final(cur, started)
}

func el(name string, min, max int) *particle {
	return &particle{kind: pElem, min: min, max: max, elem: &elemDecl{name: qname{"", name}}}
}

func seq(min, max int, kids ...*particle) *particle {
	return &particle{kind: pSeq, min: min, max: max, kids: kids}
}

func choice(min, max int, kids ...*particle) *particle {
	return &particle{kind: pChoice, min: min, max: max, kids: kids}
}

func TestAutomaton(t *testing.T) {
	any := &particle{kind: pAny, min: 0, max: 1, wc: &wildcard{not: []string{""}, process: pcLax}}
	model := seq(1, 1, el("a", 1, 1), el("b", 0, -1), choice(1, 1, el("c", 1, 1), seq(1, 1, el("d", 1, 1), el("e", 0, 1))), el("f", 2, 3), any)
	tests := []struct {
		word string
		want bool
	}{
		{"acff", true},
		{"abbbcff", true},
		{"adeff", true},
		{"adfff", true},
		{"adffff", false},
		{"acf", false},
		{"ac", false},
		{"bcff", false},
		{"acdff", false},
		{"aceff", false},
		{"acff*", true},
		{"acff**", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := accepts(model, tt.word); got != tt.want {
			t.Errorf("%q: accepted = %v, want %v", tt.word, got, tt.want)
		}
	}
	if !accepts(seq(1, 1), "") || accepts(seq(1, 1), "a") {
		t.Error("empty sequence")
	}
	if !accepts(choice(0, -1, el("a", 1, 1), el("b", 1, 1)), "abba") {
		t.Error("repeated choice")
	}
}
