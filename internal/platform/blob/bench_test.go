package blob_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/blobtest"
)

// Put and verified Open of typical document sizes (a form's JSON, a receipt
// PDF, a scanned upload) on both backends; under make test-s3 the S3 half
// runs against SeaweedFS on this machine.
//
//	go test -run ^$ -bench . ./internal/platform/blob/
func BenchmarkStore(b *testing.B) {
	for _, backend := range []string{"dir", "s3"} {
		for _, size := range []int{4 << 10, 256 << 10, 4 << 20} {
			b.Run(fmt.Sprintf("%s/%dKiB", backend, size>>10), func(b *testing.B) {
				var s blob.Store
				if backend == "dir" {
					s = blobtest.OpenDir(b)
				} else {
					s = blobtest.OpenS3(b)
				}
				ctx := context.Background()
				data := pseudoRandom(1, size)
				b.Run("put", func(b *testing.B) {
					b.SetBytes(int64(size))
					i := 0
					for b.Loop() {
						i++
						data[0], data[1], data[2] = byte(i), byte(i>>8), byte(i>>16) // a new blob each time
						if _, _, err := s.Put(ctx, bytes.NewReader(data)); err != nil {
							b.Fatal(err)
						}
					}
				})
				key, _, err := s.Put(ctx, bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				b.Run("open", func(b *testing.B) {
					b.SetBytes(int64(size))
					for b.Loop() {
						f, err := s.Open(ctx, key)
						if err != nil {
							b.Fatal(err)
						}
						io.Copy(io.Discard, f)
						f.Close()
					}
				})
			})
		}
	}
}
