package proxy

import (
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
)

// hang is how long a test waits for something that must happen before it
// declares a hang; it is a detector, not a performance bound.
const hang = 10 * time.Second

// startServer runs a Server with its API on a loopback port and returns it
// with a Toxiproxy client for it.
func startServer(t *testing.T) (*Server, *toxiproxy.Client) {
	t.Helper()
	s := NewServer(Options{Version: "test"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return s, toxiproxy.NewClient(ln.Addr().String())
}

// startUpstream runs a TCP server on loopback that calls handle with every
// connection it accepts, in a goroutine of its own.
func startUpstream(t *testing.T, handle func(c *net.TCPConn)) string {
	t.Helper()
	return startUpstreamOn(t, "127.0.0.1:0", handle)
}

// startUpstreamOn is startUpstream on a given address.
func startUpstreamOn(t *testing.T, addr string, handle func(c *net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(hang))
				handle(c.(*net.TCPConn))
			}()
		}
	}()
	return ln.Addr().String()
}

// echo sends back what it reads, and passes a FIN on as a FIN.
func echo(c *net.TCPConn) {
	io.Copy(c, c)
	c.CloseWrite()
	io.Copy(io.Discard, c)
}

func dial(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, hang)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(hang))
	return c.(*net.TCPConn)
}

// roundTrip writes msg and reads as many bytes back.
func roundTrip(t *testing.T, c net.Conn, msg string) string {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatalf("write: %v", err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatalf("read back %d bytes: %v", len(msg), err)
	}
	return string(buf)
}

func createProxy(t *testing.T, cl *toxiproxy.Client, name, upstream string) *toxiproxy.Proxy {
	t.Helper()
	p, err := cl.CreateProxy(name, "127.0.0.1:0", upstream)
	if err != nil {
		t.Fatalf("CreateProxy: %v", err)
	}
	return p
}

// TestClientAPI drives every endpoint through the official Toxiproxy client
// and checks the effect on real connections.
func TestClientAPI(t *testing.T) {
	_, cl := startServer(t)
	up := startUpstream(t, echo)

	p := createProxy(t, cl, "echo", up)
	if !p.Enabled || p.Upstream != up || !strings.HasPrefix(p.Listen, "127.0.0.1:") || strings.HasSuffix(p.Listen, ":0") {
		t.Fatalf("created proxy = %+v", p)
	}
	c := dial(t, p.Listen)
	if got := roundTrip(t, c, "hello"); got != "hello" {
		t.Fatalf("echo through proxy = %q", got)
	}

	if _, err := cl.CreateProxy("echo", "127.0.0.1:0", up); err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("duplicate CreateProxy error = %v, want HTTP 409", err)
	}

	all, err := cl.Proxies()
	if err != nil || len(all) != 1 || all["echo"].Listen != p.Listen {
		t.Fatalf("Proxies() = %v, %v", all, err)
	}

	// A toxic with the client's defaults.
	tx, err := p.AddToxic("", "latency", "", 1, toxiproxy.Attributes{"latency": 100})
	if err != nil {
		t.Fatalf("AddToxic: %v", err)
	}
	if tx.Name != "latency_downstream" || tx.Stream != "downstream" || tx.Toxicity != 1 ||
		tx.Attributes["latency"] != float64(100) || tx.Attributes["jitter"] != float64(0) {
		t.Errorf("AddToxic = %+v", tx)
	}
	start := time.Now()
	roundTrip(t, c, "slow")
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("round trip with 100 ms latency took %v", d)
	}

	if _, err := p.AddToxic("latency_downstream", "latency", "", 1, nil); err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("duplicate AddToxic error = %v, want HTTP 409", err)
	}

	ts, err := p.Toxics()
	if err != nil || len(ts) != 1 || ts[0].Name != "latency_downstream" {
		t.Fatalf("Toxics() = %+v, %v", ts, err)
	}

	tx, err = p.UpdateToxic("latency_downstream", -1, toxiproxy.Attributes{"jitter": 5})
	if err != nil || tx.Attributes["latency"] != float64(100) || tx.Attributes["jitter"] != float64(5) || tx.Toxicity != 1 {
		t.Errorf("UpdateToxic = %+v, %v; want latency kept, jitter 5", tx, err)
	}
	if _, err := p.UpdateToxic("nope", -1, nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("UpdateToxic of unknown toxic: %v, want HTTP 404", err)
	}

	if err := p.RemoveToxic("latency_downstream"); err != nil {
		t.Fatalf("RemoveToxic: %v", err)
	}
	if err := p.RemoveToxic("latency_downstream"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("second RemoveToxic: %v, want HTTP 404", err)
	}
	if got := roundTrip(t, c, "after"); got != "after" {
		t.Fatalf("echo after removal = %q", got)
	}

	// Disable closes the listener and the connections; Enable listens again.
	if err := p.Disable(); err != nil {
		t.Fatalf("Disable: %v", err)
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Errorf("connection still open after Disable")
	}
	if _, err := net.Dial("tcp", p.Listen); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial a disabled proxy: %v, want ECONNREFUSED", err)
	}
	if err := p.Enable(); err != nil {
		t.Fatalf("Enable: %v", err)
	}
	c = dial(t, p.Listen)
	roundTrip(t, c, "again")

	// Populate keeps an identical proxy and adds a new one.
	up2 := startUpstream(t, echo)
	ps, err := cl.Populate([]toxiproxy.Proxy{
		{Name: "echo", Listen: p.Listen, Upstream: up, Enabled: true},
		{Name: "second", Listen: "127.0.0.1:0", Upstream: up2, Enabled: true},
	})
	if err != nil || len(ps) != 2 || ps[0].Listen != p.Listen || ps[1].Name != "second" {
		t.Fatalf("Populate = %+v, %v", ps, err)
	}
	roundTrip(t, c, "kept") // an unchanged proxy keeps its connections
	roundTrip(t, dial(t, ps[1].Listen), "second")

	// Reset removes every toxic and enables every proxy.
	if _, err := p.AddToxic("", "timeout", "upstream", 1, nil); err != nil {
		t.Fatal(err)
	}
	second, err := cl.Proxy("second")
	if err != nil {
		t.Fatal(err)
	}
	if err := second.Disable(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ResetState(); err != nil {
		t.Fatalf("ResetState: %v", err)
	}
	all, err = cl.Proxies()
	if err != nil || !all["second"].Enabled || len(all["echo"].ActiveToxics) != 0 {
		t.Fatalf("after reset: %+v, %v", all, err)
	}

	if err := p.Delete(); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := cl.Proxy("echo"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("Proxy after Delete: %v, want 404", err)
	}
}

