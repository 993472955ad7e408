package toxic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"
)

// fakeOut is a stage's view of the data path on a clock of its own: Wait
// moves the clock on at once, except that a wait beyond horizon ends early,
// as a change of toxics would end it.
type fakeOut struct {
	now     time.Time
	horizon time.Duration
	late    time.Duration // how late each wait ends, as a timer's do
	got     []byte
	waits   []time.Time
	emitAt  []time.Time
}

func (o *fakeOut) Emit(p []byte) Action { o.got = append(o.got, p...); return Continue }
func (o *fakeOut) EmitAt(p []byte, t time.Time) Action {
	o.emitAt = append(o.emitAt, t)
	return o.Emit(p)
}
func (o *fakeOut) Now() time.Time { return o.now }
func (o *fakeOut) Wait(until time.Time) bool {
	o.waits = append(o.waits, until)
	if until.Sub(o.now) > o.horizon {
		return false
	}
	if until.After(o.now) {
		o.now = until.Add(o.late)
	}
	return true
}

// attrJSON sets the attributes of kind k, in their order of declaration, to
// vals (cycling), as a request body would.
func attrJSON(t testing.TB, k Kind, vals []int64) string {
	// The JSON field order of the struct is the declaration order.
	data, _ := json.Marshal(k.New())
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.Token()
	var b bytes.Buffer
	b.WriteByte('{')
	for i := 0; dec.More(); i++ {
		tok, _ := dec.Token()
		var skip any
		dec.Decode(&skip)
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%d", tok, vals[i%len(vals)])
	}
	b.WriteByte('}')
	return b.String()
}

// FuzzStageAttributes gives every toxic type arbitrary attribute values and
// runs its stage over bytes, a FIN and its timer: nothing may panic, the
// bytes of the stages that pass bytes on arrive whole and in order, and a
// time attribute never puts a delay or deadline before the moment it counts
// from, which an overflow would.
func FuzzStageAttributes(f *testing.F) {
	f.Add(uint8(0), int64(100), int64(10), int64(0), []byte("hello"))
	f.Add(uint8(1), int64(1)<<62, int64(1)<<62, int64(1), []byte("hello, world"))
	f.Add(uint8(2), int64(math.MaxInt64), int64(math.MaxInt64), int64(math.MaxInt64), []byte("x"))
	f.Add(uint8(3), int64(9300000000000), int64(0), int64(0), []byte("delay"))
	f.Fuzz(func(t *testing.T, which uint8, a, b, c int64, data []byte) {
		ks := Kinds()
		k := ks[int(which)%len(ks)]
		body := fmt.Sprintf(`{"type":%q,"attributes":%s}`, k.Name, attrJSON(t, k, []int64{a, b, c}))
		tx, err := Decode([]byte(body))
		if err != nil {
			if a >= 0 && b >= 0 && c >= 0 {
				t.Fatalf("%s refused with non-negative values: %v", body, err)
			}
			return
		}
		start := time.Unix(1e9, 0)
		st := NewStage(tx, start)
		if st == nil {
			return
		}
		out := &fakeOut{now: start, horizon: 24 * time.Hour}
		chunkAt := start
		act := st.Data(out, data, chunkAt)
		for _, w := range out.waits {
			if w.Before(start) {
				t.Fatalf("%s: waits until %v, before the chunk arrived (%v)", body, w, start)
			}
		}
		switch tx.Type {
		case "latency", "slicer", "noop", "bandwidth", "slow_close":
			if act != Continue || !bytes.Equal(out.got, data) {
				t.Fatalf("%s: passed %q with %v, want %q whole", body, out.got, act, data)
			}
		}
		if tx.Type == "latency" {
			l := tx.Attributes.(*Latency)
			if low := addSat(ms(l.Latency), -ms(l.Jitter)); low > 0 && len(out.waits) > 0 && out.waits[0].Sub(start) < low {
				t.Fatalf("%s: delayed %v, want at least %v", body, out.waits[0].Sub(start), low)
			}
		}
		if d := st.Deadline(); !d.IsZero() && d.Before(start) {
			t.Fatalf("%s: deadline %v before the start %v", body, d, start)
		}
		st.EOF(out)
		if d := st.Deadline(); !d.IsZero() {
			if d.Before(start) {
				t.Fatalf("%s: deadline %v before the start %v after EOF", body, d, start)
			}
			out.now = d
			st.Timer(out)
		}
		st.Removed()
		st.ReadLimit()
	})
}

