package tcpstate

import (
	"strings"
	"testing"
)

func TestStateNames(t *testing.T) {
	tests := []struct {
		s    State
		want string
	}{
		{Established, "ESTABLISHED"}, {SynSent, "SYN_SENT"}, {SynRecv, "SYN_RECV"},
		{FinWait1, "FIN_WAIT1"}, {FinWait2, "FIN_WAIT2"}, {TimeWait, "TIME_WAIT"},
		{Close, "CLOSE"}, {CloseWait, "CLOSE_WAIT"}, {LastAck, "LAST_ACK"},
		{Listen, "LISTEN"}, {Closing, "CLOSING"}, {NewSynRecv, "NEW_SYN_RECV"},
		{0, "State(0)"}, {13, "State(13)"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("State(%d).String() = %q, want %q", uint8(tt.s), got, tt.want)
		}
		if strings.HasPrefix(tt.want, "State(") {
			continue
		}
		for _, name := range []string{tt.want, "TCP_" + tt.want} {
			if s, err := ParseState(name); err != nil || s != tt.s {
				t.Errorf("ParseState(%q) = %v, %v; want %v", name, s, err, tt.s)
			}
		}
	}
	// The numbers are the kernel's (include/net/tcp_states.h).
	if Established != 1 || TimeWait != 6 || Listen != 10 || NewSynRecv != 12 {
		t.Error("state numbers differ from the kernel's")
	}
	for _, bad := range []string{"", "established", "TCP_", "State(3)"} {
		if _, err := ParseState(bad); err == nil || !strings.Contains(err.Error(), "FIN_WAIT2") {
			t.Errorf("ParseState(%q) error %v, want one listing the states", bad, err)
		}
	}
}