// TestToxics checks each of Toxiproxy's toxics on a real connection.
func TestToxics(t *testing.T) {
	_, cl := startServer(t)
	up := startUpstream(t, echo)
	for _, tc := range []struct {
		name   string
		typ    string
		stream string
		attrs  toxiproxy.Attributes
		check  func(t *testing.T, c *net.TCPConn)
	}{
		{"latency", "latency", "downstream", toxiproxy.Attributes{"latency": 200}, func(t *testing.T, c *net.TCPConn) {
			start := time.Now()
			roundTrip(t, c, "ping")
			if d := time.Since(start); d < 200*time.Millisecond {
				t.Errorf("round trip took %v, want at least the 200 ms latency", d)
			}
		}},
		{"latency-upstream", "latency", "upstream", toxiproxy.Attributes{"latency": 200}, func(t *testing.T, c *net.TCPConn) {
			start := time.Now()
			roundTrip(t, c, "ping")
			if d := time.Since(start); d < 200*time.Millisecond {
				t.Errorf("round trip took %v, want at least the 200 ms latency", d)
			}
		}},
		{"bandwidth", "bandwidth", "downstream", toxiproxy.Attributes{"rate": 100}, func(t *testing.T, c *net.TCPConn) {
			start := time.Now()
			msg := strings.Repeat("x", 50000)
			go c.Write([]byte(msg))
			if _, err := io.ReadFull(c, make([]byte, len(msg))); err != nil {
				t.Fatal(err)
			}
			// 50 000 bytes at 100 KB/s take 500 ms.
			if d := time.Since(start); d < 400*time.Millisecond {
				t.Errorf("50 kB at 100 KB/s took %v", d)
			}
		}},
		{"slicer", "slicer", "downstream", toxiproxy.Attributes{"average_size": 10, "size_variation": 0, "delay": 20000}, func(t *testing.T, c *net.TCPConn) {
			c.Write([]byte(strings.Repeat("y", 100)))
			buf := make([]byte, 100)
			reads, got := 0, 0
			for got < 100 {
				n, err := c.Read(buf[got:])
				if err != nil {
					t.Fatal(err)
				}
				if n > 10 {
					t.Errorf("a read returned %d bytes, slices are 10", n)
				}
				got += n
				reads++
			}
			if reads < 5 {
				t.Errorf("100 bytes came in %d reads, want about 10 slices", reads)
			}
		}},
		{"slow_close", "slow_close", "downstream", toxiproxy.Attributes{"delay": 300}, func(t *testing.T, c *net.TCPConn) {
			roundTrip(t, c, "x")
			c.CloseWrite()
			start := time.Now()
			if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				t.Fatalf("read after close = %d, %v; want EOF", n, err)
			}
			if d := time.Since(start); d < 300*time.Millisecond {
				t.Errorf("FIN passed on after %v, want at least 300 ms", d)
			}
		}},
		{"timeout", "timeout", "upstream", toxiproxy.Attributes{"timeout": 300}, func(t *testing.T, c *net.TCPConn) {
			start := time.Now()
			c.Write([]byte("lost"))
			n, err := c.Read(make([]byte, 4))
			if n != 0 || err != io.EOF {
				t.Fatalf("read = %d, %v; want no data, then EOF", n, err)
			}
			if d := time.Since(start); d < 250*time.Millisecond {
				t.Errorf("closed after %v, want about 300 ms", d)
			}
		}},
		{"reset_peer", "reset_peer", "downstream", toxiproxy.Attributes{"timeout": 0}, func(t *testing.T, c *net.TCPConn) {
			c.Write([]byte("x"))
			_, err := io.ReadAll(c)
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("read = %v, want ECONNRESET", err)
			}
		}},
		{"limit_data", "limit_data", "downstream", toxiproxy.Attributes{"bytes": 10}, func(t *testing.T, c *net.TCPConn) {
			c.Write([]byte(strings.Repeat("z", 25)))
			got, err := io.ReadAll(c)
			if len(got) != 10 || err != nil {
				t.Errorf("read %d bytes, %v; want 10 bytes then EOF", len(got), err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := createProxy(t, cl, tc.name, up)
			defer p.Delete()
			if _, err := p.AddToxic("", tc.typ, tc.stream, 1, tc.attrs); err != nil {
				t.Fatal(err)
			}
			tc.check(t, dial(t, p.Listen))
		})
	}
}

