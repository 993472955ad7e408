package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/scenario"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", name, got)
	}
}

// records are what two runs recorded, written out so that the report's
// layout can be checked byte for byte.
func records() []*lab.Record {
	t0 := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	res := func(r scenario.Result) *scenario.Result { return &r }
	five := scenario.Result{Kind: scenario.ResultCount, N: 5}
	reset := scenario.Result{Kind: scenario.ResultErrno, Errno: "ECONNRESET"}
	zero := scenario.Result{Kind: scenario.ResultCount}
	ok := scenario.Result{Kind: scenario.ResultOK}
	src := []scenario.Source{{Document: "000_325bdd3517f7f05a.txt", Part: "example 2"}}
	tcp := &lab.Record{
		Scenario: "close-unread/read", Title: "peer closes with our data unread", Sources: src,
		Transport: scenario.TCP4, Verdict: lab.Differs, Start: t0,
		Env: lab.Env{OS: "linux", Kernel: "6.18.0", Isolated: true, Capture: true, Trace: true},
		Steps: []lab.Step{
			{Kind: "setup", Text: "setup connected", Start: t0, Packets: []lab.Packet{
				{From: "client", To: "server", Flags: "S"}, {From: "server", To: "client", Flags: "S.", Ack: 1}, {From: "client", To: "server", Flags: ".", Seq: 1, Ack: 1},
			}},
			{Kind: "op", Line: 8, Text: `client write "hello" -> 5`, Actor: "client", Op: scenario.OpWrite, Start: t0.Add(time.Millisecond),
				Result: res(five), Expected: res(five), Verdict: lab.Match,
				Packets: []lab.Packet{{From: "client", To: "server", Flags: "P.", Seq: 1, Ack: 1, Len: 5}},
				Sockets: []lab.SockState{{Actor: "client", State: "ESTABLISHED"}, {Actor: "server", State: "ESTABLISHED", RecvQ: 5}}},
			{Kind: "op", Line: 9, Text: "server close -> ok", Actor: "server", Op: scenario.OpClose, Start: t0.Add(2 * time.Millisecond),
				Result: res(ok), Expected: res(ok), Verdict: lab.Match,
				Packets: []lab.Packet{{From: "server", To: "client", Flags: "R.", Seq: 1, Ack: 6}},
				Events:  []lab.Event{{Name: "tcp_send_reset", Actor: "server", Peer: "client", Reason: "TCP_ABORT_ON_CLOSE", State: "ESTABLISHED"}}},
			{Kind: "expect", Line: 10, Text: "expect tcp: wire server>client R", Start: t0.Add(3 * time.Millisecond),
				Check: &lab.Check{Expect: scenario.Expect{Kind: scenario.ExpectWire, Actor: "server", Peer: "client", Flags: "R"}, Observed: "server>client: R."}, Verdict: lab.Match},
			{Kind: "op", Line: 11, Text: "client read 16 -> ECONNRESET  darwin: 0 documented", Actor: "client", Op: scenario.OpRead, Start: t0.Add(3 * time.Millisecond),
				Result: res(zero), Expected: res(reset), Seed: res(reset), SeedDiffers: true, Verdict: lab.Differs,
				Documented: []lab.Documented{{OS: "darwin", Result: zero}}},
			{Kind: lab.StepEnd, Text: "end of run", Verdict: lab.Unchecked, Start: t0.Add(4 * time.Millisecond), Packets: []lab.Packet{}, Events: []lab.Event{},
				Sockets: []lab.SockState{{Actor: "client", State: "CLOSE"}, {Actor: "server", State: "CLOSE"}}},
		},
	}
	pipe := &lab.Record{Scenario: "close-unread/read", Transport: scenario.Pipe, Verdict: lab.Skipped, Skip: "a pipe has no unread data to reset", Start: t0}
	unix := &lab.Record{Scenario: "peer-closed/read-eof", Transport: scenario.Unix, Verdict: lab.Match, Start: t0, Sources: []scenario.Source{{Document: "004_c1973e0406ec7011.txt"}}}
	return []*lab.Record{tcp, pipe, unix}
}

func TestText(t *testing.T) {
	var b bytes.Buffer
	Text(&b, []string{"no kernel tracing (example)"}, records(), Options{All: true})
	golden(t, "text.golden", b.Bytes())
}

func TestTextOnlyDifferences(t *testing.T) {
	var b bytes.Buffer
	Text(&b, nil, records(), Options{})
	if bytes.Contains(b.Bytes(), []byte("peer-closed/read-eof on unix")) {
		t.Error("a matching run's timeline is written without All")
	}
	if !bytes.Contains(b.Bytes(), []byte("close-unread/read on tcp4: DIFFERS")) {
		t.Errorf("the differing run's timeline is missing:\n%s", b.String())
	}
}

func TestColorOnlyWhenAsked(t *testing.T) {
	var plain, color bytes.Buffer
	Text(&plain, nil, records(), Options{All: true})
	Text(&color, nil, records(), Options{All: true, Color: true})
	if bytes.Contains(plain.Bytes(), []byte("\x1b[")) {
		t.Error("escape sequences without Color")
	}
	if !bytes.Contains(color.Bytes(), []byte("\x1b[1;31m")) {
		t.Error("no red for a difference with Color")
	}
}

func TestJSON(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, "6.18.0", []string{"example limit"}, records()); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json.golden", b.Bytes())
	var doc Document
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != Schema || doc.Summary.Runs != 3 || doc.Summary.Differ != 1 || doc.Summary.Skipped != 1 || doc.Summary.SeedDiffers != 1 {
		t.Errorf("summary: %+v", doc.Summary)
	}
}

// TestLabErrorsAndNothingRan checks that a run the lab could not carry out
// is reported as a lab error and not a difference, and that a selection
// whose every run was skipped says nothing ran and reproduces no source.
func TestLabErrorsAndNothingRan(t *testing.T) {
	src := []scenario.Source{{Document: "000_325bdd3517f7f05a.txt", Part: "example 2"}}
	failed := &lab.Record{Scenario: "close-unread/read", Transport: scenario.TCP4, Sources: src,
		Verdict: lab.Failed, Error: "setup connected: socket: too many open files"}
	var b bytes.Buffer
	Text(&b, nil, []*lab.Record{failed}, Options{})
	out := b.String()
	for _, want := range []string{"LAB ERROR", "close-unread/read on tcp4: setup connected: socket: too many open files", "1 runs: 0 matched, 0 differ, 1 lab errors, 0 skipped\n"} {
		if !bytes.Contains(b.Bytes(), []byte(want)) {
			t.Errorf("a lab error: the report does not say %q:\n%s", want, out)
		}
	}
	if s := Summarize([]*lab.Record{failed}); s.Failed != 1 || s.Differ != 0 || len(s.Sources) != 0 {
		t.Errorf("Summarize of a lab error: %+v", s)
	}
	skipped := []*lab.Record{
		{Scenario: "net/no-route", Transport: scenario.TCP4, Sources: src, Verdict: lab.Skipped, Skip: "needs root"},
		{Scenario: "net/no-route", Transport: scenario.TCP6, Sources: src, Verdict: lab.Skipped, Skip: "needs root"},
	}
	b.Reset()
	Matrix(&b, skipped, Options{})
	out = b.String()
	if !strings.Contains(out, "nothing ran: every selected run was skipped") || strings.Contains(out, "sources reproduced") {
		t.Errorf("every run skipped:\n%s", out)
	}
}
