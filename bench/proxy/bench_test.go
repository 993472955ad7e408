package main

import (
	"testing"
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
