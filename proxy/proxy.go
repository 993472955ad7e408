package proxy

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/teardown-net/teardown/proxy/link"
	"github.com/teardown-net/teardown/proxy/toxic"
)

// A tcpProxy listens on one address and forwards every connection to one
// upstream address, through its toxics.
type tcpProxy struct {
	server *Server

	mu       sync.Mutex
	name     string
	listen   string
	upstream string
	enabled  bool
	toxics   []*toxic.Toxic // immutable values; replaced, never changed
	ln       *listener
	refusing bool // a refuse toxic has closed the listener
	links    map[*link.Link]struct{}
	dialWG   sync.WaitGroup
	// dialCtx ends when the proxy stops, so that stopping never waits for
	// an upstream that does not answer.
	dialCtx    context.Context
	cancelDial context.CancelFunc

	counters link.Counters
	stats    stats
	// acceptErr is the error of the last accept while accepting fails, nil
	// once it works again.
	acceptErr atomic.Pointer[acceptFailure]
}

// acceptFailure is why a proxy cannot accept now, and since when.
type acceptFailure struct {
	err   error
	since time.Time
}

// stats are the connection counts of a proxy for the metrics.
type stats struct {
	mu           sync.Mutex
	accepted     uint64
	acceptErrors uint64
	active       int64
	ends         map[link.End]uint64
}

// Info is a snapshot of a proxy as the API shows it.
type Info struct {
	Name     string         `json:"name"`
	Listen   string         `json:"listen"`
	Upstream string         `json:"upstream"`
	Enabled  bool           `json:"enabled"`
	Toxics   []*toxic.Toxic `json:"toxics"`
	// AcceptError says why the proxy cannot accept connections now (too
	// many open files, say); it is absent while accepting works. New
	// clients complete their handshake and wait in the listen queue
	// meanwhile.
	AcceptError string `json:"accept_error,omitempty"`
}

func newProxy(s *Server, name, listen, upstream string) *tcpProxy {
	return &tcpProxy{server: s, name: name, listen: listen, upstream: upstream,
		links: map[*link.Link]struct{}{}, stats: stats{ends: map[link.End]uint64{}}}
}

// Info returns a snapshot of p.
func (p *tcpProxy) Info() Info {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.info()
}

// info is Info with p.mu held.
func (p *tcpProxy) info() Info {
	// Upstream toxics first, each stream in the order added, as Toxiproxy
	// lists them.
	ts := make([]*toxic.Toxic, len(p.toxics))
	copy(ts, p.toxics)
	slices.SortStableFunc(ts, func(a, b *toxic.Toxic) int { return cmp.Compare(a.Stream, b.Stream) })
	info := Info{Name: p.name, Listen: p.listen, Upstream: p.upstream, Enabled: p.enabled, Toxics: ts}
	if f := p.acceptErr.Load(); f != nil && p.ln != nil {
		info.AcceptError = fmt.Sprintf("%v (since %s)", f.err, f.since.UTC().Format(time.RFC3339))
	}
	return info
}

// refuses reports whether an active refuse toxic is in ts.
func refuses(ts []*toxic.Toxic) bool {
	for _, t := range ts {
		if t.Type == "refuse" && t.Active() {
			return true
		}
	}
	return false
}

// start opens the listener; p.mu is held.
func (p *tcpProxy) start() error {
	if p.enabled {
		return nil
	}
	p.enabled = true
	p.dialCtx, p.cancelDial = context.WithCancel(context.Background())
	if err := p.openListener(); err != nil {
		p.cancelDial()
		return err
	}
	return nil
}

// openListener listens unless a refuse toxic is active; p.mu is held.
func (p *tcpProxy) openListener() error {
	if refuses(p.toxics) {
		p.refusing = true
		return nil
	}
	p.refusing = false
	ln, err := net.Listen("tcp", p.listen)
	if err != nil {
		p.enabled = false
		return fmt.Errorf("proxy %s: %w", p.name, err)
	}
	p.listen = ln.Addr().String()
	p.ln = &listener{ln: ln, quit: make(chan struct{}), done: make(chan struct{})}
	go p.accept(p.dialCtx, p.ln, p.upstream)
	return nil
}

// A listener is a proxy's listening socket and its accept loop.
type listener struct {
	ln   net.Listener
	quit chan struct{} // closed to end the accept loop's back-off at once
	done chan struct{} // closed when the accept loop has returned
}

// closeListener stops accepting; p.mu is held. It waits for the accept loop
// to return, which never takes p.mu, so that after it no new connection
// starts.
func (p *tcpProxy) closeListener() {
	if p.ln != nil {
		close(p.ln.quit)
		p.ln.ln.Close()
		<-p.ln.done
		p.ln = nil
		p.acceptErr.Store(nil)
	}
}

