package config

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadFlagsAnywhere(t *testing.T) {
	c, pos, err := Load("rathaus", []string{"audit", "--json", "verify", "--data", "/x", "--tenant", "t1"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"audit", "verify"}, pos); diff != "" {
		t.Errorf("positional (-want +got):\n%s", diff)
	}
	if !c.JSON || c.DataDir != "/x" || c.Tenant != "t1" {
		t.Errorf("got %+v", c)
	}
}

func TestFlagsOverrideEnv(t *testing.T) {
	c, _, err := Load("rathaus", []string{"--addr", "127.0.0.1:0"}, env(map[string]string{
		"RATHAUS_ADDR": "0.0.0.0:9999", "RATHAUS_DATA_DIR": "d", "RATHAUS_SHUTDOWN_TIMEOUT": "3s",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:0" || c.DataDir != "d" || c.ShutdownTimeout != 3*time.Second {
		t.Errorf("got %+v", c)
	}
}

func TestBlobURL(t *testing.T) {
	c, _, err := Load("rathaus", nil, env(map[string]string{
		"RATHAUS_BLOB_URL":      "s3://akten?endpoint=s3.intern:9000&region=eu-central-1&tls=true",
		"RATHAUS_S3_ACCESS_KEY": "ak", "RATHAUS_S3_SECRET_KEY": "sk",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.BlobURL == "" || c.S3AccessKey != "ak" || c.S3SecretKey != "sk" {
		t.Errorf("got %+v", c)
	}
}

func TestMalformedNamesVariable(t *testing.T) {
	tests := []struct {
		env  map[string]string
		args []string
		name string
	}{
		{map[string]string{"RATHAUS_ADDR": "nonsense"}, nil, "RATHAUS_ADDR / --addr"},
		{map[string]string{"RATHAUS_ADDR": "127.0.0.1:99999"}, nil, "RATHAUS_ADDR / --addr"},
		{map[string]string{"RATHAUS_DATABASE_URL": "mysql://x"}, nil, "RATHAUS_DATABASE_URL"},
		{map[string]string{"RATHAUS_MAX_BODY_BYTES": "12kb"}, nil, "RATHAUS_MAX_BODY_BYTES"},
		{map[string]string{"RATHAUS_LOG_LEVEL": "loud"}, nil, "RATHAUS_LOG_LEVEL"},
		{map[string]string{"RATHAUS_SHUTDOWN_TIMEOUT": "-1s"}, nil, "RATHAUS_SHUTDOWN_TIMEOUT"},
		{map[string]string{"RATHAUS_WORKERS": "many"}, nil, "RATHAUS_WORKERS"},
		{nil, []string{"--data", " "}, "RATHAUS_DATA_DIR / --data"},
		{map[string]string{"RATHAUS_SHUTDOWN_DRAIN": "forever"}, nil, "RATHAUS_SHUTDOWN_DRAIN"},
		{map[string]string{"RATHAUS_BLOB_URL": "ftp://x"}, nil, "RATHAUS_BLOB_URL"},
		{map[string]string{"RATHAUS_BLOB_URL": "s3://b"}, nil, "RATHAUS_BLOB_URL"},
		{map[string]string{"RATHAUS_BLOB_URL": "s3://b?endpoint=h:1&tls=maybe"}, nil, "RATHAUS_BLOB_URL"},
		{map[string]string{"RATHAUS_BLOB_URL": "s3://b?endpoint=h:1&endpiont=x"}, nil, "RATHAUS_BLOB_URL"},
		{map[string]string{"RATHAUS_BLOB_URL": "s3://key:secret@b?endpoint=h:1"}, nil, "RATHAUS_BLOB_URL"},
		{map[string]string{"RATHAUS_BLOB_URL": "s3://b?endpoint=h:1"}, nil, "RATHAUS_S3_ACCESS_KEY / RATHAUS_S3_SECRET_KEY"},
	}
	for _, tt := range tests {
		_, _, err := Load("rathaus", tt.args, env(tt.env), io.Discard)
		var ce *Error
		if !errors.As(err, &ce) {
			t.Errorf("env %v: err = %v, want *config.Error", tt.env, err)
			continue
		}
		if ce.Name != tt.name {
			t.Errorf("env %v: error names %q, want %q", tt.env, ce.Name, tt.name)
		}
	}
}
