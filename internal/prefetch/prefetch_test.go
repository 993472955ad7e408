package prefetch

import (
	"bytes"
	"testing"
)

// TestReadOnceLeavesMemory checks that ReadOnce returns for every start
// and length within a buffer, empty ones included, and changes no byte of
// it or of its neighbours.
func TestReadOnceLeavesMemory(t *testing.T) {
	buf := make([]byte, 1024)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	want := bytes.Clone(buf)
	ReadOnce(nil)
	for _, lo := range []int{0, 1, 63, 64, 65, 200} {
		for _, n := range []int{0, 1, 2, 63, 64, 65, 128, 500} {
			ReadOnce(buf[256+lo : 256+lo+n])
		}
	}
	if !bytes.Equal(buf, want) {
		t.Fatal("ReadOnce changed memory")
	}
}
