package blob

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
)

// Location is a parsed RATHAUS_BLOB_URL.
type Location struct {
	Dir string    // a directory store (file:///path or a plain path)
	S3  *S3Config // or an S3 bucket (credentials filled in by the caller)
}

// ParseURL reads a blob store address:
//
//	s3://BUCKET?endpoint=HOST:PORT&region=R&tls=true|false[&prefix=P/]
//	file:///var/lib/rathaus/blobs, or a plain directory path
//
// tls defaults to true, region to us-east-1. Unknown parameters are refused,
// so a typo does not silently fall back to a default.
func ParseURL(raw string) (Location, error) {
	if raw == "" {
		return Location{}, fmt.Errorf("empty blob store URL")
	}
	if !strings.Contains(raw, "://") {
		return Location{Dir: filepath.Clean(raw)}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Location{}, fmt.Errorf("%q is not a URL: %v", raw, err)
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" || u.Path == "" {
			return Location{}, fmt.Errorf("%q: a file URL needs an absolute path, like file:///var/lib/rathaus/blobs", raw)
		}
		return Location{Dir: filepath.Clean(u.Path)}, nil
	case "s3":
	default:
		return Location{}, fmt.Errorf("%q: scheme must be s3:// or file://", raw)
	}
	c := &S3Config{Bucket: u.Host, Region: "us-east-1", TLS: true}
	if c.Bucket == "" || u.Path != "" && u.Path != "/" || u.User != nil {
		return Location{}, fmt.Errorf("%q: expected s3://BUCKET?endpoint=HOST:PORT (credentials go in RATHAUS_S3_ACCESS_KEY / RATHAUS_S3_SECRET_KEY, not in the URL)", raw)
	}
	for k, vs := range u.Query() {
		v := vs[len(vs)-1]
		switch k {
		case "endpoint":
			h, p, err := net.SplitHostPort(v)
			if n, perr := strconv.Atoi(p); err != nil || h == "" || perr != nil || n < 1 || n > 65535 {
				return Location{}, fmt.Errorf("%q: endpoint %q is not HOST:PORT", raw, v)
			}
			c.Endpoint = v
		case "region":
			c.Region = v
		case "tls":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return Location{}, fmt.Errorf("%q: tls must be true or false", raw)
			}
			c.TLS = b
		case "prefix":
			if v != "" && (!strings.HasSuffix(v, "/") || strings.HasPrefix(v, "/") || strings.Contains(v, "..")) {
				return Location{}, fmt.Errorf("%q: prefix %q must end with / (like rathaus/)", raw, v)
			}
			c.Prefix = v
		default:
			return Location{}, fmt.Errorf("%q: unknown parameter %q (endpoint, region, tls, prefix)", raw, k)
		}
	}
	if c.Endpoint == "" {
		return Location{}, fmt.Errorf("%q: endpoint=HOST:PORT is required", raw)
	}
	return Location{S3: c}, nil
}

// String is the address without credentials.
func (l Location) String() string {
	if l.S3 == nil {
		if abs, err := filepath.Abs(l.Dir); err == nil {
			return "file://" + abs
		}
		return "file://" + l.Dir
	}
	q := url.Values{"endpoint": {l.S3.Endpoint}, "region": {l.S3.Region}, "tls": {strconv.FormatBool(l.S3.TLS)}}
	if l.S3.Prefix != "" {
		q.Set("prefix", l.S3.Prefix)
	}
	return "s3://" + l.S3.Bucket + "?" + q.Encode()
}

// Open opens the store at l; an S3 location is checked (bucket exists,
// credentials accepted) before it is returned.
func (l Location) Open(ctx context.Context, accessKey, secretKey string) (Store, error) {
	if l.S3 == nil {
		return NewDir(l.Dir)
	}
	c := *l.S3
	c.AccessKey, c.SecretKey = accessKey, secretKey
	return NewS3(ctx, c)
}
