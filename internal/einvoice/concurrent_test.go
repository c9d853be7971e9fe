package einvoice

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestValidateConcurrent runs Validate from several goroutines on shared
// compiled rules; with -race it checks that nothing is shared by accident.
func TestValidateConcurrent(t *testing.T) {
	files := []string{"ubl-invoice.xml", "cii.xml", "ubl-creditnote.xml"}
	want := map[string]summary{}
	data := map[string][]byte{}
	for _, f := range files {
		data[f] = readTestdata(t, f)
		want[f] = summarize(Validate(f, data[f]))
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			f := files[i%len(files)]
			for range 3 {
				if diff := cmp.Diff(want[f], summarize(Validate(f, data[f]))); diff != "" {
					t.Errorf("%s (-want +got):\n%s", f, diff)
				}
			}
		})
	}
	wg.Wait()
}
