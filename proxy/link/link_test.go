package link

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/teardown-net/teardown/proxy/toxic"
)

const hang = 20 * time.Second

// pair returns the two ends of a loopback TCP connection.
func pair(t *testing.T) (*net.TCPConn, *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		acc <- c
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-acc
	if b == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	for _, c := range []net.Conn{a, b} {
		c.SetDeadline(time.Now().Add(hang))
	}
	return a.(*net.TCPConn), b.(*net.TCPConn)
}

// setup returns a link between a client and a server, and their ends.
func setup(t *testing.T, ts []*toxic.Toxic) (l *Link, client, server *net.TCPConn, c *Counters) {
	client, proxyClient := pair(t)
	proxyUp, server := pair(t)
	c = new(Counters)
	l = Start(Config{Client: proxyClient, Upstream: proxyUp, Toxics: ts, Counters: c})
	t.Cleanup(l.Close)
	return l, client, server, c
}

var nextID uint64

func mk(t *testing.T, js string) *toxic.Toxic {
	t.Helper()
	tx, err := toxic.Decode([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	nextID++
	tx.ID = nextID
	return tx
}

// stream writes n random bytes to w in random-sized writes, then half-closes,
// and returns their SHA-256.
func stream(w *net.TCPConn, n int, seed uint64) ([32]byte, error) {
	rng := rand.New(rand.NewPCG(seed, seed))
	h := sha256.New()
	buf := make([]byte, 256<<10)
	for n > 0 {
		k := min(n, 1+rng.IntN(len(buf)))
		for i := range buf[:k] {
			buf[i] = byte(rng.Uint32())
		}
		h.Write(buf[:k])
		if _, err := w.Write(buf[:k]); err != nil {
			return [32]byte{}, err
		}
		n -= k
	}
	return [32]byte(h.Sum(nil)), w.CloseWrite()
}

// sink reads r to EOF and returns the count and SHA-256.
func sink(r io.Reader) (int64, [32]byte, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	return n, [32]byte(h.Sum(nil)), err
}

// TestLiveSwitch streams data both ways while the toxics change under it,
// moving each direction between the fast and the slow path many times: every
// byte must arrive once, in order.
func TestLiveSwitch(t *testing.T) {
	const size = 48 << 20
	l, client, server, counters := setup(t, nil)
	sets := [][]*toxic.Toxic{
		nil,
		{mk(t, `{"type":"latency","stream":"upstream","attributes":{"latency":0}}`)},
		{mk(t, `{"type":"slicer","stream":"downstream","attributes":{"average_size":3000,"size_variation":1000}}`)},
		nil,
		{mk(t, `{"type":"bandwidth","stream":"upstream","attributes":{"rate":500000}}`),
			mk(t, `{"type":"latency","stream":"downstream","attributes":{"latency":1,"jitter":1}}`)},
		{mk(t, `{"type":"limit_data","stream":"upstream","toxicity":0,"attributes":{"bytes":1}}`)},
	}
	type result struct {
		n   int64
		sum [32]byte
		err error
	}
	sent := make(chan [32]byte, 2)
	got := make(chan result, 2)
	for i, ends := range [][2]*net.TCPConn{{client, server}, {server, client}} {
		go func() {
			s, err := stream(ends[0], size, uint64(i+1))
			if err != nil {
				t.Errorf("write: %v", err)
			}
			sent <- s
		}()
		go func() {
			n, s, err := sink(ends[1])
			got <- result{n, s, err}
		}()
	}
	stop := make(chan struct{})
	switched := make(chan int)
	go func() {
		i := 0
		for {
			select {
			case <-stop:
				switched <- i
				return
			case <-time.After(time.Duration(rand.IntN(3000)) * time.Microsecond):
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			l.SetToxics(ctx, sets[i%len(sets)])
			cancel()
			i++
		}
	}()
	want := map[[32]byte]bool{<-sent: true, <-sent: true}
	for range 2 {
		select {
		case r := <-got:
			if r.err != nil || r.n != size || !want[r.sum] {
				t.Errorf("received %d bytes (want %d), checksum match %v, err %v", r.n, size, want[r.sum], r.err)
			}
		case <-time.After(hang):
			t.Fatal("transfer hung")
		}
	}
	close(stop)
	n := <-switched
	t.Logf("%d toxic changes; spliced %d and %d of %d bytes", n, counters.Spliced[0].Load(), counters.Spliced[1].Load(), size)
	for d := range 2 {
		if sp := counters.Spliced[d].Load(); sp == 0 || sp == size {
			t.Errorf("direction %d: %d of %d bytes spliced; want both paths used", d, sp, size)
		}
		if counters.Sent[d].Load() != size || counters.Received[d].Load() != size {
			t.Errorf("direction %d: counters received %d sent %d, want %d", d, counters.Received[d].Load(), counters.Sent[d].Load(), size)
		}
	}
}

// TestRSTPassesThrough: a RST from one side reaches the other as a RST.
func TestRSTPassesThrough(t *testing.T) {
	for _, withToxic := range []bool{false, true} {
		t.Run(fmt.Sprint("slow=", withToxic), func(t *testing.T) {
			var ts []*toxic.Toxic
			if withToxic {
				ts = []*toxic.Toxic{mk(t, `{"type":"latency","stream":"upstream"}`), mk(t, `{"type":"latency"}`)}
			}
			_, client, server, _ := setup(t, ts)
			client.Write([]byte("x"))
			io.ReadFull(server, make([]byte, 1))
			server.SetLinger(0)
			server.Close()
			_, err := client.Read(make([]byte, 1))
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("client read after the server's RST: %v, want ECONNRESET", err)
			}
		})
	}
}

// TestEnds checks who is recorded as ending a connection, and how.
func TestEnds(t *testing.T) {
	client, proxyClient := pair(t)
	proxyUp, server := pair(t)
	ends := make(chan End, 1)
	l := Start(Config{Client: proxyClient, Upstream: proxyUp, OnEnd: func(e End) { ends <- e }})
	defer l.Close()
	server.SetLinger(0)
	server.Close()
	_ = client
	select {
	case e := <-ends:
		if e != (End{Upstream, RST}) {
			t.Errorf("end = %v/%v, want upstream/rst", e.By, e.How)
		}
	case <-time.After(hang):
		t.Fatal("no end recorded")
	}
}

// TestTimerAfterFIN: a stage armed by the sender's FIN still acts when its
// timer expires (reset_peer with a timeout, on the upstream stream).
func TestTimerAfterFIN(t *testing.T) {
	_, client, server, _ := setup(t, []*toxic.Toxic{mk(t, `{"type":"reset_peer","stream":"upstream","attributes":{"timeout":100}}`)})
	client.CloseWrite()
	if _, err := io.ReadAll(client); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("client read after its FIN armed reset_peer: %v, want ECONNRESET", err)
	}
	if _, err := io.ReadAll(server); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("server read: %v, want ECONNRESET", err)
	}
}

