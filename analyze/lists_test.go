package analyze

import (
	"slices"
	"testing"

	"github.com/teardown-net/teardown/catalog"
	"github.com/teardown-net/teardown/explain"
	"github.com/teardown-net/teardown/observe/wire"
)

// TestListsAgree checks analyze's lists against their sources: the catalog
// has every scenario a cause links to, explain has an entry exactly for
// the errnos inExplain says, and every errno the ICMP mapping gives is in
// ErrnoNames.
func TestListsAgree(t *testing.T) {
	ids := []string{"net/host-unreachable", "net/peer-vanished"}
	for _, id := range scenarioOf {
		ids = append(ids, id)
	}
	for _, id := range ids {
		if _, err := catalog.Get(id); err != nil {
			t.Errorf("scenario %s: %v", id, err)
		}
	}
	base, err := explain.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ErrnoNames {
		if _, ok := base.Entry(e); ok != inExplain[e] {
			t.Errorf("errno %s: explain has an entry: %v, inExplain says %v", e, ok, inExplain[e])
		}
	}
	for _, v6 := range []bool{false, true} {
		for typ := range 256 {
			for code := range 256 {
				e := icmpErrno(&wire.ICMP{V6: v6, Type: uint8(typ), Code: uint8(code)})
				if !slices.Contains(ErrnoNames, e) {
					t.Fatalf("ICMP v6=%v type %d code %d gives %s, which ErrnoNames lacks", v6, typ, code, e)
				}
			}
		}
	}
}
