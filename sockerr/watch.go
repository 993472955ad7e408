package sockerr

import (
	"errors"
	"io"
	"net"
	"sync"
)

// A Conn is a net.Conn that remembers how its connection failed, so that a
// later read's io.EOF is not taken for the peer's close. On Linux, after
// TCP_USER_TIMEOUT or the retransmission timer gives up, the write that
// notices gets ETIMEDOUT and every read after it returns io.EOF, as after
// a FIN; a read after a reset can return io.EOF too. A Conn returns that
// io.EOF wrapped with the earlier failure: errors.Is(err, io.EOF) still
// holds, and Classify, MayHaveLostData and Retryable judge the failure.
//
// A Conn changes no other result, and passes every other method through.
// NetConn returns the connection it wraps, for AbortiveClose and
// GracefulClose and for type assertions.
type Conn struct {
	net.Conn
	mu     sync.Mutex
	failed error
}

// Watch returns c wrapped in a Conn.
func Watch(c net.Conn) *Conn { return &Conn{Conn: c} }

// NetConn returns the wrapped connection.
func (c *Conn) NetConn() net.Conn { return c.Conn }

// Read is the wrapped connection's Read; an io.EOF after a failure of the
// connection is returned wrapped with it.
func (c *Conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	return n, c.judge(err)
}

// Write is the wrapped connection's Write.
func (c *Conn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	return n, c.judge(err)
}

// Failed returns the error that ended the connection, if a call has seen
// one: a reset, a broken pipe, an abort, a timeout of the kernel's or an
// unreachable peer.
func (c *Conn) Failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failed
}

func (c *Conn) judge(err error) error {
	if err == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if errors.Is(err, io.EOF) {
		if c.failed != nil {
			return &eofAfter{eof: err, cause: c.failed}
		}
		return err
	}
	if c.failed == nil {
		switch Classify(err) {
		case Reset, BrokenPipe, Aborted, TimedOut, Unreachable:
			c.failed = err
		}
	}
	return err
}

// eofAfter is an io.EOF read from a connection that had already failed.
type eofAfter struct{ eof, cause error }

func (e *eofAfter) Error() string {
	return e.eof.Error() + " (the connection had failed: " + e.cause.Error() + ")"
}

// Unwrap lists the failure first, so that Classify finds its errno before
// the io.EOF.
func (e *eofAfter) Unwrap() []error { return []error{e.cause, e.eof} }
