// Package proxy is teardown's TCP fault-injection proxy. It speaks
// Toxiproxy's HTTP API (v2), so that Toxiproxy clients, test suites and
// Testcontainers drive it unchanged, and adds the faults Toxiproxy lacks:
// RST at any moment, a half-close, a close with unread data, a silent peer,
// refused connections and a RST before accept.
//
// A Server holds the proxies and serves the API:
//
//	s := proxy.NewServer(proxy.Options{})
//	defer s.Close()
//	go s.ListenAndServe(ctx, "127.0.0.1:8474")
//
// The data path is package proxy/link and the toxics package proxy/toxic. A
// Server is also a prometheus.Collector of its proxies' metrics.
// docs/proxy.md is the user documentation.
package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/teardown-net/teardown/proxy/toxic"
)

// DefaultAddr is where the API listens unless told otherwise, as Toxiproxy.
const DefaultAddr = "127.0.0.1:8474"

// Options configure a Server.
type Options struct {
	// Logger receives the server's log; nil discards it.
	Logger *slog.Logger
	// Version is what GET /version reports; empty means "teardown".
	Version string
	// UpdateWait bounds how long an API call that changes toxics waits for
	// live connections to take the change up. An idle connection takes it
	// up at once; one blocked writing to a peer that does not read takes it
	// up after that write, and bytes it reads after the call go through the
	// new toxics either way. Zero means 100 ms.
	UpdateWait time.Duration
	// ReadTimeout bounds the reading of a whole API request, body
	// included, so that slow clients cannot hold connections open; zero
	// means 15 s, as in Toxiproxy.
	ReadTimeout time.Duration
	// AllowedHosts are the names, besides loopback ones, that the API
	// answers to in a request's Host header; "*" allows any. By default
	// it answers only to localhost, *.localhost and IP addresses, so that
	// a web page on a name rebound to 127.0.0.1 (DNS rebinding) cannot
	// drive it.
	AllowedHosts []string
}

// A Server holds proxies and serves the HTTP API that manages them.
type Server struct {
	opts   Options
	logger *slog.Logger

	// apiMu serialises changes, so that each API call sees and leaves a
	// consistent set of proxies.
	apiMu   sync.Mutex
	mu      sync.Mutex // guards proxies
	proxies map[string]*tcpProxy
	nextID  atomic.Uint64

	httpMu  sync.Mutex
	servers []*http.Server
	closed  bool
}

// NewServer returns a Server with no proxies.
func NewServer(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Version == "" {
		opts.Version = "teardown"
	}
	if opts.UpdateWait <= 0 {
		opts.UpdateWait = 100 * time.Millisecond
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = 15 * time.Second
	}
	return &Server{opts: opts, logger: opts.Logger, proxies: map[string]*tcpProxy{}}
}

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("proxy: server closed")

// Serve serves the API on ln until Close. It returns ErrServerClosed after
// Close.
func (s *Server) Serve(ln net.Listener) error {
	hs := &http.Server{Handler: s.Handler(), ReadTimeout: s.opts.ReadTimeout,
		WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second}
	s.httpMu.Lock()
	if s.closed {
		s.httpMu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.servers = append(s.servers, hs)
	s.httpMu.Unlock()
	err := hs.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return ErrServerClosed
	}
	return err
}

