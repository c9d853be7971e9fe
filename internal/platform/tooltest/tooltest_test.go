package tooltest

import "testing"

func TestPathFindsAProgramAndSkipsAMissingOne(t *testing.T) {
	if p := Path(t, "sh", "dash"); p == "" {
		t.Fatal("sh not found")
	}
	if _, ok := Optional(t, "sh", "dash"); !ok {
		t.Fatal("sh not found")
	}
	t.Setenv("RATHAUS_REQUIRE_TOOLS", "")
	if _, ok := Optional(t, "rathaus-no-such-program", "none"); ok {
		t.Fatal("a missing program was found")
	}
	t.Run("missing", func(t *testing.T) {
		Path(t, "rathaus-no-such-program", "none")
		t.Fatal("Path returned for a missing program")
	})
}
