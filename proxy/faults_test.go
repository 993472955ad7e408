package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
)

// observe names what a socket call gave, as the fault table in
// docs/proxy.md writes it.
func observe(err error) string {
	switch {
	case err == nil:
		return "ok"
	case err == io.EOF:
		return "EOF"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "own timeout"
	case errors.Is(err, syscall.ECONNRESET):
		return "ECONNRESET"
	case errors.Is(err, syscall.EPIPE):
		return "EPIPE"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "ECONNREFUSED"
	}
	return err.Error()
}

// clientSees writes "hello" and reads until an error or EOF, with its own
// timer of 500 ms. It returns the bytes it read and the first error of a
// call, named by observe.
func clientSees(t *testing.T, addr string) (string, string) {
	c, err := net.DialTimeout("tcp", addr, hang)
	if err != nil {
		return "", observe(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("hello")); err != nil {
		return "", observe(err)
	}
	var got []byte
	buf := make([]byte, 64)
	for {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return string(got), observe(err)
		}
	}
}

// recorder is an upstream that echoes what it reads, answers the client's
// FIN with "bye" and a FIN of its own, and reports what its last read gave.
func recorder(seen chan<- string) func(c *net.TCPConn) {
	return func(c *net.TCPConn) {
		buf := make([]byte, 64)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				c.Write(buf[:n])
			}
			if err != nil {
				if err == io.EOF {
					c.Write([]byte("bye"))
					c.CloseWrite()
				}
				seen <- observe(err)
				return
			}
		}
	}
}

// A faultRow is one row of the fault table: a toxic, what a client on Linux
// sees, what the upstream server sees, and curl's exit code.
type faultRow struct {
	typ, stream string
	attrs       toxiproxy.Attributes
	clientGot   string // bytes the client read
	client      string // what its first failing call gave
	upstream    string // what the upstream's last read gave
	curl        []int  // curl's exit code (alternatives where timing decides)
}

var faultTable = []faultRow{
	{"reset", "downstream", nil, "", "ECONNRESET", "EOF", rstAtConnect},
	{"reset", "downstream", toxiproxy.Attributes{"after_bytes": 3}, "hel", "ECONNRESET", "EOF", []int{56}},
	{"reset", "upstream", nil, "", "EOF", "ECONNRESET", []int{52}},
	{"half_close", "downstream", nil, "", "EOF", "EOF", []int{52}},
	{"half_close", "upstream", nil, "bye", "EOF", "EOF", []int{52}},
	{"close_unread", "upstream", nil, "", "ECONNRESET", "EOF", []int{56}},
	{"close_unread", "downstream", nil, "", "EOF", "ECONNRESET", []int{52}},
	{"blackhole", "downstream", nil, "", "own timeout", "EOF", []int{28}},
	{"blackhole", "upstream", nil, "", "own timeout", "own timeout", []int{28}},
	{"blackhole", "downstream", toxiproxy.Attributes{"after_bytes": 2}, "he", "own timeout", "EOF", []int{28}},
	{"refuse", "", nil, "", "ECONNREFUSED", "", []int{7}},
	{"reset_peer", "downstream", nil, "", "ECONNRESET", "ECONNRESET", []int{56}},
	{"timeout", "upstream", nil, "", "own timeout", "EOF", []int{28}},
	{"limit_data", "downstream", toxiproxy.Attributes{"bytes": 2}, "he", "EOF", "EOF", []int{52}},
	{"limit_data", "downstream", toxiproxy.Attributes{"bytes": 200}, "hello", "own timeout", "EOF", []int{18}},
}

// rstAtConnect is curl's exit for a RST sent as the connection opens. curl's
// connect is non-blocking; on loopback the RST often arrives before curl has
// checked that it completed, and curl reports a failed connect (7), else a
// reset on receive (56).
var rstAtConnect = []int{56, 7}

func (r faultRow) String() string {
	s := r.typ
	if r.stream != "" {
		s += "/" + r.stream
	}
	for k, v := range r.attrs {
		s += fmt.Sprintf("/%s=%v", k, v)
	}
	return s
}

// TestFaultTable checks every row of the fault table with real sockets: the
// client's errno, the upstream's, and curl's exit code.
func TestFaultTable(t *testing.T) {
	_, cl := startServer(t)
	for i, row := range faultTable {
		t.Run(row.String(), func(t *testing.T) {
			seen := make(chan string, 1)
			up := startUpstream(t, func(c *net.TCPConn) {
				c.SetDeadline(time.Now().Add(time.Second))
				recorder(seen)(c)
			})
			p := createProxy(t, cl, fmt.Sprintf("row%d", i), up)
			defer p.Delete()
			if _, err := p.AddToxic("", row.typ, row.stream, 1, row.attrs); err != nil {
				t.Fatal(err)
			}
			got, sees := clientSees(t, p.Listen)
			if got != row.clientGot || sees != row.client {
				t.Errorf("client read %q then %s; want %q then %s", got, sees, row.clientGot, row.client)
			}
			if row.upstream == "" {
				return
			}
			select {
			case u := <-seen:
				if u != row.upstream {
					t.Errorf("upstream saw %s, want %s", u, row.upstream)
				}
			case <-time.After(hang):
				t.Errorf("upstream saw nothing")
			}
		})
	}
}

