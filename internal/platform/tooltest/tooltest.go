// Package tooltest finds the external programs some tests use as
// independent judges (xmllint, pdfsig, pdftotext, qpdf, ...).
//
// On a newcomer's machine a missing program skips the test with the Debian
// package that provides it, so `make test` works on a bare clone. CI
// installs every such program and sets RATHAUS_REQUIRE_TOOLS=1: there a
// missing program fails the test, so no judge is skipped unnoticed.
package tooltest

import (
	"os"
	"os/exec"
	"testing"
)

// Required reports whether missing programs fail tests instead of skipping
// them (RATHAUS_REQUIRE_TOOLS=1, set by .ci/run).
func Required() bool { return os.Getenv("RATHAUS_REQUIRE_TOOLS") == "1" }

// Path returns the path of program name; when it is missing the test is
// skipped (or fails under Required) naming the Debian package pkg.
func Path(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if Required() {
		t.Fatalf("%s missing: apt-get install %s (RATHAUS_REQUIRE_TOOLS=1)", name, pkg)
	}
	t.Skipf("%s missing: apt-get install %s to run this test", name, pkg)
	return ""
}

// Optional returns the path of program name for an additional check; when
// it is missing it logs that the check was left out and returns false (or
// fails the test under Required).
func Optional(t testing.TB, name, pkg string) (string, bool) {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p, true
	}
	if Required() {
		t.Fatalf("%s missing: apt-get install %s (RATHAUS_REQUIRE_TOOLS=1)", name, pkg)
	}
	t.Logf("%s missing (apt-get install %s): that check is left out", name, pkg)
	return "", false
}
