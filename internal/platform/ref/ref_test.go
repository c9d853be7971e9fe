package ref

import "testing"

func TestNewIsValidAndRandom(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		r := New("A")
		if !Valid("A", r) {
			t.Fatalf("New produced invalid reference %q", r)
		}
		if seen[r] {
			t.Fatalf("duplicate reference %q in 1000 draws", r)
		}
		seen[r] = true
	}
}

func TestValid(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"A-7K3M-Q9TX", true},
		{"A-7K3M-Q9T", false},
		{"B-7K3M-Q9TX", false},
		{"A-7K3MQ9TX0", false},
		{"A-7K3M-Q9TI", false}, // I is not in the alphabet
		{"", false},
	}
	for _, tt := range tests {
		if got := Valid("A", tt.in); got != tt.want {
			t.Errorf("Valid(A, %q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
