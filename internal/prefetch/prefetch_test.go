package prefetch

import (
	"bytes"
	"testing"
)

// TestLeavesMemory checks that ReadOnce and Keep return for every start and
// length within a buffer, empty ones included, and change no byte of it or
// of its neighbours.
func TestLeavesMemory(t *testing.T) {
	for _, f := range []struct {
		name string
		fn   func([]byte)
	}{{"ReadOnce", ReadOnce}, {"Keep", Keep}} {
		buf := make([]byte, 1024)
		for i := range buf {
			buf[i] = byte(i * 7)
		}
		want := bytes.Clone(buf)
		f.fn(nil)
		for _, lo := range []int{0, 1, 63, 64, 65, 200} {
			for _, n := range []int{0, 1, 2, 63, 64, 65, 128, 500} {
				f.fn(buf[256+lo : 256+lo+n])
			}
		}
		if !bytes.Equal(buf, want) {
			t.Fatalf("%s changed memory", f.name)
		}
	}
}
