package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/blobtest"
	"github.com/rathaus/rathaus/internal/platform/cli"
	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
)

// runWith runs a CLI command of the installation with extra variables.
func (in installation) runWith(t *testing.T, vars map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := Run(context.Background(), args, IO{Getenv: func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return in.getenv(k)
	}, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	if err != nil && err != cli.ErrNegative {
		errb.WriteString(err.Error())
	}
	return out.String(), errb.String(), cli.ExitCode(err)
}

// s3Vars points an installation at a fresh prefix of the test bucket.
func s3Vars(t *testing.T) map[string]string {
	c := blobtest.Config(t, blobtest.S3URL(t))
	loc := blob.Location{S3: &c}
	t.Cleanup(func() {
		s, err := blob.NewS3(context.Background(), c)
		if err != nil {
			return
		}
		var ks []string
		s.Walk(context.Background(), func(k string) error { ks = append(ks, k); return nil })
		for _, k := range ks {
			s.Delete(context.Background(), k)
		}
	})
	return map[string]string{"RATHAUS_BLOB_URL": loc.String(), "RATHAUS_S3_ACCESS_KEY": c.AccessKey, "RATHAUS_S3_SECRET_KEY": c.SecretKey}
}

func TestServeRefusesAnUnusableBlobStore(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	cases := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"unreachable", map[string]string{"RATHAUS_BLOB_URL": "s3://rathaus?endpoint=" + closed + "&tls=false",
			"RATHAUS_S3_ACCESS_KEY": "a", "RATHAUS_S3_SECRET_KEY": "b"}, "cannot reach the object store"},
		{"no credentials", map[string]string{"RATHAUS_BLOB_URL": "s3://rathaus?endpoint=" + closed}, "RATHAUS_S3_ACCESS_KEY"},
	}
	if os.Getenv(blobtest.URL) != "" {
		good := s3Vars(t)
		wrong := map[string]string{}
		for k, v := range good {
			wrong[k] = v
		}
		wrong["RATHAUS_S3_SECRET_KEY"] = "wrong"
		cases = append(cases, struct {
			name string
			vars map[string]string
			want string
		}{"wrong secret", wrong, "RATHAUS_S3_SECRET_KEY"})
		missing := map[string]string{}
		for k, v := range good {
			missing[k] = v
		}
		missing["RATHAUS_BLOB_URL"] = strings.Replace(good["RATHAUS_BLOB_URL"], "s3://rathaus?", "s3://no-such-bucket?", 1)
		missing["RATHAUS_S3_ACCESS_KEY"], missing["RATHAUS_S3_SECRET_KEY"] = os.Getenv("RATHAUS_TEST_S3_ADMIN_ACCESS_KEY"), os.Getenv("RATHAUS_TEST_S3_ADMIN_SECRET_KEY")
		cases = append(cases, struct {
			name string
			vars map[string]string
			want string
		}{"missing bucket", missing, "does not exist"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := installation{dir: t.TempDir()}
			out, errs, code := in.runWith(t, tc.vars, "serve", "--addr", "127.0.0.1:0")
			if code == 0 || strings.Contains(out, "listening") || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "RATHAUS_") {
				t.Errorf("serve with %s blob store: exit %d, stdout %q, err %q; want a refusal naming %q", tc.name, code, out, errs, tc.want)
			}
		})
	}
}