// ListenAndServe listens on addr (DefaultAddr if empty) and serves the API
// until ctx ends or Close is called; then it closes the server, every proxy
// and every connection, and returns nil.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen for the API on %s: %w", addr, err)
	}
	s.logger.Info("API listening", "addr", ln.Addr().String())
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	err = s.Serve(ln)
	if errors.Is(err, ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops serving the API and closes every proxy and connection. The
// proxies stay defined, disabled.
func (s *Server) Close() error {
	s.httpMu.Lock()
	s.closed = true
	servers := s.servers
	s.servers = nil
	s.httpMu.Unlock()
	var errs []error
	for _, hs := range servers {
		errs = append(errs, hs.Close())
	}
	s.apiMu.Lock()
	defer s.apiMu.Unlock()
	for _, p := range s.list() {
		p.mu.Lock()
		p.stop()
		p.mu.Unlock()
	}
	return errors.Join(errs...)
}

// list returns the proxies sorted by name.
func (s *Server) list() []*tcpProxy {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*tcpProxy, 0, len(s.proxies))
	for _, p := range s.proxies {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (s *Server) get(name string) (*tcpProxy, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.proxies[name]
	if !ok {
		return nil, errProxyNotFound
	}
	return p, nil
}

// Proxies returns a snapshot of every proxy, sorted by name.
func (s *Server) Proxies() []Info {
	ps := s.list()
	out := make([]Info, len(ps))
	for i, p := range ps {
		out[i] = p.Info()
	}
	return out
}

// ProxySpec is a proxy to create: the fields of POST /proxies and of each
// element of a populate file.
type ProxySpec struct {
	Name     string `json:"name"`
	Listen   string `json:"listen"`
	Upstream string `json:"upstream"`
	// Enabled defaults to true.
	Enabled *bool `json:"enabled"`
}

// check checks the required fields and then the addresses.
func (ps *ProxySpec) check(where string) error {
	if err := ps.checkRequired(where); err != nil {
		return err
	}
	return ps.checkAddrs(where)
}

func (ps *ProxySpec) checkRequired(where string) error {
	if ps.Name == "" {
		return apiErrorf(http.StatusBadRequest, "missing required field: name%s", where)
	}
	if ps.Upstream == "" {
		return apiErrorf(http.StatusBadRequest, "missing required field: upstream%s", where)
	}
	return nil
}

func (ps *ProxySpec) checkAddrs(where string) error {
	if ps.Listen == "" {
		ps.Listen = "127.0.0.1:0"
	}
	if _, err := net.ResolveTCPAddr("tcp", ps.Listen); err != nil {
		return apiErrorf(http.StatusBadRequest, "listen address %q%s: %v", ps.Listen, where, err)
	}
	if _, _, err := net.SplitHostPort(ps.Upstream); err != nil {
		return apiErrorf(http.StatusBadRequest, "upstream address %q%s: %v", ps.Upstream, where, err)
	}
	return nil
}

func (ps *ProxySpec) enabled() bool { return ps.Enabled == nil || *ps.Enabled }

// CreateProxy creates a proxy and, if enabled, starts listening.
func (s *Server) CreateProxy(spec ProxySpec) (Info, error) {
	if err := spec.check(""); err != nil {
		return Info{}, err
	}
	s.apiMu.Lock()
	defer s.apiMu.Unlock()
	return s.create(spec)
}

// create adds a proxy; s.apiMu is held.
func (s *Server) create(spec ProxySpec) (Info, error) {
	s.mu.Lock()
	_, dup := s.proxies[spec.Name]
	s.mu.Unlock()
	if dup {
		return Info{}, errProxyExists
	}
	p := newProxy(s, spec.Name, spec.Listen, spec.Upstream)
	if spec.enabled() {
		p.mu.Lock()
		err := p.start()
		p.mu.Unlock()
		if err != nil {
			return Info{}, listenError(err)
		}
	}
	s.mu.Lock()
	s.proxies[spec.Name] = p
	s.mu.Unlock()
	s.logger.Info("proxy created", "name", spec.Name, "listen", p.listen, "upstream", spec.Upstream)
	return p.Info(), nil
}

// listenError is the API error of a failed listen, with the text Toxiproxy
// gives ("listen tcp 127.0.0.1:3310: bind: address already in use"), which
// clients and tests match.
func listenError(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return apiErrorf(http.StatusInternalServerError, "%v", op)
	}
	return apiErrorf(http.StatusInternalServerError, "%v", err)
}

// Populate creates or replaces proxies from a populate document: a JSON
// array of proxies. A proxy that exists with the same listen and upstream
// addresses is kept as it is (with its toxics); one that differs is
// replaced. It returns the proxies it created or kept, also on error.
func (s *Server) Populate(r io.Reader) ([]Info, error) {
	var specs []ProxySpec
	dec := json.NewDecoder(r)
	if err := dec.Decode(&specs); err != nil {
		return nil, apiErrorf(http.StatusBadRequest, "bad request body: %v", err)
	}
	// As Toxiproxy: a proxy without a name or upstream fails the whole
	// document; a bad address fails from that proxy on, the ones before it
	// created.
	for i := range specs {
		if err := specs[i].checkRequired(fmt.Sprintf(" at proxy %d", i+1)); err != nil {
			return nil, err
		}
	}
	s.apiMu.Lock()
	defer s.apiMu.Unlock()
	out := []Info{}
	for i, spec := range specs {
		if err := spec.checkAddrs(fmt.Sprintf(" at proxy %d", i+1)); err != nil {
			return out, err
		}
		if old, err := s.get(spec.Name); err == nil {
			old.mu.Lock()
			same := sameAddr(old.listen, spec.Listen) && old.upstream == spec.Upstream
			if same {
				old.mu.Unlock()
				out = append(out, old.Info())
				continue
			}
			old.stop()
			old.mu.Unlock()
			s.mu.Lock()
			delete(s.proxies, spec.Name)
			s.mu.Unlock()
		}
		info, err := s.create(spec)
		if err != nil {
			return out, err
		}
		out = append(out, info)
	}
	return out, nil
}

// PopulateFile populates from a file in the populate format.
func (s *Server) PopulateFile(name string) ([]Info, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	infos, err := s.Populate(f)
	if err != nil {
		return infos, fmt.Errorf("config %s: %w", name, err)
	}
	return infos, nil
}

// sameAddr compares a bound address with a requested one, which may name a
// host or port 0.
func sameAddr(bound, requested string) bool {
	if bound == requested {
		return true
	}
	a, err1 := net.ResolveTCPAddr("tcp", bound)
	b, err2 := net.ResolveTCPAddr("tcp", requested)
	return err1 == nil && err2 == nil && a.String() == b.String()
}

// UpdateProxy changes a proxy's addresses and enabled state from an API
// request body, as POST or PATCH /proxies/{name}: fields left out keep their
// value. A change of address closes its connections and listens again, as in
// Toxiproxy.
func (s *Server) UpdateProxy(name string, body []byte) (Info, error) {
	s.apiMu.Lock()
	defer s.apiMu.Unlock()
	p, err := s.get(name)
	if err != nil {
		return Info{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	in := struct {
		Listen   *string `json:"listen"`
		Upstream *string `json:"upstream"`
		Enabled  *bool   `json:"enabled"`
	}{}
	if err := decodeBody(body, &in); err != nil {
		return Info{}, err
	}
	spec := ProxySpec{Name: name, Listen: p.listen, Upstream: p.upstream, Enabled: &p.enabled}
	if in.Listen != nil {
		spec.Listen = *in.Listen
	}
	if in.Upstream != nil {
		spec.Upstream = *in.Upstream
	}
	enabled := p.enabled
	if in.Enabled != nil {
		enabled = *in.Enabled
	}
	if err := spec.check(""); err != nil {
		return Info{}, err
	}
	if !sameAddr(p.listen, spec.Listen) || p.upstream != spec.Upstream {
		p.stop()
		p.listen, p.upstream = spec.Listen, spec.Upstream
	}
	if enabled {
		if err := p.start(); err != nil {
			return Info{}, listenError(err)
		}
	} else {
		p.stop()
	}
	return p.info(), nil
}

// DeleteProxy closes a proxy and its connections and forgets it.
func (s *Server) DeleteProxy(name string) error {
	s.apiMu.Lock()
	defer s.apiMu.Unlock()
	p, err := s.get(name)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.stop()
	p.mu.Unlock()
	s.mu.Lock()
	delete(s.proxies, name)
	s.mu.Unlock()
	return nil
}

// Reset enables every proxy and removes every toxic, as POST /reset.
func (s *Server) Reset(ctx context.Context) error {
	s.apiMu.Lock()
	defer s.apiMu.Unlock()
	var errs []error
	ctx, cancel := s.waitCtx(ctx)
	defer cancel()
	for _, p := range s.list() {
		p.mu.Lock()
		if err := p.setToxics(ctx, nil); err != nil {
			errs = append(errs, err)
		}
		if err := p.start(); err != nil {
			errs = append(errs, err)
		}
		p.mu.Unlock()
	}
	if err := errors.Join(errs...); err != nil {
		return listenError(err)
	}
	return nil
}

// waitCtx bounds the wait for live connections to take up a change.
func (s *Server) waitCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.opts.UpdateWait)
}

// AddToxic adds a toxic, decoded from an API request body, to a proxy and
// to its live connections.
func (s *Server) AddToxic(ctx context.Context, proxy string, body []byte) (*toxic.Toxic, error) {
	s.apiMu.Lock()
	defer s.apiMu.Unlock()
	p, err := s.get(proxy)
	if err != nil {
		return nil, err
	}
	t, err := toxic.Decode(body)
	if err != nil {
		return nil, apiErrorf(http.StatusBadRequest, "%v", err)
	}
	ctx, cancel := s.waitCtx(ctx)
	defer cancel()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, o := range p.toxics {
		if o.Name == t.Name {
			return nil, errToxicExists
		}
	}
	t.ID = s.nextID.Add(1)
	s.logger.Info("toxic added", "proxy", proxy, "toxic", t.Name, "type", t.Type, "stream", t.Stream.String(), "toxicity", t.Toxicity)
	ts := append(append([]*toxic.Toxic(nil), p.toxics...), t)
	if err := p.setToxics(ctx, ts); err != nil {
		return t, listenError(err)
	}
	return t, nil
}

// UpdateToxic changes a toxic's attributes, toxicity or enabled state.
func (s *Server) UpdateToxic(ctx context.Context, proxy, name string, body []byte) (*toxic.Toxic, error) {
	s.apiMu.Lock()
	defer s.apiMu.Unlock()
	p, err := s.get(proxy)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.waitCtx(ctx)
	defer cancel()
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, o := range p.toxics {
		if o.Name != name {
			continue
		}
		t, err := o.Patch(body)
		if err != nil {
			return nil, apiErrorf(http.StatusBadRequest, "%v", err)
		}
		ts := append([]*toxic.Toxic(nil), p.toxics...)
		ts[i] = t
		if err := p.setToxics(ctx, ts); err != nil {
			return t, listenError(err)
		}
		return t, nil
	}
	return nil, errToxicNotFound
}

// RemoveToxic removes a toxic from a proxy and its live connections.
func (s *Server) RemoveToxic(ctx context.Context, proxy, name string) error {
	s.apiMu.Lock()
	defer s.apiMu.Unlock()
	p, err := s.get(proxy)
	if err != nil {
		return err
	}
	ctx, cancel := s.waitCtx(ctx)
	defer cancel()
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, o := range p.toxics {
		if o.Name != name {
			continue
		}
		s.logger.Info("toxic removed", "proxy", proxy, "toxic", name)
		ts := append(append([]*toxic.Toxic(nil), p.toxics[:i]...), p.toxics[i+1:]...)
		if err := p.setToxics(ctx, ts); err != nil {
			return listenError(err)
		}
		return nil
	}
	return errToxicNotFound
}