// TestResetPeerLive adds reset_peer to a connection that is already open:
// it must get a RST, where Toxiproxy sends a FIN.
func TestResetPeerLive(t *testing.T) {
	_, cl := startServer(t)
	p := createProxy(t, cl, "live", startUpstream(t, echo))
	c := dial(t, p.Listen)
	roundTrip(t, c, "before")
	if _, err := p.AddToxic("", "reset_peer", "downstream", 1, toxiproxy.Attributes{"timeout": 0}); err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("x"))
	_, err := io.ReadAll(c)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("read on a live connection after reset_peer = %v, want ECONNRESET", err)
	}
}

// TestHalfClosePassesThrough: the client's shutdown(SHUT_WR) reaches the
// upstream as a FIN, and the upstream's reply still reaches the client.
func TestHalfClosePassesThrough(t *testing.T) {
	_, cl := startServer(t)
	up := startUpstream(t, func(c *net.TCPConn) {
		req, err := io.ReadAll(c) // until the client's FIN
		if err != nil {
			return
		}
		c.Write(append([]byte("got "), req...))
		c.CloseWrite()
	})
	for _, withToxic := range []bool{false, true} {
		name := map[bool]string{false: "fast", true: "slow"}[withToxic]
		t.Run(name, func(t *testing.T) {
			p := createProxy(t, cl, name, up)
			defer p.Delete()
			if withToxic {
				// A toxic on both directions puts the bytes on the slow path.
				for _, s := range []string{"upstream", "downstream"} {
					if _, err := p.AddToxic("", "latency", s, 1, toxiproxy.Attributes{"latency": 1}); err != nil {
						t.Fatal(err)
					}
				}
			}
			c := dial(t, p.Listen)
			c.Write([]byte("request"))
			if err := c.CloseWrite(); err != nil {
				t.Fatal(err)
			}
			reply, err := io.ReadAll(c)
			if err != nil || string(reply) != "got request" {
				t.Errorf("reply after half-close = %q, %v; want \"got request\" then EOF", reply, err)
			}
		})
	}
}

