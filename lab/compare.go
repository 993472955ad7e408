package lab

import (
	"fmt"
	"strings"

	"github.com/teardown-net/teardown/scenario"
)

// OS is the operating system whose expectations a run is compared with.
const OS = scenario.Linux

// Compare sets the verdict of every step of rec and of rec itself from the
// expectations the run copied beside its results. It reads only what the
// run recorded.
func Compare(rec *Record) {
	if rec.Verdict == Skipped {
		return
	}
	last := -1 // the op or sleep step an expect statement checks
	for i := range rec.Steps {
		st := &rec.Steps[i]
		switch {
		case st.Skip:
			st.Verdict = Unchecked
		case st.Kind == StepExpect:
			if last < 0 {
				st.Verdict = Unchecked
				st.Check.Observed = "nothing before it to check"
				continue
			}
			st.Verdict, st.Check.Observed = check(st.Check.Expect, &rec.Steps[last])
		default:
			last = i
			st.Verdict = Unchecked
			if st.Expected != nil && st.Result != nil {
				st.Verdict = Match
				if !st.Expected.Equal(*st.Result) {
					st.Verdict = Differs
				}
			}
			if st.Seed != nil && st.Result != nil {
				st.SeedDiffers = !st.Seed.Equal(*st.Result)
			}
		}
	}
	rec.Verdict = Match
	if rec.Error != "" {
		rec.Verdict = Differs
	}
	for _, st := range rec.Steps {
		if st.Verdict == Differs {
			rec.Verdict = Differs
		}
	}
}

// check compares one expect statement with the step before it.
func check(e scenario.Expect, st *Step) (Verdict, string) {
	switch e.Kind {
	case scenario.ExpectWire:
		// The runner leaves Packets nil when it could not capture, and
		// makes it empty when it captured nothing.
		if st.Packets == nil {
			return Unchecked, "no capture in this environment"
		}
		var seen []string
		found := false
		for _, p := range st.Packets {
			if p.From == e.Actor && p.To == e.Peer {
				seen = append(seen, p.Flags)
				if hasFlags(p.Flags, e.Flags) {
					found = true
				}
			}
		}
		obs := fmt.Sprintf("%s>%s: %s", e.Actor, e.Peer, orNone(seen))
		if found != e.Not {
			return Match, obs
		}
		return Differs, obs
	case scenario.ExpectReason:
		if st.Events == nil {
			return Unchecked, "no kernel tracing in this environment"
		}
		var seen []string
		for _, ev := range st.Events {
			if ev.Name == "tcp_send_reset" && ev.Actor == e.Actor {
				seen = append(seen, ev.Reason)
				if ev.Reason == e.Name {
					return Match, "RST from " + e.Actor + ": " + strings.Join(seen, ", ")
				}
			}
		}
		return Differs, "RST from " + e.Actor + ": " + orNone(seen)
	case scenario.ExpectState, scenario.ExpectRecvQ, scenario.ExpectSendQ:
		if st.Sockets == nil {
			return Unchecked, "no socket states in this environment"
		}
		s := SockState{Actor: e.Actor, State: "CLOSE"}
		for _, x := range st.Sockets {
			if x.Actor == e.Actor {
				s = x
			}
		}
		var ok bool
		var obs string
		switch e.Kind {
		case scenario.ExpectState:
			ok, obs = s.State == e.Name, s.State
		case scenario.ExpectRecvQ:
			ok, obs = int(s.RecvQ) == e.N, fmt.Sprint(s.RecvQ)
		default:
			ok, obs = int(s.SendQ) == e.N, fmt.Sprint(s.SendQ)
		}
		obs = fmt.Sprintf("%s %s %s", e.Actor, e.Kind, obs)
		if ok {
			return Match, obs
		}
		return Differs, obs
	}
	return Unchecked, "unknown check " + string(e.Kind)
}

// hasFlags reports whether the tcpdump-style flags of a packet ("R.",
// "P.", "S") include every letter of want ('.' is ACK).
func hasFlags(flags, want string) bool {
	for _, c := range want {
		if !strings.ContainsRune(flags, c) {
			return false
		}
	}
	return true
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, " ")
}
