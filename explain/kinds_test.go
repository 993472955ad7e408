package explain

import (
	"testing"

	"github.com/teardown-net/teardown/catalog"
	"github.com/teardown-net/teardown/scenario"
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

// TestScenariosCoverTheCatalog keeps each errno entry's scenarios in step
// with the catalog: a scenario in which a call is expected, on Linux, to
// fail with an errno that has an entry must be among that entry's
// scenarios, so that explain points to every reproduction the lab has.
func TestScenariosCoverTheCatalog(t *testing.T) {
	b := load(t)
	scs, err := catalog.Load()
	if err != nil {
		t.Fatalf("catalog.Load: %v", err)
	}
	listed := map[string]map[string]bool{}
	for _, e := range b.Entries {
		listed[e.ID] = map[string]bool{}
		for _, id := range e.Scenarios {
			listed[e.ID][id] = true
		}
	}
	checked := 0
	for _, sc := range scs {
		for _, st := range sc.Steps {
			if st.Op == nil || st.Op.Expect == nil {
				continue
			}
			for _, tr := range sc.On {
				if !st.Guard.Has(tr) {
					continue
				}
				res, _, ok := st.Op.Expect.Resolve(scenario.Linux, tr)
				if !ok || res.Kind != scenario.ResultErrno {
					continue
				}
				ids, ok := listed[res.Errno]
				if !ok {
					continue
				}
				checked++
				if !ids[sc.ID] {
					t.Errorf("%s: line %d expects %s on %s, but explain's %s entry does not name the scenario", sc.ID, st.Pos.Line, res.Errno, tr, res.Errno)
					ids[sc.ID] = true // once per scenario and errno
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no catalog call expects an errno that explain has an entry for")
	}
}
