package explain

import "testing"

func BenchmarkMatchLogLine(b *testing.B) {
	base, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	line := "2026/11/21 05:00:00 [error] 31#31: *1 recv() failed (104: Connection reset by peer) while reading response header from upstream, client: 198.18.0.1"
	for b.Loop() {
		base.Match(line, Options{})
	}
}
