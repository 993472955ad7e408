package proxy_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"

	"github.com/teardown-net/teardown/proxy"
)

var (
	soakDuration = flag.Duration("soak.duration", 6*time.Second, "how long TestSoak churns connections and toxics (-short: 2s unless set)")
	soakConns    = flag.Int("soak.conns", 50, "connections TestSoak keeps live at once")
	soakSeed     = flag.Uint64("soak.seed", 0, "seed of TestSoak's random choices (0: a new one, logged)")
)

// Limits that keep the soak bounded whatever the toxics do.
const (
	// soakDrain is how long connections may take to finish once the toxics
	// are gone; a connection still running after it has stalled.
	soakDrain = 30 * time.Second
	// soakSettleLimit bounds the wait for goroutines and descriptors to return
	// to their baseline after the last connection closed.
	soakSettleLimit = 5 * time.Second
	// soakMaxConnBytes bounds what one connection sends each way before it
	// closes and its worker opens the next one.
	soakMaxConnBytes = 1 << 20
	// soakMaxToxics bounds the toxics on the proxy at once.
	soakMaxToxics = 6
)

// soakTypes are the toxics the soak adds, changes and removes. None of them
// drops or rewrites a byte, so every connection must deliver exactly what
// was sent, in both directions.
var soakTypes = []string{"latency", "bandwidth", "slicer", "slow_close"}

// TestSoak runs many live connections through one proxy, each streaming
// random data both ways with SHA-256 checksums end to end, while toxics are
// added, changed and removed at random on the live connections. It fails if
// a byte is lost, added or changed, if a connection stalls, or if the
// process holds more goroutines or open files at the end than before the
// first connection. It is bounded in time (-soak.duration, plus the drain)
// and in count (-soak.conns).
func TestSoak(t *testing.T) {
	if *soakConns < 1 || *soakDuration <= 0 {
		t.Fatalf("-soak.conns=%d -soak.duration=%v: want at least one connection and a positive duration", *soakConns, *soakDuration)
	}
	duration := *soakDuration
	if testing.Short() && !soakFlagSet("soak.duration") {
		duration = 2 * time.Second
	}
	seed := *soakSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d (rerun with -soak.seed=%d)", seed, seed)

	up := newSoakUpstream(t)
	before := soakSettled()
	srv := startSoakServer(t)
	client := toxiproxy.NewClient(srv.api)
	px, err := client.CreateProxy("soak", "127.0.0.1:0", up.addr())
	if err != nil {
		t.Fatalf("create proxy: %v", err)
	}
	listen := px.Listen

	// One connection before the baseline, so that whatever the proxy sets
	// up once (pools, timers) is not counted as growth.
	warm := soakConn{id: 0, addr: listen, rng: rand.New(rand.NewPCG(seed, 0)), budget: 4096, upBudget: 4096}
	if err := warm.run(time.Now().Add(time.Second), time.Now().Add(soakDrain)); err != nil {
		t.Fatalf("first connection through the proxy: %v", err)
	}
	if err := up.wait(soakDrain); err != nil {
		t.Fatal(err)
	}
	up.check(t, []*soakConn{&warm})
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	base := soakSettled()
	t.Logf("baseline: %d goroutines, %d open files", base.goroutines, base.files)

	stop := time.Now().Add(duration)
	hard := stop.Add(soakDrain)
	var (
		mu    sync.Mutex
		conns []*soakConn
		wg    sync.WaitGroup
		next  atomic.Uint64
	)
	next.Store(1)
	errs := make(chan error, *soakConns)
	for w := range *soakConns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)+1))
			for time.Now().Before(stop) {
				c := &soakConn{
					id:       next.Add(1),
					addr:     listen,
					rng:      rand.New(rand.NewPCG(seed, rng.Uint64())),
					budget:   1 + rng.Int64N(soakMaxConnBytes),
					upBudget: 1 + rng.Int64N(soakMaxConnBytes),
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
				if err := c.run(stop, hard); err != nil {
					errs <- err
					return
				}
			}
		}()
	}

	churn := soakChurn(t, px, rand.New(rand.NewPCG(seed, 1<<63)), stop)
	wg.Wait()
	drained := time.Since(stop)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := up.wait(soakSettleLimit); err != nil {
		t.Fatal(err)
	}
	up.check(t, conns)
	var sent, received int64
	for _, c := range conns {
		sent += c.sent
		received += c.received
	}
	t.Logf("%d connections, %.1f MB sent and %.1f MB received by the clients, every checksum compared",
		len(conns), float64(sent)/1e6, float64(received)/1e6)
	if len(churn.calls) == 0 { // a soak too short for any call
		churn.calls = []time.Duration{0}
	}
	slices.Sort(churn.calls)
	t.Logf("toxics: %d added, %d updated, %d removed on live connections; API calls took %v (median) to %v; last connection closed %v after the end",
		churn.added, churn.updated, churn.removed, churn.calls[len(churn.calls)/2].Round(time.Millisecond),
		churn.calls[len(churn.calls)-1].Round(time.Millisecond), drained.Round(time.Millisecond))

	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	end := soakWaitBelow(base, soakSettleLimit)
	t.Logf("end: %d goroutines, %d open files", end.goroutines, end.files)
	soakCheckGrowth(t, fmt.Sprintf("over %d connections", len(conns)), base, end)

	// Closing the server must end everything it started.
	srv.close()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	soakCheckGrowth(t, "after the server closed", before, soakWaitBelow(before, soakSettleLimit))
}

