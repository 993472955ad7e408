package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// throughput sends total bytes to the sink at addr over conns parallel
// connections, each carrying an equal share, and returns bytes per second
// from the first dial to the last acknowledgement.
func throughput(addr string, total int64, conns int) (float64, error) {
	share := total / int64(conns)
	start := time.Now()
	errs := make(chan error, conns)
	for range conns {
		go func() { errs <- sendToSink(addr, share) }()
	}
	var first error
	for range conns {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return 0, first
	}
	return float64(share*int64(conns)) / time.Since(start).Seconds(), nil
}

func sendToSink(addr string, n int64) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return fmt.Errorf("dial %s: %w", addr, err)
	}
	defer c.Close()
	var hdr [8]byte
	binary.BigEndian.PutUint64(hdr[:], uint64(n))
	if _, err := c.Write(hdr[:]); err != nil {
		return fmt.Errorf("write to %s: %w", addr, err)
	}
	buf := make([]byte, chunkSize)
	for sent := int64(0); sent < n; {
		m, err := c.Write(buf[:min(int64(len(buf)), n-sent)])
		sent += int64(m)
		if err != nil {
			return fmt.Errorf("write to %s after %d of %d bytes: %w", addr, sent, n, err)
		}
	}
	if _, err := io.ReadFull(c, hdr[:1]); err != nil {
		return fmt.Errorf("read acknowledgement from %s after %d bytes: %w", addr, n, err)
	}
	return nil
}

// roundTrips sends n messages of size bytes to the echo server at addr over
// one connection, one at a time, and returns the time each took to come back.
func roundTrips(addr string, n, size int) ([]time.Duration, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	defer c.Close()
	out := make([]byte, size)
	for i := range out {
		out[i] = byte(i)
	}
	in := make([]byte, size)
	rtts := make([]time.Duration, n)
	for i := range rtts {
		out[0] = byte(i)
		t := time.Now()
		if _, err := c.Write(out); err != nil {
			return nil, fmt.Errorf("write to %s: %w", addr, err)
		}
		if _, err := io.ReadFull(c, in); err != nil {
			return nil, fmt.Errorf("read echo from %s: %w", addr, err)
		}
		rtts[i] = time.Since(t)
		if in[0] != out[0] {
			return nil, fmt.Errorf("echo from %s: got message %d back for message %d", addr, in[0], out[0])
		}
	}
	return rtts, nil
}

// switchCount is the context switches so far of the harness and of a
// path's process.
type switchCount struct {
	harness, proxy int64
	ok             bool // false where they cannot be counted
}

func countSwitches(p *path) switchCount {
	h, err := contextSwitches(os.Getpid())
	if err != nil {
		return switchCount{}
	}
	var x int64
	if p.pid != 0 {
		if x, err = contextSwitches(p.pid); err != nil {
			return switchCount{}
		}
	}
	return switchCount{h, x, true}
}

// addSwitches records the context switches per round trip of n round trips
// that began at before.
func (p *path) addSwitches(before switchCount, n int) {
	after := countSwitches(p)
	if !before.ok || !after.ok {
		return
	}
	p.harnessSwitches = append(p.harnessSwitches, float64(after.harness-before.harness)/float64(n))
	if p.pid != 0 {
		p.proxySwitches = append(p.proxySwitches, float64(after.proxy-before.proxy)/float64(n))
	}
}

// A loadResult is what one proxy process cost while it held many connections.
type loadResult struct {
	conns                              int
	rssBefore, rssDuring               int64 // bytes
	fdsBefore, fdsDuring               int
	goroutinesBefore, goroutinesDuring int // -1 when the server does not expose them
}

func (r loadResult) rssPerConn() float64 {
	return float64(r.rssDuring-r.rssBefore) / float64(r.conns)
}

func (r loadResult) fdsPerConn() float64 {
	return float64(r.fdsDuring-r.fdsBefore) / float64(r.conns)
}

func (r loadResult) goroutinesPerConn() float64 {
	if r.goroutinesBefore < 0 || r.goroutinesDuring < 0 {
		return -1
	}
	return float64(r.goroutinesDuring-r.goroutinesBefore) / float64(r.conns)
}

// holdConnections opens conns connections to the echo server behind the proxy
// at addr, echoes msgs messages on each so that every connection is known to
// reach the upstream, measures the proxy process while all of them are open,
// and closes them.
func holdConnections(p *proxyServer, addr string, conns, msgs int) (loadResult, error) {
	r := loadResult{conns: conns}
	var err error
	if r.rssBefore, err = rss(p.pid()); err != nil {
		return r, err
	}
	if r.fdsBefore, err = openFiles(p.pid()); err != nil {
		return r, err
	}
	r.goroutinesBefore = p.goroutines()

	open := make([]net.Conn, conns)
	defer func() {
		for _, c := range open {
			if c != nil {
				c.Close()
			}
		}
	}()
	// Dial in bounded parallel so that the listener's accept queue, not the
	// harness, is never what fails.
	const dialers = 64
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	next := make(chan int)
	for range dialers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c, err := echoConn(addr, msgs)
				mu.Lock()
				if err != nil && first == nil {
					first = fmt.Errorf("connection %d: %w", i, err)
				}
				open[i] = c
				mu.Unlock()
			}
		}()
	}
	for i := range conns {
		next <- i
	}
	close(next)
	wg.Wait()
	if first != nil {
		return r, first
	}
	if r.rssDuring, err = rss(p.pid()); err != nil {
		return r, err
	}
	if r.fdsDuring, err = openFiles(p.pid()); err != nil {
		return r, err
	}
	r.goroutinesDuring = p.goroutines()
	return r, nil
}

func echoConn(addr string, msgs int) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	msg := []byte("a message of a few bytes, echoed through the proxy\n")
	in := make([]byte, len(msg))
	for range msgs {
		if _, err := c.Write(msg); err != nil {
			c.Close()
			return nil, fmt.Errorf("write to %s: %w", addr, err)
		}
		if _, err := io.ReadFull(c, in); err != nil {
			c.Close()
			return nil, fmt.Errorf("read echo from %s: %w", addr, err)
		}
		if string(in) != string(msg) {
			c.Close()
			return nil, errors.New("echo differs from the message sent")
		}
	}
	return c, nil
}
