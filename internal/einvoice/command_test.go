package einvoice

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rathaus/rathaus/internal/platform/cli"
)

// writeFiles creates files (relative name → content) in a temporary
// directory and returns it.
func writeFiles(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCommand(t *testing.T) {
	ubl := readTestdata(t, "ubl-invoice.xml")
	cii := readTestdata(t, "cii.xml")
	dir := writeFiles(t, map[string][]byte{
		"good/b.xml":      ubl,
		"good/a.XML":      cii,
		"good/sub/c.xml":  ubl,
		"good/notes.txt":  []byte("ignored"),
		"bad/broken.xml":  []byte("<Invoice"),
		"single/one.xml":  cii,
		"mixed/1-ok.xml":  cii,
		"mixed/2-bad.xml": []byte("<x/>"),
	})
	in := func(p string) string { return filepath.Join(dir, p) }
	tests := []struct {
		name      string
		args      []string
		wantFiles []string // files of the JSON lines, in order
		wantErr   error
		usage     bool
	}{
		{"file", []string{"validate", "--json", in("single/one.xml")}, []string{in("single/one.xml")}, nil, false},
		{"flag after path", []string{"validate", in("single/one.xml"), "--json"}, []string{in("single/one.xml")}, nil, false},
		{"directory sorted recursively", []string{"validate", "--json", in("good")}, []string{in("good/a.XML"), in("good/b.xml"), in("good/sub/c.xml")}, nil, false},
		{"argument order kept", []string{"validate", "--json", in("good/b.xml"), in("single/one.xml")}, []string{in("good/b.xml"), in("single/one.xml")}, nil, false},
		{"not well-formed is a rejection", []string{"validate", "--json", in("bad")}, []string{in("bad/broken.xml")}, cli.ErrNegative, false},
		{"one rejected of two", []string{"validate", "--json", in("mixed")}, []string{in("mixed/1-ok.xml"), in("mixed/2-bad.xml")}, cli.ErrNegative, false},
		{"missing path", []string{"validate", "--json", in("nope.xml")}, nil, nil, true},
		{"unknown flag", []string{"validate", "--yaml", in("single/one.xml")}, nil, nil, true},
		{"no path", []string{"validate", "--json"}, nil, nil, true},
		{"no subcommand", nil, nil, nil, true},
		{"unknown subcommand", []string{"check"}, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := Command(context.Background(), tt.args, &stdout, &stderr)
			var ue *cli.UsageError
			if tt.usage {
				if !errors.As(err, &ue) {
					t.Fatalf("err = %v, want a usage error", err)
				}
				if cli.ExitCode(err) != 2 {
					t.Errorf("exit code %d, want 2", cli.ExitCode(err))
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			var files []string
			sc := bufio.NewScanner(&stdout)
			sc.Buffer(nil, 1<<24)
			for sc.Scan() {
				var v struct {
					File     string   `json:"file"`
					Scenario *string  `json:"scenario"`
					Errors   []string `json:"errors"`
				}
				if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
					t.Fatalf("line %q: %v", sc.Text(), err)
				}
				if v.Errors == nil {
					t.Errorf("%s: errors is null, want []", v.File)
				}
				files = append(files, v.File)
			}
			if diff := cmp.Diff(tt.wantFiles, files); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCommandHuman(t *testing.T) {
	dir := writeFiles(t, map[string][]byte{
		"a.xml": readTestdata(t, "cii.xml"),
		"b.xml": []byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>`),
	})
	var stdout, stderr bytes.Buffer
	err := Command(context.Background(), []string{"validate", dir}, &stdout, &stderr)
	if !errors.Is(err, cli.ErrNegative) {
		t.Fatalf("err = %v, want ErrNegative", err)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	want := []string{
		"ACCEPTED  " + filepath.Join(dir, "a.xml") + "  [EN16931 XRechnung (CII)]  0 errors, 0 warnings, 1 infos",
		"REJECTED  " + filepath.Join(dir, "b.xml") + "  [unknown]",
		"1 of 2 files rejected",
	}
	var got []string
	for _, l := range lines {
		if !strings.HasPrefix(l, " ") {
			got = append(got, l)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary lines (-want +got):\n%s\nfull output:\n%s", diff, stdout.String())
	}
	if !strings.Contains(stdout.String(), "reason: document type declarations (DTD, entities) are not allowed") {
		t.Errorf("output lacks the DTD reason:\n%s", stdout.String())
	}
}