// A soakServer is an in-process teardown proxy server serving the API.
type soakServer struct {
	api   string
	close func()
}

func startSoakServer(t *testing.T) *soakServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := proxy.NewServer(proxy.Options{})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	var once sync.Once
	s := &soakServer{api: ln.Addr().String(), close: func() {
		once.Do(func() {
			srv.Close()
			if err := <-done; !errors.Is(err, proxy.ErrServerClosed) {
				t.Errorf("Serve returned %v, want ErrServerClosed", err)
			}
		})
	}}
	t.Cleanup(s.close)
	return s
}

func soakCheckGrowth(t *testing.T, when string, base, end soakResources) {
	t.Helper()
	if end.goroutines > base.goroutines {
		t.Errorf("goroutines grew from %d to %d %s", base.goroutines, end.goroutines, when)
	}
	if base.files < 0 {
		t.Logf("open files not checked %s: this system has no /proc/self/fd", when)
	} else if end.files > base.files {
		t.Errorf("open files grew from %d to %d %s", base.files, end.files, when)
	}
}

// soakChurnStats counts what soakChurn did.
type soakChurnStats struct {
	added, updated, removed int
	calls                   []time.Duration // how long each API call took
}

// soakChurn adds, updates and removes toxics on px at random until stop,
// then removes every toxic so that the connections can drain. An API error
// fails the test.
func soakChurn(t *testing.T, px *toxiproxy.Proxy, rng *rand.Rand, stop time.Time) soakChurnStats {
	t.Helper()
	type live struct{ name, typ string }
	var (
		toxics []live
		st     soakChurnStats
		serial int
		began  time.Time
	)
	timed := func() { st.calls = append(st.calls, time.Since(began)) }
	for time.Now().Before(stop) {
		time.Sleep(time.Duration(5+rng.IntN(25)) * time.Millisecond)
		began = time.Now()
		switch op := rng.IntN(3); {
		case len(toxics) < soakMaxToxics && (op == 0 || len(toxics) == 0):
			serial++
			typ := soakTypes[rng.IntN(len(soakTypes))]
			name := fmt.Sprintf("%s_%d", typ, serial)
			stream := []string{"upstream", "downstream"}[rng.IntN(2)]
			if _, err := px.AddToxic(name, typ, stream, soakToxicity(rng), soakAttributes(rng, typ)); err != nil {
				t.Fatalf("add toxic %s: %v", name, err)
			}
			toxics = append(toxics, live{name, typ})
			st.added++
		case op == 1 && len(toxics) > 0:
			x := toxics[rng.IntN(len(toxics))]
			toxicity := float32(-1) // keep it
			if rng.IntN(2) == 0 {
				toxicity = soakToxicity(rng)
			}
			if _, err := px.UpdateToxic(x.name, toxicity, soakAttributes(rng, x.typ)); err != nil {
				t.Fatalf("update toxic %s: %v", x.name, err)
			}
			st.updated++
		case len(toxics) > 0:
			i := rng.IntN(len(toxics))
			if err := px.RemoveToxic(toxics[i].name); err != nil {
				t.Fatalf("remove toxic %s: %v", toxics[i].name, err)
			}
			toxics = append(toxics[:i], toxics[i+1:]...)
			st.removed++
		}
		timed()
	}
	for _, x := range toxics {
		began = time.Now()
		if err := px.RemoveToxic(x.name); err != nil {
			t.Fatalf("remove toxic %s: %v", x.name, err)
		}
		st.removed++
		timed()
	}
	left, err := px.Toxics()
	if err != nil {
		t.Fatalf("list toxics: %v", err)
	}
	if len(left) != 0 {
		t.Fatalf("toxics left after removing all: %v", left)
	}
	return st
}

