package blob

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3 is a Store in a bucket of an S3-compatible object store (SeaweedFS,
// MinIO, Ceph RGW, a cloud provider), through minio-go.
//
// Object names are Prefix + key. Put spools the content to a temporary file
// while hashing it (the key is known only at the end), then uploads the file
// with its real size: up to PartSize in one PUT, larger in parts of PartSize
// read straight from the file, so memory stays bounded whatever the size.
// The uploaded object's ETag is checked against the MD5 computed while
// spooling (per part for a multipart upload). An object becomes visible only
// when its upload completes; a failed multipart upload is aborted.
//
// Open downloads and re-hashes the object before returning it: small objects
// in memory, larger ones through an unlinked temporary file.
type S3 struct {
	Client *minio.Client
	Bucket string
	Prefix string
	// TempDir holds spooled uploads and verified downloads (default os.TempDir()).
	TempDir string
	// PartSize is the multipart part size (default 16 MiB; S3 needs >= 5 MiB).
	PartSize int64
	// MemLimit: objects up to this size are verified in memory on Open
	// (default 1 MiB); larger ones through a temporary file.
	MemLimit int64
}

// S3Config says where the bucket is.
type S3Config struct {
	Endpoint  string // host:port
	Bucket    string
	Region    string
	TLS       bool
	Prefix    string
	AccessKey string
	SecretKey string
	// Transport overrides the HTTP transport (tests cut connections with it).
	Transport http.RoundTripper
}

const defaultPartSize = 16 << 20

// NewS3 connects to the bucket and checks that it exists and that the
// credentials are accepted, so that a wrong configuration refuses to start
// instead of failing the first upload.
func NewS3(ctx context.Context, c S3Config) (*S3, error) {
	tr := c.Transport
	if tr == nil {
		t, err := minio.DefaultTransport(c.TLS)
		if err != nil {
			return nil, err
		}
		t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		t.ResponseHeaderTimeout = 30 * time.Second
		tr = t
	}
	cl, err := minio.New(c.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure:       c.TLS,
		Region:       c.Region,
		BucketLookup: minio.BucketLookupPath,
		Transport:    tr,
		MaxRetries:   3,
	})
	if err != nil {
		return nil, fmt.Errorf("blob store s3://%s at %s: %w", c.Bucket, c.Endpoint, err)
	}
	s := &S3{Client: cl, Bucket: c.Bucket, Prefix: c.Prefix}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	ok, err := cl.BucketExists(cctx, c.Bucket)
	if err != nil {
		switch code := minio.ToErrorResponse(err).Code; code {
		case "AccessDenied":
			return nil, fmt.Errorf("blob store s3://%s at %s: access denied (AccessDenied); check that the bucket exists and that RATHAUS_S3_ACCESS_KEY / RATHAUS_S3_SECRET_KEY may use it", c.Bucket, c.Endpoint)
		case "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken":
			return nil, fmt.Errorf("blob store s3://%s at %s: credentials refused (%s); check RATHAUS_S3_ACCESS_KEY and RATHAUS_S3_SECRET_KEY", c.Bucket, c.Endpoint, code)
		}
		return nil, unavailable(fmt.Sprintf("blob store s3://%s at %s: cannot reach the object store", c.Bucket, c.Endpoint), err)
	}
	if !ok {
		return nil, fmt.Errorf("blob store s3://%s at %s: the bucket does not exist (create it first)", c.Bucket, c.Endpoint)
	}
	return s, nil
}

func (s *S3) name(key string) string { return s.Prefix + key }

func (s *S3) partSize() int64 {
	if s.PartSize > 0 {
		return s.PartSize
	}
	return defaultPartSize
}

func (s *S3) memLimit() int64 {
	if s.MemLimit > 0 {
		return s.MemLimit
	}
	return 1 << 20
}

// s3Err classifies an object store failure: a missing object is ErrNotFound,
// a cancelled request stays a cancellation, anything else (unreachable,
// refused, full, read-only) is the storage being unavailable.
func s3Err(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if code := minio.ToErrorResponse(err).Code; code == minio.NoSuchKey || code == "NotFound" {
		return fmt.Errorf("%s: %w", op, ErrNotFound)
	}
	return unavailable(op, err)
}

