package proxy

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
)

// The tests of this file check, through the official Go client as a user's
// test suite drives it, what Toxiproxy users rely on: the behaviours listed
// under "Toxiproxy compatibility" in docs/proxy.md.

// startServerWith is startServer with options.
func startServerWith(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	s := NewServer(opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
	return s, ln.Addr().String()
}

// quiet reports whether nothing (bytes, EOF or an error) arrives on c for
// d.
func quiet(c net.Conn, d time.Duration) (bool, string) {
	c.SetReadDeadline(time.Now().Add(d))
	defer c.SetReadDeadline(time.Now().Add(hang))
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true, ""
	}
	return false, fmt.Sprintf("%q, %v", buf[:n], err)
}

// TestCompatConnectionCut: bandwidth rate 0 on both streams stops the
// traffic, as Testcontainers' setConnectionCut(true) does; removing the
// toxics lets the held bytes through.
func TestCompatConnectionCut(t *testing.T) {
	_, cl := startServer(t)
	p := createProxy(t, cl, "cut", startUpstream(t, echo))
	c := dial(t, p.Listen)
	roundTrip(t, c, "before")
	for _, stream := range []string{"downstream", "upstream"} {
		if _, err := p.AddToxic("CUT_CONNECTION_"+strings.ToUpper(stream), "bandwidth", stream, 1, toxiproxy.Attributes{"rate": 0}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Write([]byte("during")); err != nil {
		t.Fatal(err)
	}
	if ok, got := quiet(c, 300*time.Millisecond); !ok {
		t.Fatalf("a cut connection passed %s", got)
	}
	for _, stream := range []string{"downstream", "upstream"} {
		if err := p.RemoveToxic("CUT_CONNECTION_" + strings.ToUpper(stream)); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, len("during"))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "during" {
		t.Fatalf("after the cut was lifted: %q, %v; want the held bytes", buf, err)
	}
}

// TestCompatStackedLatency: two latency toxics of 100 ms on one stream
// delay by 200 ms.
func TestCompatStackedLatency(t *testing.T) {
	_, cl := startServer(t)
	p := createProxy(t, cl, "stack", startUpstream(t, echo))
	c := dial(t, p.Listen)
	roundTrip(t, c, "warm")
	for _, name := range []string{"l1", "l2"} {
		if _, err := p.AddToxic(name, "latency", "downstream", 1, toxiproxy.Attributes{"latency": 100}); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	roundTrip(t, c, "slow")
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("round trip through two 100 ms latency toxics took %v, want at least 200 ms", d)
	}
}

// TestCompatNoopAndStreamCase: the noop toxic passes bytes unchanged;
// stream names are taken in any case and listed in lower case; toxics are
// listed upstream first, each stream in the order added.
func TestCompatNoopAndStreamCase(t *testing.T) {
	_, cl := startServer(t)
	p := createProxy(t, cl, "noop", startUpstream(t, echo))
	for _, tc := range []struct{ name, typ, stream string }{
		{"d1", "noop", "DownStream"},
		{"u1", "noop", "UPSTREAM"},
		{"d2", "latency", "downstream"},
		{"u2", "latency", "Upstream"},
	} {
		tx, err := p.AddToxic(tc.name, tc.typ, tc.stream, 1, nil)
		if err != nil {
			t.Fatalf("AddToxic %s stream %q: %v", tc.typ, tc.stream, err)
		}
		if tx.Stream != strings.ToLower(tc.stream) {
			t.Errorf("stream %q shown as %q", tc.stream, tx.Stream)
		}
	}
	// A default name keeps the stream as spelt, as Toxiproxy's does.
	tx, err := p.AddToxic("", "noop", "UpStream", 1, nil)
	if err != nil || tx.Name != "noop_UpStream" {
		t.Fatalf("default name of a noop on stream UpStream: %+v, %v; want noop_UpStream", tx, err)
	}
	if err := p.RemoveToxic("noop_UpStream"); err != nil {
		t.Fatal(err)
	}
	if got := roundTrip(t, dial(t, p.Listen), "unchanged"); got != "unchanged" {
		t.Errorf("through noop: %q", got)
	}
	ts, err := p.Toxics()
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, tx := range ts {
		order = append(order, tx.Name)
	}
	if got := strings.Join(order, ","); got != "u1,u2,d1,d2" {
		t.Errorf("toxics listed as %s, want u1,u2,d1,d2 (upstream first)", got)
	}
}

// TestCompatRequestID: every answer carries X-Toxiproxy-Request-Id, a new
// one each time.
func TestCompatRequestID(t *testing.T) {
	_, addr := startServerWith(t, Options{})
	seen := map[string]bool{}
	for _, path := range []string{"/version", "/proxies", "/proxies/nope"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		id := resp.Header.Get("X-Toxiproxy-Request-Id")
		if len(id) != 20 || seen[id] {
			t.Errorf("GET %s: X-Toxiproxy-Request-Id %q, want a new 20-character id", path, id)
		}
		seen[id] = true
	}
}

// TestCompatErrorTexts: the errors clients and Toxiproxy's tests match on,
// as the Go client reports them.
func TestCompatErrorTexts(t *testing.T) {
	_, cl := startServer(t)
	up := startUpstream(t, echo)
	p := createProxy(t, cl, "taken", up)
	if _, err := p.AddToxic("t", "latency", "", 1, nil); err != nil {
		t.Fatal(err)
	}
	gone := *p
	gone.Name = "gone"
	for _, tc := range []struct {
		what string
		err  error
		want string
	}{
		{"blank name", second(cl.CreateProxy("", "127.0.0.1:0", up)), "HTTP 400: missing required field: name"},
		{"blank upstream", second(cl.CreateProxy("x", "127.0.0.1:0", "")), "HTTP 400: missing required field: upstream"},
		{"name conflict", second(cl.CreateProxy("taken", "127.0.0.1:0", up)), "HTTP 409: proxy already exists"},
		{"port conflict", second(cl.CreateProxy("x", p.Listen, up)), "HTTP 500: listen tcp " + p.Listen + ": bind: address already in use"},
		{"toxic conflict", second(p.AddToxic("t", "latency", "", 1, nil)), "HTTP 409: toxic already exists"},
		{"unknown toxic", p.RemoveToxic("nope"), "HTTP 404: toxic not found"},
		{"unknown proxy", gone.Delete(), "HTTP 404: proxy not found"},
		{"populate blank name", second(cl.Populate([]toxiproxy.Proxy{{Name: "a", Upstream: up}, {Upstream: up}})), "HTTP 400: missing required field: name at proxy 2"},
	} {
		if tc.err == nil || !strings.HasSuffix(tc.err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one ending in %q", tc.what, tc.err, tc.want)
		}
	}
	// Populate stops at a bad address, keeping the proxies before it.
	_, err := cl.Populate([]toxiproxy.Proxy{
		{Name: "one", Listen: "127.0.0.1:0", Upstream: up, Enabled: true},
		{Name: "two", Listen: "local373", Upstream: up, Enabled: true},
		{Name: "three", Listen: "127.0.0.1:0", Upstream: up, Enabled: true},
	})
	all, lerr := cl.Proxies()
	if err == nil || lerr != nil || all["one"] == nil || all["two"] != nil || all["three"] != nil {
		t.Errorf("populate with a bad second address: %v; proxies %v (%v), want one created, two and three not", err, all, lerr)
	}
}

func second[T any](_ T, err error) error { return err }

// TestCompatUpstreamDown: with the upstream down the client's connect
// succeeds and it then reads EOF, as with Toxiproxy.
func TestCompatUpstreamDown(t *testing.T) {
	_, cl := startServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close()
	p := createProxy(t, cl, "down", down)
	for range 20 {
		c, err := net.DialTimeout("tcp", p.Listen, hang)
		if err != nil {
			t.Fatalf("connect with the upstream down: %v, want success", err)
		}
		c.SetDeadline(time.Now().Add(hang))
		n, err := c.Read(make([]byte, 1))
		c.Close()
		if n != 0 || err != io.EOF {
			t.Fatalf("read with the upstream down: %d bytes, %v; want EOF", n, err)
		}
	}
}

// TestCompatSlowBody: a client that sends its request body too slowly is
// cut off by the server's read timeout.
func TestCompatSlowBody(t *testing.T) {
	_, addr := startServerWith(t, Options{ReadTimeout: 200 * time.Millisecond})
	c, err := net.DialTimeout("tcp", addr, hang)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(hang))
	fmt.Fprintf(c, "POST /proxies HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":")
	start := time.Now()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	// The server answers the cut-off request or closes; either way the
	// connection ends.
	if _, err := c.Read(make([]byte, 1)); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the server kept a slow request open for %v", time.Since(start))
	}
}

// TestCompatHostHeader: the API answers to loopback names and IP
// addresses, and to other names only when told to.
func TestCompatHostHeader(t *testing.T) {
	_, addr := startServerWith(t, Options{})
	_, port, _ := net.SplitHostPort(addr)
	_, addr2 := startServerWith(t, Options{AllowedHosts: []string{"docker"}})
	_, port2, _ := net.SplitHostPort(addr2)
	_, addr3 := startServerWith(t, Options{AllowedHosts: []string{"*"}})
	_, port3, _ := net.SplitHostPort(addr3)
	for _, tc := range []struct {
		addr, host string
		status     int
	}{
		{addr, "localhost:" + port, 200},
		{addr, "LOCALHOST", 200},
		{addr, "api.localhost:" + port, 200},
		{addr, "127.0.0.1:" + port, 200},
		{addr, "[::1]:" + port, 200},
		{addr, "192.0.2.7:" + port, 200},
		{addr, "rebind.example:" + port, 403},
		{addr, "docker:" + port, 403},
		{addr2, "docker:" + port2, 200},
		{addr2, "rebind.example:" + port2, 403},
		{addr3, "rebind.example:" + port3, 200},
	} {
		req, _ := http.NewRequest("GET", "http://"+tc.addr+"/proxies", nil)
		req.Host = tc.host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("Host %q: status %d, want %d", tc.host, resp.StatusCode, tc.status)
		}
	}
}
