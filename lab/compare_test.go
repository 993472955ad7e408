package lab

import (
	"slices"
	"testing"
	"time"

	"github.com/teardown-net/teardown/scenario"
)

func TestCheck(t *testing.T) {
	step := &Step{
		Packets: []Packet{{From: "client", To: "server", Flags: "F."}, {From: "server", To: "client", Flags: "R"}},
		Events:  []Event{{Name: "tcp_send_reset", Actor: "server", Reason: "TCP_ABORT_ON_CLOSE"}},
		Sockets: []SockState{{Actor: "client", State: "FIN_WAIT2"}, {Actor: "server", State: "CLOSE_WAIT", RecvQ: 1}},
	}
	unobserved := &Step{}
	second := &Step{Took: time.Second, Unread: []Unread{{Actor: "server", Bytes: 3}}}
	for _, tc := range []struct {
		name string
		e    scenario.Expect
		st   *Step
		want Verdict
	}{
		{"wire FIN", scenario.Expect{Kind: scenario.ExpectWire, Actor: "client", Peer: "server", Flags: "F"}, step, Match},
		{"wire FIN with ACK", scenario.Expect{Kind: scenario.ExpectWire, Actor: "client", Peer: "server", Flags: "F."}, step, Match},
		{"wire RST wrong way", scenario.Expect{Kind: scenario.ExpectWire, Actor: "client", Peer: "server", Flags: "R"}, step, Differs},
		{"no wire RST wrong way", scenario.Expect{Kind: scenario.ExpectWire, Not: true, Actor: "client", Peer: "server", Flags: "R"}, step, Match},
		{"no wire RST", scenario.Expect{Kind: scenario.ExpectWire, Not: true, Actor: "server", Peer: "client", Flags: "R"}, step, Differs},
		{"wire unobserved", scenario.Expect{Kind: scenario.ExpectWire, Actor: "client", Peer: "server", Flags: "F"}, unobserved, Unchecked},
		{"reason", scenario.Expect{Kind: scenario.ExpectReason, Actor: "server", Name: "TCP_ABORT_ON_CLOSE"}, step, Match},
		{"reason other", scenario.Expect{Kind: scenario.ExpectReason, Actor: "server", Name: "NO_SOCKET"}, step, Differs},
		{"reason other actor", scenario.Expect{Kind: scenario.ExpectReason, Actor: "client", Name: "TCP_ABORT_ON_CLOSE"}, step, Differs},
		{"reason untraced", scenario.Expect{Kind: scenario.ExpectReason, Actor: "server", Name: "X"}, unobserved, Unchecked},
		{"state", scenario.Expect{Kind: scenario.ExpectState, Actor: "client", Name: "FIN_WAIT2"}, step, Match},
		{"state wrong", scenario.Expect{Kind: scenario.ExpectState, Actor: "server", Name: "FIN_WAIT2"}, step, Differs},
		{"state gone", scenario.Expect{Kind: scenario.ExpectState, Actor: "listener", Name: "CLOSE"}, step, Match},
		{"recvq", scenario.Expect{Kind: scenario.ExpectRecvQ, Actor: "server", N: 1}, step, Match},
		{"sendq", scenario.Expect{Kind: scenario.ExpectSendQ, Actor: "server", N: 1}, step, Differs},
		{"took at least", scenario.Expect{Kind: scenario.ExpectTook, Cmp: ">=", D: time.Second}, second, Match},
		{"took more", scenario.Expect{Kind: scenario.ExpectTook, Cmp: ">", D: time.Second}, second, Differs},
		{"took less", scenario.Expect{Kind: scenario.ExpectTook, Cmp: "<", D: 50 * time.Millisecond}, second, Differs},
		{"took at most", scenario.Expect{Kind: scenario.ExpectTook, Cmp: "<=", D: time.Second}, second, Match},
		{"unread", scenario.Expect{Kind: scenario.ExpectUnread, Actor: "server", N: 3}, second, Match},
		{"unread other", scenario.Expect{Kind: scenario.ExpectUnread, Actor: "server", N: 4}, second, Differs},
		{"unread no descriptor", scenario.Expect{Kind: scenario.ExpectUnread, Actor: "client", N: 0}, second, Differs},
	} {
		got, obs := check(tc.e, tc.st)
		if got != tc.want {
			t.Errorf("%s: %s (%s), want %s", tc.name, got, obs, tc.want)
		}
	}
}

