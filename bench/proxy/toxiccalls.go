package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
)

// onlyToxicCalls is the -only value that takes the toxic-calls measurement
// alone.
const onlyToxicCalls = "toxic-calls"

// The toxic calls of the measurement: every toxicInterval, a latency toxic
// of 1 ms is added to the downstream stream, changed to 2 ms and removed,
// the three calls a test makes to inject a fault and take it away again.
const (
	toxicInterval = 20 * time.Millisecond
	toxicProxy    = "bench_toxic_calls"
)

// Bounds past the end of a round: the streams must have echoed everything
// within drainLimit, and a toxic call must have answered within callLimit.
const (
	drainLimit = 15 * time.Second
	callLimit  = 30 * time.Second
)

// A toxicResult is one round of toxic calls on one proxy.
type toxicResult struct {
	calls  []time.Duration // every call, in the order made
	echoed int64           // bytes that came back through the proxy, over all connections
}

func (r toxicResult) quantile(q float64) float64 { return quantile(durations(r.calls), q) }
func (r toxicResult) median() float64            { return median(durations(r.calls)) }

// measureToxicCalls takes c.toxicRounds rounds of toxic calls on busy
// connections, the proxies taking turns, each round on a fresh process so
// that no round inherits another's connections or memory, and records them
// on the paths of the same names.
func measureToxicCalls(c config, specs []serverSpec, upstream string, paths []*path, about map[string]string, stderr io.Writer) error {
	for r := range c.toxicRounds {
		for _, spec := range rotate(specs, r) {
			res, err := toxicCallsRound(spec, upstream, c, about)
			if err != nil {
				return err
			}
			for _, p := range paths {
				if p.name == spec.name {
					p.toxic = append(p.toxic, res)
				}
			}
			fmt.Fprintf(stderr, "round %d/%d  toxic calls, %d busy conns %-9s %6.2f ms median, %6.2f ms max, %d calls, %.0f MB echoed\n",
				r+1, c.toxicRounds, c.toxicConns, spec.name, res.median()*1e3, res.quantile(1)*1e3, len(res.calls), float64(res.echoed)/1e6)
		}
	}
	return nil
}

func toxicCallsRound(spec serverSpec, upstream string, c config, about map[string]string) (toxicResult, error) {
	s, err := spec.start()
	if err != nil {
		return toxicResult{}, err
	}
	// Stopping the process also ends a call that never answered.
	defer s.stop()
	if about[s.name] == "" {
		about[s.name] = s.version()
	}
	res, err := toxicCalls(s, upstream, c)
	if err != nil {
		return res, fmt.Errorf("%s: toxic calls on %d busy connections: %w", s.name, c.toxicConns, err)
	}
	return res, nil
}

// toxicCalls creates a proxy to the echo server at upstream on s, streams
// through it over c.toxicConns connections, and meanwhile times toxic calls
// for c.toxicDur. It removes the proxy and closes its connections before it
// returns, unless a call never answered: then only stopping s ends it.
func toxicCalls(s *proxyServer, upstream string, c config) (res toxicResult, err error) {
	addr, err := s.createProxy(toxicProxy, upstream)
	if err != nil {
		return res, err
	}
	px, err := s.client.Proxy(toxicProxy)
	if err != nil {
		return res, fmt.Errorf("proxy %s: %w", toxicProxy, err)
	}
	hung := false
	defer func() {
		if hung {
			return
		}
		if derr := px.Delete(); derr != nil && err == nil {
			err = fmt.Errorf("delete proxy %s: %w", toxicProxy, derr)
		}
	}()

	end := time.Now().Add(c.toxicDur)
	conns := make([]net.Conn, 0, c.toxicConns)
	defer func() {
		for _, conn := range conns {
			conn.Close()
		}
	}()
	for range c.toxicConns {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			return res, fmt.Errorf("dial %s: %w", addr, err)
		}
		conns = append(conns, conn)
		// Whatever the proxy does, no stream outlives the round by more
		// than drainLimit.
		conn.SetDeadline(end.Add(drainLimit))
	}

	stop := make(chan struct{})
	echoed := make([]int64, len(conns))
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	buf := make([]byte, c.toxicWrite)
	for i, conn := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			echoed[i], errs[i] = stream(conn, buf, c.toxicPace, stop)
		}()
	}

	type callsResult struct {
		calls []time.Duration
		err   error
	}
	done := make(chan callsResult, 1)
	go func() {
		calls, err := cycleToxics(px, end)
		done <- callsResult{calls, err}
	}()
	select {
	case r := <-done:
		res.calls, err = r.calls, r.err
	case <-time.After(time.Until(end) + callLimit):
		hung = true
		err = fmt.Errorf("a toxic call did not answer within %v", callLimit)
	}
	close(stop)
	wg.Wait()
	if err != nil {
		return res, err
	}
	for i := range conns {
		if errs[i] != nil {
			return res, fmt.Errorf("connection %d: %w", i, errs[i])
		}
		res.echoed += echoed[i]
	}
	return res, nil
}