// TestHalfCloseKeepsOtherWay: after half_close on the downstream stream, the
// client reads EOF but what it sends still reaches the upstream.
func TestHalfCloseKeepsOtherWay(t *testing.T) {
	_, cl := startServer(t)
	got := make(chan string, 1)
	up := startUpstream(t, func(c *net.TCPConn) {
		b, _ := io.ReadAll(c)
		got <- string(b)
	})
	p := createProxy(t, cl, "hc", up)
	if _, err := p.AddToxic("", "half_close", "downstream", 1, nil); err != nil {
		t.Fatal(err)
	}
	c := dial(t, p.Listen)
	if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("client read %d, %v; want EOF", n, err)
	}
	c.Write([]byte("still "))
	c.Write([]byte("flowing"))
	c.CloseWrite()
	if s := <-got; s != "still flowing" {
		t.Errorf("upstream got %q after the client's half-close, want \"still flowing\"", s)
	}
}

// TestResetBeforeAccept: the upstream finds the connection already reset
// when it accepts it; the client gets a RST.
func TestResetBeforeAccept(t *testing.T) {
	_, cl := startServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := createProxy(t, cl, "rba", ln.Addr().String())
	if _, err := p.AddToxic("", "reset_before_accept", "", 1, nil); err != nil {
		t.Fatal(err)
	}
	if _, sees := clientSees(t, p.Listen); sees != "ECONNRESET" {
		t.Errorf("client saw %s, want ECONNRESET", sees)
	}
	// Only now does the upstream accept: the connection is in its queue,
	// already reset.
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(hang))
	c, err := ln.Accept()
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(hang))
	if _, err := c.Read(make([]byte, 1)); observe(err) != "ECONNRESET" {
		t.Errorf("upstream read after accept: %v, want ECONNRESET", err)
	}
}

// TestFaultTableCurl checks the curl column of the fault table against a
// real HTTP server behind the proxy. It needs curl (Debian package curl).
func TestFaultTableCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed (Debian package curl)")
	}
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write([]byte(strings.Repeat("w", 1000)))
	}))
	defer web.Close()
	_, cl := startServer(t)
	rows := append(faultTable, faultRow{typ: "reset_before_accept", curl: rstAtConnect})
	for i, row := range rows {
		t.Run(row.String(), func(t *testing.T) {
			p := createProxy(t, cl, fmt.Sprintf("curl%d", i), strings.TrimPrefix(web.URL, "http://"))
			defer p.Delete()
			if _, err := p.AddToxic("", row.typ, row.stream, 1, row.attrs); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(curl, "-s", "-o", "/dev/null", "--max-time", "1", "http://"+p.Listen+"/")
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(row.curl, code) {
				t.Errorf("curl exit %d, want one of %v", code, row.curl)
			}
		})
	}
}

// TestRefuseRemoved: removing refuse listens again on the same address, and
// connections opened before it were never touched.
func TestRefuseRemoved(t *testing.T) {
	_, cl := startServer(t)
	p := createProxy(t, cl, "ref", startUpstream(t, echo))
	before := dial(t, p.Listen)
	if _, err := p.AddToxic("", "refuse", "", 1, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := net.Dial("tcp", p.Listen); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial while refusing: %v, want ECONNREFUSED", err)
	}
	roundTrip(t, before, "still here")
	if err := p.RemoveToxic("refuse_downstream"); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, dial(t, p.Listen), "back")
}

// TestIPv6 proxies over ::1 when the host has IPv6.
func TestIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	ln.Close()
	_, cl := startServer(t)
	up := startUpstreamOn(t, "[::1]:0", echo)
	p, err := cl.CreateProxy("v6", "[::1]:0", up)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.Listen, "[::1]:") {
		t.Errorf("listen = %s", p.Listen)
	}
	roundTrip(t, dial(t, p.Listen), "six")
}

// TestBlackholeRemovedPassesFIN: a blackhole holds the client's FIN back
// while it is there; once it is removed the upstream gets the FIN, answers,
// and the connection ends, its descriptors released.
func TestBlackholeRemovedPassesFIN(t *testing.T) {
	s, cl := startServer(t)
	seen := make(chan string, 1)
	p := createProxy(t, cl, "bh", startUpstream(t, recorder(seen)))
	if _, err := p.AddToxic("bh", "blackhole", "upstream", 1, nil); err != nil {
		t.Fatal(err)
	}
	c := dial(t, p.Listen)
	if _, err := c.Write([]byte("lost")); err != nil {
		t.Fatal(err)
	}
	c.CloseWrite()
	select {
	case got := <-seen:
		t.Fatalf("the upstream saw %s through a blackhole", got)
	case <-time.After(200 * time.Millisecond):
	}
	if err := p.RemoveToxic("bh"); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-seen:
		if got != "EOF" {
			t.Fatalf("after removing the blackhole the upstream saw %s, want EOF", got)
		}
	case <-time.After(hang):
		t.Fatal("after removing the blackhole the upstream never saw the client's FIN")
	}
	if got, err := io.ReadAll(c); err != nil || string(got) != "bye" {
		t.Errorf("client read %q, %v; want the upstream's bye and EOF", got, err)
	}
	want := `teardown_proxy_connections_active{proxy="bh"} 0`
	if m := waitMetrics(t, s, want); !strings.Contains(m, want) {
		t.Errorf("the connection is still open after both FINs:\n%s", m)
	}
}
