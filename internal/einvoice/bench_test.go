package einvoice

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkValidate measures the whole pipeline (parse, XML Schema,
// scenario, CEN and XRechnung rules) on a valid XRechnung of each syntax
// (testdata/README.md names their sources).
func BenchmarkValidate(b *testing.B) {
	for _, syntax := range []string{"ubl-invoice", "ubl-creditnote", "cii"} {
		b.Run(syntax, func(b *testing.B) {
			data, err := os.ReadFile(filepath.Join("testdata", syntax+".xml"))
			if err != nil {
				b.Fatal(err)
			}
			v := Validate("bench.xml", data)
			if v.Syntax != syntax {
				b.Fatalf("syntax %s, want %s", v.Syntax, syntax)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			cpu0 := cpuTime()
			n := 0
			for b.Loop() {
				Validate("bench.xml", data)
				n++
			}
			// CPU time (all threads, GC included) is stable on a busy
			// machine where wall time is not.
			if d := cpuTime() - cpu0; d > 0 {
				b.ReportMetric(float64(d.Nanoseconds())/float64(n), "cpu-ns/op")
				b.ReportMetric(float64(n)/d.Seconds(), "invoices/cpu-s")
			}
		})
	}
}
