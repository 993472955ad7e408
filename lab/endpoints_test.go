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
		{3, noPort, l, "b"},   // CLOSE -> SYN_SENT: no port yet
		{2, noPort, l, "a"},   // the same, of the other client
		{0, noPort, l, "a"},   // no cookie: by address, the first that fits
		{4, l, a, "sa"},       // the accepted socket
		{9, l, b, "listener"}, // a child not accepted: the listener's
		{1, l, netip.AddrPort{}, "listener"},
		{3, ap("0.0.0.0:40002"), netip.AddrPort{}, "b"}, // reset, its address lost
	} {
		if got := tab.actorOfSocket(tc.cookie, tc.local, tc.remote); got != tc.want {
			t.Errorf("cookie %d, %v > %v: %q, want %q", tc.cookie, tc.local, tc.remote, got, tc.want)
		}
	}
}
