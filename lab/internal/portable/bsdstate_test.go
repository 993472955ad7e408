package portable

import (
	"testing"

	"github.com/teardown-net/teardown/observe/tcpstate"
)

func TestFromBSD(t *testing.T) {
	for _, tc := range []struct {
		n    uint8
		want string
		ok   bool
	}{
		{0, "CLOSE", true}, {1, "LISTEN", true}, {2, "SYN_SENT", true}, {3, "SYN_RECV", true},
		{4, "ESTABLISHED", true}, {5, "CLOSE_WAIT", true}, {6, "FIN_WAIT1", true},
		{7, "CLOSING", true}, {8, "LAST_ACK", true}, {9, "FIN_WAIT2", true},
		{10, "TIME_WAIT", true}, {11, "", false},
	} {
		s, ok := fromBSD(tc.n)
		if ok != tc.ok || ok && s.String() != tc.want {
			t.Errorf("fromBSD(%d) = %v, %v; want %s, %v", tc.n, s, ok, tc.want, tc.ok)
		}
		if ok {
			if _, err := tcpstate.ParseState(s.String()); err != nil {
				t.Errorf("fromBSD(%d) = %v, which the lab cannot name: %v", tc.n, s, err)
			}
		}
	}
}
