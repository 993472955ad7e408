package main

import (
	"fmt"
	"net"
	"runtime"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
	"github.com/teardown-net/teardown/proxy"
)

// startInProcess runs a teardown proxy server in this process, serving the
// API on a free port of 127.0.0.1, and returns the API address and a
// function that stops the server.
func startInProcess() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen for the in-process API: %w", err)
	}
	srv := proxy.NewServer(proxy.Options{})
	done := make(chan struct{})
	go func() {
		srv.Serve(ln)
		close(done)
	}()
	return ln.Addr().String(), func() { srv.Close(); <-done }, nil
}

// inProcessGoroutines returns how many goroutines teardown proxy spends per
// connection: it holds conns connections through an in-process server,
// because the child process does not report its goroutines. The echo
// upstream of the harness runs one goroutine per connection, which is
// subtracted.
func inProcessGoroutines(upstream string, conns, msgs int) (float64, error) {
	api, stop, err := startInProcess()
	if err != nil {
		return 0, err
	}
	defer stop()
	s := &proxyServer{name: "teardown (in-process)", api: api, client: newClient(api)}
	addr, err := s.createProxy("bench_goroutines", upstream)
	if err != nil {
		return 0, err
	}
	before := settledGoroutines()
	open := make([]net.Conn, 0, conns)
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for i := range conns {
		c, err := echoConn(addr, msgs)
		if err != nil {
			return 0, fmt.Errorf("connection %d: %w", i, err)
		}
		open = append(open, c)
	}
	during := settledGoroutines()
	return float64(during-before-conns) / float64(conns), nil
}

func newClient(api string) *toxiproxy.Client { return toxiproxy.NewClient(api) }

// settledGoroutines counts goroutines once the count stops changing for a
// moment, so that goroutines still starting or ending are not miscounted.
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for range 50 {
		time.Sleep(20 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n {
			return n
		}
		n = m
	}
	return n
}
