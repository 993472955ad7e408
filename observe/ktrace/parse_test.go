package ktrace

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// describe renders the fields of ev that are set, for golden files and
// failure messages.
func describe(ev Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s mono=%v cpu=%d pid=%d comm=%q", ev.Name, ev.Mono, ev.CPU, ev.PID, ev.Comm)
	add := func(k string, v any, set bool) {
		if set {
			fmt.Fprintf(&b, " %s=%v", k, v)
		}
	}
	add("src", ev.Src, ev.Src.IsValid())
	add("dst", ev.Dst, ev.Dst.IsValid())
	add("state", ev.State, ev.State != "")
	add("reason", ev.Reason, ev.Reason != "")
	add("old", ev.OldState, ev.OldState != "")
	add("new", ev.NewState, ev.NewState != "")
	add("error", ev.Error, ev.Error != 0)
	add("cookie", ev.Cookie, ev.Cookie != 0)
	add("message", fmt.Sprintf("%q", ev.Message), ev.Message != "")
	add("lost", ev.Lost, ev.Lost != 0)
	return b.String()
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n%s", path, got)
	}
}

// TestParseLineGolden parses lines captured from Linux 6.18 (a close with
// unread data, a linger-0 close, a connect to a closed port and a graceful
// close, over IPv4 and IPv6).
func TestParseLineGolden(t *testing.T) {
	b, err := os.ReadFile("testdata/lines.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for i, line := range strings.Split(string(b), "\n") {
		ev, ok, err := ParseLine(line)
		if err != nil {
			t.Errorf("line %d: %v", i+1, err)
			continue
		}
		if !ok {
			fmt.Fprintf(&out, "%d: no event\n", i+1)
			continue
		}
		if ev.Raw != line {
			t.Errorf("line %d: Raw %q, want the line", i+1, ev.Raw)
		}
		fmt.Fprintf(&out, "%d: %s\n", i+1, describe(ev))
	}
	golden(t, "lines.golden", out.String())
}

