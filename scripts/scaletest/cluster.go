package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// instance is one `rathaus serve` process on a fixed port (kept across
// restarts so the proxy's configuration stays valid).
type instance struct {
	name string
	addr string
	dir  string
	env  []string
	bin  string
	log  *os.File

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan error
}

func freePort() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs the binary with the command ("demo" seeds the demo city on the
// first start; "serve" seeds nothing) and waits until it is ready.
func (in *instance) start(ctx context.Context, command string) error {
	cmd := exec.Command(in.bin, command, "--addr", in.addr)
	cmd.Env = append(os.Environ(), in.env...)
	cmd.Stderr = in.log
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			first <- sc.Text()
		}
		close(first)
		io.Copy(io.Discard, out)
		done <- cmd.Wait()
	}()
	in.mu.Lock()
	in.cmd, in.done = cmd, done
	in.mu.Unlock()
	select {
	case line, ok := <-first:
		if !ok || !strings.HasPrefix(line, "listening on ") {
			return fmt.Errorf("%s: first output line %q (log: %s)", in.name, line, in.log.Name())
		}
	case <-time.After(60 * time.Second):
		return fmt.Errorf("%s did not start listening", in.name)
	}
	return waitFor(ctx, 60*time.Second, func() bool {
		resp, err := http.Get("http://" + in.addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
}

// signal sends sig and, for SIGTERM, waits for the process to exit.
func (in *instance) stop(sig syscall.Signal) error {
	in.mu.Lock()
	cmd, done := in.cmd, in.done
	in.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Signal(sig); err != nil {
		return err
	}
	select {
	case err := <-done:
		var ee *exec.ExitError
		if sig == syscall.SIGKILL && errors.As(err, &ee) {
			return nil
		}
		return err
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		return fmt.Errorf("%s did not stop within 60 s", in.name)
	}
}

func waitFor(ctx context.Context, limit time.Duration, ok func() bool) error {
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// proxy is a local haproxy in front of the instances: round robin, health
// checks on /readyz, X-Forwarded-For, retries of failed connections (and,
// for GET/HEAD only, of empty responses) on the other instance.
type proxy struct {
	addr, stats string
	cmd         *exec.Cmd
	done        chan error
}

const haproxyConfig = `global
    maxconn 4000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    option forwardfor
    option redispatch 1
    retries 3
    retry-on conn-failure empty-response response-timeout
frontend fe
    bind %s
    default_backend be
backend be
    balance roundrobin
    http-request disable-l7-retry unless METH_GET
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 200ms fastinter 100ms downinter 200ms fall 2 rise 2
%s
listen stats
    bind %s
    stats enable
    stats uri /stats
`

func startProxy(dir string, backends []*instance, log *os.File) (*proxy, error) {
	p := &proxy{addr: freePort(), stats: freePort()}
	var servers strings.Builder
	for _, b := range backends {
		fmt.Fprintf(&servers, "    server %s %s check\n", b.name, b.addr)
	}
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, haproxyConfig, p.addr, servers.String(), p.stats), 0o600); err != nil {
		return nil, err
	}
	p.cmd = exec.Command("haproxy", "-db", "-f", cfg)
	p.cmd.Stdout, p.cmd.Stderr = log, log
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("haproxy: %w", err)
	}
	p.done = make(chan error, 1)
	go func() { p.done <- p.cmd.Wait() }()
	return p, nil
}

func (p *proxy) close() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
	}
}

// status returns haproxy's view of each server ("UP", "DOWN", ...).
func (p *proxy) status() map[string]string {
	resp, err := http.Get("http://" + p.stats + "/stats;csv")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	r := csv.NewReader(resp.Body)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil || len(recs) == 0 {
		return nil
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[strings.TrimPrefix(h, "# ")] = i
	}
	out := map[string]string{}
	for _, rec := range recs[1:] {
		if len(rec) > col["status"] && rec[col["pxname"]] == "be" {
			out[rec[col["svname"]]] = rec[col["status"]]
		}
	}
	return out
}

func (p *proxy) waitStatus(ctx context.Context, server, want string) error {
	err := waitFor(ctx, 30*time.Second, func() bool { return strings.HasPrefix(p.status()[server], want) })
	if err != nil {
		return fmt.Errorf("haproxy never saw %s %s (status %v)", server, want, p.status())
	}
	return nil
}
