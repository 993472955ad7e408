package explain

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/teardown-net/teardown/sockerr"
)

// TestLiveGoErrors makes real errors on loopback TCP connections, as a Go
// program meets them, and checks that the matcher names the right entry
// for the error's text and that the entry's kind is what sockerr.Classify
// says of the error itself.
func TestLiveGoErrors(t *testing.T) {
	b := load(t)
	check := func(t *testing.T, err error, want string) {
		t.Helper()
		if err == nil {
			t.Fatalf("no error, want %s", want)
		}
		fs := b.Match(err.Error(), Options{})
		if len(fs) == 0 || fs[0].ID != want {
			t.Fatalf("%q: matched %v, want %s first", err, idsOf(fs), want)
		}
		if got := sockerr.Classify(err).String(); got != fs[0].Entry.Kind {
			t.Errorf("%q: entry %s has kind %s, sockerr.Classify says %s", err, want, fs[0].Entry.Kind, got)
		}
	}
	// pair returns a connected client and the server's end.
	pair := func(t *testing.T) (net.Conn, *net.TCPConn) {
		t.Helper()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s, err := ln.Accept()
		if err != nil {
			c.Close()
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(); s.Close() })
		return c, s.(*net.TCPConn)
	}
	// settle waits until the peer's FIN or RST has arrived, observed
	// rather than slept: a read with a short deadline returns once it has.
	settle := func(c net.Conn) {
		one := make([]byte, 1)
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		c.Read(one)
		c.SetReadDeadline(time.Time{})
	}

	t.Run("refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		_, err = net.Dial("tcp", addr)
		check(t, err, "ECONNREFUSED")
	})
	t.Run("eof", func(t *testing.T) {
		c, s := pair(t)
		s.Close()
		_, err := c.Read(make([]byte, 1))
		if !errors.Is(err, io.EOF) {
			t.Fatalf("read: %v, want EOF", err)
		}
		check(t, err, "EOF")
	})
	t.Run("reset", func(t *testing.T) {
		c, s := pair(t)
		s.SetLinger(0)
		s.Close()
		_, err := c.Read(make([]byte, 1))
		check(t, err, "ECONNRESET")
	})
	t.Run("broken pipe", func(t *testing.T) {
		c, s := pair(t)
		s.Close()
		settle(c) // the FIN
		var err error
		// The first write draws the RST, a later one fails with EPIPE.
		for i := 0; i < 100 && err == nil; i++ {
			_, err = c.Write([]byte("x"))
			if err == nil {
				// Wait for the RST the write draws; the read returns
				// when it arrives, or after 50ms if it never does.
				c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
				c.Read(make([]byte, 1))
			}
		}
		check(t, err, "EPIPE")
	})
	t.Run("deadline", func(t *testing.T) {
		c, _ := pair(t)
		c.SetReadDeadline(time.Now().Add(-time.Second))
		_, err := c.Read(make([]byte, 1))
		check(t, err, "DEADLINE")
	})
	t.Run("closed", func(t *testing.T) {
		c, _ := pair(t)
		c.Close()
		_, err := c.Read(make([]byte, 1))
		check(t, err, "USE_OF_CLOSED")
	})
}