// cycleToxics adds, changes and removes a latency toxic on px every
// toxicInterval until end, and returns how long each call took.
func cycleToxics(px *toxiproxy.Proxy, end time.Time) ([]time.Duration, error) {
	var calls []time.Duration
	timed := func(f func() error) error {
		t := time.Now()
		err := f()
		calls = append(calls, time.Since(t))
		return err
	}
	for i := 0; time.Now().Before(end); i++ {
		time.Sleep(toxicInterval)
		name := fmt.Sprintf("latency_%d", i)
		if err := timed(func() error {
			_, err := px.AddToxic(name, "latency", "downstream", 1, toxiproxy.Attributes{"latency": 1})
			return err
		}); err != nil {
			return calls, fmt.Errorf("add toxic %s: %w", name, err)
		}
		if err := timed(func() error {
			_, err := px.UpdateToxic(name, 1, toxiproxy.Attributes{"latency": 2})
			return err
		}); err != nil {
			return calls, fmt.Errorf("update toxic %s: %w", name, err)
		}
		if err := timed(func() error { return px.RemoveToxic(name) }); err != nil {
			return calls, fmt.Errorf("remove toxic %s: %w", name, err)
		}
	}
	return calls, nil
}

// stream writes buf to the echo server behind conn every pace (back to
// back if pace is 0) until stop is closed, reads the echo all the while,
// and once every byte written has come back closes conn and returns their
// count. A write that falls behind the pace is not made up for with a burst.
func stream(conn net.Conn, buf []byte, pace time.Duration, stop <-chan struct{}) (int64, error) {
	var got atomic.Int64
	progress := make(chan struct{}, 1)
	readErr := make(chan error, 1)
	go func() {
		in := make([]byte, chunkSize)
		for {
			n, err := conn.Read(in)
			got.Add(int64(n))
			select {
			case progress <- struct{}{}:
			default: // a notice is already waiting
			}
			if err != nil {
				readErr <- err
				close(progress)
				return
			}
		}
	}()
	// Closing conn ends the reader; the draining channel says it has.
	defer func() {
		conn.Close()
		for range progress {
		}
	}()

	var sent int64
	next := time.Now()
	timer := time.NewTimer(pace)
	defer timer.Stop()
	for {
		select {
		case <-stop:
			return drain(&got, sent, progress, readErr)
		default:
		}
		if _, err := conn.Write(buf); err != nil {
			return sent, fmt.Errorf("write after %d bytes: %w", sent, err)
		}
		sent += int64(len(buf))
		if pace == 0 {
			continue
		}
		next = next.Add(pace)
		if now := time.Now(); next.Before(now) {
			next = now
		}
		timer.Reset(time.Until(next))
		select {
		case <-stop:
			return drain(&got, sent, progress, readErr)
		case <-timer.C:
		}
	}
}

// drain waits until the reader has counted sent bytes, or failed.
func drain(got *atomic.Int64, sent int64, progress <-chan struct{}, readErr <-chan error) (int64, error) {
	for {
		n := got.Load()
		if n > sent {
			return n, fmt.Errorf("%d bytes came back of %d sent", n, sent)
		}
		if n == sent {
			return n, nil
		}
		select {
		case <-progress:
		case err := <-readErr:
			if n := got.Load(); n == sent {
				return n, nil
			}
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return got.Load(), fmt.Errorf("read the echo after %d of %d bytes: %w", got.Load(), sent, err)
		}
	}
}
