package portable

import "github.com/teardown-net/teardown/observe/tcpstate"

// bsdStates maps the BSD TCP states (netinet/tcp_fsm.h, TCPS_*), which
// macOS's TCP_CONNECTION_INFO and FreeBSD's TCP_INFO report, to Linux's
// numbering, in which the lab names states. The file builds everywhere so
// that its test runs on Linux too.
var bsdStates = [...]tcpstate.State{
	0:  tcpstate.Close, // TCPS_CLOSED
	1:  tcpstate.Listen,
	2:  tcpstate.SynSent,
	3:  tcpstate.SynRecv, // TCPS_SYN_RECEIVED
	4:  tcpstate.Established,
	5:  tcpstate.CloseWait,
	6:  tcpstate.FinWait1,
	7:  tcpstate.Closing,
	8:  tcpstate.LastAck,
	9:  tcpstate.FinWait2,
	10: tcpstate.TimeWait,
}

// fromBSD returns the state a BSD kernel numbers n, and false for a
// number it does not define.
func fromBSD(n uint8) (tcpstate.State, bool) {
	if int(n) < len(bsdStates) {
		return bsdStates[n], true
	}
	return 0, false
}
