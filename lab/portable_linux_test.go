package lab_test

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/teardown-net/teardown/catalog"
	"github.com/teardown-net/teardown/lab"
)

// The portable runner is the only one macOS and FreeBSD have; on Linux it
// runs the same catalog and must agree with it, and with the full runner,
// on everything it observes: no run differs, and every call it made gave
// the result the full runner's run of the same job recorded. What it could
// not check is listed, so that a check that silently became unchecked
// shows in the log.
func TestPortableAgreesWithCatalog(t *testing.T) {
	scs, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	jobs := lab.Plan(scs, nil)
	port := newLab(t, lab.Options{Portable: true}).Run(context.Background(), jobs)
	full := newLab(t, lab.Options{}).Run(context.Background(), jobs)

	unchecked := map[string]int{} // why → how many
	ran := 0
	for i, r := range port {
		name := r.Scenario + " on " + string(r.Transport)
		if !r.Env.Portable || r.Env.Capture || r.Env.Trace || r.Env.Isolated {
			t.Fatalf("%s: env %+v, want a portable run without capture, tracing or namespace", name, r.Env)
		}
		switch r.Verdict {
		case lab.Skipped:
			unchecked["run skipped: "+r.Skip]++
			continue
		case lab.Match:
		default:
			t.Errorf("%s: %s %s\n%s", name, r.Verdict, r.Error, timeline(r))
			continue
		}
		ran++
		f := full[i]
		if f.Verdict == lab.Skipped {
			continue
		}
		results := map[int]string{}
		for _, st := range f.Steps {
			if st.Result != nil {
				results[st.Line] = st.Result.String()
			}
		}
		for _, st := range r.Steps {
			if st.Result != nil && st.Line > 0 && results[st.Line] != st.Result.String() {
				t.Errorf("%s line %d: the portable runner got %s, the full runner %s", name, st.Line, st.Result, results[st.Line])
			}
			if st.Kind == lab.StepExpect && st.Verdict == lab.Unchecked && !st.Skip {
				why := st.Check.Observed
				if st.Check.Note != "" {
					why = st.Check.Note
				}
				unchecked[fmt.Sprintf("expect %s: %s", st.Check.Expect.Kind, why)]++
			}
		}
	}
	if ran == 0 {
		t.Fatal("the portable runner ran nothing")
	}
	whys := make([]string, 0, len(unchecked))
	for w := range unchecked {
		whys = append(whys, w)
	}
	sort.Strings(whys)
	t.Logf("%d of %d runs matched; not checked by the portable runner:", ran, len(port))
	for _, w := range whys {
		t.Logf("  %3d× %s", unchecked[w], w)
	}
}
