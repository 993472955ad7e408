//go:build darwin || freebsd || linux

package portable

import (
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/scenario"
)

func newRun(t *testing.T, tr scenario.Transport) *Run {
	t.Helper()
	r, err := New(tr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	if err := r.Setup(scenario.SetupConnected, nil); err != nil {
		t.Fatal(err)
	}
	return r
}

func do(t *testing.T, r *Run, op scenario.Op) scenario.Result {
	t.Helper()
	out, err := r.Do(&op)
	if err != nil {
		t.Fatalf("%s %s: %v", op.Actor, op.Kind, err)
	}
	return out.Result
}

// SIGPIPE belongs to the call that raised it and to no other: not to a
// call with MSG_NOSIGNAL after it, and not to a call made while a SIGPIPE
// from elsewhere (here, the test's own kill) was pending.
func TestSIGPIPEPerCall(t *testing.T) {
	r := newRun(t, scenario.Socketpair)
	do(t, r, scenario.Op{Actor: "server", Kind: scenario.OpClose})
	write := scenario.Op{Actor: "client", Kind: scenario.OpWrite, Data: []byte("x")}
	quiet := scenario.Op{Actor: "client", Kind: scenario.OpSend, Data: []byte("x"), NoSignal: true}
	steps := []struct {
		op     scenario.Op
		before func()
		want   string
	}{
		{op: write, want: "EPIPE+SIGPIPE"},
		{op: quiet, want: "EPIPE"},
		{op: write, want: "EPIPE+SIGPIPE"},
		{op: quiet, before: func() { unix.Kill(unix.Getpid(), syscall.SIGPIPE) }, want: "EPIPE"},
		{op: quiet, want: "EPIPE"},
		{op: write, want: "EPIPE+SIGPIPE"},
	}
	for i, s := range steps {
		if s.before != nil {
			s.before()
		}
		if got := do(t, r, s.op).String(); got != s.want {
			t.Errorf("call %d (%s): %s, want %s", i, s.op.Kind, got, s.want)
		}
	}
}

// Each socket's state is its own descriptor's, and a closed descriptor's
// socket is not reported at all.
func TestStates(t *testing.T) {
	r := newRun(t, scenario.TCP4)
	want := map[string]string{"listener": "LISTEN", "client": "ESTABLISHED", "server": "ESTABLISHED"}
	check := func() {
		t.Helper()
		got := map[string]string{}
		for _, s := range r.States() {
			got[s.Actor] = s.State.String()
		}
		if len(got) != len(want) {
			t.Errorf("states %v, want %v", got, want)
		}
		for a, w := range want {
			if got[a] != w {
				t.Errorf("%s: %s, want %s", a, got[a], w)
			}
		}
	}
	check()
	do(t, r, scenario.Op{Actor: "server", Kind: scenario.OpClose})
	if !r.Settle(5 * time.Second) {
		t.Error("not settled after 5s")
	}
	delete(want, "server")
	want["client"] = "CLOSE_WAIT"
	check()
}

// A refused scenario names what it lacks; a loopback one is run.
func TestRefusal(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"scenario a\ntitle \"a\"\non tcp4\nclient write \"x\" -> 1\n", ""},
		{"scenario a\ntitle \"a\"\non tcp4\nnet direct\nclient write \"x\" -> 1\n", "net direct builds hosts from network namespaces, which the portable runner does not have"},
		{"scenario a\ntitle \"a\"\non tcp4\nclient read 1 async\n", "line 4: async calls need a thread of their own per call, which the portable runner does not make"},
	} {
		sc, err := scenario.Parse("a.td", []byte(tc.src))
		if err != nil {
			t.Fatal(err)
		}
		if got := Refusal(sc, scenario.TCP4); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.src, got, tc.want)
		}
	}
}

// A CLOSE read through a descriptor after FIN_WAIT2 may be a connection in
// TIME_WAIT where the system hides it; one after a reset from ESTABLISHED
// is plainly CLOSE.
func TestCloseUnsure(t *testing.T) {
	stateOf := func(r *Run, actor string) State {
		t.Helper()
		if !r.Settle(5 * time.Second) {
			t.Error("not settled after 5s")
		}
		for _, s := range r.States() {
			if s.Actor == actor {
				return s
			}
		}
		t.Fatalf("no state for %s", actor)
		return State{}
	}
	r := newRun(t, scenario.TCP4)
	do(t, r, scenario.Op{Actor: "client", Kind: scenario.OpShutdown, How: "wr"})
	if s := stateOf(r, "client"); s.State.String() != "FIN_WAIT2" {
		t.Errorf("after shutdown wr: client %v, want FIN_WAIT2", s.State)
	}
	do(t, r, scenario.Op{Actor: "server", Kind: scenario.OpShutdown, How: "wr"})
	s := stateOf(r, "client")
	switch {
	case s.State.String() == "TIME_WAIT" && s.Unsure == "":
	case s.State.String() == "CLOSE" && s.Unsure != "" && closeUnsure != "":
	default:
		t.Errorf("after both FINs: client %v (unsure %q), want TIME_WAIT, or CLOSE marked unsure", s.State, s.Unsure)
	}

	r.Close()
	r = newRun(t, scenario.TCP4)
	do(t, r, scenario.Op{Actor: "client", Kind: scenario.OpWrite, Data: []byte("x")})
	stateOf(r, "client")
	do(t, r, scenario.Op{Actor: "server", Kind: scenario.OpClose})
	if s := stateOf(r, "client"); s.State.String() != "CLOSE" || s.Unsure != "" {
		t.Errorf("after the peer's reset: client %v (unsure %q), want CLOSE, sure", s.State, s.Unsure)
	}
}

// Linux has every transport the catalog uses.
func TestProbe(t *testing.T) {
	for _, tr := range scenario.Transports {
		if err := Probe(tr); err != nil && runtime.GOOS == "linux" {
			t.Errorf("%s: %v", tr, err)
		}
	}
}

// A blocking accept with nothing to accept is ended at the limit and said
// to be blocked; one with a connection queued returns it.
func TestAcceptBlocked(t *testing.T) {
	r, err := New(scenario.TCP4, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Setup(scenario.SetupListening, nil); err != nil {
		t.Fatal(err)
	}
	accept := scenario.Op{Actor: "listener", Kind: scenario.OpAccept}
	if got := do(t, r, accept).String(); got != "blocked" {
		t.Errorf("accept with nothing queued: %s, want blocked", got)
	}
	if got := do(t, r, scenario.Op{Actor: "client", Kind: scenario.OpConnect, Target: "listener"}).String(); got != "ok" {
		t.Fatalf("connect: %s", got)
	}
	if got := do(t, r, accept).String(); got != "ok" {
		t.Errorf("accept with a connection queued: %s, want ok", got)
	}
}