// partHasher computes the MD5 of the whole content and of every part, so
// the ETag S3 returns can be checked for single and multipart uploads.
type partHasher struct {
	size     int64
	whole    hash.Hash
	part     hash.Hash
	inPart   int64
	partSums [][]byte
}

func newPartHasher(size int64) *partHasher {
	return &partHasher{size: size, whole: md5.New(), part: md5.New()}
}

func (p *partHasher) Write(b []byte) (int, error) {
	n := len(b)
	p.whole.Write(b)
	for len(b) > 0 {
		k := min(int64(len(b)), p.size-p.inPart)
		p.part.Write(b[:k])
		p.inPart += k
		b = b[k:]
		if p.inPart == p.size {
			p.partSums = append(p.partSums, p.part.Sum(nil))
			p.part.Reset()
			p.inPart = 0
		}
	}
	return n, nil
}

// etag is what S3 reports for content of n bytes uploaded with this part size.
func (p *partHasher) etag(n int64) string {
	if n <= p.size {
		return hex.EncodeToString(p.whole.Sum(nil))
	}
	sums := p.partSums
	if p.inPart > 0 {
		sums = append(sums, p.part.Sum(nil))
	}
	all := md5.New()
	for _, s := range sums {
		all.Write(s)
	}
	return fmt.Sprintf("%s-%d", hex.EncodeToString(all.Sum(nil)), len(sums))
}

// md5ETag reports whether etag has the form of an MD5 ETag (single or
// multipart); other forms (encrypted objects at some providers) cannot be checked.
func md5ETag(etag string) bool {
	h, _, _ := strings.Cut(etag, "-")
	if len(h) != 32 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}

// Put spools, hashes and uploads the content (see S3).
func (s *S3) Put(ctx context.Context, r io.Reader) (string, int64, error) {
	return s.putWith(ctx, r, nil)
}

