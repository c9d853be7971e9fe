// Package config loads the one typed configuration of rathaus from command-line
// flags and RATHAUS_* environment variables (flags win). It is loaded once by
// the composition root and passed down as narrow values; there is no
// package-level mutable state.
//
// A malformed value refuses to start with an error naming the variable or flag.
package config

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/platform/blob"
)

// Config is the whole configuration.
type Config struct {
	Addr            string        // RATHAUS_ADDR, --addr: listen address host:port
	DataDir         string        // RATHAUS_DATA_DIR, --data: SQLite file, blobs
	DatabaseURL     string        // RATHAUS_DATABASE_URL: postgres://... instead of SQLite
	Tenant          string        // RATHAUS_TENANT, --tenant: slug for CLI commands
	LogLevel        slog.Level    // RATHAUS_LOG_LEVEL: debug, info, warn, error
	MaxBodyBytes    int64         // RATHAUS_MAX_BODY_BYTES: larger requests get 413
	ShutdownTimeout time.Duration // RATHAUS_SHUTDOWN_TIMEOUT: graceful stop limit
	// ShutdownDrain (RATHAUS_SHUTDOWN_DRAIN, default 0): after SIGTERM,
	// /readyz answers 503 and the server keeps serving this long before it
	// stops accepting, so a load balancer takes the instance out first.
	ShutdownDrain time.Duration
	JSON          bool   // --json: stdout holds only JSON
	Workers       int    // RATHAUS_WORKERS: background job workers per process
	SMTPURL       string // RATHAUS_SMTP_URL: smtp://user:pass@host:587; unset: mail goes to DATA/outbox
	// PublicURL (RATHAUS_PUBLIC_URL, e.g. https://service.musterstadt.de) is
	// the address of the default tenant in links sent by mail and in eID
	// callbacks; tenants with configured hosts use their first host.
	PublicURL string
	// BlobURL (RATHAUS_BLOB_URL) is where blobs live: unset for
	// DATA/blobs, s3://BUCKET?endpoint=HOST:PORT&region=R&tls=true|false for
	// an S3-compatible object store (checked by blob.ParseURL at start-up),
	// with S3AccessKey / S3SecretKey (RATHAUS_S3_ACCESS_KEY / _SECRET_KEY).
	BlobURL     string
	S3AccessKey string
	S3SecretKey string
	// RateLimits (RATHAUS_RATE_LIMITS=off to switch off) enforces the
	// shared rate limits; load harnesses switch them off and say so.
	RateLimits bool
	// TrustedProxies (RATHAUS_TRUSTED_PROXIES, CIDR list "10.0.0.0/8,
	// 192.0.2.7") are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed; empty: none, the peer is the client.
	TrustedProxies []netip.Prefix
	// MetricsToken (RATHAUS_METRICS_TOKEN): /metrics on the public listener
	// answers only Authorization: Bearer MetricsToken; unset, it is off there.
	MetricsToken string
	// MetricsAddr (RATHAUS_METRICS_ADDR, host:port) serves /metrics alone on
	// an internal address, without a token.
	MetricsAddr string
	// Demo (RATHAUS_DEMO=1) lets `rathaus serve` serve a database that
	// holds the demo city, whose passwords and tokens are published.
	Demo bool
	// Clamd (RATHAUS_CLAMD: tcp://host:3310 or unix:/run/clamav/clamd.ctl)
	// is the ClamAV daemon that scans uploads; unset: no malware scan.
	Clamd string
	// Getenv reads further variables that depend on data, such as eID
	// client secrets (RATHAUS_OIDC_SECRET_<TENANT>_<PROVIDER>).
	Getenv func(string) string
}

// Defaults returns the configuration used when nothing is set.
func Defaults() Config {
	return Config{
		Addr:            "127.0.0.1:8080",
		DataDir:         "rathaus-data",
		LogLevel:        slog.LevelInfo,
		MaxBodyBytes:    32 << 20,
		ShutdownTimeout: 10 * time.Second,
		Workers:         2,
		RateLimits:      true,
	}
}

// Error names the setting that is wrong.
type Error struct {
	Name string // variable or flag name, e.g. RATHAUS_ADDR
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("configuration: %s: %s", e.Name, e.Msg) }

