package explain

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	"sort"
	"strings"
	"testing"
)

// corpusPart chooses which part of testdata/corpus.jsonl TestCorpus
// measures: "held-out" (the default, lines never looked at while the
// patterns were written), "training" or "all".
var corpusPart = flag.String("corpus", "held-out", "part of testdata/corpus.jsonl that TestCorpus measures: held-out, training or all")

// corpusFile is the corpus TestCorpus reads. A batch of new lines is
// measured on arrival by pointing it at a file of their own, before they
// join testdata/corpus.jsonl and before any pattern is written for them.
var corpusFile = flag.String("corpus-file", "testdata/corpus.jsonl", "file of corpus lines that TestCorpus measures")

// A corpusLine is one error line copied from a public issue thread or page.
type corpusLine struct {
	Eco    string   `json:"eco"`
	Line   string   `json:"line"`
	Want   []string `json:"want"`
	Source string   `json:"source"`
}

// heldOut reports whether a line belongs to the held-out part. The split
// is fixed by a hash of the source, chosen before any pattern was written,
// so that nobody can move a line to the part that suits them.
func heldOut(source string) bool {
	h := fnv.New32a()
	h.Write([]byte(source))
	return h.Sum32()%3 == 0
}

func readCorpus(t *testing.T) []corpusLine {
	t.Helper()
	f, err := os.Open(*corpusFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var c corpusLine
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("%s:%d: %v", *corpusFile, n, err)
		}
		if c.Eco == "" || c.Line == "" || len(c.Want) == 0 || c.Source == "" {
			t.Fatalf("%s:%d: eco, line, want and source are required", *corpusFile, n)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// corpusGoal is the share of held-out lines whose first answer must be
// right. It was 95% with 78 held-out lines and 93% with 137; 207 lines
// from ecosystems the corpus was thin in (iOS, Elixir, RabbitMQ, NATS,
// gRPC in five languages, Firefox, ...) were added since, each batch
// measured before any pattern was written for it (36 of their 64
// held-out lines right on arrival), then 162 more from gRPC in four
// languages, TLS, proxies, meshes, JVM servers, Windows and databases
// (40 of their 47 held-out lines right on arrival), 23 that test how far
// the texts written from them reach (5 of 6 held out), and 164 from
// ecosystems the corpus had barely met: ssh, git, package managers,
// build tools, message brokers' clients, mail and file-transfer clients
// (35 of their 53 held-out lines right on arrival, 263 of 307 held out
// in all), and 42 that test how far the texts written from them reach
// (16 of 17 held out), then 225 from three areas at once, collected by
// helpers that never saw explain's answers (66 of their 79 held-out
// lines right on arrival), and 258 more the same way from Q&A pages,
// operations tools, native programs and localized messages (83 of 103
// held out right on arrival), and 263 from frameworks, data clients and
// developer tools (66 of 87), and 142 from enterprise stacks and Python
// data tools (22 of 42), and 89 from client libraries of Rust, PHP,
// Ruby and Go (18 of 26), and 54 from Java and Node database drivers (11
// of 23). The held-out part now stands at 586 of 684 (85.7%,
// docs/explain-corpus.md). The goal is that figure rounded down,
// so a regression fails; raising it takes patterns from training misses,
// measured on lines not seen yet.
const corpusGoal = 0.85

// TestCorpus measures explain on real error lines, by ecosystem. Run
//
//	go test ./explain -run TestCorpus -v                    # held-out part
//	go test ./explain -run TestCorpus -v -corpus=training
//
// A line is a hit when the first finding is one of the ids it wants; a
// line that wants two ids is one whose cause the text leaves open.
func TestCorpus(t *testing.T) {
	b := load(t)
	type tally struct{ hit, n int }
	byEco := map[string]*tally{}
	var total tally
	for _, c := range readCorpus(t) {
		switch *corpusPart {
		case "held-out":
			if !heldOut(c.Source) {
				continue
			}
		case "training":
			if heldOut(c.Source) {
				continue
			}
		case "all":
		default:
			t.Fatalf("-corpus %q: want held-out, training or all", *corpusPart)
		}
		tl := byEco[c.Eco]
		if tl == nil {
			tl = &tally{}
			byEco[c.Eco] = tl
		}
		tl.n++
		total.n++
		fs := b.Match(c.Line, Options{})
		got := "-"
		if len(fs) > 0 {
			got = fs[0].ID
		}
		ok := false
		for _, w := range c.Want {
			ok = ok || w == got
		}
		if ok {
			tl.hit++
			total.hit++
		} else {
			t.Logf("miss %-12s got %-14s want %-22s %s", c.Eco, got, strings.Join(c.Want, "|"), c.Line)
		}
	}
	ecos := make([]string, 0, len(byEco))
	for e := range byEco {
		ecos = append(ecos, e)
	}
	sort.Strings(ecos)
	var sb strings.Builder
	fmt.Fprintf(&sb, "%-14s %5s %5s\n", "ecosystem", "hits", "lines")
	for _, e := range ecos {
		fmt.Fprintf(&sb, "%-14s %5d %5d\n", e, byEco[e].hit, byEco[e].n)
	}
	rate := float64(total.hit) / float64(max(total.n, 1))
	fmt.Fprintf(&sb, "%-14s %5d %5d  %.1f%%\n", "total", total.hit, total.n, 100*rate)
	t.Logf("%s part:\n%s", *corpusPart, sb.String())
	if total.n == 0 {
		t.Fatal("no corpus lines in this part")
	}
	if *corpusPart == "held-out" && rate < corpusGoal {
		t.Errorf("held-out hit rate %.1f%%, goal %.0f%%", 100*rate, 100*corpusGoal)
	}
}