func TestParseLine(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"comm with spaces and dashes",
			"  kworker/u4:2-my task-77-12 [000] d.h1.  1.000001: tcp_send_reset: skbaddr=0 skaddr=0 src=198.18.0.1:80 dest=198.18.0.2:4000 state=TCP_LAST_ACK reason=TCP_TIMEWAIT_SOCKET",
			`tcp_send_reset mono=1.000001s cpu=0 pid=12 comm="kworker/u4:2-my task-77" src=198.18.0.1:80 dst=198.18.0.2:4000 state=LAST_ACK reason=TCP_TIMEWAIT_SOCKET`},
		{"tgid column, no flags column",
			"          <idle>-0       (-------) [003] 12.5: inet_sk_error_report: family=AF_INET6 protocol=IPPROTO_TCP sport=1 dport=2 saddr=0.0.0.0 daddr=0.0.0.0 saddrv6=2001:db8::1 daddrv6=2001:db8::2 error=110",
			`inet_sk_error_report mono=12.5s cpu=3 pid=0 comm="<idle>" src=[2001:db8::1]:1 dst=[2001:db8::2]:2 error=110`},
		{"kernel before 6.10: no reason",
			"x-1 [001] ..... 5.000000: tcp_send_reset: skbaddr=0 skaddr=0 src=[::ffff:127.0.0.1]:1 dest=[::ffff:127.0.0.1]:2 state=TCP_ESTABLISHED",
			`tcp_send_reset mono=5s cpu=1 pid=1 comm="x" src=127.0.0.1:1 dst=127.0.0.1:2 state=ESTABLISHED`},
		{"dual-stack socket",
			"x-1 [001] ..... 5.000000: inet_sock_set_state: family=AF_INET6 protocol=IPPROTO_TCP sport=1 dport=2 saddr=0.0.0.0 daddr=0.0.0.0 saddrv6=::ffff:127.0.0.1 daddrv6=::ffff:127.0.0.1 oldstate=TCP_CLOSE newstate=TCP_SYN_SENT",
			`inet_sock_set_state mono=5s cpu=1 pid=1 comm="x" src=127.0.0.1:1 dst=127.0.0.1:2 old=CLOSE new=SYN_SENT`},
		{"other tracepoint",
			"x-1 [001] ..... 5.000000: tcp_probe: src=127.0.0.1:1 dest=127.0.0.1:2 mark=0x0",
			`tcp_probe mono=5s cpu=1 pid=1 comm="x"`},
		{"marker with colon", "bash-9 [000] ...1. 7.000000: tracing_mark_write: a: b",
			`tracing_mark_write mono=7s cpu=0 pid=9 comm="bash" message="a: b"`},
		{"lost", "CPU:12 [LOST 3 EVENTS]", `LOST mono=0s cpu=12 pid=0 comm="" lost=3`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, ok, err := ParseLine(tt.line)
			if err != nil || !ok {
				t.Fatalf("ParseLine = %t, %v", ok, err)
			}
			if got := describe(ev); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestParseLineErrors(t *testing.T) {
	for _, line := range []string{
		"no columns at all",
		"x-1 [abc] ..... 5.0: tcp_send_reset: src=1.2.3.4:1 dest=1.2.3.4:2 state=X",
		"x [001] ..... 5.0: tcp_send_reset: src=1.2.3.4:1 dest=1.2.3.4:2 state=X",
		"x-1 [001] ..... 5: tcp_send_reset: src=1.2.3.4:1 dest=1.2.3.4:2 state=X",
		"x-1 [001] ..... 5.0: tcp_send_reset: src=1.2.3.4 dest=1.2.3.4:2 state=X",
		"x-1 [001] ..... 5.0: tcp_send_reset: dest=1.2.3.4:2 state=X",
		"x-1 [001] ..... 5.0: inet_sock_set_state: family=AF_INET sport=99999 dport=1 saddr=1.2.3.4 daddr=1.2.3.4 saddrv6=:: daddrv6=:: oldstate=A newstate=B",
		"x-1 [001] ..... 5.0: inet_sk_error_report: family=AF_INET sport=1 dport=1 saddr=1.2.3.4 daddr=1.2.3.4 saddrv6=:: daddrv6=:: error=x",
		"x-1 [001] ..... 5.0: tcp_receive_reset: family=AF_INET sport=1 dport=1 saddr=1.2.3.4 daddr=1.2.3.4 saddrv6=:: daddrv6=:: sock_cookie=zz",
		"x-1 [001] ..... 5.0: tcp_receive_reset: novalue",
		"CPU:1 [LOST many EVENTS]",
	} {
		if ev, ok, err := ParseLine(line); err == nil {
			t.Errorf("ParseLine(%q) = %s, %t; want an error", line, describe(ev), ok)
		}
	}
	for _, line := range []string{"", "   ", "# tracer: nop", "#"} {
		if _, ok, err := ParseLine(line); ok || err != nil {
			t.Errorf("ParseLine(%q) = %t, %v; want no event and no error", line, ok, err)
		}
	}
}

func TestParseReasons(t *testing.T) {
	b, err := os.ReadFile("testdata/tcp_send_reset.format")
	if err != nil {
		t.Fatal(err)
	}
	names, err := ParseReasons(string(b))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "reasons.golden", strings.Join(names, "\n")+"\n")

	// A kernel before 6.10 prints no reason.
	old := "name: tcp_send_reset\nformat:\n\tfield:int state;\n\nprint fmt: \"src=%pISpc dest=%pISpc state=%s\", REC->saddr, REC->daddr, __print_symbolic(REC->state, { 1, \"TCP_ESTABLISHED\" })\n"
	if _, err := ParseReasons(old); err == nil || !strings.Contains(err.Error(), "no reason field") {
		t.Errorf("ParseReasons of a pre-6.10 format: %v, want ErrNoReasons", err)
	}
	for _, bad := range []string{
		"",
		"print fmt: x",
		"\nprint fmt: \"%s\", __print_symbolic(REC->reason, { 0 \"A\" })",
		"\nprint fmt: \"%s\", __print_symbolic(REC->reason, { zero, \"A\" })",
		"\nprint fmt: \"%s\", __print_symbolic(REC->reason, { 0, A })",
		"\nprint fmt: \"%s\", __print_symbolic(REC->reason, { 0, \"A\" ",
		"\nprint fmt: \"%s\", __print_symbolic(REC->reason, )",
		"\nprint fmt: \"%s\", __print_symbolic(REC->reason, x)",
	} {
		if names, err := ParseReasons(bad); err == nil {
			t.Errorf("ParseReasons(%q) = %q, want an error", bad, names)
		}
	}
}

func TestParseStamp(t *testing.T) {
	for s, want := range map[string]time.Duration{
		"601.743570":     601743570 * time.Microsecond,
		"0.000001":       time.Microsecond,
		"1.123456789":    1123456789,
		"4294967296.000": 4294967296 * time.Second,
	} {
		if got, err := parseStamp(s); err != nil || got != want {
			t.Errorf("parseStamp(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
}