// TestHugeTimes: time attributes beyond what a Duration holds saturate
// instead of wrapping around: the delay is (practically) for ever and a
// timer never fires, rather than at once.
func TestHugeTimes(t *testing.T) {
	start := time.Unix(1e9, 0)
	year := 365 * 24 * time.Hour
	for _, tc := range []struct {
		body string
		// after is a duration the stage must not strike or release
		// before.
		after time.Duration
	}{
		{`{"type":"latency","attributes":{"latency":9300000000000}}`, 200 * year},
		{`{"type":"latency","attributes":{"latency":9223372036854775807,"jitter":9223372036854775807}}`, 0},
		{`{"type":"timeout","attributes":{"timeout":9223372036854775807}}`, 200 * year},
		{`{"type":"reset_peer","attributes":{"timeout":9223372036854775807}}`, 200 * year},
		{`{"type":"slow_close","attributes":{"delay":9223372036854775807}}`, 200 * year},
		{`{"type":"reset","attributes":{"delay":9223372036854775807}}`, 200 * year},
		{`{"type":"slicer","attributes":{"average_size":1,"size_variation":9223372036854775807,"delay":9223372036854775807}}`, 0},
	} {
		tx, err := Decode([]byte(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		st := NewStage(tx, start)
		out := &fakeOut{now: start, horizon: math.MaxInt64}
		if tx.Type == "slow_close" {
			st.EOF(out)
		} else {
			st.Data(out, []byte("abc"), start)
		}
		first := time.Time{}
		if len(out.waits) > 0 {
			first = out.waits[0]
		}
		if d := st.Deadline(); !d.IsZero() && (first.IsZero() || d.Before(first)) {
			first = d
		}
		if tc.after > 0 && (first.IsZero() || first.Sub(start) < tc.after) {
			t.Errorf("%s: strikes or releases %v after the start, want at least %v", tc.body, first.Sub(start), tc.after)
		}
	}
}

// TestBandwidthZeroHolds: rate 0 lets nothing through until the toxic
// changes; then the bytes held go on, none lost.
func TestBandwidthZeroHolds(t *testing.T) {
	tx, err := Decode([]byte(`{"type":"bandwidth","attributes":{"rate":0}}`))
	if err != nil {
		t.Fatal(err)
	}
	out := &fakeOut{now: time.Unix(1e9, 0), horizon: 24 * time.Hour}
	NewStage(tx, out.now).Data(out, []byte("cut"), out.now)
	if len(out.waits) != 1 || out.waits[0].Sub(time.Unix(1e9, 0)) < 100*365*24*time.Hour {
		t.Errorf("rate 0 waits %v, want one wait for ever", out.waits)
	}
	if string(out.got) != "cut" {
		t.Errorf("after the wait ended early: passed %q, want the bytes held", out.got)
	}
}

// TestLatencyStacks: a latency stage hands on the time it released the
// bytes, so that the next one delays from there.
func TestLatencyStacks(t *testing.T) {
	tx, _ := Decode([]byte(`{"type":"latency","attributes":{"latency":100}}`))
	start := time.Unix(1e9, 0)
	out := &fakeOut{now: start, horizon: time.Hour}
	NewStage(tx, start).Data(out, []byte("x"), start)
	if len(out.emitAt) != 1 || out.emitAt[0] != start.Add(100*time.Millisecond) {
		t.Errorf("latency 100 handed on %v, want %v", out.emitAt, start.Add(100*time.Millisecond))
	}
}

// TestBandwidthLateTimers: timers that fire late do not slow a busy stream
// down: 480 kB at 1000 KB/s take 480 ms, however late each wait ends (here
// 1 ms), as Toxiproxy's TestBandwidthToxic wants within 10 ms.
func TestBandwidthLateTimers(t *testing.T) {
	tx, _ := Decode([]byte(`{"type":"bandwidth","attributes":{"rate":1000}}`))
	start := time.Unix(1e9, 0)
	out := &fakeOut{now: start, horizon: time.Hour, late: time.Millisecond}
	st := NewStage(tx, start)
	chunk := make([]byte, 32000)
	for range 15 {
		st.Data(out, chunk, out.now)
	}
	if d := out.now.Sub(start); d < 480*time.Millisecond || d > 482*time.Millisecond {
		t.Errorf("480 kB at 1000 KB/s took %v with 1 ms late timers, want 480 ms (plus the last lag)", d)
	}
	// After an idle gap the count starts again: no burst is saved up.
	out.now = out.now.Add(time.Second)
	before := out.now
	st.Data(out, chunk, out.now)
	if d := out.now.Sub(before); d < 32*time.Millisecond {
		t.Errorf("32 kB after an idle second took %v, want 32 ms", d)
	}
}
