package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that its errors are an
// ErrorList of at most ten positioned errors in order, and that what it
// accepts keeps the invariants the lab relies on.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/examples/*.td")
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range []string{
		hdr + "client write \"a\\x41\\\"\" nosignal -> 3 darwin/tcp: EPIPE+SIGPIPE documented seed: 0\n",
		hdr + "setup none\nl socket\nl bind\nl listen 1\nc socket\nc connect l -> ok\nl accept as s -> ok\n",
		hdr + "client poll in,out,rdhup timeout 1s -> POLLIN|POLLHUP\nexpect no wire client>server R.\n",
		hdr + "client read 16 nonblock -> EWOULDBLOCK\ntcp4: sleep 10ms\nexpect tcp6: recvq client 0\n",
		hdr + "net direct\nclient setsockopt TCP_USER_TIMEOUT 300\nfault drop server\ntcp4: fault heal server\nfault reboot client\n",
		hdr + "net routed\nsetup none\nl socket at server\nl bind\nl listen\nc socket at client\nfault unreachable server\nc connect l -> EHOSTUNREACH\nfault noroute router\nfault heal router\n",
		hdr + "setup none\na socket\na bind \"[::1]:80\" -> EINVAL\na bind \"@x\"\na bind \"d/a.sock\"\na setsockopt TCP_FASTOPEN 5\nc socket\nc connect a fastopen 5 -> 5\n",
		hdr + "server epoll in,rdhup edge timeout 0 -> EPOLLIN|EPOLLRDHUP\nserver read 16 async -> 0\ninject server>client R. seq=-1 ack=+2 len=3 ts=-5\n",
		hdr + "setup none\nl socket\nl setsockopt IPV6_V6ONLY 0\nl bind \"[::]:0\"\nl listen\nl accept as s async -> EINVAL\nc socket tcp4\nc connect l async -> ok\ns read 1\n",
		hdr + "client send \"x\" oob nosignal -> 1\nserver setsockopt SO_OOBINLINE 1\nexpect wire client>server PU.\nclient close\nclient socket\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		s, err := Parse("f.td", src)
		lines := strings.Count(string(src), "\n") + 1
		if err != nil {
			if s != nil {
				t.Fatalf("Parse returned a scenario and an error")
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, want ErrorList", err)
			}
			if len(list) == 0 || len(list) > maxErrors {
				t.Fatalf("%d errors, want 1 to %d", len(list), maxErrors)
			}
			for i, e := range list {
				if e.Pos.File != "f.td" || e.Pos.Line < 1 || e.Pos.Line > lines || e.Pos.Col < 1 || e.Msg == "" {
					t.Fatalf("bad error %q at %+v (%d lines)", e.Msg, e.Pos, lines)
				}
				if i > 0 {
					p := list[i-1].Pos
					if p.Line > e.Pos.Line || p.Line == e.Pos.Line && p.Col > e.Pos.Col {
						t.Fatalf("errors out of order:\n%v", err)
					}
				}
			}
			return
		}
		if s.ID == "" || s.Title == "" || len(s.On) == 0 || len(s.Steps) == 0 || s.Limit <= 0 || !contains(nets, string(s.Net)) {
			t.Fatalf("accepted an incomplete scenario: %+v", s)
		}
		for _, tr := range s.On {
			if s.Net != NetLoopback && !tr.IsTCP() {
				t.Fatalf("accepted net %s on %s", s.Net, tr)
			}
		}
		for _, st := range s.Steps {
			n := 0
			if st.Op != nil {
				n++
			}
			if st.Sleep > 0 {
				n++
			}
			if st.Expect != nil {
				n++
			}
			if st.Sysctl != nil {
				n++
			}
			if st.Inject != nil {
				n++
				if st.Inject.From == st.Inject.To || st.Inject.Len < 0 || st.Inject.Len > maxInjectLen {
					t.Fatalf("step %q: inject %+v", st.Text, *st.Inject)
				}
			}
			if st.Fault != nil {
				n++
				if !contains(s.Net.Hosts(), st.Fault.Host) || !contains(FaultKinds, string(st.Fault.Kind)) {
					t.Fatalf("step %q: fault %+v on net %s", st.Text, *st.Fault, s.Net)
				}
			}
			if n != 1 {
				t.Fatalf("step %q sets %d of Op, Sleep, Fault, Sysctl, Inject and Expect", st.Text, n)
			}
			if st.Op != nil && st.Op.Host != "" && (st.Op.Kind != OpSocket || st.Op.Host == "router" || !contains(s.Net.Hosts(), st.Op.Host)) {
				t.Fatalf("step %q places a socket on host %q of net %s", st.Text, st.Op.Host, s.Net)
			}
			for _, g := range st.Guard {
				if !Guard(s.On).Has(g) {
					t.Fatalf("step %q is guarded by %s, which is not in on %v", st.Text, g, s.On)
				}
			}
			if st.Op == nil || st.Op.Expect == nil {
				continue
			}
			e := st.Op.Expect
			for _, r := range append([]Result{e.Default}, alternativeResults(e)...) {
				if r.String() == "?" || r.Kind == ResultErrno && (CanonicalErrno(r.Errno) != r.Errno || !contains(Errnos, r.Errno)) {
					t.Fatalf("step %q has result %+v", st.Text, r)
				}
			}
		}
	})
}

func alternativeResults(e *Expectation) []Result {
	var rs []Result
	for _, a := range e.Alternatives {
		rs = append(rs, a.Result)
	}
	return rs
}

// FuzzParseBindAddress checks that ParseBindAddress never panics, and
// that what it accepts is an IP address and port, or a path that stays
// inside the run's directory, or an abstract name.
func FuzzParseBindAddress(f *testing.F) {
	for _, s := range []string{"127.0.0.1:80", "[::1]:0", "[fe80::1%lo]:1", "a.sock", "../a", "@x", "/tmp/a", "1.sock", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseBindAddress(s)
		if err != nil {
			return
		}
		switch a.Kind {
		case AddressIP:
			if !a.IP.IsValid() || a.IP.Addr().Zone() != "" {
				t.Fatalf("%q: accepted %v", s, a.IP)
			}
		case AddressPath:
			c := filepath.Clean(a.Name)
			if filepath.IsAbs(a.Name) || c == ".." || strings.HasPrefix(c, "../") || len(a.Name) > maxUnixPath || strings.ContainsRune(a.Name, 0) {
				t.Fatalf("%q: accepted a path outside the run's directory or too long", s)
			}
		case AddressAbstract:
			if a.Name == "" || "@"+a.Name != s {
				t.Fatalf("%q: abstract name %q", s, a.Name)
			}
		default:
			t.Fatalf("%q: kind %v", s, a.Kind)
		}
	})
}
