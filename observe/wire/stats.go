package wire

import "fmt"

// RecordLine counts the records read by what they held, for a summary:
//
//	records: 12 (TCP 10, ICMP errors 1, other 1, fragments 0, damaged 0)
//
// Segments whose TCP header was cut (KindTCPCut) are shown after TCP when
// there were any.
func (s Stats) RecordLine() string {
	cut := ""
	if s.TCPCut > 0 {
		cut = fmt.Sprintf(", TCP header cut %d", s.TCPCut)
	}
	return fmt.Sprintf("records: %d (TCP %d%s, ICMP errors %d, other %d, fragments %d, damaged %d)",
		s.Records, s.TCP, cut, s.ICMP, s.Other, s.Fragment, s.Damaged)
}
