package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/teardown-net/teardown/proxy/link"
	"github.com/teardown-net/teardown/proxy/toxic"
)

// A path carries a client's connection to an upstream server: directly,
// through teardown proxy's splice path (package link, in this process), or
// through the sockhash redirection.
type path int

const (
	direct path = iota
	splice
	sockmap
)

func (p path) String() string { return [...]string{"direct", "splice", "sockmap"}[p] }

// hop is one proxied connection: the client's end and the proxy's two
// sockets (none for the direct path).
type hop struct {
	client, proxyClient, proxyUp *net.TCPConn
	link                         *link.Link
}

func (h *hop) close() {
	if h.link != nil {
		h.link.Close()
	}
	for _, c := range []*net.TCPConn{h.client, h.proxyClient, h.proxyUp} {
		if c != nil {
			c.Close()
		}
	}
}

// bench holds what every check needs.
type bench struct {
	r *redirector
}

// connect opens a connection to the upstream at up over p. With redirect
// false a sockmap hop is set up but left to user space.
func (b *bench) connect(p path, up string, redirect bool) (*hop, error) {
	if p == direct {
		c, err := net.Dial("tcp", up)
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", up, err)
		}
		return &hop{client: c.(*net.TCPConn)}, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	h := new(hop)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return nil, fmt.Errorf("dial the proxy: %w", err)
	}
	h.client = c.(*net.TCPConn)
	pc, err := ln.Accept()
	if err != nil {
		h.close()
		return nil, fmt.Errorf("accept: %w", err)
	}
	h.proxyClient = pc.(*net.TCPConn)
	u, err := net.Dial("tcp", up)
	if err != nil {
		h.close()
		return nil, fmt.Errorf("dial %s: %w", up, err)
	}
	h.proxyUp = u.(*net.TCPConn)
	switch {
	case p == splice:
		h.link = link.Start(link.Config{Client: h.proxyClient, Upstream: h.proxyUp})
	case redirect:
		if err := b.r.add(h.proxyClient, h.proxyUp); err != nil {
			h.close()
			return nil, err
		}
	}
	return h, nil
}

// server runs handle on each connection accepted on a loopback port until
// the returned stop is called.
func server(handle func(*net.TCPConn)) (addr string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen: %w", err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c.(*net.TCPConn))
			}()
		}
	}()
	return ln.Addr().String(), func() { ln.Close() }, nil
}

// received is what an upstream read to EOF.
type received struct {
	n   int64
	sum [32]byte
	err error
}

// block is the data the checks send: random bytes, sent from a shifting
// offset so that no two writes are alike, without the cost of making new
// bytes for each (which would measure the sender rather than the path).
var block = func() []byte {
	b := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{1}).Read(b)
	return b
}()

// send writes n bytes to c and returns their SHA-256, if sum; hashing
// runs slower than loopback, so the throughput check does without.
func send(c *net.TCPConn, n int64, sum bool) ([32]byte, error) {
	h := sha256.New()
	buf := make([]byte, 128<<10)
	for i := 0; n > 0; i++ {
		k := int(min(n, int64(len(buf))))
		off := (i * 4099) % (len(block) - len(buf))
		copy(buf, block[off:])
		if sum {
			h.Write(buf[:k])
		}
		if _, err := c.Write(buf[:k]); err != nil {
			return [32]byte{}, err
		}
		n -= int64(k)
	}
	return [32]byte(h.Sum(nil)), nil
}