func soakToxicity(rng *rand.Rand) float32 {
	return []float32{1, 1, 0.5, 0.1, 0}[rng.IntN(5)]
}

func soakAttributes(rng *rand.Rand, typ string) toxiproxy.Attributes {
	switch typ {
	case "latency":
		return toxiproxy.Attributes{"latency": rng.IntN(50), "jitter": rng.IntN(20)}
	case "bandwidth":
		return toxiproxy.Attributes{"rate": 50 + rng.IntN(5000)} // KB/s
	case "slicer":
		// Toxiproxy documents size_variation as smaller than average_size.
		avg := 1 + rng.IntN(512)
		return toxiproxy.Attributes{"average_size": avg, "size_variation": rng.IntN(avg), "delay": rng.IntN(2000)} // µs
	case "slow_close":
		return toxiproxy.Attributes{"delay": rng.IntN(200)}
	}
	panic("no attributes for toxic type " + typ)
}

// A soakConn is one connection of the soak from the client's side. It sends
// a header, then frames of random bytes (a 4-byte length, then the
// bytes) until its budget is spent or the soak stops, then an empty frame;
// meanwhile it reads the upstream's frames up to their empty frame. It
// closes only when both streams are complete, so no close races a byte.
type soakConn struct {
	id       uint64
	addr     string
	rng      *rand.Rand
	budget   int64 // bytes to send at most
	upBudget int64 // bytes the upstream sends at most

	sent, received   int64
	sentSum, recvSum [sha256.Size]byte
}

func (c *soakConn) run(stop, hard time.Time) error {
	conn, err := net.Dial("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("connection %d: dial %s: %w", c.id, c.addr, err)
	}
	defer conn.Close()
	// No toxic of the soak ends a connection, so reaching this deadline
	// means a stream stalled.
	conn.SetDeadline(hard)
	// The header tells the upstream who this is, how much to send back and
	// until when, so that both ends of the soak stop together.
	hdr := binary.BigEndian.AppendUint64(nil, c.id)
	hdr = binary.BigEndian.AppendUint64(hdr, uint64(c.upBudget))
	hdr = binary.BigEndian.AppendUint64(hdr, uint64(stop.UnixNano()))
	hdr = binary.BigEndian.AppendUint64(hdr, uint64(hard.UnixNano()))
	if _, err := conn.Write(hdr); err != nil {
		return fmt.Errorf("connection %d: write header: %w", c.id, err)
	}
	rerr := make(chan error, 1)
	go func() {
		var err error
		c.received, c.recvSum, err = soakReadFrames(conn)
		rerr <- err
	}()
	var werr error
	c.sent, c.sentSum, werr = soakWriteFrames(conn, c.rng, c.budget, stop)
	if werr != nil {
		conn.Close()
		<-rerr
		return fmt.Errorf("connection %d: send after %d bytes: %w", c.id, c.sent, werr)
	}
	if err := <-rerr; err != nil {
		return fmt.Errorf("connection %d: receive after %d bytes: %w", c.id, c.received, err)
	}
	return nil
}

