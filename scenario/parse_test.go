package scenario

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// dump writes s in a stable text form for golden files.
func dump(s *Scenario) string {
	var b strings.Builder
	fmt.Fprintf(&b, "id %s at %v\ntitle %q\n", s.ID, s.Pos, s.Title)
	for _, src := range s.Source {
		fmt.Fprintf(&b, "source %q %q\n", src.Document, src.Part)
	}
	for _, n := range s.Notes {
		fmt.Fprintf(&b, "note %q\n", n)
	}
	fmt.Fprintf(&b, "on %v\nsetup %s\nnet %s\nlimit %v\n", s.On, s.Setup, s.Net, s.Limit)
	for _, st := range s.Steps {
		fmt.Fprintf(&b, "\n%d:%d %q\n", st.Pos.Line, st.Pos.Col, st.Text)
		if st.Guard != nil {
			fmt.Fprintf(&b, "  guard %v\n", st.Guard)
		}
		switch {
		case st.Op != nil:
			o := *st.Op
			o.Expect = nil
			data := o.Data
			o.Data = nil
			fmt.Fprintf(&b, "  op %+v data=%q\n", o, data)
			if e := st.Op.Expect; e != nil {
				fmt.Fprintf(&b, "  -> %s at %d:%d\n", e.Default, e.Pos.Line, e.Pos.Col)
				for _, a := range e.Alternatives {
					fmt.Fprintf(&b, "     alt at %d:%d os=%q transports=%v seed=%v documented=%v result=%s\n",
						a.Pos.Line, a.Pos.Col, a.OS, a.Transports, a.Seed, a.Documented, a.Result)
				}
			}
		case st.Sleep > 0:
			fmt.Fprintf(&b, "  sleep %v\n", st.Sleep)
		case st.Fault != nil:
			fmt.Fprintf(&b, "  fault %+v\n", *st.Fault)
		case st.Expect != nil:
			fmt.Fprintf(&b, "  expect %+v\n", *st.Expect)
		}
	}
	return b.String()
}

// TestExamples parses the worked examples and compares their syntax trees
// with the golden files next to them.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob("testdata/examples/*.td")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, err := ParseFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got := dump(s)
			golden := strings.TrimSuffix(f, ".td") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("syntax tree differs from %s (go test -update rewrites it):\n%s", golden, got)
			}
		})
	}
}

// TestDocExamples checks that every complete scenario in the language
// reference (the ```td blocks) parses.
func TestDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../docs/scenario-language.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```td\n(.*?)```").FindAllSubmatch(doc, -1)
	if len(blocks) < 4 {
		t.Fatalf("found %d td blocks in the reference, want at least 4 worked examples", len(blocks))
	}
	for i, b := range blocks {
		if _, err := Parse(fmt.Sprintf("block%d.td", i+1), b[1]); err != nil {
			t.Errorf("example %d of the reference does not parse:\n%v\n%s", i+1, err, b[1])
		}
	}
}

const hdr = "scenario t\ntitle \"t\"\non tcp\n"

