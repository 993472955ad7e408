package analyze

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// jsonRef is what encoding/json writes for v, with HTML escaping off: the
// reference the hand-written encoder must match byte for byte.
func jsonRef(t testing.TB, v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestJSONAgrees checks WriteJSON against encoding/json for every
// connection of the Zeek parity traces, and for lines with the fields
// encoding/json treats specially (empty lists, escapes, odd floats).
func TestJSONAgrees(t *testing.T) {
	var lines []Line
	var direct [][]byte // written by WriteJSON, from the Conn
	traces, _ := filepath.Glob(filepath.Join(parityDir, "traces", "*"))
	if len(traces) == 0 {
		t.Log("Zeek parity traces not found; checking the made-up lines only")
	}
	for _, tr := range traces {
		for _, opts := range []Options{{}, {Checksums: true}} {
			conns, _ := analyzeFile(t, tr, opts)
			for _, c := range conns {
				lines = append(lines, LineOf(c))
				var b bytes.Buffer
				WriteJSON(&b, c)
				direct = append(direct, b.Bytes())
			}
		}
	}
	if len(traces) > 0 && len(lines) < 200 {
		t.Fatalf("%d connections in %d traces: expected the parity traces' hundreds", len(lines), len(traces))
	}
	odd := []string{"", "a\"b\\c", "\x00\x01\x1f\x7f", "\b\f\n\r\t", "<>&", "\u2028\u2029", "caf\xc3\xa9", "\xff\xfe", "a\xe2\x80", "😀"}
	floats := []float64{0, math.Copysign(0, -1), 1, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 1.5e300, 5e-324, 1786123456.123456, -3.25, math.MaxFloat64}
	for i, s := range odd {
		l := Line{Schema: SchemaVersion, TS: floats[i%len(floats)], OrigH: s, Zeek: ZeekState{s, s},
			Duration: floats[(i+3)%len(floats)], Idle: floats[(i+7)%len(floats)],
			Cause: Cause{ID: s, Text: s, Evidence: []string{s, s}, Scenario: s}}
		if i%2 == 0 {
			l.Explain = []string{s}
			l.Cause.Evidence = nil
		}
		lines = append(lines, l)
	}
	for _, f := range floats {
		lines = append(lines, Line{TS: f, Duration: -f, Idle: f / 3, Cause: Cause{Evidence: []string{}}})
	}
	for i, l := range lines {
		got := l.appendJSON(nil, nil)
		want := jsonRef(t, l)
		if !bytes.Equal(got, want) {
			t.Fatalf("hand-written JSON differs from encoding/json:\n got %s\nwant %s", got, want)
		}
		if i < len(direct) && !bytes.Equal(direct[i], want) {
			t.Fatalf("WriteJSON differs from encoding/json:\n got %s\nwant %s", direct[i], want)
		}
	}
	t.Logf("%d lines agree", len(lines))
}

// FuzzJSONString checks the string escaping against encoding/json's.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "a\"\\\n\x00", "\u2028", "\xff", "évidence > RST"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString(nil, s)
		want := bytes.TrimSuffix(jsonRef(t, s), []byte("\n"))
		if !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	})
}

// FuzzJSONFloat checks the number format against encoding/json's.
func FuzzJSONFloat(f *testing.F) {
	for _, x := range []float64{0, 1e-7, 1e21, 123.456} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return // encoding/json refuses them
		}
		got := appendFloat(nil, x)
		want := strings.TrimSuffix(string(jsonRef(t, x)), "\n")
		if string(got) != want {
			t.Fatalf("%v: got %s, want %s", x, got, want)
		}
	})
}

// TestShortFixed compares the fast path of appendFloat with strconv's
// shortest formatting on the values it is for (seconds from nanosecond
// counts) and on values chosen to sit at its limits.
func TestShortFixed(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var xs []float64
	for range 200000 {
		ns := rng.Int64N(int64(1) << rng.IntN(63))
		xs = append(xs, float64(ns)/1e9, time.Duration(ns).Seconds(), math.Float64frombits(rng.Uint64()&^(1<<63)))
	}
	xs = append(xs, 0, 1, 0.1, 0.2, 0.1+0.2, 1e-6, 999999999999999, 1e15, 1e15-0.5, 999999999999999.9,
		123456789012345, 12345678901234.5, 0.30000000000000004, 9.999999999999999, 9.9999999999999999,
		math.Nextafter(1, 2), math.Nextafter(1, 0), 5e-324, 1e21, math.MaxFloat64)
	fast := 0
	for _, x := range xs {
		want := strconv.AppendFloat(nil, x, 'f', -1, 64)
		m, k, ok := shortFixed(x)
		if !ok {
			continue
		}
		fast++
		if got := appendFixed(nil, m, k); string(got) != string(want) {
			t.Fatalf("%v (%#x): got %s, want %s", x, math.Float64bits(x), got, want)
		}
	}
	if fast < len(xs)/3 {
		t.Errorf("the fast path took %d of %d values; want the durations among them", fast, len(xs))
	}
}

// TestUnixSeconds: a capture's time is written as the float64 nearest it,
// which reads back as the time's own decimal digits.
func TestUnixSeconds(t *testing.T) {
	for _, tc := range []struct {
		ns   int64
		want string
	}{
		{1767225600000050000, "1767225600.00005"},
		{1767225600000006000, "1767225600.000006"},
		{1767225600123456000, "1767225600.123456"},
		{1767225600123456789, "1767225600.1234567"}, // 17 digits: a float64 holds no more
		{1767225600000000000, "1767225600"},
		{0, "0"},
		{1500, "0.0000015"},
	} {
		if got := string(appendFloat(nil, unixSeconds(tc.ns))); got != tc.want {
			t.Errorf("%d ns: %s, want %s", tc.ns, got, tc.want)
		}
	}
}
