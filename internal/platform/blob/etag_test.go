package blob

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"testing"
)

// The ETag S3 reports: the content's MD5 for one PUT, else the MD5 of the
// parts' MD5s and the part count.
func TestPartHasherETag(t *testing.T) {
	data := make([]byte, 25)
	for i := range data {
		data[i] = byte(i)
	}
	whole := md5.Sum(data[:10])
	for _, tc := range []struct {
		n    int
		want string
	}{
		{10, hex.EncodeToString(whole[:])}, // exactly one part: a single PUT
		{25, func() string {
			a, b, c := md5.Sum(data[:10]), md5.Sum(data[10:20]), md5.Sum(data[20:25])
			all := md5.Sum(append(append(a[:], b[:]...), c[:]...))
			return fmt.Sprintf("%s-3", hex.EncodeToString(all[:]))
		}()},
		{20, func() string {
			a, b := md5.Sum(data[:10]), md5.Sum(data[10:20])
			all := md5.Sum(append(a[:], b[:]...))
			return fmt.Sprintf("%s-2", hex.EncodeToString(all[:]))
		}()},
	} {
		p := newPartHasher(10)
		p.Write(data[:3]) // in uneven pieces
		p.Write(data[3:tc.n])
		if got := p.etag(int64(tc.n)); got != tc.want {
			t.Errorf("etag(%d) = %s, want %s", tc.n, got, tc.want)
		}
		if !md5ETag(tc.want) {
			t.Errorf("md5ETag(%s) = false", tc.want)
		}
	}
	for _, e := range []string{"", "abc", "not-hex-0123456789012345678901234"} {
		if md5ETag(e) {
			t.Errorf("md5ETag(%q) = true", e)
		}
	}
}
