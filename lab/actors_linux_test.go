package lab_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/observe/ktrace"
	"github.com/teardown-net/teardown/scenario"
)

// Every state change the kernel reports lands on the actor whose socket
// changed, even where sockets connect side by side and a connecting
// socket's first events carry no local port: two clients of one listener,
// and three clients of two listeners.
func TestStateEventsOnTheirOwnActor(t *testing.T) {
	if !root() {
		t.Skip("tracing needs root")
	}
	// tracefs's inet_sock_set_state gives no socket cookie: a connecting
	// socket's first event, which has no local port, can only be named by
	// its address where two sockets connect to one listener.
	byCookie := os.Getenv(lab.ObserverEnv) != "tracefs"
	for _, src := range []string{`scenario t/two-clients
title "two clients connect to one listener"
setup none
on tcp4 tcp6
listener socket
listener bind
listener listen
a socket
a connect listener -> ok
b socket
b connect listener -> ok
listener accept as sa
listener accept as sb
a close
b close
sa close
sb close
`, `scenario t/two-listeners
title "three clients connect to two listeners"
setup none
on tcp4 tcp6
l1 socket
l1 bind
l1 listen
l2 socket
l2 bind
l2 listen
a socket
a connect l1 -> ok
b socket
b connect l2 -> ok
c socket
c connect l1 -> ok
l1 accept as sa
l2 accept as sb
l1 accept as sc
sb close
a close
c close
b close
sa close
sc close
`} {
		for _, r := range run(t, src) {
			if !r.Env.Trace {
				t.Fatalf("%s: no kernel tracing: %v", r.Transport, r.Limits)
			}
			checkOwnStateEvents(t, r, byCookie)
		}
	}
}

// checkOwnStateEvents checks that each actor's state changes follow one
// another (each leaves the state the one before entered, the first leaves
// CLOSE, or LISTEN for a socket a listener made), and that the step of an
// actor's connect or listen holds that actor's first change. Without
// cookies (tracefs) a change may be named by an address with no port, not
// an actor; the changes named by actor must still follow one another.
func checkOwnStateEvents(t *testing.T, r *lab.Record, byCookie bool) {
	t.Helper()
	actors := map[string]bool{}
	for _, st := range r.Steps {
		if st.Actor != "" {
			actors[st.Actor] = true
		}
		if st.Op == scenario.OpAccept {
			actors[acceptedAs(st.Text)] = true
		}
	}
	last := map[string]string{}
	for _, st := range r.Steps {
		for _, ev := range st.Events {
			if ev.Name != ktrace.SetState {
				continue
			}
			if !actors[ev.Actor] && !byCookie && strings.HasSuffix(ev.Actor, ":0") {
				continue
			}
			if !actors[ev.Actor] {
				t.Errorf("%s: line %d: %s -> %s credited to %q, no actor of the run\n%s", r.Transport, st.Line, ev.From, ev.To, ev.Actor, timeline(r))
				continue
			}
			prev, ok := last[ev.Actor]
			switch {
			case !ok && ev.From != "CLOSE" && ev.From != "LISTEN" && (byCookie || ev.From != "SYN_SENT"):
				t.Errorf("%s: line %d: %s's first change leaves %s\n%s", r.Transport, st.Line, ev.Actor, ev.From, timeline(r))
			case ok && ev.From != prev:
				t.Errorf("%s: line %d: %s goes %s -> %s, but it was in %s: another socket's change\n%s", r.Transport, st.Line, ev.Actor, ev.From, ev.To, prev, timeline(r))
			}
			last[ev.Actor] = ev.To
		}
		want := map[scenario.OpKind][2]string{scenario.OpConnect: {"CLOSE", "SYN_SENT"}, scenario.OpListen: {"CLOSE", "LISTEN"}}[st.Op]
		if want[0] != "" && (byCookie || st.Op == scenario.OpListen) && !slices.ContainsFunc(st.Events, func(ev lab.Event) bool {
			return ev.Name == ktrace.SetState && ev.Actor == st.Actor && ev.From == want[0] && ev.To == want[1]
		}) {
			t.Errorf("%s: line %d: %s has no %s -> %s of its own\n%s", r.Transport, st.Line, st.Text, want[0], want[1], timeline(r))
		}
	}
}

// acceptedAs is the actor an accept step names ("listener accept as sa").
func acceptedAs(text string) string {
	f := strings.Fields(text)
	if i := slices.Index(f, "as"); i >= 0 && i+1 < len(f) {
		return f[i+1]
	}
	return "server"
}