func probe(c config, stdout, stderr io.Writer) error {
	if os.Geteuid() != 0 {
		fmt.Fprintf(stderr, "not root: loading the BPF program will likely be refused\n")
	}
	r, err := newRedirector()
	if err != nil {
		return err
	}
	defer r.close()
	b := &bench{r: r}
	fmt.Fprintf(stdout, "sk_skb verdict program loaded and attached to a sockhash.\n\n")
	fmt.Fprintf(stdout, "| check | direct | splice | sockmap |\n|---|---:|---:|---:|\n")
	for _, ch := range []struct {
		name string
		f    func(path) (string, error)
	}{
		{fmt.Sprintf("throughput, %d MiB, MB/s", c.size>>20), func(p path) (string, error) { return b.throughput(p, c.size) }},
		{"round trip 64 B, median, µs", func(p path) (string, error) { return b.roundTrip(p, c.rttN) }},
		{fmt.Sprintf("bytes the client wrote to an upstream that never reads (stops at %d MiB)", c.stallLimit>>20), func(p path) (string, error) { return b.stall(p, c.stallLimit) }},
		{fmt.Sprintf("bytes delivered of %d MiB sent before the FIN, the FIN passed on when the proxy reads EOF", c.size>>20), func(p path) (string, error) { return b.fin(p, c.size) }},
		{fmt.Sprintf("bytes delivered of %d MiB, switched to user-space copying after a quarter", c.size>>20), func(p path) (string, error) { return b.switched(p, c.size) }},
	} {
		cells := make([]string, 3)
		for _, p := range []path{direct, splice, sockmap} {
			fmt.Fprintf(stderr, "%s: %s\n", ch.name, p)
			v, err := ch.f(p)
			if err != nil {
				return fmt.Errorf("%s, %s: %w", ch.name, p, err)
			}
			cells[p] = v
		}
		fmt.Fprintf(stdout, "| %s | %s | %s | %s |\n", ch.name, cells[0], cells[1], cells[2])
	}
	return nil
}

// throughput sends n bytes to a sink that answers with one byte once it has
// them all, and returns MB/s to the answer.
func (b *bench) throughput(p path, n int64) (string, error) {
	up, stop, err := server(func(c *net.TCPConn) {
		var hdr [8]byte
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		if _, err := io.CopyN(io.Discard, c, int64(binary.BigEndian.Uint64(hdr[:]))); err == nil {
			c.Write([]byte{1})
		}
	})
	if err != nil {
		return "", err
	}
	defer stop()
	h, err := b.connect(p, up, true)
	if err != nil {
		return "", err
	}
	defer h.close()
	start := time.Now()
	var hdr [8]byte
	binary.BigEndian.PutUint64(hdr[:], uint64(n))
	if _, err := h.client.Write(hdr[:]); err != nil {
		return "", err
	}
	if _, err := send(h.client, n, false); err != nil {
		return "", err
	}
	h.client.SetReadDeadline(time.Now().Add(time.Minute))
	if _, err := io.ReadFull(h.client, hdr[:1]); err != nil {
		return "", fmt.Errorf("the sink's answer: %w", err)
	}
	return strconv.FormatFloat(float64(n)/time.Since(start).Seconds()/1e6, 'f', 0, 64), nil
}

func (b *bench) roundTrip(p path, n int) (string, error) {
	up, stop, err := server(func(c *net.TCPConn) { io.Copy(c, c) })
	if err != nil {
		return "", err
	}
	defer stop()
	h, err := b.connect(p, up, true)
	if err != nil {
		return "", err
	}
	defer h.close()
	h.client.SetDeadline(time.Now().Add(time.Minute))
	msg := make([]byte, 64)
	rtts := make([]time.Duration, n)
	for i := range rtts {
		t := time.Now()
		if _, err := h.client.Write(msg); err != nil {
			return "", err
		}
		if _, err := io.ReadFull(h.client, msg); err != nil {
			return "", err
		}
		rtts[i] = time.Since(t)
	}
	slices.Sort(rtts)
	return strconv.FormatFloat(rtts[n/2].Seconds()*1e6, 'f', 1, 64), nil
}