// TestToxicityZero: a toxic with toxicity 0 never applies.
func TestToxicityZero(t *testing.T) {
	_, cl := startServer(t)
	p := createProxy(t, cl, "zero", startUpstream(t, echo))
	for _, typ := range []string{"limit_data", "reset", "timeout", "refuse", "reset_before_accept", "reset_peer", "blackhole"} {
		if _, err := p.AddToxic("", typ, "downstream", 0, toxiproxy.Attributes{"bytes": 1}); err != nil {
			t.Fatal(err)
		}
	}
	ts, _ := p.Toxics()
	for _, tx := range ts {
		if tx.Toxicity != 0 {
			t.Errorf("toxic %s has toxicity %v, want 0", tx.Name, tx.Toxicity)
		}
	}
	for i := 0; i < 20; i++ {
		c := dial(t, p.Listen)
		msg := strings.Repeat("a", 100)
		if got := roundTrip(t, c, msg); got != msg {
			t.Fatalf("connection %d: echo changed", i)
		}
		// The close is a FIN both ways: no toxic left a RST behind (in
		// Toxiproxy a reset_peer of toxicity 0 still does).
		c.CloseWrite()
		if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Fatalf("connection %d: read after close = %d, %v; want EOF", i, n, err)
		}
		c.Close()
	}
}

// TestChangesNeverHang adds, updates and removes toxics on connections in
// every state, including one blocked writing to a peer that does not read
// and one holding bytes behind an hour of latency.
func TestChangesNeverHang(t *testing.T) {
	_, cl := startServer(t)
	flood := startUpstream(t, func(c *net.TCPConn) {
		buf := make([]byte, 64<<10)
		for {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	})
	pf := createProxy(t, cl, "flood", flood)
	stuck := dial(t, pf.Listen)       // does not read: the proxy blocks writing to it
	time.Sleep(50 * time.Millisecond) // let the socket buffers fill
	pe := createProxy(t, cl, "echo", startUpstream(t, echo))
	ce := dial(t, pe.Listen)
	roundTrip(t, ce, "warm")
	if _, err := pe.AddToxic("", "latency", "downstream", 1, toxiproxy.Attributes{"latency": 3600_000}); err != nil {
		t.Fatal(err)
	}
	ce.Write([]byte("held"))
	time.Sleep(50 * time.Millisecond) // let the bytes reach the latency stage

	done := make(chan error, 1)
	go func() {
		done <- func() error {
			for i := 0; i < 5; i++ {
				for _, p := range []*toxiproxy.Proxy{pf, pe} {
					if _, err := p.AddToxic("t", "bandwidth", "downstream", 1, toxiproxy.Attributes{"rate": 1}); err != nil {
						return err
					}
					if _, err := p.UpdateToxic("t", 0.5, toxiproxy.Attributes{"rate": 2}); err != nil {
						return err
					}
					if err := p.RemoveToxic("t"); err != nil {
						return err
					}
				}
			}
			return pe.RemoveToxic("latency_downstream")
		}()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(hang):
		t.Fatal("changing toxics hung")
	}
	// The bytes held by the hour of latency come through once it is gone.
	buf := make([]byte, 4)
	if _, err := io.ReadFull(ce, buf); err != nil || string(buf) != "held" {
		t.Fatalf("held bytes = %q, %v", buf, err)
	}
	// A reset reaches the connection blocked writing to a client that does
	// not read.
	if _, err := pf.AddToxic("", "reset", "downstream", 1, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, stuck); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("stuck client read %v after reset, want ECONNRESET", err)
	}
}

