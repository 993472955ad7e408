package wire

import "fmt"

// FragmentsLost is how many fragmented datagrams were given up, whose
// packets are missing from what the Reader returned.
func (s Stats) FragmentsLost() int { return s.FragIncomplete + s.FragEvicted + s.FragInvalid }

// FragmentLine says what became of the IP fragments read, for a summary
// under the record counts; it is empty when there were none.
func (s Stats) FragmentLine() string {
	if s.Fragment == 0 && s.Reassembled == 0 && s.FragSnapped == 0 {
		return ""
	}
	return fmt.Sprintf("fragmented datagrams: %d reassembled, %d incomplete, %d over the limits, %d overlapping or inconsistent; %d fragments cut by the snap length",
		s.Reassembled, s.FragIncomplete, s.FragEvicted, s.FragInvalid, s.FragSnapped)
}
