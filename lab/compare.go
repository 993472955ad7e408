package lab

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/teardown-net/teardown/scenario"
)

// OS is the operating system whose expectations a run made here is
// compared with; a record names its own in Env.OS.
const OS = runtime.GOOS

// Compare resolves what the scenario expects of each step of rec on this
// OS and rec's transport, checks it against what the run recorded, and sets
// the verdict of every step and of rec. It reads only the scenario and the
// record: nothing the run decided while the kernel ran.
func Compare(sc *scenario.Scenario, rec *Record) {
	if rec.Verdict == Skipped {
		return
	}
	os := rec.Env.OS
	if os == "" {
		os = OS
	}
	stmts := map[int]*scenario.Step{} // one statement a line
	for i := range sc.Steps {
		stmts[sc.Steps[i].Pos.Line] = &sc.Steps[i]
	}
	var reasons map[string]bool // nil when the kernel does not say
	if rec.Env.Reasons != nil {
		reasons = map[string]bool{}
		for _, r := range rec.Env.Reasons {
			reasons[r] = true
		}
	}
	last := -1 // the op, sleep or fault step an expect statement checks
	for i := range rec.Steps {
		st := &rec.Steps[i]
		s := stmts[st.Line]
		if st.Line == 0 {
			s = nil // the setup
		}
		switch {
		case st.Kind == StepExpect && s != nil && s.Expect != nil:
			st.Check = &Check{Expect: *s.Expect}
			if e := s.Expect; e.Kind == scenario.ExpectReason && reasons != nil && !reasons[e.Name] {
				st.Check.Note = fmt.Sprintf("this kernel (%s) has no RST reason named %s", rec.Env.Kernel, e.Name)
			}
		case st.Kind == StepOp && s != nil && s.Op != nil:
			resolve(s.Op.Expect, os, rec.Transport, st)
		}
		switch {
		case st.Skip:
			st.Verdict = Unchecked
		case st.Kind == StepExpect:
			if st.Check == nil {
				st.Check = &Check{}
			}
			if last < 0 {
				st.Verdict = Unchecked
				st.Check.Observed = "nothing before it to check"
				continue
			}
			st.Verdict, st.Check.Observed = check(st.Check.Expect, &rec.Steps[last])
			if why := unseen(st.Check.Expect, &rec.Steps[last], rec.Env); why != "" {
				st.Verdict, st.Check.Note = Unchecked, why
			}
			if st.Check.Expect.Kind == scenario.ExpectReason && reasons == nil && st.Verdict == Differs {
				// A kernel that names no reason, or whose names could
				// not be read, cannot be held to one.
				st.Verdict = Unchecked
				st.Check.Note = "the kernel's RST reason names are not known here"
			}
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
	// Running out of descriptors comes first: what the runner said after
	// it is a consequence.
	if why := starved(rec.Steps); why != "" {
		rec.Error = strings.TrimSuffix(why+"; then: "+rec.Error, "; then: ")
	}
	if rec.Error != "" {
		rec.Verdict = Failed
		return
	}
	rec.Verdict = Match
	for _, st := range rec.Steps {
		if st.Verdict == Differs {
			rec.Verdict = Differs
		}
	}
}

// starved says so when a call failed for want of file descriptors (the
// process's limit, or the system's) where the scenario expected something
// else: what the lab was given ran out, which tells nothing of how the
// kernel ends connections.
func starved(steps []Step) string {
	for _, st := range steps {
		if st.Verdict != Differs || st.Result == nil || st.Result.Kind != scenario.ResultErrno {
			continue
		}
		if e := st.Result.Errno; e == "EMFILE" || e == "ENFILE" {
			return fmt.Sprintf("line %d: %s ran out of file descriptors (%s), expected %s", st.Line, st.Op, e, st.Expected)
		}
	}
	return ""
}

// resolve sets beside the step's result what the statement expects of it
// here, what a source claims, and what other OSes are documented to do.
func resolve(e *scenario.Expectation, os string, t scenario.Transport, st *Step) {
	st.Expected, st.Seed, st.Documented = nil, nil, nil
	if e == nil {
		return
	}
	if res, _, ok := e.Resolve(os, t); ok {
		st.Expected = &res
	}
	if res, ok := e.Seed(t); ok {
		st.Seed = &res
	}
	for _, a := range e.Alternatives {
		if a.Seed || a.OS == "" || a.OS == os || (len(a.Transports) > 0 && !scenario.Guard(a.Transports).Has(t)) {
			continue
		}
		st.Documented = append(st.Documented, Documented{OS: a.OS, Result: a.Result, Measured: !a.Documented})
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
			if p.ICMP == "" && p.From == e.Actor && p.To == e.Peer {
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
	case scenario.ExpectTook:
		obs := fmt.Sprintf("took %v", st.Took.Round(time.Microsecond))
		var ok bool
		switch e.Cmp {
		case "<":
			ok = st.Took < e.D
		case "<=":
			ok = st.Took <= e.D
		case ">":
			ok = st.Took > e.D
		case ">=":
			ok = st.Took >= e.D
		default:
			return Unchecked, "unknown comparison " + e.Cmp
		}
		if ok {
			return Match, obs
		}
		return Differs, obs
	case scenario.ExpectUnread:
		for _, u := range st.Unread {
			if u.Actor == e.Actor {
				obs := fmt.Sprintf("%s unread %d", e.Actor, u.Bytes)
				if u.Bytes == e.N {
					return Match, obs
				}
				return Differs, obs
			}
		}
		return Differs, e.Actor + ": no count of bytes to read (FIONREAD fails on a listener, on a pipe's write end and on a closed descriptor)"
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

// unseen says why a state or queue check cannot be held against what a
// portable run observed, "" when it can: such a run reads states through
// each socket's own descriptor, so it sees neither a socket whose
// descriptor is closed nor netstat's queues.
func unseen(e scenario.Expect, st *Step, env Env) string {
	if !env.Portable || st.Sockets == nil {
		return ""
	}
	switch e.Kind {
	case scenario.ExpectRecvQ, scenario.ExpectSendQ:
		return "the portable runner does not observe netstat's queues"
	case scenario.ExpectState:
		for _, x := range st.Sockets {
			if x.Actor == e.Actor {
				return x.Unsure
			}
		}
		return "the portable runner sees a TCP state only through an open descriptor, and the actor's is closed"
	}
	return ""
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