// Load reads the environment through getenv and then parses args (flags may
// stand before or after positional arguments). It returns the config and the
// positional arguments left over.
// extra registers command-specific flags on the same flag set.
func Load(name string, args []string, getenv func(string) string, stderr io.Writer, extra ...func(*flag.FlagSet)) (Config, []string, error) {
	c := Defaults()
	if err := c.fromEnv(getenv); err != nil {
		return c, nil, err
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address `host:port` (RATHAUS_ADDR)")
	fs.StringVar(&c.DataDir, "data", c.DataDir, "data `dir`ectory (RATHAUS_DATA_DIR)")
	fs.StringVar(&c.Tenant, "tenant", c.Tenant, "tenant `slug` (RATHAUS_TENANT)")
	fs.BoolVar(&c.JSON, "json", c.JSON, "print only JSON on stdout")
	for _, e := range extra {
		e(fs)
	}
	pos, err := ParseInterspersed(fs, args)
	if err != nil {
		return c, nil, err
	}
	if err := c.validate(); err != nil {
		return c, nil, err
	}
	return c, pos, nil
}

func (c *Config) fromEnv(getenv func(string) string) error {
	if v := getenv("RATHAUS_ADDR"); v != "" {
		c.Addr = v
	}
	if v := getenv("RATHAUS_DATA_DIR"); v != "" {
		c.DataDir = v
	}
	c.DatabaseURL = getenv("RATHAUS_DATABASE_URL")
	c.SMTPURL = getenv("RATHAUS_SMTP_URL")
	c.BlobURL = getenv("RATHAUS_BLOB_URL")
	c.S3AccessKey = getenv("RATHAUS_S3_ACCESS_KEY")
	c.S3SecretKey = getenv("RATHAUS_S3_SECRET_KEY")
	if v := getenv("RATHAUS_CLAMD"); v != "" {
		if u, err := url.Parse(v); err != nil || !(u.Scheme == "tcp" && u.Host != "" || u.Scheme == "unix" && (u.Path != "" || u.Opaque != "")) {
			return &Error{"RATHAUS_CLAMD", fmt.Sprintf("%q is not tcp://host:port or unix:/path/to/clamd.ctl", v)}
		}
		c.Clamd = v
	}
	c.Getenv = getenv
	if v := getenv("RATHAUS_PUBLIC_URL"); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" && u.Path != "/" {
			return &Error{"RATHAUS_PUBLIC_URL", fmt.Sprintf("%q is not a URL like https://service.example.de", v)}
		}
		c.PublicURL = strings.TrimSuffix(v, "/")
	}
	switch v := getenv("RATHAUS_RATE_LIMITS"); v {
	case "", "on":
	case "off":
		c.RateLimits = false
	default:
		return &Error{"RATHAUS_RATE_LIMITS", fmt.Sprintf("%q is not on or off", v)}
	}
	if v := getenv("RATHAUS_TRUSTED_PROXIES"); v != "" {
		p, err := parseProxies(v)
		if err != nil {
			return &Error{"RATHAUS_TRUSTED_PROXIES", fmt.Sprintf("%q is not a comma-separated list of addresses or CIDR prefixes such as 10.0.0.0/8", v)}
		}
		c.TrustedProxies = p
	}
	if v := getenv("RATHAUS_METRICS_TOKEN"); v != "" {
		if len(v) < 16 {
			return &Error{"RATHAUS_METRICS_TOKEN", "must have at least 16 characters (a random secret)"}
		}
		c.MetricsToken = v
	}
	if v := getenv("RATHAUS_METRICS_ADDR"); v != "" {
		if _, _, err := net.SplitHostPort(v); err != nil {
			return &Error{"RATHAUS_METRICS_ADDR", fmt.Sprintf("%q is not host:port", v)}
		}
		c.MetricsAddr = v
	}
	switch v := getenv("RATHAUS_DEMO"); v {
	case "", "0":
	case "1":
		c.Demo = true
	default:
		return &Error{"RATHAUS_DEMO", fmt.Sprintf("%q is not 1 or 0", v)}
	}
	if v := getenv("RATHAUS_TENANT"); v != "" {
		c.Tenant = v
	}
	if v := getenv("RATHAUS_LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return &Error{"RATHAUS_LOG_LEVEL", fmt.Sprintf("%q is not one of debug, info, warn, error", v)}
		}
	}
	if v := getenv("RATHAUS_MAX_BODY_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1024 {
			return &Error{"RATHAUS_MAX_BODY_BYTES", fmt.Sprintf("%q is not a whole number of bytes >= 1024", v)}
		}
		c.MaxBodyBytes = n
	}
	if v := getenv("RATHAUS_SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return &Error{"RATHAUS_SHUTDOWN_TIMEOUT", fmt.Sprintf("%q is not a positive duration such as 10s", v)}
		}
		c.ShutdownTimeout = d
	}
	if v := getenv("RATHAUS_SHUTDOWN_DRAIN"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > 5*time.Minute {
			return &Error{"RATHAUS_SHUTDOWN_DRAIN", fmt.Sprintf("%q is not a duration between 0s and 5m such as 3s", v)}
		}
		c.ShutdownDrain = d
	}
	if v := getenv("RATHAUS_WORKERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 256 {
			return &Error{"RATHAUS_WORKERS", fmt.Sprintf("%q is not a number between 0 and 256", v)}
		}
		c.Workers = n
	}
	return nil
}

func (c *Config) validate() error {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return &Error{"RATHAUS_ADDR / --addr", fmt.Sprintf("%q is not host:port", c.Addr)}
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return &Error{"RATHAUS_ADDR / --addr", fmt.Sprintf("port %q is not a number between 0 and 65535", port)}
	}
	_ = host
	if strings.TrimSpace(c.DataDir) == "" {
		return &Error{"RATHAUS_DATA_DIR / --data", "must not be empty"}
	}
	c.DataDir = filepath.Clean(c.DataDir)
	if c.BlobURL != "" {
		loc, err := blob.ParseURL(c.BlobURL)
		if err != nil {
			return &Error{"RATHAUS_BLOB_URL", err.Error()}
		}
		if loc.S3 != nil && (c.S3AccessKey == "" || c.S3SecretKey == "") {
			return &Error{"RATHAUS_S3_ACCESS_KEY / RATHAUS_S3_SECRET_KEY", "both must be set for an s3:// RATHAUS_BLOB_URL"}
		}
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" && u.Query().Get("host") == "" {
			return &Error{"RATHAUS_DATABASE_URL", "must be a postgres://user@host:port/dbname URL (leave unset for SQLite)"}
		}
	}
	return nil
}

// parseProxies reads a comma-separated list of CIDR prefixes or single
// addresses ("10.0.0.0/8, 192.0.2.7").
func parseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, err
			}
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// ParseInterspersed parses flags that may stand before or after positional
// arguments ("rathaus audit verify --json" and "rathaus --json audit verify").
// A lone "--" ends flag parsing.
func ParseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" && (len(args) == 0 || len(rest) < len(args)) {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