// A document put and kept as a domain does (blob.Keep in its row's tx).
func keepDocument(t *testing.T, e *env, tenantID int64, content, owner string) string {
	t.Helper()
	ctx := context.Background()
	key, size, err := e.blobs.Put(ctx, strings.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	err = database.WithTx(ctx, e.db, func(tx *database.Tx) error { return blob.Keep(tx, tenantID, key, size, "application/pdf", owner) })
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func openEnv(t *testing.T, in installation, vars map[string]string) *env {
	t.Helper()
	cfg, _, err := load("test", nil, IO{Getenv: func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return in.getenv(k)
	}, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	e, err := open(context.Background(), cfg, discardLogger(), clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.close)
	return e
}

// An altered blob is refused, counted and audited for the tenant whose
// row keeps it, on the directory and on S3.
func TestCorruptBlobIsAuditedAndNeverServed(t *testing.T) {
	backends := map[string]func(t *testing.T) map[string]string{"dir": func(*testing.T) map[string]string { return nil }, "s3": s3Vars}
	for name, vars := range backends {
		t.Run(name, func(t *testing.T) {
			eachInstallation(t, func(t *testing.T, in installation) {
				ctx := context.Background()
				in.blobVars = nil // this test picks the backend
				vars := vars(t)
				e := openEnv(t, in, vars)
				tn, err := e.identity.CreateTenant(ctx, identity.Tenant{Slug: "musterstadt", Name: "Musterstadt", IsDefault: true, Settings: identity.Settings{FederalState: "BY"}})
				if err != nil {
					t.Fatal(err)
				}
				key := keepDocument(t, e, tn.ID, "Bescheid Nr. 7", "test:bescheid")
				blobtest.Alter(t, e.blobs, key, []byte("Bescheid Nr. 8"))
				if f, err := e.blobs.Open(ctx, key); err == nil {
					f.Close()
					t.Fatal("altered blob served")
				}
				entries, err := audit.List(ctx, e.db, tn.ID, 10)
				if err != nil {
					t.Fatal(err)
				}
				if len(entries) == 0 || entries[0].Action != "blob.corrupt" || entries[0].ObjectRef != key {
					t.Errorf("audit trail = %+v, want a blob.corrupt entry for %s", entries, key)
				}
				if out, _, code := in.runWith(t, vars, "blobs", "verify"); code != 1 || !strings.Contains(out, "corrupt "+key) {
					t.Errorf("blobs verify: exit %d, %q", code, out)
				}
			})
		})
	}
}

func TestBlobsVerifyAndMigrateCLI(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in installation) {
		in.blobVars = nil // the source is the directory; S3 is a target
		e := openEnv(t, in, nil)
		var keys []string
		for i, s := range []string{"Antrag", "Bescheid", "Rechnung"} {
			keys = append(keys, keepDocument(t, e, 0, s, "test:"+string(rune('a'+i))))
		}
		e.close()
		if out, errs, code := in.run(t, "blobs", "verify"); code != 0 || !strings.Contains(out, "3 blobs re-hashed") {
			t.Fatalf("verify: exit %d, %q %q", code, out, errs)
		}
		// Migrate to another directory (and, under make test-s3, to S3), twice: the second run finds everything there.
		targets := map[string]map[string]string{"dir": {"RATHAUS_BLOB_URL": "file://" + filepath.Join(t.TempDir(), "neu")}}
		if os.Getenv(blobtest.URL) != "" {
			targets["s3"] = s3Vars(t)
		}
		for name, vars := range targets {
			out, errs, code := in.runWith(t, vars, "blobs", "migrate", "--json", "--from", "file://"+filepath.Join(in.dir, "blobs"), "--to", vars["RATHAUS_BLOB_URL"])
			if code != 0 {
				t.Fatalf("%s: migrate exit %d: %s %s", name, code, out, errs)
			}
			var rep map[string]any
			if err := json.Unmarshal([]byte(out), &rep); err != nil || rep["copied"] != 3.0 || rep["total"] != 3.0 || rep["complete"] != true {
				t.Errorf("%s: migrate = %s (%v)", name, out, err)
			}
			creds := map[string]string{"RATHAUS_S3_ACCESS_KEY": vars["RATHAUS_S3_ACCESS_KEY"], "RATHAUS_S3_SECRET_KEY": vars["RATHAUS_S3_SECRET_KEY"]}
			out, _, code = in.runWith(t, creds, "blobs", "migrate", "--to", vars["RATHAUS_BLOB_URL"])
			if code != 0 || !strings.Contains(out, "3 blobs: 0 copied (0 bytes), 3 already at the target, 0 failed") {
				t.Errorf("%s: second migrate: exit %d, %q", name, code, out)
			}
			if out, errs, code := in.runWith(t, vars, "blobs", "verify"); code != 0 || !strings.Contains(out, "3 blobs re-hashed") {
				t.Errorf("%s: verify at the target: exit %d, %q %q", name, code, out, errs)
			}
		}
		if _, _, code := in.run(t, "blobs", "migrate", "--to", "file://"+filepath.Join(in.dir, "blobs")); code != 2 {
			t.Errorf("migrate onto itself: exit %d, want 2", code)
		}
		if _, _, code := in.run(t, "blobs", "migrate", "--to", "ftp://x"); code != 2 {
			t.Errorf("migrate to a bad URL: exit %d, want 2", code)
		}
		// A referenced blob removed from the store: verify lists it, exit 1.
		os.Remove(filepath.Join(in.dir, "blobs", keys[1][:2], keys[1][2:]))
		if out, _, code := in.run(t, "blobs", "verify"); code != 1 || !strings.Contains(out, "missing "+keys[1]) {
			t.Errorf("verify with a missing blob: exit %d, %q", code, out)
		}
	})
}
