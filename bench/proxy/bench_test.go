package main

import (
	"net/http"
	"testing"
	"time"
)

// benchPaths starts the upstream servers and an in-process teardown proxy
// server and returns the sink and echo addresses of each path.
func benchPaths(b *testing.B) map[string][2]string {
	b.Helper()
	sinkUp, err := startUpstream(sink)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(sinkUp.Close)
	echoUp, err := startUpstream(echo)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(echoUp.Close)
	api, stop, err := startInProcess()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(stop)
	s := &proxyServer{name: "teardown", api: api, client: newClient(api)}
	sinkAddr, err := s.createProxy("bench_sink", sinkUp.addr())
	if err != nil {
		b.Fatal(err)
	}
	echoAddr, err := s.createProxy("bench_echo", echoUp.addr())
	if err != nil {
		b.Fatal(err)
	}
	return map[string][2]string{
		"direct":   {sinkUp.addr(), echoUp.addr()},
		"teardown": {sinkAddr, echoAddr},
	}
}

// BenchmarkThroughput streams through one connection with no toxics; MB/s
// is the figure to compare between direct and teardown.
func BenchmarkThroughput(b *testing.B) {
	paths := benchPaths(b)
	for _, name := range []string{"direct", "teardown"} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(chunkSize)
			if err := sendToSink(paths[name][0], int64(b.N)*chunkSize); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkRoundTrip sends 64-byte messages one at a time to an echo
// server; ns/op is the round-trip time.
func BenchmarkRoundTrip(b *testing.B) {
	paths := benchPaths(b)
	for _, name := range []string{"direct", "teardown"} {
		b.Run(name, func(b *testing.B) {
			if _, err := roundTrips(paths[name][1], b.N, 64); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// TestToxicCalls takes one short round of toxic calls on busy connections
// through an in-process teardown proxy server.
func TestToxicCalls(t *testing.T) {
	echoUp, err := startUpstream(echo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(echoUp.Close)
	api, stop, err := startInProcess()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	s := &proxyServer{name: "teardown", api: api, client: newClient(api)}
	before := settledGoroutines()
	c := config{toxicConns: 2, toxicWrite: 64 << 10, toxicPace: 5 * time.Millisecond, toxicDur: 300 * time.Millisecond}
	res, err := toxicCalls(s, echoUp.addr(), c)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.calls) == 0 {
		t.Fatal("no toxic calls were made")
	}
	if len(res.calls)%3 != 0 {
		t.Errorf("%d calls, want whole cycles of add, update and remove", len(res.calls))
	}
	for i, d := range res.calls {
		if d <= 0 {
			t.Errorf("call %d took %v, want more than 0", i, d)
		}
	}
	if res.echoed <= 0 {
		t.Errorf("%d bytes echoed, want more than 0", res.echoed)
	}
	if px, err := s.client.Proxies(); err != nil || len(px) != 0 {
		t.Errorf("proxies left after the round: %v (err %v), want none", px, err)
	}
	if err := echoUp.firstErr(); err != nil {
		t.Errorf("echo server: %v", err)
	}
	// The API client keeps its connections for the next call.
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	if after := settledGoroutines(); after > before {
		t.Errorf("%d goroutines after the round, %d before", after, before)
	}
	t.Logf("%d calls, median %.2f ms, max %.2f ms, %d bytes echoed", len(res.calls), res.median()*1e3, res.quantile(1)*1e3, res.echoed)
}
