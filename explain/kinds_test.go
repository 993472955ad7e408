package explain

import (
	"testing"

	"github.com/teardown-net/teardown/catalog"
	"github.com/teardown-net/teardown/sockerr"
)

// TestKindsAgreeWithSockerr keeps the two lists from contradicting each
// other: every errno name an entry carries must have, in sockerr, the kind
// the entry names; a name sockerr does not know is classified Other, so
// the entry must say "other" too.
func TestKindsAgreeWithSockerr(t *testing.T) {
	b := load(t)
	for _, k := range Kinds {
		if _, err := sockerr.ParseKind(k); err != nil {
			t.Errorf("kind %q is not a sockerr kind: %v", k, err)
		}
	}
	if len(Kinds) != len(sockerr.Kinds()) {
		t.Errorf("explain lists %d kinds, sockerr %d", len(Kinds), len(sockerr.Kinds()))
	}
	for _, e := range b.Entries {
		for os, names := range e.Names {
			for _, name := range names {
				if !errnoName.MatchString(name) && !wsaName.MatchString(name) {
					continue
				}
				want := "other"
				if k, ok := sockerr.KindOfName(name); ok {
					want = k.String()
				}
				if e.Kind != want {
					t.Errorf("%s: kind %q, but sockerr gives %s (%s) %q", e.ID, e.Kind, name, os, want)
				}
			}
		}
	}
}

// TestScenariosExist checks that every lab scenario an entry names is in
// the built-in catalog.
func TestScenariosExist(t *testing.T) {
	b := load(t)
	scs, err := catalog.Load()
	if err != nil {
		t.Fatalf("catalog.Load: %v", err)
	}
	have := map[string]bool{}
	for _, s := range scs {
		have[s.ID] = true
	}
	n := 0
	for _, e := range b.Entries {
		for _, id := range e.Scenarios {
			n++
			if !have[id] {
				t.Errorf("%s: scenario %s is not in the catalog", e.ID, id)
			}
		}
	}
	if n == 0 {
		t.Fatal("no entry names a scenario")
	}
}
