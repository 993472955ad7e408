package lab_test

import (
	"testing"
	"time"
)

// TestTimersFromTheNamespace checks that what a shortened timer would
// have taken is computed from the run's namespace as the scenario left it,
// not from typed-in defaults: tcp_retries2 8 shortens the namespace's 15
// (924.6s); the user timeout then replaces those 8, 511 x 200ms; the
// tcp_syn_retries step reports the value it replaced, 6 (127s), and its
// own, 2 (7s); raising it again shortens nothing.
func TestTimersFromTheNamespace(t *testing.T) {
	recs := run(t, `scenario t/timers
title "timers"
on tcp4
sysctl net.ipv4.tcp_retries2 8
client setsockopt TCP_USER_TIMEOUT 100 -> ok
sysctl net.ipv4.tcp_syn_retries 2
sysctl net.ipv4.tcp_syn_retries 3
`)
	for _, r := range recs {
		if r.Skip != "" {
			t.Skip(r.Skip)
		}
		if len(r.Timers) != 3 {
			t.Fatalf("%d timers, want 3 (the raise to 3 shortens nothing): %v", len(r.Timers), r.Timers)
		}
		if s := r.Timers[0]; s.Line != 4 || s.Would != 924600*time.Millisecond || s.Default != "net.ipv4.tcp_retries2 15" {
			t.Errorf("retries2: %+v, want line 4, 924.6s, from tcp_retries2 15", s)
		}
		if u := r.Timers[1]; u.Line != 5 || u.Would != 102200*time.Millisecond || u.Default != "net.ipv4.tcp_retries2 8" {
			t.Errorf("user timeout: %+v, want line 5, 102.2s, from tcp_retries2 8", u)
		}
		if s := r.Timers[2]; s.Line != 6 || s.Would != 127*time.Second || s.Default != "net.ipv4.tcp_syn_retries 6" || s.Set != "net.ipv4.tcp_syn_retries 2 (7s)" {
			t.Errorf("syn retries: %+v, want line 6, 127s, from tcp_syn_retries 6, set 2 (7s)", s)
		}
	}
}
