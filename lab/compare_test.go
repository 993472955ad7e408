package lab

import (
	"testing"

	"github.com/teardown-net/teardown/scenario"
)

func TestCheck(t *testing.T) {
	step := &Step{
		Packets: []Packet{{From: "client", To: "server", Flags: "F."}, {From: "server", To: "client", Flags: "R"}},
		Events:  []Event{{Name: "tcp_send_reset", Actor: "server", Reason: "TCP_ABORT_ON_CLOSE"}},
		Sockets: []SockState{{Actor: "client", State: "FIN_WAIT2"}, {Actor: "server", State: "CLOSE_WAIT", RecvQ: 1}},
	}
	unobserved := &Step{}
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
	} {
		got, obs := check(tc.e, tc.st)
		if got != tc.want {
			t.Errorf("%s: %s (%s), want %s", tc.name, got, obs, tc.want)
		}
	}
}

func TestCompareNeverTrustsExpectations(t *testing.T) {
	five := scenario.Result{Kind: scenario.ResultCount, N: 5}
	reset := scenario.Result{Kind: scenario.ResultErrno, Errno: "ECONNRESET"}
	rec := &Record{Steps: []Step{
		{Kind: "op", Result: &five, Expected: &five},
		{Kind: "op", Result: &five, Expected: &reset, Seed: &reset},
		{Kind: "op", Result: &reset},
	}}
	Compare(rec)
	if rec.Verdict != Differs {
		t.Errorf("record verdict %s, want differs", rec.Verdict)
	}
	want := []Verdict{Match, Differs, Unchecked}
	for i, st := range rec.Steps {
		if st.Verdict != want[i] {
			t.Errorf("step %d: %s, want %s", i, st.Verdict, want[i])
		}
	}
	if !rec.Steps[1].SeedDiffers {
		t.Error("a seed claim the kernel did not follow is not flagged")
	}
}