// soakWriteFrames sends random frames until budget bytes are sent or stop
// passes, then the empty frame, pausing now and then so that toxics change
// between the bytes of a connection and not only between connections.
func soakWriteFrames(w io.Writer, rng *rand.Rand, budget int64, stop time.Time) (int64, [sha256.Size]byte, error) {
	h := sha256.New()
	bw := bufio.NewWriterSize(w, 64<<10)
	var (
		n   int64
		buf []byte
	)
	for n < budget && time.Now().Before(stop) {
		size := 1 + rng.IntN(int(min(32<<10, budget-n)))
		buf = soakFill(rng, buf[:0], size)
		var hdr [4]byte
		binary.BigEndian.PutUint32(hdr[:], uint32(size))
		bw.Write(hdr[:])
		bw.Write(buf)
		h.Write(buf)
		n += int64(size)
		if rng.IntN(4) == 0 {
			if err := bw.Flush(); err != nil {
				return n, soakSum(h), err
			}
			time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
		}
	}
	bw.Write([]byte{0, 0, 0, 0})
	return n, soakSum(h), bw.Flush()
}

// soakReadFrames reads frames up to the empty one and returns the number of
// payload bytes and their checksum.
func soakReadFrames(r io.Reader) (int64, [sha256.Size]byte, error) {
	h := sha256.New()
	br := bufio.NewReaderSize(r, 64<<10)
	var n int64
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return n, soakSum(h), fmt.Errorf("read frame header: %w", err)
		}
		size := int64(binary.BigEndian.Uint32(hdr[:]))
		if size == 0 {
			return n, soakSum(h), nil
		}
		if size > 32<<10 {
			return n, soakSum(h), fmt.Errorf("frame of %d bytes, more than any sender writes: the stream is corrupt", size)
		}
		m, err := io.CopyN(h, br, size)
		n += m
		if err != nil {
			return n, soakSum(h), fmt.Errorf("read frame of %d bytes: %w", size, err)
		}
	}
}

func soakFill(rng *rand.Rand, b []byte, n int) []byte {
	for len(b)+8 <= n {
		b = binary.LittleEndian.AppendUint64(b, rng.Uint64())
	}
	for len(b) < n {
		b = append(b, byte(rng.Uint32()))
	}
	return b
}

func soakSum(h hash.Hash) (s [sha256.Size]byte) {
	h.Sum(s[:0])
	return s
}

// soakUpstream is the server behind the proxy. Each connection reads the
// client's header and frames while it sends frames of its own, and records both
// checksums under the id for the test to compare with the client's.
type soakUpstream struct {
	ln      net.Listener
	wg      sync.WaitGroup
	mu      sync.Mutex
	active  atomic.Int64 // connection handlers running
	results map[uint64]soakResult
	errs    []error
	conns   map[net.Conn]struct{} // open connections
}

type soakResult struct {
	sent, received   int64
	sentSum, recvSum [sha256.Size]byte
}

func newSoakUpstream(t *testing.T) *soakUpstream {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &soakUpstream{ln: ln, results: map[uint64]soakResult{}, conns: map[net.Conn]struct{}{}}
	u.wg.Add(1)
	go u.serve()
	t.Cleanup(func() {
		ln.Close()
		// After a failure, connections may still be open: end them now
		// rather than at their deadline.
		u.mu.Lock()
		for c := range u.conns {
			c.Close()
		}
		u.mu.Unlock()
		u.wg.Wait()
	})
	return u
}

func (u *soakUpstream) addr() string { return u.ln.Addr().String() }

func (u *soakUpstream) serve() {
	defer u.wg.Done()
	for {
		conn, err := u.ln.Accept()
		if err != nil {
			return
		}
		u.wg.Add(1)
		u.active.Add(1)
		u.mu.Lock()
		u.conns[conn] = struct{}{}
		u.mu.Unlock()
		go func() {
			defer u.wg.Done()
			defer u.active.Add(-1)
			err := u.handle(conn)
			conn.Close()
			u.mu.Lock()
			delete(u.conns, conn)
			if err != nil {
				u.errs = append(u.errs, err)
			}
			u.mu.Unlock()
		}()
	}
}