func (s *S3) putWith(ctx context.Context, r io.Reader, before placeHook) (string, int64, error) {
	tmp, err := os.CreateTemp(s.TempDir, "rathaus-upload-*")
	if err != nil {
		return "", 0, diskErr("put blob (spool)", err)
	}
	os.Remove(tmp.Name()) // unlinked: nothing stays behind whatever happens
	defer tmp.Close()
	h := sha256.New()
	ph := newPartHasher(s.partSize())
	w := &diskWriter{f: tmp}
	n, err := io.Copy(io.MultiWriter(w, h, ph), readerWithContext{ctx, r})
	if err != nil {
		if w.err != nil {
			return "", 0, diskErr("put blob (spool)", w.err)
		}
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	key := hex.EncodeToString(h.Sum(nil))
	want := ph.etag(n)
	op := "put blob " + key
	if before != nil {
		if err := before(ctx, key, n); err != nil {
			return "", 0, fmt.Errorf("%s: %w", op, err)
		}
	}
	st, err := s.Client.StatObject(ctx, s.Bucket, s.name(key), minio.StatObjectOptions{})
	if err == nil && st.Size == n && (!md5ETag(st.ETag) || strings.Trim(st.ETag, `"`) == want) {
		return key, n, nil // already stored (content addressing)
	}
	if err != nil {
		if e := s3Err(op, err); !errors.Is(e, ErrNotFound) {
			return "", 0, e
		}
	}
	info, err := s.Client.PutObject(ctx, s.Bucket, s.name(key), io.NewSectionReader(tmp, 0, n), n, minio.PutObjectOptions{
		ContentType: "application/octet-stream",
		PartSize:    uint64(s.partSize()),
		NumThreads:  2,
	})
	if err != nil {
		return "", 0, s3Err(op, err)
	}
	if got := strings.Trim(info.ETag, `"`); md5ETag(got) && got != want {
		// The store holds other bytes than we sent: remove them rather than
		// keep a key that would fail every read.
		s.Client.RemoveObject(context.WithoutCancel(ctx), s.Bucket, s.name(key), minio.RemoveObjectOptions{})
		return "", 0, unavailable(op, fmt.Errorf("object store acknowledged ETag %s, sent content has %s", got, want))
	}
	return key, n, nil
}

// Open downloads and verifies the object before returning it.
func (s *S3) Open(ctx context.Context, key string) (io.ReadSeekCloser, error) {
	if !ValidKey(key) {
		return nil, fmt.Errorf("open blob %q: %w", key, ErrNotFound)
	}
	op := "open blob " + key
	obj, err := s.Client.GetObject(ctx, s.Bucket, s.name(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, s3Err(op, err)
	}
	defer obj.Close()
	st, err := obj.Stat()
	if err != nil {
		return nil, s3Err(op, err)
	}
	h := sha256.New()
	if st.Size <= s.memLimit() {
		var buf bytes.Buffer
		buf.Grow(int(st.Size))
		if _, err := io.Copy(io.MultiWriter(&buf, h), readerWithContext{ctx, obj}); err != nil {
			return nil, s3Err(op, err)
		}
		if hex.EncodeToString(h.Sum(nil)) != key {
			return nil, fmt.Errorf("%s: %w", op, ErrCorrupt)
		}
		return nopCloser{bytes.NewReader(buf.Bytes())}, nil
	}
	tmp, err := os.CreateTemp(s.TempDir, "rathaus-download-*")
	if err != nil {
		return nil, diskErr(op+" (spool)", err)
	}
	os.Remove(tmp.Name())
	w := &diskWriter{f: tmp}
	if _, err := io.Copy(io.MultiWriter(w, h), readerWithContext{ctx, obj}); err != nil {
		tmp.Close()
		if w.err != nil {
			return nil, diskErr(op+" (spool)", w.err)
		}
		return nil, s3Err(op, err)
	}
	if hex.EncodeToString(h.Sum(nil)) != key {
		tmp.Close()
		return nil, fmt.Errorf("%s: %w", op, ErrCorrupt)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		tmp.Close()
		return nil, err
	}
	return tmp, nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// Stat asks the object store for the object's size.
func (s *S3) Stat(ctx context.Context, key string) (int64, error) {
	if !ValidKey(key) {
		return 0, fmt.Errorf("stat blob %q: %w", key, ErrNotFound)
	}
	st, err := s.Client.StatObject(ctx, s.Bucket, s.name(key), minio.StatObjectOptions{})
	if err != nil {
		return 0, s3Err("stat blob "+key, err)
	}
	return st.Size, nil
}

// Delete removes the object.
func (s *S3) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("delete blob %q: invalid key", key)
	}
	if err := s.Client.RemoveObject(ctx, s.Bucket, s.name(key), minio.RemoveObjectOptions{}); err != nil {
		if e := s3Err("delete blob "+key, err); !errors.Is(e, ErrNotFound) {
			return e
		}
	}
	return nil
}

// Walk lists the objects under Prefix in lexical order.
func (s *S3) Walk(ctx context.Context, fn func(key string) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for obj := range s.Client.ListObjects(ctx, s.Bucket, minio.ListObjectsOptions{Prefix: s.Prefix, Recursive: true}) {
		if obj.Err != nil {
			return s3Err("list blobs", obj.Err)
		}
		key := strings.TrimPrefix(obj.Key, s.Prefix)
		if !ValidKey(key) {
			continue
		}
		if err := fn(key); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// AbortStaleUploads aborts the multipart uploads under Prefix initiated
// before cutoff: parts left by an upload whose connection was cut (the
// object never appeared, but the parts use space). Collect's job calls it.
func (s *S3) AbortStaleUploads(ctx context.Context, cutoff time.Time) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stale []string
	for u := range s.Client.ListIncompleteUploads(ctx, s.Bucket, s.Prefix, true) {
		if u.Err != nil {
			return 0, s3Err("list incomplete uploads", u.Err)
		}
		if u.Initiated.Before(cutoff) {
			stale = append(stale, u.Key)
		}
	}
	n := 0
	for _, key := range stale {
		if err := s.Client.RemoveIncompleteUpload(ctx, s.Bucket, key); err != nil {
			return n, s3Err("abort incomplete upload "+key, err)
		}
		n++
	}
	return n, nil
}