// Compare alone resolves what each statement expects on this OS and
// transport: the run records results only.
func TestCompareResolves(t *testing.T) {
	sc, err := scenario.Parse("t.td", []byte(`scenario t/compare
title "compare"
on tcp4 unix
client write "hello" -> 5
server close -> ok
client read 16 -> ECONNRESET darwin: 0 documented seed: EPIPE unix: 0
expect tcp4: reason server NO_SUCH_REASON
`))
	if err != nil {
		t.Fatal(err)
	}
	five := scenario.Result{Kind: scenario.ResultCount, N: 5}
	ok := scenario.Result{Kind: scenario.ResultOK}
	reset := scenario.Result{Kind: scenario.ResultErrno, Errno: "ECONNRESET"}
	for _, tc := range []struct {
		tr        scenario.Transport
		read      scenario.Result
		want      []Verdict
		expected  string
		seedDiffs bool
	}{
		{scenario.TCP4, reset, []Verdict{Unchecked, Match, Match, Match, Differs}, "ECONNRESET", true},
		{scenario.Unix, reset, []Verdict{Unchecked, Match, Match, Differs, Unchecked}, "0", true},
	} {
		rec := &Record{Transport: tc.tr, Env: Env{Kernel: "test", Reasons: []string{"NOT_SPECIFIED"}}, Steps: []Step{
			{Kind: StepSetup},
			{Line: 4, Kind: StepOp, Result: &five},
			{Line: 5, Kind: StepOp, Result: &ok},
			{Line: 6, Kind: StepOp, Result: &tc.read, Events: []Event{}},
			{Line: 7, Kind: StepExpect, Skip: tc.tr != scenario.TCP4},
		}}
		Compare(sc, rec)
		for i, st := range rec.Steps {
			if st.Verdict != tc.want[i] {
				t.Errorf("%s step %d: %s, want %s", tc.tr, i, st.Verdict, tc.want[i])
			}
		}
		read := rec.Steps[3]
		if read.Expected == nil || read.Expected.String() != tc.expected {
			t.Errorf("%s: read expected %v, want %s", tc.tr, read.Expected, tc.expected)
		}
		if read.SeedDiffers != tc.seedDiffs {
			t.Errorf("%s: seed differs %v, want %v", tc.tr, read.SeedDiffers, tc.seedDiffs)
		}
		if len(read.Documented) != 1 || read.Documented[0].OS != "darwin" || read.Documented[0].Measured {
			t.Errorf("%s: documented %+v, want darwin's 0, not measured", tc.tr, read.Documented)
		}
		if c := rec.Steps[4].Check; c == nil || c.Expect.Name != "NO_SUCH_REASON" || (tc.tr == scenario.TCP4 && c.Note == "") {
			t.Errorf("%s: check %+v, want the reason check with a note that the kernel lacks it", tc.tr, c)
		}
	}
}

// A recorded expectation that disagrees with the scenario is not trusted:
// Compare resolves it again from the scenario.
func TestCompareNeverTrustsRecordedExpectations(t *testing.T) {
	sc, err := scenario.Parse("t.td", []byte("scenario t/x\ntitle \"x\"\non tcp4\nclient write 5 -> 5\n"))
	if err != nil {
		t.Fatal(err)
	}
	three := scenario.Result{Kind: scenario.ResultCount, N: 3}
	rec := &Record{Transport: scenario.TCP4, Steps: []Step{{Line: 4, Kind: StepOp, Result: &three, Expected: &three}}}
	Compare(sc, rec)
	if rec.Verdict != Differs || rec.Steps[0].Expected.N != 5 {
		t.Errorf("verdict %s with expected %v, want differs against 5", rec.Verdict, rec.Steps[0].Expected)
	}
}

