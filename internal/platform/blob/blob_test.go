package blob

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

func TestPutOpenRoundTripAndDedup(t *testing.T) {
	ctx := context.Background()
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	k1, n, err := d.Put(ctx, strings.NewReader("Bescheid über die Hundesteuer"))
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len("Bescheid über die Hundesteuer")) {
		t.Errorf("size = %d", n)
	}
	k2, _, err := d.Put(ctx, strings.NewReader("Bescheid über die Hundesteuer"))
	if err != nil || k2 != k1 {
		t.Fatalf("second put: key %s err %v, want %s", k2, err, k1)
	}
	f, err := d.Open(ctx, k1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "Bescheid über die Hundesteuer" {
		t.Errorf("content = %q", b)
	}
	var keys []string
	d.Walk(ctx, func(k string) error { keys = append(keys, k); return nil })
	if len(keys) != 1 || keys[0] != k1 {
		t.Errorf("walk = %v", keys)
	}
}

func TestCorruptBlobIsNeverServed(t *testing.T) {
	ctx := context.Background()
	d, _ := NewDir(t.TempDir())
	key, _, err := d.Put(ctx, strings.NewReader("original content"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.path(key), []byte("tampered content"), 0o640); err != nil {
		t.Fatal(err)
	}
	f, err := d.Open(ctx, key)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open of tampered blob: err = %v, want ErrCorrupt", err)
	}
	if f != nil {
		t.Error("a reader was returned for a corrupt blob")
	}
}

func TestOpenMissingAndInvalidKeys(t *testing.T) {
	d, _ := NewDir(t.TempDir())
	for _, k := range []string{strings.Repeat("a", 64), "../../etc/passwd", "", strings.Repeat("A", 64)} {
		if _, err := d.Open(context.Background(), k); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q) err = %v, want ErrNotFound", k, err)
		}
	}
}
