package report

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/teardown-net/teardown/catalog"
	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/scenario"
)

// crossScenarios are the catalog scenarios the cross-system golden file
// covers: two with documented macOS values, and three without.
var crossScenarios = []string{"close-unread/read", "close-unread/write", "peer-closed/write-epipe", "connect/refused", "shutdown/wr"}

// crossReport runs the scenarios with the full runner or the portable one
// and returns the JSON report read back, as lab compare reads a file.
func crossReport(t *testing.T, portable bool) Document {
	t.Helper()
	scs, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	scs = slices.DeleteFunc(scs, func(sc *scenario.Scenario) bool { return !slices.Contains(crossScenarios, sc.ID) })
	if len(scs) != len(crossScenarios) {
		t.Fatalf("found %d of the scenarios %v", len(scs), crossScenarios)
	}
	l, err := lab.New(lab.Options{Portable: portable})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	recs := l.Run(context.Background(), lab.Plan(scs, nil))
	var b bytes.Buffer
	if err := JSON(&b, recs[0].Env.Kernel, l.Limits(), recs); err != nil {
		t.Fatal(err)
	}
	doc, err := ReadDocument(&b)
	if err != nil {
		t.Fatal(err)
	}
	// The kernel's release is the machine's, not the report's layout.
	doc.Kernel = "KERNEL"
	return doc
}

// lab compare lines up a report of the full runner and one of the portable
// runner, both made here: every call agrees, and the catalog's macOS
// values stay documented, not measured.
func TestCompareGolden(t *testing.T) {
	full, port := crossReport(t, false), crossReport(t, true)
	c := Compare([]Input{{Name: "full.json", Doc: full}, {Name: "portable.json", Doc: port}})
	if c.Disagree != 0 || c.Contradicted != 0 || c.Confirmed != 0 || c.Unmeasured == 0 {
		t.Errorf("disagree %d, confirmed %d, contradicted %d, not measured %d: want 0, 0, 0 and some",
			c.Disagree, c.Confirmed, c.Contradicted, c.Unmeasured)
	}
	var b bytes.Buffer
	c.Write(&b, false)
	golden(t, "compare.golden", b.Bytes())

	// A report from macOS is checked against the catalog's documented
	// macOS values. None can be made here, so the portable report stands
	// in for one under macOS's name: its results are Linux's, which the
	// catalog documents macOS as not giving, and each must be found
	// contradicted.
	for _, r := range port.Runs {
		r.Env.OS = "darwin"
	}
	c = Compare([]Input{{Name: "full.json", Doc: full}, {Name: "darwin.json", Doc: port}})
	if c.Contradicted == 0 || c.Unmeasured != 0 {
		t.Errorf("contradicted %d, not measured %d: want some and 0", c.Contradicted, c.Unmeasured)
	}
	b.Reset()
	c.Write(&b, true)
	if !strings.Contains(b.String(), "darwin: 0 ✗ measured ECONNRESET") {
		t.Errorf("no contradicted macOS value in\n%s", b.String())
	}
}

// The text report of a portable run lists, with their counts, the checks
// the portable runner could not observe (it never traces); the full
// runner's, as root, has none of those (and no such list) on the same
// scenarios. Both capture as root only, so only without root are wire
// checks among those not made.
func TestTextSaysWhatWasNotChecked(t *testing.T) {
	for _, portable := range []bool{true, false} {
		doc := crossReport(t, portable)
		var b bytes.Buffer
		Text(&b, doc.Limits, doc.Runs, Options{})
		got := b.String()
		if has, want := strings.Contains(got, "not checked here:\n"), portable || !root(); has != want {
			t.Errorf("portable %v: a list of checks not made is there: %v, want %v\n%s", portable, has, want, got)
		}
		if has, want := strings.Contains(got, "× expect wire: no capture in this environment"), !root(); has != want {
			t.Errorf("portable %v: unchecked wire expectations listed: %v, want %v\n%s", portable, has, want, got)
		}
	}
}

func root() bool { return os.Geteuid() == 0 }
