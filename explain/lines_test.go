package explain

import (
	"bytes"
	"encoding/json"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestLines(t *testing.T) {
	b := load(t)
	log := strings.Join([]string{
		"2026-11-21T05:00:00Z INFO request served in 3 ms",
		`2026/11/21 05:00:01 [error] 31#31: *1 recv() failed (104: Connection reset by peer) while reading response header from upstream, client: 198.18.0.1`,
		`{"level":"error","ts":"2026-11-21T05:00:02Z","msg":"Post \"http://198.18.0.9/\": http: server closed idle connection"}`,
		`{"status":502,"termination_state":"SD--","backend":"be"}`,
		"read tcp 198.18.0.1:5000->198.18.0.9:80: read: connection reset by peer (reused connection)",
		"dial tcp 198.18.0.9:80: connect: connection refused",
		"curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to 198.18.0.9:443",
		"",
		"2026-11-21T05:00:09Z INFO all is well",
	}, "\n") // no final newline: the last line still counts
	var got []LineResult
	sum, err := b.Lines(strings.NewReader(log), Options{}, func(l LineResult) error {
		got = append(got, l)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Lines != 9 || sum.Errors != 6 || sum.Cut != 0 {
		t.Errorf("lines %d errors %d cut %d, want 9 6 0", sum.Lines, sum.Errors, sum.Cut)
	}
	want := []struct {
		n  int
		id string
	}{{2, "ECONNRESET"}, {3, "EOF"}, {4, "ECONNRESET"}, {5, "ECONNRESET"}, {6, "ECONNREFUSED"}, {7, "EOF"}}
	if len(got) != len(want) {
		t.Fatalf("%d answers, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].N != w.n || got[i].Findings[0].ID != w.id {
			t.Errorf("answer %d: line %d %s, want line %d %s", i, got[i].N, got[i].Findings[0].ID, w.n, w.id)
		}
	}
	if !slices.Equal(got[5].Tied, []string{"EOF", "ECONNRESET"}) {
		t.Errorf("line 7 tied %v", got[5].Tied)
	}
	counts := map[string]int{}
	for _, c := range sum.Counts {
		counts[c.ID] = c.Lines
	}
	if counts["ECONNRESET"] != 3 || counts["EOF"] != 1 || counts["ECONNREFUSED"] != 1 || counts["EOF|ECONNRESET"] != 1 {
		t.Errorf("counts %v", counts)
	}
	if len(sum.Causes) == 0 || sum.Causes[0].Cause.ID != "keep-alive-race" || sum.Causes[0].Lines != 2 {
		t.Fatalf("causes %+v, want the keep-alive race first with 2 lines", sum.Causes)
	}
	if !slices.Equal(sum.Scenarios, sum.Causes[0].Cause.Scenarios) {
		t.Errorf("scenarios %v, want the keep-alive race's", sum.Scenarios)
	}

	// The JSON forms are one object a line, and parse.
	var buf bytes.Buffer
	for _, l := range got {
		if err := l.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
	}
	if err := sum.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(rows) != len(got)+1 {
		t.Fatalf("%d JSON lines, want %d", len(rows), len(got)+1)
	}
	var first struct {
		Line int
		ID   string
	}
	if err := json.Unmarshal([]byte(rows[0]), &first); err != nil || first.Line != 2 || first.ID != "ECONNRESET" {
		t.Errorf("first JSON line %s: %+v %v", rows[0], first, err)
	}
	var last struct{ Summary struct{ Lines, Errors int } }
	if err := json.Unmarshal([]byte(rows[len(rows)-1]), &last); err != nil || last.Summary.Lines != 9 || last.Summary.Errors != 6 {
		t.Errorf("summary JSON line %s: %+v %v", rows[len(rows)-1], last, err)
	}
	var text bytes.Buffer
	if err := sum.WriteText(&text); err != nil || !strings.Contains(text.String(), "reproduce: teardown lab run peer-closed/write-then-read") {
		t.Errorf("summary text %q, %v", text.String(), err)
	}
}

func TestLinesCut(t *testing.T) {
	b := load(t)
	long := "read: connection reset by peer " + strings.Repeat("x", 3*MaxLine) + "\nwrite: broken pipe\n"
	var got []LineResult
	sum, err := b.Lines(strings.NewReader(long), Options{}, func(l LineResult) error {
		got = append(got, l)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Lines != 2 || sum.Cut != 1 || len(got) != 2 || !got[0].Cut || got[0].Findings[0].ID != "ECONNRESET" || got[1].Findings[0].ID != "EPIPE" {
		t.Errorf("sum %+v, answers %+v", sum, got)
	}
}

func TestFlattenJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":"x \"y\"","b":{"c":[1,"two"]},"d":true}`: `a=x "y" b=c=1 two d=true `,
		`{}`: ``,
		`{"msg":"recv() failed\n(104: Connection reset by peer)"}`: "msg=recv() failed\n(104: Connection reset by peer) ",
	} {
		got, ok := flattenJSON([]byte(in), nil)
		if want == "" {
			if ok {
				t.Errorf("%s: ok with %q, want not ok (no fields)", in, got)
			}
			continue
		}
		if !ok || string(got) != want {
			t.Errorf("%s: %q %v, want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{`{"a":`, `{"a":1} {"b":`, `not json`} {
		if _, ok := flattenJSON([]byte(in), nil); ok {
			t.Errorf("%s: ok, want not", in)
		}
	}
}

// genLog is an endless-looking log of n lines, one in ten an error.
type genLog struct {
	n, i int
	buf  []byte
}

var genLines = []string{
	"2026-11-21T05:00:00.123Z INFO http: GET /api/v1/items/42 200 3.1ms client=198.18.0.7:50412 ua=\"curl/8.5\"\n",
	"2026-11-21T05:00:00.124Z DEBUG cache hit key=items:42 size=1834 ttl=59s\n",
	"2026-11-21T05:00:00.125Z INFO http: POST /api/v1/orders 201 12.8ms client=198.18.0.8:50413\n",
	"2026-11-21T05:00:00.126Z WARN slow query took 230ms: SELECT * FROM items WHERE id = $1\n",
	"{\"level\":\"info\",\"ts\":\"2026-11-21T05:00:00.127Z\",\"msg\":\"request served\",\"status\":200,\"ms\":2}\n",
	"2026-11-21T05:00:00.128Z INFO http: GET /healthz 200 0.1ms client=198.18.0.1:40000\n",
	"2026-11-21T05:00:00.129Z INFO worker 3 picked job 998877 from queue default\n",
	"2026-11-21T05:00:00.130Z INFO http: GET /api/v1/items 200 8.0ms client=198.18.0.9:50414\n",
	"{\"level\":\"info\",\"ts\":\"2026-11-21T05:00:00.131Z\",\"msg\":\"flushed metrics\",\"series\":412}\n",
	"2026-11-21T05:00:00.132Z ERROR upstream: Post \"http://198.18.0.20:8080/api\": read tcp 198.18.0.2:50415->198.18.0.20:8080: read: connection reset by peer\n",
}

func (g *genLog) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(g.buf) == 0 {
			if g.i == g.n {
				break
			}
			g.buf = []byte(genLines[g.i%len(genLines)])
			g.i++
		}
		k := copy(p[n:], g.buf)
		g.buf = g.buf[k:]
		n += k
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// TestLinesBoundedMemory streams a log many times larger than the memory
// explain may use and checks that the live heap stays small while it
// reads. bench/explain shows the same for a 1 GB log, by the process's
// maximum resident size.
func TestLinesBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 30 MB")
	}
	b := load(t)
	const n = 300_000 // about 30 MB
	var peak uint64
	var ms runtime.MemStats
	sum, err := b.Lines(&genLog{n: n}, Options{}, func(l LineResult) error {
		if l.N%20000 == 0 {
			// What the reading keeps alive, not what the collector has
			// yet to free.
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Lines != n || sum.Errors != n/10 {
		t.Errorf("lines %d errors %d, want %d %d", sum.Lines, sum.Errors, n, n/10)
	}
	if peak > 16<<20 {
		t.Errorf("live heap reached %d MiB while streaming a 30 MB log", peak>>20)
	}
}

// BenchmarkLines reads 1,000 generated lines a loop, one in ten an error.
func BenchmarkLines(b *testing.B) {
	base, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	var size int
	for _, l := range genLines {
		size += len(l)
	}
	b.SetBytes(int64(100 * size))
	for b.Loop() {
		if _, err := base.Lines(&genLog{n: 100 * len(genLines)}, Options{}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzLines feeds arbitrary logs to Lines: it must not fail or panic,
// count every line, and answer only for lines it counts.
func FuzzLines(f *testing.F) {
	f.Add("read: connection reset by peer\n{\"msg\":\"EOF\"}\n")
	f.Add(`{"a":"\u00e9\ud83d\ude00","b":[1,{"c":"x"}]}` + "\n\n{\"unterminated")
	f.Add("\r\n\r\n{{{}}}]]]")
	b, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, log string) {
		last := 0
		sum, err := b.Lines(strings.NewReader(log), Options{}, func(l LineResult) error {
			if l.N <= last || len(l.Findings) == 0 {
				t.Fatalf("answer for line %d after %d, %d findings", l.N, last, len(l.Findings))
			}
			last = l.N
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Count(log, "\n")
		if log != "" && !strings.HasSuffix(log, "\n") {
			want++
		}
		if sum.Lines != want || last > sum.Lines || sum.Errors > sum.Lines {
			t.Fatalf("lines %d (want %d), errors %d, last answer %d", sum.Lines, want, sum.Errors, last)
		}
	})
}

// FuzzFlattenJSON: flattening never panics and never reports fields for
// what does not start as an object.
func FuzzFlattenJSON(f *testing.F) {
	f.Add(`{"a":"x \"y\"","b":{"c":[1,"two"]},"d":true}`)
	f.Add(`{"s":"\u12`)
	f.Fuzz(func(t *testing.T, in string) {
		out, ok := flattenJSON([]byte(in), nil)
		if ok && !strings.HasPrefix(strings.TrimSpace(in), "{") {
			t.Fatalf("%q flattened to %q", in, out)
		}
	})
}
