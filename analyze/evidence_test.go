package analyze

import (
	"fmt"
	"slices"
	"testing"
)

// TestEvidenceBlocks checks that the lists handed out are copies that
// later lists, and appends to them, leave as they were.
func TestEvidenceBlocks(t *testing.T) {
	long := make([]string, listBlock+3)
	for i := range long {
		long[i] = fmt.Sprint(i)
	}
	var b evidenceBlocks
	var got, want [][]string
	for i, l := range [][]string{nil, {"a"}, {"b", "c"}, long, {"d"}, long[:listBlock-1], {"e", "f"}} {
		c := b.copy(l)
		if (c == nil) != (l == nil) || cap(c) != len(l) {
			t.Errorf("list %d: copy %q of %q has capacity %d", i, c, l, cap(c))
		}
		_ = append(c, "appended")
		got, want = append(got, c), append(want, slices.Clone(l))
	}
	for i := range got {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("list %d is %q, want %q", i, got[i], want[i])
		}
	}
}
