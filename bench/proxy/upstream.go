package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// chunkSize is the size of every read and write buffer of the harness: large
// enough that the harness's own syscalls are not what limits throughput.
const chunkSize = 256 << 10

// An upstream is a server the proxies forward to, running in the harness on
// 127.0.0.1. It serves each connection with handle until Close.
type upstream struct {
	ln     net.Listener
	handle func(net.Conn) error
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	err   error // the first error a handler returned
}

func startUpstream(handle func(net.Conn) error) (*upstream, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for upstream: %w", err)
	}
	u := &upstream{ln: ln, handle: handle, conns: map[net.Conn]struct{}{}}
	u.wg.Add(1)
	go u.serve()
	return u, nil
}

func (u *upstream) addr() string { return u.ln.Addr().String() }

func (u *upstream) serve() {
	defer u.wg.Done()
	for {
		c, err := u.ln.Accept()
		if err != nil {
			return
		}
		u.mu.Lock()
		u.conns[c] = struct{}{}
		u.mu.Unlock()
		u.wg.Add(1)
		go func() {
			defer u.wg.Done()
			err := u.handle(c)
			c.Close()
			u.mu.Lock()
			delete(u.conns, c)
			if err != nil && u.err == nil {
				u.err = err
			}
			u.mu.Unlock()
		}()
	}
}

// firstErr returns the first error any connection handler reported.
func (u *upstream) firstErr() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.err
}

func (u *upstream) Close() {
	u.ln.Close()
	u.mu.Lock()
	for c := range u.conns {
		c.Close()
	}
	u.mu.Unlock()
	u.wg.Wait()
}

// sink reads an 8-byte big-endian length n, then n bytes which it discards,
// then answers with one byte so that the sender knows every byte arrived.
// It does not rely on a half-close, which not every proxy forwards.
func sink(c net.Conn) error {
	var hdr [8]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return ignoreEOF(err)
	}
	n := int64(binary.BigEndian.Uint64(hdr[:]))
	buf := make([]byte, chunkSize)
	var got int64
	for got < n {
		m, err := c.Read(buf[:min(int64(len(buf)), n-got)])
		got += int64(m)
		if err != nil {
			return fmt.Errorf("sink: read after %d of %d bytes: %w", got, n, err)
		}
	}
	if _, err := c.Write([]byte{1}); err != nil {
		return fmt.Errorf("sink: acknowledge: %w", err)
	}
	// Wait for the sender to close, so that the close is never ours and the
	// proxy never sees a reset.
	_, err := c.Read(hdr[:1])
	return ignoreEOF(err)
}

// echo writes back every byte it reads until the peer closes.
func echo(c net.Conn) error {
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return ignoreEOF(werr)
			}
		}
		if err != nil {
			return ignoreEOF(err)
		}
	}
}

// ignoreEOF drops the errors that mean the peer is gone: the harness closes
// connections in both orders and only cares about errors in the middle of a
// measurement, which the client side reports.
func ignoreEOF(err error) error {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return nil
	}
	return err
}