func (u *soakUpstream) handle(conn net.Conn) error {
	var hdr [32]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return fmt.Errorf("upstream: read connection header: %w", err)
	}
	id := binary.BigEndian.Uint64(hdr[0:])
	budget := int64(binary.BigEndian.Uint64(hdr[8:]))
	stop := time.Unix(0, int64(binary.BigEndian.Uint64(hdr[16:])))
	conn.SetDeadline(time.Unix(0, int64(binary.BigEndian.Uint64(hdr[24:]))))
	var r soakResult
	rerr := make(chan error, 1)
	go func() {
		var err error
		r.received, r.recvSum, err = soakReadFrames(conn)
		rerr <- err
	}()
	var werr error
	r.sent, r.sentSum, werr = soakWriteFrames(conn, rand.New(rand.NewPCG(id, uint64(budget))), budget, stop)
	if werr != nil {
		conn.Close()
		<-rerr
		return fmt.Errorf("upstream: connection %d: send after %d bytes: %w", id, r.sent, werr)
	}
	if err := <-rerr; err != nil {
		return fmt.Errorf("upstream: connection %d: receive after %d bytes: %w", id, r.received, err)
	}
	u.mu.Lock()
	u.results[id] = r
	u.mu.Unlock()
	// Close only after the client has: its close, not ours, ends the
	// connection, so no unread byte turns a close into a reset.
	if n, err := conn.Read(hdr[:1]); n != 0 || !errors.Is(err, io.EOF) {
		return fmt.Errorf("upstream: connection %d: read after the last frame: got %d bytes, %v; want EOF", id, n, err)
	}
	return nil
}

// wait waits until no connection handler is running.
func (u *soakUpstream) wait(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for u.active.Load() > 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d upstream connections still open %v after the last client finished", u.active.Load(), limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// check compares what each client connection sent and received with what
// the upstream received and sent on it.
func (u *soakUpstream) check(t *testing.T, conns []*soakConn) {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, err := range u.errs {
		t.Error(err)
	}
	for _, c := range conns {
		r, ok := u.results[c.id]
		if !ok {
			t.Errorf("connection %d: the upstream did not complete it", c.id)
			continue
		}
		if c.sent != r.received || c.sentSum != r.recvSum {
			t.Errorf("connection %d, client to upstream: sent %d bytes (sha256 %x), upstream received %d (sha256 %x)",
				c.id, c.sent, c.sentSum[:8], r.received, r.recvSum[:8])
		}
		if r.sent != c.received || r.sentSum != c.recvSum {
			t.Errorf("connection %d, upstream to client: sent %d bytes (sha256 %x), client received %d (sha256 %x)",
				c.id, r.sent, r.sentSum[:8], c.received, c.recvSum[:8])
		}
	}
}

// soakResources is what the process holds that a leak would grow.
type soakResources struct{ goroutines, files int }

// soakHeld counts what the process holds after a garbage collection: the
// runtime keeps the pipes of splice(2) in a sync.Pool and closes them only
// when a collection drops them, which is a cache and not a leak.
func soakHeld() soakResources {
	runtime.GC()
	return soakResources{runtime.NumGoroutine(), soakOpenFiles()}
}

// soakSettled returns what the process holds once two counts a moment
// apart agree, so that goroutines and sockets on their way out are not
// counted.
func soakSettled() soakResources {
	r := soakHeld()
	for range 100 {
		time.Sleep(20 * time.Millisecond)
		n := soakHeld()
		if n == r {
			return r
		}
		r = n
	}
	return r
}

// settle waits, up to limit, for the process to hold no more than base
// (with slack), and returns what it holds then: goroutines and sockets of
// closed connections take a moment to go.
func soakWaitBelow(base soakResources, limit time.Duration) soakResources {
	deadline := time.Now().Add(limit)
	for {
		r := soakHeld()
		if r.goroutines <= base.goroutines && r.files <= base.files || time.Now().After(deadline) {
			return r
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// soakOpenFiles counts the descriptors this process has open, or returns -1
// where /proc/self/fd does not exist.
func soakOpenFiles() int {
	des, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(des)
}

func soakFlagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