// stall writes to an upstream that never reads until a write blocks for a
// second or limit bytes are written, and returns the bytes written: with
// backpressure, what the sockets' buffers hold on the way.
func (b *bench) stall(p path, limit int64) (string, error) {
	release := make(chan struct{})
	up, stop, err := server(func(*net.TCPConn) { <-release })
	if err != nil {
		return "", err
	}
	defer stop()
	defer close(release)
	h, err := b.connect(p, up, true)
	if err != nil {
		return "", err
	}
	defer h.close()
	var wrote int64
	buf := make([]byte, 128<<10)
	for wrote < limit {
		h.client.SetWriteDeadline(time.Now().Add(time.Second))
		n, err := h.client.Write(buf)
		wrote += int64(n)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%.1f MiB", float64(wrote)/(1<<20)), nil
}

// fin sends n bytes and a FIN; the proxy passes the FIN on when a read of
// its socket returns EOF, as teardown proxy does. It returns the bytes the
// upstream received before its EOF, and whether they match.
func (b *bench) fin(p path, n int64) (string, error) {
	got := make(chan received, 1)
	up, stop, err := server(func(c *net.TCPConn) {
		h := sha256.New()
		c.SetReadDeadline(time.Now().Add(time.Minute))
		m, err := io.Copy(h, c)
		got <- received{m, [32]byte(h.Sum(nil)), err}
	})
	if err != nil {
		return "", err
	}
	defer stop()
	h, err := b.connect(p, up, true)
	if err != nil {
		return "", err
	}
	defer h.close()
	if p == sockmap {
		go func() {
			// With the redirection, the proxy's socket holds nothing to read
			// until the FIN.
			h.proxyClient.SetReadDeadline(time.Now().Add(time.Minute))
			if _, err := h.proxyClient.Read(make([]byte, 1)); err == io.EOF {
				h.proxyUp.CloseWrite()
			}
		}()
	}
	sum, err := send(h.client, n, true)
	if err != nil {
		return "", err
	}
	h.client.CloseWrite()
	return verdict(<-got, n, sum), nil
}

// switched sends n bytes; once a quarter has reached the upstream, the
// connection leaves the redirection and user space copies the rest, as
// adding a toxic would make teardown proxy do. The splice path is switched
// by adding a toxic that does not change bytes.
func (b *bench) switched(p path, n int64) (string, error) {
	got := make(chan received, 1)
	var arrived = make(chan struct{})
	up, stop, err := server(func(c *net.TCPConn) {
		h := sha256.New()
		c.SetReadDeadline(time.Now().Add(time.Minute))
		m, err := io.CopyN(h, c, n/4)
		close(arrived)
		if err == nil {
			var k int64
			k, err = io.Copy(h, c)
			m += k
		}
		got <- received{m, [32]byte(h.Sum(nil)), err}
	})
	if err != nil {
		return "", err
	}
	defer stop()
	h, err := b.connect(p, up, true)
	if err != nil {
		return "", err
	}
	defer h.close()
	copied := make(chan error, 1)
	go func() {
		<-arrived
		switch p {
		case direct:
			copied <- nil
		case splice:
			copied <- switchSplice(h)
		case sockmap:
			if err := b.r.remove(h.proxyClient, h.proxyUp); err != nil {
				copied <- err
				return
			}
			h.proxyClient.SetReadDeadline(time.Now().Add(time.Minute))
			_, err := io.Copy(h.proxyUp, h.proxyClient)
			h.proxyUp.CloseWrite()
			copied <- err
		}
	}()
	sum, err := send(h.client, n, true)
	if err != nil {
		return "", err
	}
	h.client.CloseWrite()
	r := <-got
	if err := <-copied; err != nil {
		return "", fmt.Errorf("copy in user space: %w", err)
	}
	return verdict(r, n, sum), nil
}

func verdict(r received, n int64, sum [32]byte) string {
	s := fmt.Sprintf("%.1f of %.1f MiB", float64(r.n)/(1<<20), float64(n)/(1<<20))
	switch {
	case r.err != nil:
		s += fmt.Sprintf(", then %v", r.err)
	case r.n == n && r.sum == sum:
		s += ", checksum matches"
	default:
		s += ", checksum differs"
	}
	return s
}

// switchSplice moves the client-to-upstream direction of h's link from the
// splice path to the toxic path, with a latency of 0 that changes no byte.
func switchSplice(h *hop) error {
	t, err := toxic.Decode([]byte(`{"type":"latency","stream":"upstream","attributes":{"latency":0}}`))
	if err != nil {
		return err
	}
	t.ID = 1
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h.link.SetToxics(ctx, []*toxic.Toxic{t})
	return nil
}
