package blob

import "testing"

func TestParseURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"s3://akten?endpoint=s3.intern:9000&region=eu-central-1&tls=false", "s3://akten?endpoint=s3.intern%3A9000&region=eu-central-1&tls=false"},
		{"s3://akten?endpoint=10.0.0.5:443", "s3://akten?endpoint=10.0.0.5%3A443&region=us-east-1&tls=true"},
		{"s3://akten?endpoint=h:1&prefix=stadt/", "s3://akten?endpoint=h%3A1&prefix=stadt%2F&region=us-east-1&tls=true"},
		{"file:///var/lib/rathaus/blobs/", "file:///var/lib/rathaus/blobs"},
		{"/srv/rathaus/blobs", "file:///srv/rathaus/blobs"},
	} {
		l, err := ParseURL(tc.in)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tc.in, err)
			continue
		}
		if got := l.String(); got != tc.want {
			t.Errorf("ParseURL(%q) = %s, want %s", tc.in, got, tc.want)
		}
		if l.S3 != nil {
			if again, err := ParseURL(l.String()); err != nil || again.String() != l.String() {
				t.Errorf("round trip of %s: %v %v", l, again, err)
			}
		}
	}
	for _, bad := range []string{"", "s3://", "s3://b", "s3://b?endpoint=nohost", "s3://b?endpoint=h:0", "s3://b?endpoint=h:1&tls=yes please",
		"s3://b?endpoint=h:1&region=x&acl=public", "s3://u:p@b?endpoint=h:1", "s3://b/path?endpoint=h:1", "s3://b?endpoint=h:1&prefix=/abs/",
		"s3://b?endpoint=h:1&prefix=no-slash", "s3://b?endpoint=h:1&prefix=../", "http://b", "file://host/x", "file://"} {
		if l, err := ParseURL(bad); err == nil {
			t.Errorf("ParseURL(%q) = %v, want an error", bad, l)
		}
	}
}
