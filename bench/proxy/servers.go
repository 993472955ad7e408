package main

import (
	"bufio"
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
)

// A proxyServer is a running process that serves Toxiproxy's v2 HTTP API:
// teardown proxy or toxiproxy-server. The harness drives both through the
// same official client, so that it measures them with the same code.
type proxyServer struct {
	name   string // "teardown" or "toxiproxy"
	api    string // host:port of the HTTP API
	cmd    *exec.Cmd
	client *toxiproxy.Client
	done   chan struct{} // closed when the process has exited
}

// A serverSpec says how to start one kind of proxy server on a given API port.
type serverSpec struct {
	name string
	bin  string
	args func(port int) []string
	env  []string
}

func teardownSpec(bin string) serverSpec {
	return serverSpec{
		name: "teardown",
		bin:  bin,
		args: func(port int) []string {
			return []string{"proxy", "--host", "127.0.0.1", "--port", strconv.Itoa(port)}
		},
	}
}

func toxiproxySpec(bin string) serverSpec {
	return serverSpec{
		name: "toxiproxy",
		bin:  bin,
		args: func(port int) []string {
			// -runtime-metrics exposes go_goroutines on /metrics; it costs
			// nothing on the data path.
			return []string{"-host", "127.0.0.1", "-port", strconv.Itoa(port), "-runtime-metrics"}
		},
		// Toxiproxy logs every connection at info level by default; its
		// users who care about speed turn that off, so the harness does too.
		env: []string{"LOG_LEVEL=warn"},
	}
}

// start runs the server on a free port and waits until its API answers.
func (s serverSpec) start() (*proxyServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(s.bin, s.args(port)...)
	cmd.Env = append(os.Environ(), s.env...)
	stderr := &tailBuffer{max: 4096}
	cmd.Stderr = stderr
	cmd.Stdout = stderr
	// A harness killed by a signal must not leave the proxy behind.
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", s.name, s.bin, err)
	}
	p := &proxyServer{
		name:   s.name,
		api:    net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		cmd:    cmd,
		done:   make(chan struct{}),
		client: nil,
	}
	go func() { cmd.Wait(); close(p.done) }()
	p.client = toxiproxy.NewClient(p.api)
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := p.client.Proxies()
		if err == nil {
			return p, nil
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("%s exited before its API answered on %s: %v; output:\n%s", s.name, p.api, cmd.ProcessState, stderr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("%s API on %s did not answer within 15s: %w; output:\n%s", s.name, p.api, err, stderr)
		}
	}
}

func (p *proxyServer) pid() int { return p.cmd.Process.Pid }

// stop ends the process, politely first.
func (p *proxyServer) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// createProxy makes a proxy to upstream that listens on a port the server
// chooses and returns the address it listens on.
func (p *proxyServer) createProxy(name, upstream string) (string, error) {
	px, err := p.client.CreateProxy(name, "127.0.0.1:0", upstream)
	if err != nil {
		return "", fmt.Errorf("%s: create proxy %s to %s: %w", p.name, name, upstream, err)
	}
	host, port, err := net.SplitHostPort(px.Listen)
	if err != nil || port == "0" {
		return "", fmt.Errorf("%s: proxy %s reports listen address %q, want the port it chose", p.name, name, px.Listen)
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// addLatency adds a latency toxic of ms milliseconds to the upstream stream
// (client to upstream) of the proxy called name.
func (p *proxyServer) addLatency(name string, ms int) error {
	px, err := p.client.Proxy(name)
	if err != nil {
		return fmt.Errorf("%s: proxy %s: %w", p.name, name, err)
	}
	if _, err := px.AddToxic("latency", "latency", "upstream", 1, toxiproxy.Attributes{"latency": ms}); err != nil {
		return fmt.Errorf("%s: add a %d ms latency toxic to %s: %w", p.name, ms, name, err)
	}
	return nil
}

// version asks the API for the server's version.
func (p *proxyServer) version() string {
	b, err := p.get("/version")
	if err != nil {
		return ""
	}
	// Toxiproxy answers with {"version": "..."} since 2.6 and with the bare
	// version before.
	var v struct{ Version string }
	if json.Unmarshal(b, &v) == nil && v.Version != "" {
		return v.Version
	}
	return strings.TrimSpace(string(b))
}

// goroutines reads go_goroutines from the server's Prometheus /metrics, or
// returns -1 when the server does not expose it.
func (p *proxyServer) goroutines() int {
	b, err := p.get("/metrics")
	if err != nil {
		return -1
	}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "go_goroutines" {
			if v, err := strconv.ParseFloat(f[1], 64); err == nil {
				return int(v)
			}
		}
	}
	return -1
}

func (p *proxyServer) get(path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.api+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return b, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// buildTeardown builds the teardown command of this module into dir.
func buildTeardown(dir string) (string, error) {
	bin := filepath.Join(dir, "teardown")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/teardown-net/teardown/cmd/teardown")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build teardown: %w\n%s", err, out)
	}
	return bin, nil
}

// sourceRevision describes the commit of this module that the harness built
// teardown from, and says whether the proxy's code (proxy/ and the command's
// proxy.go) had uncommitted changes.
func sourceRevision() string {
	rev, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return ""
	}
	s := "commit " + strings.TrimSpace(string(rev))
	// Test files are not in the binary, so their changes do not count.
	dirty, err := exec.Command("git", "status", "--porcelain", "--",
		"proxy", "cmd/teardown/proxy.go", ":(exclude,glob)**/*_test.go").Output()
	if err == nil && len(bytes.TrimSpace(dirty)) > 0 {
		s += " with uncommitted changes to the proxy"
	}
	return s
}

// binaryRevision returns the VCS revision a Go binary was built from, when
// it was built with -buildvcs.
func binaryRevision(bin string) string {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return ""
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return ""
	}
	rev = "revision " + rev[:min(12, len(rev))]
	if modified == "true" {
		rev += " (modified)"
	}
	return rev
}

// A tailBuffer keeps the last max bytes written to it, to show why a child
// process failed without holding everything it ever printed.
type tailBuffer struct {
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.b) }
