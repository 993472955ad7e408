package explain

import (
	"slices"
	"testing"
)

func TestSplitHoles(t *testing.T) {
	tests := []struct {
		key   string
		parts []string
		holes string
	}{
		{"timeout of {n}ms exceeded", []string{"timeout of ", "ms exceeded"}, "n"},
		{"connection {n} to {addr} closed", []string{"connection ", " to ", " closed"}, "na"},
		{"{addr} failed to respond", []string{"", " failed to respond"}, "a"},
		{"no holes", []string{"no holes"}, ""},
	}
	for _, tt := range tests {
		parts, holes := splitHoles(tt.key)
		if !slices.Equal(parts, tt.parts) || string(holes) != tt.holes {
			t.Errorf("splitHoles(%q) = %q, %q; want %q, %q", tt.key, parts, holes, tt.parts, tt.holes)
		}
	}
}

// TestHoleMatch checks what each hole takes: a number takes digits; an
// address takes a host, an address and port or a bracketed IPv6 address,
// but never nothing and never a run of words.
func TestHoleMatch(t *testing.T) {
	key := "connection {n} to {addr} closed"
	p := phrase{key: key}
	p.parts, p.holes = splitHoles(key)
	for in, want := range map[string]bool{
		"connection 1 to db-1.example:27017 closed":   true,
		"connection 12 to 198.18.0.9:27017 closed":    true,
		"connection 3 to [2001:db8::9]:27017 closed":  true,
		"connection 4 to fe80::1%eth0 closed":         true,
		"connection 5 to  closed":                     false,
		"connection x to 198.18.0.9:27017 closed":     false,
		"connection 6 to the primary was then closed": false,
	} {
		j, ok, _ := p.matchAt(in, 0, len(in), true)
		if ok != want || ok && j != len(in) {
			t.Errorf("%q: match %v up to %d, want %v up to %d", in, ok, j, want, len(in))
		}
	}
}

// TestHoleGivesBack checks that a hole followed in the text by one of its
// own bytes (a colon after an address, a digit after a number) leaves that
// byte to the text, and still never takes nothing.
func TestHoleGivesBack(t *testing.T) {
	for _, tt := range []struct {
		key, in string
		want    bool
	}{
		{"unavailable: ipv4:{addr}: socket closed", "unavailable: ipv4:127.0.0.1:7890: socket closed", true},
		{"unavailable: ipv6:{addr}: socket closed", "unavailable: ipv6:[::1]:50051: socket closed", true},
		{"unavailable: ipv4:{addr}: socket closed", "unavailable: ipv4:: socket closed", false},
		// An address hole wants an address or a domain: a word alone
		// names who closed, not where.
		{"connection closed by {addr}", "connection closed by db-1.example:5432", true},
		{"connection closed by {addr}", "connection closed by 198.18.0.9", true},
		{"connection closed by {addr}", "connection closed by [2001:db8::1]:22", true},
		{"connection closed by {addr}", "connection closed by application", false},
		{"connection closed by {addr}", "connection closed by user", false},
		{"code {n}0 refused", "code 4210 refused", true},
		{"code {n}0 refused", "code 0 refused", false},
	} {
		p := phrase{key: tt.key}
		p.parts, p.holes = splitHoles(tt.key)
		j, ok, _ := p.matchAt(tt.in, 0, len(tt.in), true)
		if ok != tt.want || ok && j != len(tt.in) {
			t.Errorf("%q in %q: match %v up to %d, want %v up to %d", tt.key, tt.in, ok, j, tt.want, len(tt.in))
		}
	}
}
