package lab

import (
	"net/netip"
	"testing"
)

// A socket's cookie names it before its address is known and after it is
// lost; the address names only what has no cookie of an endpoint.
func TestActorOfSocket(t *testing.T) {
	ap := netip.MustParseAddrPort
	l, a, b := ap("127.0.0.1:20001"), ap("127.0.0.1:40001"), ap("127.0.0.1:40002")
	tab := endpoints{
		{Name: "listener", Local: l, Cookie: 1},
		{Name: "a", Local: a, Remote: l, Cookie: 2},
		{Name: "b", Local: b, Remote: l, Cookie: 3},
		{Name: "sa", Local: l, Remote: a, Cookie: 4},
	}
	noPort := ap("127.0.0.1:0")
	for _, tc := range []struct {
		cookie        uint64
		local, remote netip.AddrPort
		want          string
	}{
		{3, noPort, l, "b"},           // CLOSE -> SYN_SENT: no port yet
		{2, noPort, l, "a"},           // the same, of the other client
		{0, noPort, l, "127.0.0.1:0"}, // no cookie: a or b, so neither
		{4, l, a, "sa"},               // the accepted socket
		{9, l, b, "listener"},         // a child not accepted: the listener's
		{1, l, netip.AddrPort{}, "listener"},
		{3, ap("0.0.0.0:40002"), netip.AddrPort{}, "b"},             // reset, its address lost
		{0, ap("0.0.0.0:40002"), netip.AddrPort{}, "b"},             // the one socket on that port
		{0, ap("0.0.0.0:20001"), netip.AddrPort{}, "0.0.0.0:20001"}, // the listener's or sa's
	} {
		if got := tab.actorOfSocket(tc.cookie, tc.local, tc.remote); got != tc.want {
			t.Errorf("cookie %d, %v > %v: %q, want %q", tc.cookie, tc.local, tc.remote, got, tc.want)
		}
	}
}

// The descriptors of one socket (dup) are one socket: an event that fits
// them by address alone is the first's.
func TestActorOfDup(t *testing.T) {
	ap := netip.MustParseAddrPort
	l, a := ap("127.0.0.1:20001"), ap("127.0.0.1:40001")
	tab := endpoints{
		{Name: "listener", Local: l, Cookie: 1},
		{Name: "a", Local: a, Remote: l, Cookie: 2},
		{Name: "a2", Local: a, Remote: l, Cookie: 2},
	}
	if got := tab.actorOf(ap("127.0.0.1:0"), l); got != "a" {
		t.Errorf("a connecting socket's first event: %q, want a", got)
	}
}