// stop closes the listener and every connection; p.mu is held.
func (p *tcpProxy) stop() {
	if !p.enabled {
		return
	}
	p.enabled = false
	p.closeListener()
	links := make([]*link.Link, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	p.cancelDial()
	p.mu.Unlock()
	p.dialWG.Wait()
	for _, l := range links {
		l.Close()
	}
	p.mu.Lock()
}

// accept accepts connections on l until it is closed. It never takes p.mu:
// closeListener waits for it with p.mu held. The upstream address and the
// dial context cannot change while l is open (a change restarts the
// listener); the toxics can, and connect reads them.
func (p *tcpProxy) accept(ctx context.Context, l *listener, upstream string) {
	defer close(l.done)
	var backoff time.Duration
	var failures uint64 // of the current burst
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors (EMFILE, ENFILE), out of memory, or a
			// connection aborted before it was accepted: none of these ends
			// the listener, so wait and accept again, as net/http does.
			// The queued clients are accepted once the condition clears.
			p.stats.mu.Lock()
			p.stats.acceptErrors++
			p.stats.mu.Unlock()
			if failures == 0 {
				p.acceptErr.Store(&acceptFailure{err: err, since: time.Now()})
				p.server.logger.Warn("accept failing; retrying with back-off until it works", "proxy", p.name, "err", err)
			}
			failures++
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-l.quit:
				t.Stop()
				return
			}
			continue
		}
		if failures > 0 {
			p.server.logger.Info("accepting again", "proxy", p.name, "failed_accepts", failures)
			p.acceptErr.Store(nil)
			failures, backoff = 0, 0
		}
		p.dialWG.Add(1)
		go p.connect(ctx, c.(*net.TCPConn), upstream)
	}
}

// dialTimeout bounds the connection to the upstream.
const dialTimeout = 10 * time.Second

// connect dials the upstream for a new client and starts its link.
func (p *tcpProxy) connect(ctx context.Context, client *net.TCPConn, upstream string) {
	defer p.dialWG.Done()
	p.mu.Lock()
	ts := p.toxics
	p.mu.Unlock()
	p.stats.mu.Lock()
	p.stats.accepted++
	p.stats.mu.Unlock()
	d := net.Dialer{Timeout: dialTimeout}
	u, err := d.DialContext(ctx, "tcp", upstream)
	if err != nil {
		client.Close()
		if ctx.Err() != nil {
			return // the proxy stopped
		}
		// The upstream is not there: the client, whose connect has
		// succeeded, sees the proxy close it (a FIN), as with Toxiproxy,
		// so that "is the proxy up?" probes work. A RST here is a fault
		// to ask for: reset, refuse or reset_before_accept.
		p.server.logger.Info("upstream unreachable", "proxy", p.name, "upstream", upstream, "err", err)
		how := link.Error
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			how = link.RST
		case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, syscall.ETIMEDOUT):
			how = link.Timeout
		}
		p.recordEnd(link.End{By: link.Upstream, How: how})
		return
	}
	up := u.(*net.TCPConn)
	for _, t := range ts {
		if t.Type != "reset_before_accept" || !t.Enabled || rand.Float32() >= t.Toxicity {
			continue
		}
		// The handshake is complete, so the connection sits in the
		// upstream's accept queue; a RST now resets it before the upstream
		// application has accepted (or read) it.
		if d := t.Attributes.(*toxic.RejectDelay).Duration(); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
		}
		up.SetLinger(0)
		up.Close()
		client.SetLinger(0)
		client.Close()
		p.recordEnd(link.End{By: link.Proxy, How: link.RST})
		return
	}
	p.mu.Lock()
	if !p.enabled || p.toxicsChanged(ts) {
		// Disabled meanwhile, or the toxics changed: start with the
		// current list (or not at all).
		ts = p.toxics
	}
	if !p.enabled {
		p.mu.Unlock()
		client.Close()
		up.Close()
		return
	}
	p.stats.mu.Lock()
	p.stats.active++
	p.stats.mu.Unlock()
	p.server.logger.Debug("connection opened", "proxy", p.name, "client", client.RemoteAddr().String(), "upstream", up.RemoteAddr().String())
	l := link.Start(link.Config{Client: client, Upstream: up, Toxics: ts, Counters: &p.counters, OnEnd: p.recordEnd})
	p.links[l] = struct{}{}
	p.mu.Unlock()
	go func() {
		<-l.Done()
		p.mu.Lock()
		delete(p.links, l)
		p.mu.Unlock()
		p.stats.mu.Lock()
		p.stats.active--
		p.stats.mu.Unlock()
	}()
}

func (p *tcpProxy) toxicsChanged(ts []*toxic.Toxic) bool {
	if len(ts) != len(p.toxics) {
		return true
	}
	for i := range ts {
		if ts[i] != p.toxics[i] {
			return true
		}
	}
	return false
}

func (p *tcpProxy) recordEnd(e link.End) {
	p.server.logger.Debug("connection ended", "proxy", p.name, "by", e.By.String(), "how", e.How.String())
	p.stats.mu.Lock()
	p.stats.ends[e]++
	p.stats.mu.Unlock()
}

// setToxics replaces the toxic list and hands it to every connection,
// waiting for them at most until ctx ends; p.mu is held and is released
// while waiting.
func (p *tcpProxy) setToxics(ctx context.Context, ts []*toxic.Toxic) error {
	p.toxics = ts
	var err error
	if p.enabled {
		switch r := refuses(ts); {
		case r && !p.refusing:
			p.refusing = true
			p.closeListener()
		case !r && p.refusing:
			err = p.openListener()
		}
	}
	links := make([]*link.Link, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	defer p.mu.Lock()
	var wg sync.WaitGroup
	for _, l := range links {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.SetToxics(ctx, ts)
		}()
	}
	wg.Wait()
	return err
}