// TestMetrics checks the byte counters and the count of connection ends.
func TestMetrics(t *testing.T) {
	s, cl := startServer(t)
	p := createProxy(t, cl, "m", startUpstream(t, echo))
	c := dial(t, p.Listen)
	roundTrip(t, c, "12345")
	c.CloseWrite()
	io.ReadAll(c)
	c.Close()
	out := waitMetrics(t, s, `teardown_proxy_connections_closed_total{by="client",how="fin",proxy="m"} 1`)
	for _, want := range []string{
		// Toxiproxy's names and labels, which its e2e script greps for.
		`toxiproxy_proxy_received_bytes_total{direction="upstream",listener="` + p.Listen + `",proxy="m",upstream="`,
		`toxiproxy_proxy_sent_bytes_total{direction="downstream",listener="` + p.Listen + `",proxy="m",upstream="`,
		`teardown_proxy_connections_total{proxy="m"} 1`,
		`teardown_proxy_connections_closed_total{by="client",how="fin",proxy="m"} 1`,
		"# TYPE toxiproxy_proxy_received_bytes_total counter",
		// The Go runtime's and the process's, as Toxiproxy serves them.
		"\ngo_goroutines ", "\ngo_info{", "\nprocess_open_fds ", "\nprocess_resident_memory_bytes ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "toxiproxy_proxy_") && strings.Contains(line, `proxy="m"`) && !strings.HasSuffix(line, " 5") {
			t.Errorf("byte counter %q, want 5", line)
		}
	}

	// A reset by the proxy is counted as such. On loopback the RST can
	// arrive while connect is still completing, so the client may see it
	// from connect rather than from a read; either way it is a reset.
	if _, err := p.AddToxic("", "reset", "downstream", 1, nil); err != nil {
		t.Fatal(err)
	}
	if _, got := clientSees(t, p.Listen); got != "ECONNRESET" {
		t.Errorf("client behind a reset toxic saw %s, want ECONNRESET", got)
	}
	if m := waitMetrics(t, s, `teardown_proxy_connections_closed_total{by="proxy",how="rst",proxy="m"} 1`); !strings.Contains(m, `teardown_proxy_connections_closed_total{by="proxy",how="rst",proxy="m"} 1`) {
		t.Errorf("metrics lack the proxy's reset:\n%s", m)
	}
}

// waitMetrics reads /metrics until it holds want or hang has passed, and
// returns the last text read. A connection's end is counted by the proxy's
// goroutine after the client has seen it, so the count may lag the client.
func waitMetrics(t *testing.T, s *Server, want string) string {
	t.Helper()
	deadline := time.Now().Add(hang)
	for {
		m := httpGet(t, s, "/metrics")
		if strings.Contains(m, want) || time.Now().After(deadline) {
			return m
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestToxicEnabledFalse: a toxic with "enabled": false stays listed and does
// nothing until enabled.
func TestToxicEnabledFalse(t *testing.T) {
	s, cl := startServer(t)
	p := createProxy(t, cl, "off", startUpstream(t, echo))
	h := s.Handler()
	if rec := httpDo(t, h, "POST", "/proxies/off/toxics", `{"type":"reset","enabled":false}`); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"enabled":false`) {
		t.Fatalf("add disabled toxic: %d %s", rec.Code, rec.Body)
	}
	c := dial(t, p.Listen)
	if got := roundTrip(t, c, "fine"); got != "fine" {
		t.Fatalf("echo with a disabled reset = %q", got)
	}
	if rec := httpDo(t, h, "PATCH", "/proxies/off/toxics/reset_downstream", `{"enabled":true}`); rec.Code != 200 {
		t.Fatalf("enable toxic: %d %s", rec.Code, rec.Body)
	}
	if _, err := io.ReadAll(c); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("read after enabling reset: %v, want ECONNRESET", err)
	}
}

// TestPopulateFile loads a config file as teardown proxy --config does.
func TestPopulateFile(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	up := startUpstream(t, echo)
	dir := t.TempDir()
	good := dir + "/good.json"
	os.WriteFile(good, []byte(`[{"name":"a","listen":"127.0.0.1:0","upstream":"`+up+`"},
		{"name":"b","upstream":"`+up+`","enabled":false}]`), 0o600)
	infos, err := s.PopulateFile(good)
	if err != nil || len(infos) != 2 || !infos[0].Enabled || infos[1].Enabled {
		t.Fatalf("PopulateFile = %+v, %v", infos, err)
	}
	roundTrip(t, dial(t, infos[0].Listen), "via config")
	bad := dir + "/bad.json"
	os.WriteFile(bad, []byte(`[{"name":"c"}]`), 0o600)
	if _, err := s.PopulateFile(bad); err == nil || !strings.Contains(err.Error(), "upstream at proxy 1") {
		t.Errorf("bad config error = %v", err)
	}
	if _, err := s.PopulateFile(dir + "/missing.json"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing config error = %v", err)
	}
}