func TestParseGood(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name  string
		src   string
		check func(t *testing.T, s *Scenario)
	}{
		{"defaults", hdr + "client close\n", func(t *testing.T, s *Scenario) {
			want := &Scenario{ID: "t", Title: "t", On: []Transport{TCP4, TCP6}, Setup: SetupConnected, Net: NetLoopback, Limit: 2 * time.Second,
				File: "t.td", Pos: Pos{"t.td", 1, 1},
				Steps: []Step{{Pos: Pos{"t.td", 4, 1}, Text: "client close", Op: &Op{Actor: "client", Kind: OpClose}}}}
			if !reflect.DeepEqual(s, want) {
				t.Errorf("got %+v\nwant %+v", s, want)
			}
		}},
		{"header", "# comment\n\nscenario a-b/c.d9 # why\ntitle \"x \\\"y\\\" \\x41\\n\"\nsource \"doc.txt\"\nsource \"doc.txt\" \"example 2\"\nnote \"n1\"\nnote \"n2\"\non pipe all tcp4\nsetup connected\nlimit 1.5s\nclient close\n",
			func(t *testing.T, s *Scenario) {
				if s.ID != "a-b/c.d9" || s.Title != "x \"y\" A\n" || s.Limit != 1500*ms || s.Pos.Line != 3 {
					t.Errorf("got id %q title %q limit %v pos %v", s.ID, s.Title, s.Limit, s.Pos)
				}
				if !reflect.DeepEqual(s.Source, []Source{{"doc.txt", ""}, {"doc.txt", "example 2"}}) || !reflect.DeepEqual(s.Notes, []string{"n1", "n2"}) {
					t.Errorf("got sources %v notes %v", s.Source, s.Notes)
				}
				if !reflect.DeepEqual(s.On, Transports) {
					t.Errorf("on: got %v, want every transport in order", s.On)
				}
			}},
		{"crlf and tabs", "scenario t\r\ntitle\t\"t\"\r\non\ttcp4\r\n\tclient\tclose\t-> ok\r\n", func(t *testing.T, s *Scenario) {
			if st := s.Steps[0]; st.Text != "client\tclose\t-> ok" || st.Pos.Col != 2 || st.Op.Expect.Default.Kind != ResultOK {
				t.Errorf("got %+v", st)
			}
		}},
		{"bind addresses", hdr + `setup none
a socket
a bind "127.0.0.1:8080" -> ok
a bind "[::]:0" -> EINVAL
a bind "a.sock"
a bind "@lab" -> EADDRINUSE
a bind "./1.sock"
`, func(t *testing.T, s *Scenario) {
			want := []string{"", "127.0.0.1:8080", "[::]:0", "a.sock", "@lab", "./1.sock"}
			for i, st := range s.Steps {
				if st.Op.Address != want[i] || st.Op.Target != "" {
					t.Errorf("step %d: address %q target %q, want address %q", i, st.Op.Address, st.Op.Target, want[i])
				}
			}
			for in, want := range map[string]BindAddress{
				"127.0.0.1:8080":       {Kind: AddressIP, IP: netip.MustParseAddrPort("127.0.0.1:8080")},
				"[::ffff:127.0.0.1]:1": {Kind: AddressIP, IP: netip.MustParseAddrPort("[::ffff:127.0.0.1]:1")},
				"a.sock":               {Kind: AddressPath, Name: "a.sock"},
				"@lab":                 {Kind: AddressAbstract, Name: "lab"},
			} {
				if got, err := ParseBindAddress(in); err != nil || got != want {
					t.Errorf("ParseBindAddress(%q) = %+v, %v, want %+v", in, got, err, want)
				}
			}
		}},
		{"epoll", hdr + `server epoll in,rdhup edge timeout 0 -> EPOLLIN|EPOLLRDHUP
server epoll out timeout 10ms -> 0
server epoll in interrupt 50ms -> EINTR
server epoll in timeout 0ms
`, func(t *testing.T, s *Scenario) {
			want := []Op{
				{Actor: "server", Kind: OpEpoll, Events: []string{"in", "rdhup"}, Edge: true, Now: true},
				{Actor: "server", Kind: OpEpoll, Events: []string{"out"}, Timeout: 10 * ms},
				{Actor: "server", Kind: OpEpoll, Events: []string{"in"}, Interrupt: 50 * ms},
				{Actor: "server", Kind: OpEpoll, Events: []string{"in"}, Now: true},
			}
			for i, st := range s.Steps {
				got := *st.Op
				got.Expect = nil
				if !reflect.DeepEqual(got, want[i]) {
					t.Errorf("step %d: got %+v, want %+v", i, got, want[i])
				}
			}
			if r := s.Steps[0].Op.Expect.Default; r.Kind != ResultEvents || strings.Join(r.Events, "|") != "EPOLLIN|EPOLLRDHUP" {
				t.Errorf("result %+v", r)
			}
		}},
		{"async", hdr + `server read 16 interrupt 100ms async -> EINTR
client poll in timeout 1s async
client write 5 async
`, func(t *testing.T, s *Scenario) {
			want := []Op{
				{Actor: "server", Kind: OpRead, Size: 16, Interrupt: 100 * ms, Async: true},
				{Actor: "client", Kind: OpPoll, Events: []string{"in"}, Timeout: time.Second, Async: true},
				{Actor: "client", Kind: OpWrite, Data: []byte("xxxxx"), Async: true},
			}
			for i, st := range s.Steps {
				got := *st.Op
				got.Expect = nil
				if !reflect.DeepEqual(got, want[i]) {
					t.Errorf("step %d: got %+v, want %+v", i, got, want[i])
				}
			}
		}},
		{"inject", hdr + `inject server>client R
tcp4: inject client>server S. seq=-3 ack=+7 len=10
inject client>server S seq=-1000 ts=+1000
inject client>server . ts=0
`, func(t *testing.T, s *Scenario) {
			want := []Inject{
				{From: "server", To: "client", Flags: "R"},
				{From: "client", To: "server", Flags: "S.", Seq: -3, Ack: 7, Len: 10},
				{From: "client", To: "server", Flags: "S", Seq: -1000, Timestamp: true, TS: 1000},
				{From: "client", To: "server", Flags: ".", Timestamp: true},
			}
			for i, st := range s.Steps {
				if st.Inject == nil || *st.Inject != want[i] {
					t.Errorf("step %d: got %+v, want %+v", i, st.Inject, want[i])
				}
			}
			if g := s.Steps[1].Guard; len(g) != 1 || g[0] != TCP4 {
				t.Errorf("guard %v", g)
			}
		}},
		{"socket family", "scenario t\ntitle \"t\"\non tcp6\nsetup none\nnet direct\nc socket tcp4 -> ok\nd socket tcp6 at server\nc setsockopt IPV6_V6ONLY 1\n", func(t *testing.T, s *Scenario) {
			if f := s.Steps[0].Op.Family; f != TCP4 {
				t.Errorf("c: family %q, want tcp4", f)
			}
			if op := s.Steps[1].Op; op.Family != TCP6 || op.Host != "server" {
				t.Errorf("d: family %q host %q, want tcp6 at server", op.Family, op.Host)
			}
			if op := s.Steps[2].Op; op.Option != "IPV6_V6ONLY" || op.Value != 1 {
				t.Errorf("setsockopt: %+v", op)
			}
		}},
		{"accept and connect async", hdr + "setup none\nl socket\nl bind\nl listen\nl accept as s async -> EINVAL\nc socket\nc connect l async -> ECONNRESET\ns read 1\n", func(t *testing.T, s *Scenario) {
			if op := s.Steps[3].Op; !op.Async || op.As != "s" || op.Expect.Default.Errno != "EINVAL" {
				t.Errorf("accept: %+v", op)
			}
			if op := s.Steps[5].Op; !op.Async || op.Target != "l" {
				t.Errorf("connect: %+v", op)
			}
		}},
		{"send oob", hdr + "client send \"x\" oob\nclient send 1 oob nosignal -> 1\nclient setsockopt SO_OOBINLINE 1\nexpect wire client>server PU.\n", func(t *testing.T, s *Scenario) {
			if op := s.Steps[0].Op; !op.OOB || op.NoSignal || string(op.Data) != "x" {
				t.Errorf("send oob: %+v", op)
			}
			if op := s.Steps[1].Op; !op.OOB || !op.NoSignal {
				t.Errorf("send oob nosignal: %+v", op)
			}
			if e := s.Steps[3].Expect; e.Flags != "PU." {
				t.Errorf("expect wire flags %q", e.Flags)
			}
		}},
		{"name taken again after close", hdr + "client close\nclient socket\nclient connect listener\nserver close\nlistener accept as server\n", func(t *testing.T, s *Scenario) {
			if len(s.Steps) != 5 || s.Steps[1].Op.Kind != OpSocket || s.Steps[4].Op.As != "server" {
				t.Errorf("steps %+v", s.Steps)
			}
		}},
		{"fastopen", hdr + `setup listening
client connect listener fastopen "hello" -> 5
`, func(t *testing.T, s *Scenario) {
			op := s.Steps[0].Op
			if !op.FastOpen || string(op.Data) != "hello" || op.Target != "listener" || op.Expect.Default.N != 5 {
				t.Errorf("got %+v", op)
			}
		}},
		{"Operations", hdr + `setup none
l socket
l bind -> ok
l listen
l listen 0
c socket
c connect l -> EINPROGRESS
l accept as s2 -> ok
c write "a#b" nosignal -> 3
c send 100 -> 100
s2 read 16 nonblock -> EAGAIN
s2 read 4 interrupt 100ms timeout 1s -> EINTR
s2 shutdown rdwr
c linger 0
c linger off
c nonblock on
c nonblock off
c setsockopt SO_LINGER 5
c setsockopt SO_LINGER off
c setsockopt TCP_USER_TIMEOUT 200
c getsockopt SO_ERROR -> ECONNRESET
c getsockopt SO_RCVBUF -> 131072
c getsockopt SO_LINGER -> 5
c poll rdhup,in timeout 10ms -> 0
c poll out -> POLLOUT|POLLERR|POLLHUP
c write 1 -> EWOULDBLOCK
`, func(t *testing.T, s *Scenario) {
			want := []Op{
				{Actor: "l", Kind: OpSocket},
				{Actor: "l", Kind: OpBind},
				{Actor: "l", Kind: OpListen, Backlog: 16},
				{Actor: "l", Kind: OpListen, Backlog: 0},
				{Actor: "c", Kind: OpSocket},
				{Actor: "c", Kind: OpConnect, Target: "l"},
				{Actor: "l", Kind: OpAccept, As: "s2"},
				{Actor: "c", Kind: OpWrite, Data: []byte("a#b"), NoSignal: true},
				{Actor: "c", Kind: OpSend, Data: []byte(strings.Repeat("x", 100))},
				{Actor: "s2", Kind: OpRead, Size: 16, Nonblock: true},
				{Actor: "s2", Kind: OpRead, Size: 4, Timeout: time.Second, Interrupt: 100 * ms},
				{Actor: "s2", Kind: OpShutdown, How: "rdwr"},
				{Actor: "c", Kind: OpLinger, Linger: 0},
				{Actor: "c", Kind: OpLinger, Linger: -1},
				{Actor: "c", Kind: OpNonblock, On: true},
				{Actor: "c", Kind: OpNonblock, On: false},
				{Actor: "c", Kind: OpSetsockopt, Option: "SO_LINGER", Linger: 5},
				{Actor: "c", Kind: OpSetsockopt, Option: "SO_LINGER", Linger: -1},
				{Actor: "c", Kind: OpSetsockopt, Option: "TCP_USER_TIMEOUT", Value: 200},
				{Actor: "c", Kind: OpGetsockopt, Option: "SO_ERROR"},
				{Actor: "c", Kind: OpGetsockopt, Option: "SO_RCVBUF"},
				{Actor: "c", Kind: OpGetsockopt, Option: "SO_LINGER"},
				{Actor: "c", Kind: OpPoll, Events: []string{"in", "rdhup"}, Timeout: 10 * ms},
				{Actor: "c", Kind: OpPoll, Events: []string{"out"}},
				{Actor: "c", Kind: OpWrite, Data: []byte("x")},
			}
			results := []string{"", "ok", "", "", "", "EINPROGRESS", "ok", "3", "100", "EAGAIN", "EINTR", "", "", "", "", "", "", "", "", "ECONNRESET", "131072", "5", "0", "POLLERR|POLLHUP|POLLOUT", "EAGAIN"}
			if len(s.Steps) != len(want) {
				t.Fatalf("got %d steps, want %d", len(s.Steps), len(want))
			}
			for i, st := range s.Steps {
				got := *st.Op
				got.Expect = nil
				if !reflect.DeepEqual(got, want[i]) {
					t.Errorf("step %d (%s): got %+v, want %+v", i, st.Text, got, want[i])
				}
				r := ""
				if e := st.Op.Expect; e != nil {
					r = e.Default.String()
				}
				if r != results[i] {
					t.Errorf("step %d (%s): result %q, want %q", i, st.Text, r, results[i])
				}
			}
		}},
		{"results and alternatives", "scenario t\ntitle \"t\"\non all\n" +
			"client write 5 -> EPIPE+SIGPIPE   darwin: 5 documented  seed: ECONNRESET  tcp: ECONNRESET  unix,pipe: blocked  freebsd/local: 0  seed/tcp4: 5 documented  linux/socketpair: EPIPE\n",
			func(t *testing.T, s *Scenario) {
				e := s.Steps[0].Op.Expect
				if !e.Default.Equal(Result{Kind: ResultErrno, Errno: "EPIPE", SIGPIPE: true}) || e.Pos.Col != 19 {
					t.Errorf("default %v at %v", e.Default, e.Pos)
				}
				type alt struct {
					col       int
					os        string
					ts        []Transport
					seed, doc bool
					result    string
				}
				want := []alt{
					{35, "darwin", nil, false, true, "5"},
					{57, "", nil, true, false, "ECONNRESET"},
					{75, "", []Transport{TCP4, TCP6}, false, false, "ECONNRESET"},
					{92, "", []Transport{Unix, Pipe}, false, false, "blocked"},
					{112, "freebsd", []Transport{Unix, UnixPacket, Socketpair}, false, false, "0"},
					{130, "", []Transport{TCP4}, true, true, "5"},
					{155, "linux", []Transport{Socketpair}, false, false, "EPIPE"},
				}
				if len(e.Alternatives) != len(want) {
					t.Fatalf("got %d alternatives, want %d", len(e.Alternatives), len(want))
				}
				for i, a := range e.Alternatives {
					got := alt{a.Pos.Col, a.OS, a.Transports, a.Seed, a.Documented, a.Result.String()}
					if !reflect.DeepEqual(got, want[i]) {
						t.Errorf("alternative %d: got %+v, want %+v", i, got, want[i])
					}
				}
				for _, c := range []struct {
					os   string
					tr   Transport
					want string
					doc  bool
				}{
					{"linux", TCP6, "ECONNRESET", false},
					{"linux", Socketpair, "EPIPE", false},
					{"linux", UnixPacket, "EPIPE+SIGPIPE", false},
					{"darwin", Pipe, "5", true},
					{"freebsd", Unix, "0", false},
				} {
					r, doc, ok := e.Resolve(c.os, c.tr)
					if !ok || r.String() != c.want || doc != c.doc {
						t.Errorf("Resolve(%s, %s) = %v, %v, %v; want %s, %v", c.os, c.tr, r, doc, ok, c.want, c.doc)
					}
				}
				if r, ok := e.Seed(TCP4); !ok || r.String() != "ECONNRESET" {
					t.Errorf("Seed(tcp4) = %v, %v; want the first seed alternative", r, ok)
				}
			}},
		{"guards and expects", "scenario t\ntitle \"t\"\non tcp4 unix socketpair\n" +
			"unix,socketpair: server close\ntcp: client write 3 -> 3\nexpect tcp: no wire client>server RP.\nexpect tcp4: reason server TCP_RESET\nexpect tcp: state client FIN_WAIT2\nexpect tcp: recvq server 3\nexpect tcp: sendq client 0\nlocal: sleep 250ms\n",
			func(t *testing.T, s *Scenario) {
				wantGuards := []Guard{{Unix, Socketpair}, {TCP4}, {TCP4}, {TCP4}, {TCP4}, {TCP4}, {TCP4}, {Unix, Socketpair}}
				wantExpects := []*Expect{nil, nil,
					{Kind: ExpectWire, Not: true, Actor: "client", Peer: "server", Flags: "RP."},
					{Kind: ExpectReason, Actor: "server", Name: "TCP_RESET"},
					{Kind: ExpectState, Actor: "client", Name: "FIN_WAIT2"},
					{Kind: ExpectRecvQ, Actor: "server", N: 3},
					{Kind: ExpectSendQ, Actor: "client", N: 0},
					nil}
				for i, st := range s.Steps {
					if !reflect.DeepEqual(st.Guard, wantGuards[i]) || !reflect.DeepEqual(st.Expect, wantExpects[i]) {
						t.Errorf("step %d (%s): guard %v expect %+v, want %v %+v", i, st.Text, st.Guard, st.Expect, wantGuards[i], wantExpects[i])
					}
				}
				if s.Steps[7].Sleep != 250*time.Millisecond {
					t.Errorf("sleep: got %v", s.Steps[7].Sleep)
				}
			}},
		{"net direct", "scenario t\ntitle \"t\"\nnet direct\non tcp\n" +
			"client setsockopt TCP_USER_TIMEOUT 300 -> ok\nfault drop server\ntcp4: fault heal server\nfault noroute client\nfault reboot client\nfault heal client\n",
			func(t *testing.T, s *Scenario) {
				if s.Net != NetDirect {
					t.Errorf("net: got %q, want direct", s.Net)
				}
				want := []*Fault{nil, {Kind: FaultDrop, Host: "server"}, {Kind: FaultHeal, Host: "server"}, {Kind: FaultNoRoute, Host: "client"}, {Kind: FaultReboot, Host: "client"}, {Kind: FaultHeal, Host: "client"}}
				for i, st := range s.Steps {
					if !reflect.DeepEqual(st.Fault, want[i]) {
						t.Errorf("step %d (%s): fault %+v, want %+v", i, st.Text, st.Fault, want[i])
					}
				}
				if g := s.Steps[2].Guard; !reflect.DeepEqual(g, Guard{TCP4}) || s.Steps[2].Pos.Col != 1 {
					t.Errorf("guarded fault: guard %v at %v", g, s.Steps[2].Pos)
				}
			}},
		{"net routed", "scenario t\ntitle \"t\"\non tcp6\nnet routed\nsetup none\n" +
			"l socket at server\nl bind\nl listen\nc socket\nc2 socket at client\nc connect l -> ok\nl accept as s -> ok\n" +
			"fault unreachable server\nfault unreachable client prohibited\nfault noroute router\nfault heal router\nfault drop client\nfault reboot server\n",
			func(t *testing.T, s *Scenario) {
				if s.Net != NetRouted || s.Setup != SetupNone {
					t.Errorf("got net %q setup %q", s.Net, s.Setup)
				}
				hosts := []string{"server", "", "", "", "client", "", ""}
				for i, h := range hosts {
					if s.Steps[i].Op.Host != h {
						t.Errorf("step %d (%s): host %q, want %q", i, s.Steps[i].Text, s.Steps[i].Op.Host, h)
					}
				}
				want := []Fault{{FaultUnreachable, "server", "host"}, {FaultUnreachable, "client", "prohibited"}, {FaultNoRoute, "router", ""}, {FaultHeal, "router", ""}, {FaultDrop, "client", ""}, {FaultReboot, "server", ""}}
				for i, f := range want {
					st := s.Steps[len(hosts)+i]
					if st.Fault == nil || *st.Fault != f || st.Op != nil {
						t.Errorf("step %s: got fault %+v, want %+v", st.Text, st.Fault, f)
					}
				}
			}},
		{"net direct listening", "scenario t\ntitle \"t\"\non tcp4\nsetup listening\nnet direct\nclient connect listener -> ok\nlistener accept -> ok\nfault reboot server\n",
			func(t *testing.T, s *Scenario) {
				if s.Net != NetDirect || s.Setup != SetupListening || len(s.Steps) != 3 || *s.Steps[2].Fault != (Fault{Kind: FaultReboot, Host: "server"}) {
					t.Errorf("got %+v", s)
				}
			}},
		{"net loopback written", "scenario t\ntitle \"t\"\non all\nnet loopback\nclient close\n", func(t *testing.T, s *Scenario) {
			if s.Net != NetLoopback {
				t.Errorf("net: got %q, want loopback", s.Net)
			}
		}},
		{"listening", "scenario t\ntitle \"t\"\non tcp unix unixpacket\nsetup listening\nclient connect listener -> ok\nlistener accept -> ok\nserver read 1 -> blocked\n",
			func(t *testing.T, s *Scenario) {
				if s.Setup != SetupListening || s.Steps[1].Op.As != "server" || s.Steps[2].Op.Expect.Default.Kind != ResultBlocked {
					t.Errorf("got %+v", s)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.td", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}

func TestParseErrors(t *testing.T) {
	const tcpunix = "scenario t\ntitle \"t\"\non tcp unix\n"
	const none = "scenario t\ntitle \"t\"\non tcp\nsetup none\n"
	tests := []struct {
		src  string
		want string
	}{
		// Lexical errors.
		{hdr + "client write \"x\n", `t.td:4:14: quoted text is not terminated, expected a closing " before the end of the line`},
		{hdr + "client write \"x\\q\"\n", `t.td:4:16: unknown escape \q in quoted text, expected \", \\, \n, \t, \r or \xHH`},
		{hdr + "client write \"\\x4\"\n", `t.td:4:15: invalid escape \x4", expected \x and two hexadecimal digits`},
		{hdr + "client write \"x\\", `t.td:4:16: quoted text ends in "\", expected an escape such as \" or \\ and a closing "`},
		{hdr + "client close : x\n", `t.td:4:14: unexpected ":", expected a label such as "tcp:" or "darwin:" with no space before the colon`},
		{hdr + "\"x\"\n", `t.td:4:1: unexpected quoted text at the start of a statement, expected a keyword such as title or expect, or an actor`},

		// Header.
		{"title \"t\"\non tcp\nclient close\n", `t.td:1:1: expected "scenario ID" as the first statement, found "title"`},
		{"scenario Bad\ntitle \"t\"\non tcp\nclient close\n", `t.td:1:10: invalid scenario ID "Bad": it must start with a lower-case letter`},
		{"scenario a_b\ntitle \"t\"\non tcp\nclient close\n", `t.td:1:10: invalid scenario ID "a_b": '_' is not allowed, expected lower-case letters, digits, '-', '.' and '/'`},
		{"scenario a//b\ntitle \"t\"\non tcp\nclient close\n", `t.td:1:10: invalid scenario ID "a//b": empty part between slashes, expected names such as close-unread/read`},
		{"scenario a/../b\ntitle \"t\"\non tcp\nclient close\n", `t.td:1:10: invalid scenario ID "a/../b": ".." cannot be a part, expected names such as close-unread/read`},
		{hdr + "not wrte\n", `t.td:4:5: unknown operation "wrte", expected one of socket, bind, listen, connect, accept, write, send, read, close, shutdown, linger, nonblock, setsockopt, getsockopt, poll, epoll, dup or unlink (did you mean "write"?)`},
		{"scenario\ntitle \"t\"\non tcp\nclient close\n", `t.td:1:9: missing ID after "scenario", expected a scenario ID such as close-unread/read`},
		{"scenario t\non tcp\nclient close\n", `t.td:1:1: missing "title" statement, expected title "TEXT" in the header`},
		{"scenario t\ntitle \"t\"\nclient close\n", `t.td:1:1: missing "on" statement, expected the transports to run on in the header, e.g. "on tcp unix"`},
		{hdr, `t.td:1:1: no steps after the header, expected at least one operation`},
		{"# only a comment\n\n", `t.td:1:1: no statements, expected "scenario ID", "title TEXT", "on TRANSPORTS" and at least one step`},
		{hdr + "client write 5 -> 5 darwin: 5 documented documented\n", `t.td:4:42: documented given twice, expected it once after a result`},
		{hdr + "client linger\n", `t.td:4:14: missing seconds after "linger", expected seconds from 0 to 2147483647 or off`},
		{"scenario t\ntitle \"\"\non tcp\nclient close\n", `t.td:2:7: empty title, expected the title as quoted text`},
		{"scenario t\ntitle t\non tcp\nclient close\n", `t.td:2:7: unexpected "t", expected the title as quoted text`},
		{"scenario t\ntitle \"t\"\ntitle \"u\"\non tcp\nclient close\n", `t.td:3:1: duplicate "title" statement, the first is at line 2`},
		{"scenario t\ntitle \"t\"\non tcp5\nclient close\n", `t.td:3:4: unknown transport "tcp5", expected one of tcp4, tcp6, unix, unixpacket, socketpair, pipe, tcp, local, all (did you mean "tcp4"?)`},
		{"scenario t\ntitle \"t\"\non\nclient close\n", `t.td:3:3: missing transports after on, expected one or more of tcp4, tcp6, unix, unixpacket, socketpair, pipe, tcp, local, all`},
		{hdr + "setup listenin\nclient close\n", `t.td:4:7: unknown setup "listenin", expected one of connected, listening or none (did you mean "listening"?)`},
		{"scenario t\ntitle \"t\"\non tcp socketpair pipe\nsetup listening\nclient close\n", `t.td:4:7: setup listening cannot apply to socketpair, pipe, whose two endpoints exist from the start; expected setup connected, or "on tcp" without them`},
		{"scenario t\ntitle \"t\"\nsetup none\non all\nclient close\n", `t.td:3:7: setup none cannot apply to socketpair, pipe, whose two endpoints exist from the start; expected setup connected, or "on tcp unix unixpacket" without them`},
		{hdr + "limit 1\nclient close\n", `t.td:4:7: missing unit in duration "1", expected e.g. 1ms or 1s`},
		{hdr + "limit 1x\nclient close\n", `t.td:4:7: invalid duration "1x", expected a duration such as 100ms or 1.5s`},
		{hdr + "limit -1s\nclient close\n", `t.td:4:7: limit -1s is not longer than zero, expected a duration such as 100ms or 1.5s`},
		{hdr + "limit 61s\nclient close\n", `t.td:4:7: limit 61s is longer than the maximum, expected at most 1m`},
		{hdr + "source \"a\" \"b\" \"c\"\nclient close\n", `t.td:4:16: unexpected quoted text after quoted text, expected the end of the statement`},
		{hdr + "client close\ntitle \"again\"\n", `t.td:5:1: "title" must come before the first step (line 4), expected all header statements first`},
		{hdr + "tcp: limit 1s\nclient close\n", `t.td:4:1: "limit" cannot have a guard: header statements apply to every transport`},
		{hdr + "titel \"x\"\n", `t.td:4:1: unknown statement "titel", expected a keyword (scenario, title, source, note, slow, on, setup, limit, net, expect, sleep, fault, sysctl, inject) or an actor and an operation (did you mean "title"?)`},

		// Operations and their arguments.
		{hdr + "client wrte 5\n", `t.td:4:8: unknown operation "wrte", expected one of socket, bind, listen, connect, accept, write, send, read, close, shutdown, linger, nonblock, setsockopt, getsockopt, poll, epoll, dup or unlink (did you mean "write"?)`},
		{hdr + "client\n", `t.td:4:7: missing operation after "client", expected one of socket, bind, listen, connect, accept, write, send, read, close, shutdown, linger, nonblock, setsockopt, getsockopt, poll, epoll, dup or unlink`},
		{hdr + "write \"x\"\n", `t.td:4:1: missing actor before "write", expected ACTOR write, e.g. "client write"`},
		{hdr + "Client close\n", `t.td:4:1: invalid actor name "Client", expected lower-case letters, digits and '_', starting with a letter`},
		{hdr + "sleep close\n", `t.td:4:7: invalid duration "close", expected a duration such as 100ms or 1.5s`},
		{hdr + "client connect setup\n", `t.td:4:16: "setup" is a keyword and cannot name an actor, expected a name such as client or peer2`},
		{hdr + "client close extra\n", `t.td:4:14: unexpected "extra" after "close", expected the end of the statement`},
		{hdr + "client read\n", `t.td:4:12: missing size after "read", expected a whole number from 0 to 16777216`},
		{hdr + "client connect server fastopen 0\n", `t.td:4:32: byte count 0 is out of range, expected a whole number from 1 to 16777216`},
		{hdr + "client read 99999999999999999999999\n", `t.td:4:13: size 99999999999999999999999 is out of range, expected a whole number from 0 to 16777216`},
		{hdr + "client read -1\n", `t.td:4:13: invalid size "-1", expected a whole number from 0 to 16777216`},
		{hdr + "client read 16 timeout 5s\n", `t.td:4:24: timeout 5s is longer than the step limit 2s, expected at most 2s or a larger "limit" in the header`},
		{hdr + "client read 16 nonblock timeout 1s\n", `t.td:4:13: a nonblock read never waits, expected no timeout or interrupt with nonblock`},
		{hdr + "client read 16 timeout 1s interrupt 1s\n", `t.td:4:13: interrupt 1s comes after the read times out (timeout 1s), expected an interrupt shorter than the timeout`},
		{hdr + "client read 16 timeout 1s timeout 1s\n", `t.td:4:27: timeout given twice in read, expected it at most once`},
		{hdr + "client read 16 nonblok\n", `t.td:4:16: unexpected "nonblok" in read, expected nonblock, timeout, interrupt, peek, waitall, oob or trunc (did you mean "nonblock"?)`},
		{hdr + "client write \"\"\n", `t.td:4:14: empty data for write, expected at least one byte (or a count of 0 for a write of none)`},
		{hdr + "client write\n", `t.td:4:13: missing data after write, expected quoted text or a number of bytes from 0 to 16777216`},
		{hdr + "client send 16777217\n", `t.td:4:13: byte count 16777217 is out of range, expected a whole number from 0 to 16777216`},
		{hdr + "client write 5 nosignl\n", `t.td:4:16: unexpected "nosignl" after the data, expected nosignal, "->" or the end of the statement (did you mean "nosignal"?)`},
		{hdr + "client shutdown wrr\n", `t.td:4:17: unknown shutdown direction "wrr", expected one of rd, wr or rdwr (did you mean "wr"?)`},
		{hdr + "client linger never\n", `t.td:4:15: invalid linger value "never", expected seconds from 0 to 2147483647 or off`},
		{hdr + "client linger of\n", `t.td:4:15: invalid linger value "of", expected seconds from 0 to 2147483647 or off (did you mean "off"?)`},
		{hdr + "client nonblock yes\n", `t.td:4:17: unexpected "yes" after nonblock, expected on or off`},
		{hdr + "client accept server\n", `t.td:4:15: unexpected "server" after accept, expected "as NAME" or the end of the statement`},
		{hdr + "client listen -1\n", `t.td:4:15: invalid backlog "-1", expected a whole number from 0 to 2147483647`},
		{hdr + "client connect \"x\"\n", `t.td:4:16: unexpected quoted text, expected the actor to connect to, e.g. listener`},
		{hdr + "client setsockopt SO_ERROR 1\n", `t.td:4:19: SO_ERROR cannot be set, expected one of SO_LINGER, SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_USER_TIMEOUT, TCP_NODELAY, SO_RCVBUF, SO_SNDBUF, TCP_LINGER2, SO_REUSEADDR, SO_RCVTIMEO, SO_SNDTIMEO, TCP_FASTOPEN, TCP_FASTOPEN_CONNECT, IPV6_V6ONLY, SO_OOBINLINE (read it with getsockopt SO_ERROR)`},
		{hdr + "client setsockopt TCP_NODELAY\n", `t.td:4:30: missing value after "TCP_NODELAY", expected a whole number from 0 to 2147483647`},
		{hdr + "client setsockopt SO_KEEPALIVE on\n", `t.td:4:32: invalid value "on", expected a whole number from 0 to 2147483647`},
		{hdr + "client getsockopt SO_EROR -> 0\n", `t.td:4:19: unknown option "SO_EROR", expected one of SO_LINGER, SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_USER_TIMEOUT, TCP_NODELAY, SO_RCVBUF, SO_SNDBUF, TCP_LINGER2, SO_REUSEADDR, SO_RCVTIMEO, SO_SNDTIMEO, TCP_FASTOPEN, TCP_FASTOPEN_CONNECT, IPV6_V6ONLY, SO_OOBINLINE, SO_ERROR, SO_TYPE, SO_ACCEPTCONN (did you mean "SO_ERROR"?)`},
		{"scenario t\ntitle \"t\"\non tcp pipe\nserver read 1 nonblock\n", `t.td:4:8: read nonblock needs recv(2) with MSG_DONTWAIT, which a pipe does not have; expected a guard without pipe such as "tcp:" (on a pipe, "nonblock on" before a plain read does not block)`},
		{"scenario t\ntitle \"t\"\non pipe\nserver read 1 timeout 1s\n", `t.td:4:8: read timeout needs the socket option SO_RCVTIMEO, which a pipe does not have; expected "on" without pipe (on a pipe, "nonblock on" before a plain read does not block)`},
		{"scenario t\ntitle \"t\"\non unix pipe\nserver read 1 peek\n", `t.td:4:8: read peek needs recv(2) and its flags, which a pipe does not have; expected a guard without pipe such as "unix:" (on a pipe, "nonblock on" before a plain read does not block)`},
		{"scenario t\ntitle \"t\"\non unix\nserver read 1 peek peek\n", `t.td:4:20: peek given twice in read, expected it at most once`},
		{"scenario t\ntitle \"t\"\non unix\nclient write 5 interrupt 5s\n", `t.td:4:26: interrupt 5s is longer than the step limit 2s, expected at most 2s or a larger "limit" in the header`},
		{"scenario t\ntitle \"t\"\non unix\nclient bind nobody\n", `t.td:4:13: unknown actor "nobody", expected one of client, server, listener`},
		{"scenario t\ntitle \"t\"\non tcp\nclient bind \"127.0.0.1:99999\"\n", `t.td:4:13: invalid bind address "127.0.0.1:99999" (invalid port "99999" parsing "127.0.0.1:99999"), expected an IP address and port such as "127.0.0.1:8080" or "[::1]:0", a relative unix path such as "a.sock", or "@name"`},
		{"scenario t\ntitle \"t\"\non tcp\nclient bind \"127.0.0.1\"\n", `t.td:4:13: invalid bind address "127.0.0.1" (not an ip:port), expected an IP address and port such as "127.0.0.1:8080" or "[::1]:0", a relative unix path such as "a.sock", or "@name"`},
		{"scenario t\ntitle \"t\"\non unix\nclient bind \"/tmp/a.sock\"\n", `t.td:4:13: absolute path "/tmp/a.sock": paths are relative to the run's directory, so that the run leaves nothing behind; expected an IP address and port such as "127.0.0.1:8080" or "[::1]:0", a relative unix path such as "a.sock", or "@name"`},
		{"scenario t\ntitle \"t\"\non unix\nclient bind \"x/../../a.sock\"\n", `t.td:4:13: path "x/../../a.sock" leaves the run's directory, expected a path inside it such as "a.sock"`},
		{"scenario t\ntitle \"t\"\non unix\nclient bind \"@\"\n", `t.td:4:13: abstract name "@" must have 1 to 63 bytes after '@'`},
		{"scenario t\ntitle \"t\"\non unix\nclient bind \"a.sock\" listener\n", `t.td:4:22: unexpected "listener" after quoted text, expected the end of the statement`},
		{"scenario t\ntitle \"t\"\non tcp\nsysctl kernel.pid_max 5\n", `t.td:4:8: invalid sysctl "kernel.pid_max": only the network namespace's own settings can be set, expected a name under "net." such as net.ipv4.tcp_fin_timeout`},
		{"scenario t\ntitle \"t\"\nnet direct\non tcp\nsysctl net.ipv4.tcp_fin_timeout 1\n", `t.td:5:8: unknown host "net.ipv4.tcp_fin_timeout", expected client or server`},
		{"scenario t\ntitle \"t\"\non tcp unix\nlistener unlink\n", `t.td:4:10: unlink removes a unix socket's path, and tcp4, tcp6 has none; expected a guard such as "unix:"`},
		{"scenario t\ntitle \"t\"\non unix\nclient dup client2x\n", `t.td:4:12: unexpected "client2x" after dup, expected "as NAME"`},
		{"scenario t\ntitle \"t\"\non unix\nclient dup as server\n", `t.td:4:15: actor "server" already exists (made by setup connected), expected a new name after "as"`},
		{"scenario t\ntitle \"t\"\non unix\nclient close\nexpect took => 1s\n", `t.td:5:13: unknown comparison "=>" after took, expected one of <, <=, > or >=, e.g. "expect took >= 1s"`},
		{hdr + "server epoll none\n", `t.td:4:14: epoll none would register nothing, expected events separated by commas from in, out, rdhup or pri`},
		{hdr + "server epoll in edge edge\n", `t.td:4:22: edge given twice in epoll, expected it at most once`},
		{hdr + "server epoll in -> POLLIN\n", `t.td:4:20: epoll returns EPOLL events, found POLLIN; expected epoll events such as EPOLLIN|EPOLLOUT, 0 (timed out), an errno name or blocked`},
		{hdr + "server poll in -> EPOLLIN\n", `t.td:4:19: poll returns POLL events, found EPOLLIN; expected poll events such as POLLIN|POLLOUT, 0 (timed out), an errno name or blocked`},
		{hdr + "server epoll in -> EPOLLNVAL\n", `t.td:4:20: unknown epoll event "EPOLLNVAL", expected EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLHUP, EPOLLERR or EPOLLPRI`},
		{hdr + "server epoll in level\n", `t.td:4:17: unexpected "level" after the events, expected edge or timeout, "->" or the end of the statement`},
		{hdr + "server epoll EPOLLIN\n", `t.td:4:14: unknown epoll event "EPOLLIN", expected in, out, rdhup or pri (did you mean "in"?)`},
		{hdr + "client close async\n", `t.td:4:14: close cannot be async, expected async only after read, write, send, poll, accept or connect`},
		{"scenario t\ntitle \"t\"\non tcp pipe\nserver read 1 async\n", `t.td:4:8: read async runs on a thread of its own, which the lab does not do for a pipe; expected a guard without pipe such as "tcp:"`},
		{hdr + "inject client server R\n", "t.td:4:8: expected FROM>TO such as client>server, found \"client\""},
		{hdr + "inject client>client R\n", "t.td:4:8: inject client>client needs the two actors of a connection, expected FROM>TO"},
		{"scenario t\ntitle \"t\"\non tcp4 unix\ntcp4: client close\nclient socket\n", `t.td:5:1: actor "client" already exists on unix (made by setup connected), expected a new name for socket, or a close of client before`},
		{hdr + "client write \"x\" oob\n", `t.td:4:18: oob is a flag of send(2) (MSG_OOB), and write(2) has no flags; expected send DATA oob`},
		{hdr + "client send \"x\" oob oob\n", `t.td:4:21: oob given twice, expected each option at most once`},
		{hdr + "client send \"x\" urgent\n", `t.td:4:17: unexpected "urgent" after the data, expected nosignal, oob, "->" or the end of the statement`},
		{hdr + "inject client>server PU\n", "t.td:4:23: unknown TCP flag 'U' in \"PU\", expected letters from S, F, R, P and \".\" (ACK)"},
		{hdr + "inject client>server Rx\n", "t.td:4:23: unknown TCP flag 'x' in \"Rx\", expected letters from S, F, R, P and \".\" (ACK)"},
		{hdr + "inject client>server R seq=abc\n", "t.td:4:28: invalid seq offset \"abc\", expected a whole number from -2147483648 to +2147483648 (added to the connection's next sequence number)"},
		{hdr + "inject client>server R ack=5\n", "t.td:4:24: ack=5 without the ACK flag: a segment without \".\" carries no acknowledgment; expected \".\" in the flags, e.g. R."},
		{hdr + "inject client>server R. ack=-5 len=2000\n", "t.td:4:36: len 2000 is out of range, expected a whole number from 0 to 1400"},
		{hdr + "inject client>server S win=5\n", "t.td:4:24: unexpected \"win=5\" in inject, expected seq=N, ack=N, len=N or ts=N"},
		{hdr + "inject client>server S ts=1.5\n", "t.td:4:27: invalid ts offset \"1.5\", expected a whole number from -2147483648 to +2147483648 (added to the sender's last timestamp value)"},
		{hdr + "inject client>server S ts=1 ts=2\n", "t.td:4:29: ts given twice in inject, expected it at most once"},
		{hdr + "inject client>server R seq=1 seq=2\n", "t.td:4:30: seq given twice in inject, expected it at most once"},
		{hdr + "inject client>nobody R\n", "t.td:4:15: unknown actor \"nobody\", expected one of client, server, listener"},
		{"scenario t\ntitle \"t\"\non tcp unix\ninject client>server R\n", "t.td:4:1: inject makes a TCP segment, and unix carries none; expected a guard such as \"tcp:\" or \"on tcp\""},
		{"scenario t\ntitle \"t\"\non tcp\nsetup listening\nclient connect listener fastopen\n", `t.td:5:33: missing data after connect, expected quoted text or a number of bytes from 1 to 16777216`},
		{"scenario t\ntitle \"t\"\non tcp\nsetup listening\nclient connect listener fastopn \"x\"\n", `t.td:5:25: unexpected "fastopn" after the target, expected "fastopen DATA", "->" or the end of the statement (did you mean "fastopen"?)`},
		{"scenario t\ntitle \"t\"\non tcp\nsetup listening\nclient connect listener fastopen \"hi\" -> ok\n", `t.td:5:42: connect returns a byte count, found ok; expected the count of bytes sendto(2) took, an errno name or blocked`},
		{"scenario t\ntitle \"t\"\non tcp unix\nsetup none\nc socket tcp4\n", `t.td:5:10: socket tcp4 makes a TCP socket of that IP family, and unix has no IP family; expected a guard such as "tcp:"`},
		{"scenario t\ntitle \"t\"\non tcp\nsetup none\nc socket tcp5\n", `t.td:5:10: unexpected "tcp5" after socket, expected a family (tcp4 or tcp6), "at HOST" or the end of the statement (did you mean "tcp4"?)`},
		{"scenario t\ntitle \"t\"\non tcp\nsetup none\nc socket tcp4 tcp6\n", `t.td:5:15: unexpected "tcp6" after socket, expected "at HOST" or the end of the statement`},
		{"scenario t\ntitle \"t\"\non tcp\nsetup none\nc socket tcp4 at server\n", `t.td:5:15: "at HOST" places a socket on a host, and this scenario runs on loopback, a single host; add "net direct" or "net routed" to the header, or leave out "at"`},
		{"scenario t\ntitle \"t\"\non tcp unix\nsetup listening\nclient connect listener fastopen \"x\"\n", `t.td:5:8: connect fastopen is TCP Fast Open, and unix has no such thing; expected a guard such as "tcp:"`},
		{hdr + "client poll in,oot -> POLLIN\n", `t.td:4:16: unknown poll event "oot", expected in, out, rdhup or pri (did you mean "out"?)`},
		{hdr + "client poll POLLIN\n", `t.td:4:13: unknown poll event "POLLIN", expected in, out, rdhup or pri (did you mean "in"?)`},
		{hdr + "client poll in,,out\n", `t.td:4:16: empty event in "in,,out", expected events separated by single commas`},
		{hdr + "client poll in timeout 3s\n", `t.td:4:24: timeout 3s is longer than the step limit 2s, expected at most 2s or a larger "limit" in the header`},
		{hdr + "sleep 10\n", `t.td:4:7: missing unit in duration "10", expected e.g. 10ms or 10s`},
		{hdr + "sleep 0s\n", `t.td:4:7: sleep 0s is not longer than zero, expected a duration such as 100ms or 1.5s`},
		{hdr + "sleep 2m\n", `t.td:4:7: sleep 2m is longer than the maximum, expected at most 1m`},
		{hdr + "slep 1s\n", `t.td:4:1: unknown statement "slep", expected a keyword (scenario, title, source, note, slow, on, setup, limit, net, expect, sleep, fault, sysctl, inject) or an actor and an operation (did you mean "sleep"?)`},

		// Results.
		{hdr + "client write 5 -> ok\n", `t.td:4:19: write returns a byte count, found ok; expected a byte count, an errno name or blocked`},
		{hdr + "server close -> 5\n", `t.td:4:17: close returns no byte count, found 5; expected ok, an errno name or blocked`},
		{hdr + "server close -> POLLIN\n", `t.td:4:17: close returns no poll events, found POLLIN; expected ok, an errno name or blocked`},
		{hdr + "client read 16 -> ECONNRESTE\n", `t.td:4:19: unknown errno "ECONNRESTE", expected an errno name such as ECONNRESET, EPIPE or ETIMEDOUT (did you mean "ECONNRESET"?)`},
		{hdr + "client read 16 -> econnreset\n", `t.td:4:19: unknown result "econnreset", expected a byte count, ok, blocked, an errno name or poll events (did you mean "ECONNRESET"?)`},
		{hdr + "client read 16 -> blokced\n", `t.td:4:19: unknown result "blokced", expected a byte count, ok, blocked, an errno name or poll events (did you mean "blocked"?)`},
		{hdr + "client read 16 -> 1.5\n", `t.td:4:19: invalid result "1.5", expected a count from 0 to 2147483647`},
		{hdr + "client read 16 -> EPIPE+SIGPIPE\n", `t.td:4:24: +SIGPIPE fits only write and send, found it on read`},
		{hdr + "client write 1 -> EPIPE+SIGPIP\n", `t.td:4:24: unknown suffix "+SIGPIP", expected +SIGPIPE (did you mean "+SIGPIPE"?)`},
		{hdr + "client write 1 -> +SIGPIPE\n", `t.td:4:19: missing result before +SIGPIPE, expected e.g. EPIPE+SIGPIPE`},
		{hdr + "client poll in -> 3\n", `t.td:4:19: poll returns events or 0 (timed out), found 3; expected poll events such as POLLIN|POLLOUT, 0 (timed out), an errno name or blocked`},
		{hdr + "client poll in -> ok\n", `t.td:4:19: poll returns events, found ok; expected poll events such as POLLIN|POLLOUT, 0 (timed out), an errno name or blocked`},
		{hdr + "client poll in -> POLLIN|POLLRDHUB\n", `t.td:4:26: unknown poll event "POLLRDHUB", expected POLLIN, POLLOUT, POLLRDHUP, POLLHUP, POLLERR, POLLPRI or POLLNVAL (did you mean "POLLRDHUP"?)`},
		{hdr + "client poll in -> POLLIN|POLLIN\n", `t.td:4:26: poll event POLLIN given twice in "POLLIN|POLLIN", expected each at most once`},
		{hdr + "client poll in -> POLLIN|\n", `t.td:4:26: empty event in "POLLIN|", expected poll events joined by single '|'`},
		{hdr + "client getsockopt SO_ERROR -> 104\n", `t.td:4:31: getsockopt SO_ERROR gives errors by name, found 104; expected 0 (no pending error) or the pending error's errno name`},
		{hdr + "client getsockopt SO_TYPE -> blocked\n", `t.td:4:30: getsockopt does not block, found blocked; expected the option's value or an errno name`},
		{hdr + "client read 16 ->\n", `t.td:4:18: missing result after "->", expected a byte count, an errno name or blocked`},
		{hdr + "client read 16 -> darwin: 0\n", `t.td:4:19: expected the Linux result after "->", found "darwin:"; expected a byte count, an errno name or blocked`},
		{hdr + "client write 5 -> 5 -> 5\n", `t.td:4:21: unexpected "->" after the result, expected an alternative such as "darwin: 0" or the end of the statement`},
		{hdr + "client read 16 -> ECONNRESET darwn: 0\n", `t.td:4:30: unknown label "darwn:", expected an OS (linux, darwin, freebsd, windows), seed, or transports such as tcp or unix,pipe (did you mean "darwin"?)`},
		{hdr + "client read 16 -> ECONNRESET darwin: 0 documneted\n", `t.td:4:40: unexpected "documneted" after the result, expected an alternative such as "darwin: 0" or the end of the statement (did you mean "documented"?)`},
		{hdr + "client read 16 -> ECONNRESET darwin:\n", `t.td:4:37: missing result after "darwin:", found the end of the statement; expected a byte count, an errno name or blocked`},
		{hdr + "client read 16 -> ECONNRESET linux: 0 documented\n", `t.td:4:39: documented marks a value a document states for another OS or the seed, expected it after darwin:, freebsd:, windows: or seed:, not after "linux:"`},
		{hdr + "client close -> ok documented\n", `t.td:4:20: documented marks an alternative (e.g. "darwin: 0 documented"), expected it after an alternative, not after the Linux result`},
		{hdr + "client read 16 -> ECONNRESET unix: 0\n", `t.td:4:30: label names unix, which is not in the transports this statement runs on (tcp4, tcp6): it would never apply`},
		{tcpunix + "unix: client close -> ok tcp: EBADF\n", `t.td:4:26: label names tcp (tcp4, tcp6), none of which is in the transports this statement runs on (unix): it would never apply`},
		{hdr + "client read 16 -> ECONNRESET darwin/tcp7: 0\n", `t.td:4:37: unknown transport "tcp7" in label, expected one of tcp4, tcp6, unix, unixpacket, socketpair, pipe, tcp, local, all (did you mean "tcp4"?)`},
		{hdr + "client read 16 -> ECONNRESET darwn/tcp: 0\n", `t.td:4:30: unknown OS "darwn" in label "darwn/tcp:", expected linux, darwin, freebsd, windows or seed before "/" (did you mean "darwin"?)`},
		{hdr + "client read 16 -> ECONNRESET darwin/: 0\n", `t.td:4:37: missing transports after "darwin/", expected e.g. "darwin/tcp:"`},
		{hdr + "client read 16 -> ECONNRESET darwin: 0 darwin: 1\n", `t.td:4:40: alternative "darwin:" given twice in this statement (first at column 30), expected each label once`},

		// Guards and expect statements.
		{hdr + "tcp5: client close\n", `t.td:4:1: unknown transport "tcp5" in guard, expected one of tcp4, tcp6, unix, unixpacket, socketpair, pipe, tcp, local, all (did you mean "tcp4"?)`},
		{tcpunix + "tcp,unix,: client close\n", `t.td:4:10: empty transport name in guard "tcp,unix,", expected names separated by single commas`},
		{tcpunix + "tcp,pipe: client close\n", `t.td:4:5: guard names pipe, which is not in "on" (tcp4, tcp6, unix): it would never apply`},
		{hdr + "tcp:\n", `t.td:4:5: missing statement after guard "tcp:", expected an actor and an operation, sleep or fault`},
		{hdr + "client close\ntcp: expect state client CLOSE\n", `t.td:5:1: a guard goes after "expect", expected "expect tcp: ..."`},
		{hdr + "expect wire server>client R\n", `t.td:4:1: expect before any operation, expected it after the operation whose effects it checks`},
		{hdr + "tcp4: client close\nexpect state client CLOSE\n", `t.td:5:1: expect before any operation on tcp6, expected it after the operation whose effects it checks; or guard the statement with "tcp4:"`},
		{hdr + "client close\nexpect wire server>client r\n", `t.td:5:27: unknown TCP flag 'r' in "r", expected letters from S, F, R, P, U and "." (ACK) (did you mean "R"?)`},
		{hdr + "client close\nexpect wire server>client F.F\n", `t.td:5:29: TCP flag 'F' given twice in "F.F", expected each at most once`},
		{hdr + "client close\nexpect wire server>server R\n", `t.td:5:13: wire server>server needs two different actors, expected SENDER>RECEIVER`},
		{hdr + "client close\nexpect wire server->client R\n", `t.td:5:13: expected SENDER>RECEIVER such as server>client, found "server"`},
		{hdr + "client close\nexpect wire server client R\n", `t.td:5:13: expected SENDER>RECEIVER such as server>client, found "server"`},
		{hdr + "client close\nexpect wire server>client\n", `t.td:5:26: missing flags after "server>client", expected TCP flags from S, F, R, P, U and "." (ACK), e.g. R or F.`},
		{hdr + "client close\nexpect wyre server>client R\n", `t.td:5:8: unknown expectation "wyre", expected one of wire, reason, state, recvq, sendq, unread or took (did you mean "wire"?)`},
		{hdr + "client close\nexpect no state client CLOSE\n", `t.td:5:8: "no" applies only to wire, expected "expect state" without it`},
		{hdr + "client close\nexpect state client CLOSED\n", `t.td:5:21: unknown TCP state "CLOSED", expected one of ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN, CLOSING, NEW_SYN_RECV (did you mean "CLOSE"?)`},
		{hdr + "client close\nexpect state client fin_wait2\n", `t.td:5:21: unknown TCP state "fin_wait2", expected one of ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN, CLOSING, NEW_SYN_RECV (did you mean "FIN_WAIT2"?)`},
		{hdr + "client close\nexpect reason client abort\n", `t.td:5:22: invalid reason "abort", expected an upper-case name such as TCP_ABORT_ON_CLOSE (did you mean "ABORT"?)`},
		{hdr + "client close\nexpect recvq client x\n", `t.td:5:21: invalid byte count "x", expected a whole number from 0 to 2147483647`},
		{tcpunix + "client close\nexpect state client CLOSE\n", `t.td:5:8: expect state checks TCP only, but this statement also runs on unix; expected a guard: "expect tcp: state ..."`},
		{"scenario t\ntitle \"t\"\non tcp4 unix\nclient close\nexpect unix: state client CLOSE\n", `t.td:5:14: expect state checks TCP only, but this statement also runs on unix; expected a guard: "expect tcp4: state ..."`},
		{"scenario t\ntitle \"t\"\non unix\nclient close\nexpect wire client>server F\n", `t.td:5:8: expect wire checks TCP only, and "on" names no TCP transport`},
		{"scenario t\ntitle \"t\"\non tcp4\nclient close\nexpect tcp6: state client CLOSE\n", `t.td:5:8: guard names tcp6, which is not in "on" (tcp4): it would never apply`},
		{"scenario t\ntitle \"t\"\non tcp4\nclient close\nexpect local: state client CLOSE\n", `t.td:5:8: guard names local (unix, unixpacket, socketpair), none of which is in "on" (tcp4): it would never apply`},

		// Hosts and faults.
		{hdr + "net drect\nclient close\n", `t.td:4:5: unknown net "drect", expected one of loopback, direct or routed (did you mean "direct"?)`},
		{hdr + "net\nclient close\n", `t.td:4:4: missing network after "net", expected one of loopback, direct or routed`},
		{hdr + "net direct routed\nclient close\n", `t.td:4:12: unexpected "routed" after "direct", expected the end of the statement`},
		{hdr + "net direct\nnet routed\nclient close\n", `t.td:5:1: duplicate "net" statement, the first is at line 4`},
		{hdr + "client close\nnet direct\n", `t.td:5:1: "net" must come before the first step (line 4), expected all header statements first`},
		{"scenario t\ntitle \"t\"\nnet routed\non tcp unix pipe\nclient close\n", `t.td:3:5: net routed carries only tcp4 and tcp6, not unix, pipe; expected "on tcp" (or tcp4 or tcp6 alone), or no "net" for loopback`},
		{"scenario t\ntitle \"t\"\non socketpair\nnet direct\n", `t.td:4:5: net direct carries only tcp4 and tcp6, not socketpair; expected "on tcp" (or tcp4 or tcp6 alone), or no "net" for loopback`},
		{hdr + "fault drop server\n", `t.td:4:1: faults need hosts: add "net direct" or "net routed" to the header (this scenario runs on loopback, a single host)`},
		{hdr + "tcp4: fault drop server\n", `t.td:4:7: faults need hosts: add "net direct" or "net routed" to the header (this scenario runs on loopback, a single host)`},
		{hdr + "net direct\nfault dorp server\n", `t.td:5:7: unknown fault "dorp", expected one of drop, unreachable, noroute, reboot or heal (did you mean "drop"?)`},
		{hdr + "net direct\nfault\n", `t.td:5:6: missing fault after "fault", expected one of drop, unreachable, noroute, reboot or heal`},
		{hdr + "net direct\nfault drop\n", `t.td:5:11: missing host after "drop", expected client or server`},
		{hdr + "net routed\nfault heal\n", `t.td:5:11: missing host after "heal", expected client, router or server`},
		{hdr + "net direct\nfault drop sever\n", `t.td:5:12: unknown host "sever", expected client or server (did you mean "server"?)`},
		{hdr + "net direct\nfault heal \"server\"\n", `t.td:5:12: unexpected quoted text, expected client or server`},
		{hdr + "net direct\nfault drop server now\n", `t.td:5:19: unexpected "now" after "server", expected the end of the statement`},
		{hdr + "net direct\nfault noroute router\n", `t.td:5:15: net direct has no router, expected client or server (net routed adds one)`},
		{hdr + "net direct\nfault unreachable server\n", `t.td:5:7: fault unreachable needs a router to answer for the host, and net direct has none; expected "net routed" in the header`},
		{"scenario t\ntitle \"t\"\nslow\non tcp\n", `t.td:3:5: missing reason after "slow", expected why the scenario cannot be shortened below a second, as quoted text`},
		{hdr + "net routed\nfault unreachable server prohibted\n", `t.td:5:26: unknown unreachable answer "prohibted", expected one of host, net, port, protocol, prohibited or fragmentation (did you mean "prohibited"?)`},
		{hdr + "net routed\nfault unreachable server port now\n", `t.td:5:31: unexpected "now" after "port", expected the end of the statement`},
		{hdr + "net routed\nfault drop server port\n", `t.td:5:19: unexpected "port" after "server", expected the end of the statement`},
		{hdr + "net routed\nfault unreachable router\n", `t.td:5:19: fault unreachable cannot apply to the router: it is the router that answers for the unreachable host; expected client or server`},
		{hdr + "net routed\nfault drop router\n", `t.td:5:12: fault drop cannot apply to the router: its links carry both hosts' traffic; expected client or server`},
		{hdr + "net routed\nfault reboot router\n", `t.td:5:14: fault reboot cannot apply to the router: it has no sockets to forget; expected client or server`},
		{hdr + "net routed\ntcp6,unix: fault drop client\n", `t.td:5:6: guard names unix, which is not in "on" (tcp4, tcp6): it would never apply`},
		{hdr + "net direct\nclient fault drop server\n", `t.td:5:8: unknown operation "fault", expected one of socket, bind, listen, connect, accept, write, send, read, close, shutdown, linger, nonblock, setsockopt, getsockopt, poll, epoll, dup or unlink`},
		{hdr + "client connect fault\n", `t.td:4:16: "fault" is a keyword and cannot name an actor, expected a name such as client or peer2`},
		{none + "l socket at server\n", `t.td:5:10: "at HOST" places a socket on a host, and this scenario runs on loopback, a single host; add "net direct" or "net routed" to the header, or leave out "at"`},
		{none + "net direct\nl socket on server\n", `t.td:6:10: unexpected "on" after socket, expected a family (tcp4 or tcp6), "at HOST" or the end of the statement`},
		{none + "net direct\nl socket at\n", `t.td:6:12: missing host after "at", expected client or server`},
		{none + "net routed\nl socket at router\n", `t.td:6:13: a socket cannot be placed on the router, which only forwards; expected client or server`},
		{none + "net routed\nl socket at severs\n", `t.td:6:13: unknown host "severs", expected client or server (did you mean "server"?)`},
		{none + "net direct\nl socket at server client\n", `t.td:6:20: unexpected "client" after "server", expected the end of the statement`},

		// Actors.
		{hdr + "clinet write 5\n", `t.td:4:1: unknown actor "clinet", expected one of client, server, listener (did you mean "client"?)`},
		{hdr + "client connect lisener\n", `t.td:4:16: unknown actor "lisener", expected one of client, server, listener (did you mean "listener"?)`},
		{hdr + "client close\nexpect wire sever>client R\n", `t.td:5:13: unknown actor "sever", expected one of client, server, listener (did you mean "server"?)`},
		{hdr + "client close\nexpect wire server>clent R\n", `t.td:5:20: unknown actor "clent", expected one of client, server, listener (did you mean "client"?)`},
		{"scenario t\ntitle \"t\"\non tcp socketpair pipe\nlistener close\n", `t.td:4:1: unknown actor "listener" on socketpair, pipe (socketpair and pipe have no listener), expected one of client, server; or guard the statement with "tcp:"`},
		{hdr + "listener accept\n", `t.td:4:10: accept would create "server", which already exists (made by setup connected), expected "accept as NAME" with a new name`},
		{hdr + "listener accept as client\n", `t.td:4:20: actor "client" already exists (made by setup connected), expected a new name after "as"`},
		{hdr + "client socket\n", `t.td:4:1: actor "client" already exists (made by setup connected), expected a new name for socket, or a close of client before`},
		{none + "c socket\nc socket\n", `t.td:6:1: actor "c" already exists (created at line 5), expected a new name for socket, or a close of c before`},
		{"scenario t\ntitle \"t\"\non tcp socketpair\nx socket\n", `t.td:4:3: socket cannot run on socketpair, whose endpoints the setup makes; expected a guard such as "tcp:"`},
		{"scenario t\ntitle \"t\"\non socketpair\nx socket\n", `t.td:4:3: socket cannot run on socketpair, whose endpoints the setup makes; expected "on" without them`},
		{none + "c close\n", `t.td:5:1: unknown actor "c": nothing exists yet with setup none, expected "c socket" first`},
		{none + "c socket\nc connect l\nl socket\n", `t.td:6:11: actor "l" is used before it exists, expected it after line 7, which creates it`},
		{"scenario t\ntitle \"t\"\non tcp unix\nsetup none\nl socket\ntcp: l bind\nc socket\nc connect l\nunix: l accept as s\ns close\n",
			`t.td:10:1: unknown actor "s" on tcp4, tcp6, expected one of l, c; or guard the statement with "unix:"`},

		// Several errors: sorted by position, at most ten.
		{hdr + "a wrte\nsleep 1\nclient close\nb rd\n", "t.td:4:3: unknown operation \"wrte\", expected one of socket, bind, listen, connect, accept, write, send, read, close, shutdown, linger, nonblock, setsockopt, getsockopt, poll, epoll, dup or unlink (did you mean \"write\"?)\n" +
			"t.td:5:7: missing unit in duration \"1\", expected e.g. 1ms or 1s\n" +
			"t.td:7:3: unknown operation \"rd\", expected one of socket, bind, listen, connect, accept, write, send, read, close, shutdown, linger, nonblock, setsockopt, getsockopt, poll, epoll, dup or unlink"},
		{hdr + strings.Repeat("sleep 0s\n", 12), strings.TrimSuffix(func() string {
			var b strings.Builder
			for line := 4; line < 14; line++ {
				fmt.Fprintf(&b, "t.td:%d:7: sleep 0s is not longer than zero, expected a duration such as 100ms or 1.5s\n", line)
			}
			return b.String()
		}(), "\n")},
	}
	for _, tt := range tests {
		last := tt.src[strings.LastIndex(strings.TrimSuffix(tt.src, "\n"), "\n")+1:]
		t.Run(strings.TrimSpace(last), func(t *testing.T) {
			s, err := Parse("t.td", []byte(tt.src))
			if err == nil {
				t.Fatalf("no error, got %+v\nwant %s", s, tt.want)
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, want ErrorList", err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestParseFile(t *testing.T) {
	_, err := ParseFile(filepath.Join(t.TempDir(), "missing.td"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ParseFile of a missing file: got %v, want an error wrapping fs.ErrNotExist", err)
	}
	_, err = ParseFile("testdata/examples/close-unread.td")
	if err != nil {
		t.Errorf("ParseFile: %v", err)
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		word string
		list []string
		want string
	}{
		{"wrte", Operations, "write"},
		{"raed", Operations, "read"},
		{"rd", ShutdownHows, ""}, // itself a member: nothing to suggest
		{"xyz", Operations, ""},
		{"ECONNRESTE", Errnos, "ECONNRESET"},
		{"econnreset", Errnos, "ECONNRESET"},
		{"FIN_WAIT_2", States, "FIN_WAIT2"},
		{"lsten", Operations, "listen"},
		{"", Operations, ""},
	}
	for _, tt := range tests {
		if got := Suggest(tt.word, tt.list); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}