// TestStartOrder checks that the runs waiting on second-long timers start
// first, then the others by the times their scripts set, longest first,
// and among equal times the network runs before the rest, each group in
// the plan's order.
func TestStartOrder(t *testing.T) {
	sc := func(id, header, body string) *scenario.Scenario {
		src := "scenario " + id + "\ntitle \"t\"\non tcp4\n" + header + body
		s, err := scenario.Parse(id+".td", []byte(src))
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		return s
	}
	jobs := []Job{
		{Scenario: sc("t/a", "", "client close -> ok\n")},
		{Scenario: sc("t/b", "net routed\n", "client close -> ok\n")},
		{Scenario: sc("t/c", "slow \"keepalive counts seconds\"\n", "client close -> ok\n")},
		{Scenario: sc("t/d", "", "sleep 30ms\n")},
		{Scenario: sc("t/e", "net direct\n", "client setsockopt TCP_USER_TIMEOUT 400 -> ok\n")},
		{Scenario: sc("t/f", "limit 500ms\n", "client read 16 async -> blocked\nsleep 20ms\n")},
		{Scenario: sc("t/g", "", "client setsockopt SO_RCVTIMEO 100 -> ok\nclient read 16 -> EAGAIN\n")},
		{Scenario: sc("t/h", "", "client linger 5 -> ok\nclient close -> ok\n")},
	}
	// c: slow; f: 520ms; e: 400ms; g: 100ms; d: 30ms; then b (net), a and
	// h (a linger time is no wait: close returns once its data is
	// acknowledged).
	if got, want := startOrder(jobs), []int{2, 5, 4, 6, 3, 1, 0, 7}; !slices.Equal(got, want) {
		t.Errorf("startOrder = %v, want %v", got, want)
	}
}

// TestCompareUnknownReasons checks that a reason expectation is held to the
// kernel's RST only when the kernel's names are known: with none, an RST
// named by number is unchecked, not a difference.
func TestCompareUnknownReasons(t *testing.T) {
	sc, err := scenario.Parse("t.td", []byte("scenario t/r\ntitle \"r\"\non tcp4\nserver close -> ok\nexpect tcp: reason server TCP_ABORT_ON_CLOSE\n"))
	if err != nil {
		t.Fatal(err)
	}
	ok := scenario.Result{Kind: scenario.ResultOK}
	for _, tc := range []struct {
		name    string
		names   []string
		reason  string
		verdict Verdict
	}{
		{"named, same", []string{"NOT_SPECIFIED", "TCP_ABORT_ON_CLOSE"}, "TCP_ABORT_ON_CLOSE", Match},
		{"named, other", []string{"NOT_SPECIFIED", "TCP_ABORT_ON_CLOSE"}, "NOT_SPECIFIED", Differs},
		{"names unknown", nil, "REASON_11", Unchecked},
		{"no reason on this kernel", nil, "", Unchecked},
	} {
		rec := &Record{Transport: scenario.TCP4, Env: Env{Kernel: "test", Reasons: tc.names}, Steps: []Step{
			{Line: 4, Kind: StepOp, Result: &ok, Events: []Event{{Name: "tcp_send_reset", Actor: "server", Reason: tc.reason}}},
			{Line: 5, Kind: StepExpect},
		}}
		Compare(sc, rec)
		if got := rec.Steps[1].Verdict; got != tc.verdict {
			t.Errorf("%s: %s (%+v), want %s", tc.name, got, rec.Steps[1].Check, tc.verdict)
		}
	}
}