// TestReadAhead: under a latency toxic the proxy reads ahead of the delay,
// up to its window and no further, and when the toxic goes every byte held
// arrives once, in order, followed by the FIN.
func TestReadAhead(t *testing.T) {
	const size = readAhead + 8<<20
	l, client, server, counters := setup(t, []*toxic.Toxic{mk(t, `{"type":"latency","stream":"upstream","attributes":{"latency":3600000}}`)})
	for _, c := range []*net.TCPConn{client, server} {
		c.SetDeadline(time.Now().Add(3 * hang))
	}
	sent := make(chan [32]byte, 1)
	go func() {
		s, err := fastStream(client, size)
		if err != nil {
			t.Errorf("write: %v", err)
		}
		sent <- s
	}()
	// Wait until the reader has stopped reading with the window full. A
	// window that is too small stops it early, and the wait runs out.
	lo, hi := uint64(readAhead/2), uint64(readAhead+chunkSize)
	var held uint64
	for deadline := time.Now().Add(hang); ; {
		before := counters.Received[0].Load()
		time.Sleep(300 * time.Millisecond)
		held = counters.Received[0].Load()
		if held == before && held >= lo || time.Now().After(deadline) {
			break
		}
	}
	if held < lo || held > hi {
		t.Errorf("the proxy read %d bytes ahead of the delay; want between %d and %d", held, lo, hi)
	}
	if n := counters.Sent[0].Load(); n != 0 {
		t.Errorf("%d bytes passed a latency of an hour", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), hang)
	l.SetToxics(ctx, nil)
	cancel()
	n, sum, err := sink(server)
	if want := <-sent; err != nil || n != size || sum != want {
		t.Errorf("after the toxic went: received %d bytes (want %d), checksum match %v, err %v", n, size, sum == want, err)
	}
}

// fastStream writes n bytes to w, then half-closes, and returns their
// SHA-256. It repeats one random block, shifted on each write so that no two
// writes are alike: it keeps a sender fast where stream would be slow (under
// the race detector).
func fastStream(w *net.TCPConn, n int) ([32]byte, error) {
	block := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{7}).Read(block)
	h := sha256.New()
	buf := make([]byte, len(block))
	for i := 0; n > 0; i++ {
		k := min(n, len(buf))
		s := (i * 4099) % len(block)
		copy(buf, block[s:])
		copy(buf[len(block)-s:], block[:s])
		h.Write(buf[:k])
		if _, err := w.Write(buf[:k]); err != nil {
			return [32]byte{}, err
		}
		n -= k
	}
	return [32]byte(h.Sum(nil)), w.CloseWrite()
}

// TestDelayAfterLiveChange: bytes sent right after a latency toxic is added
// to a live connection are delayed by it. The interrupt that made the pump
// take up the change must not also cut short the first delay.
func TestDelayAfterLiveChange(t *testing.T) {
	const delay = 20 * time.Millisecond
	for i := range 25 {
		l, client, server, _ := setup(t, nil)
		buf := make([]byte, 1)
		if _, err := server.Write([]byte("a")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(client, buf); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), hang)
		l.SetToxics(ctx, []*toxic.Toxic{mk(t, fmt.Sprintf(`{"type":"latency","stream":"downstream","attributes":{"latency":%d}}`, delay.Milliseconds()))})
		cancel()
		start := time.Now()
		if _, err := server.Write([]byte("b")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(client, buf); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < delay {
			t.Fatalf("connection %d: a byte sent after adding %v of latency arrived after %v", i, delay, d)
		}
		l.Close()
	}
}
