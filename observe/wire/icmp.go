package wire

import "fmt"

// Name is the error as people call it: "host unreachable", "port
// unreachable", "packet too big", or its type and code where it has no
// common name.
func (ic *ICMP) Name() string {
	if ic.V6 {
		switch ic.Type {
		case 1:
			return fmt.Sprintf("destination unreachable (code %d)", ic.Code)
		case 2:
			return "packet too big"
		case 3:
			return "time exceeded"
		}
		return fmt.Sprintf("type %d code %d", ic.Type, ic.Code)
	}
	switch ic.Type {
	case 3:
		names := map[uint8]string{0: "net unreachable", 1: "host unreachable", 3: "port unreachable", 4: "fragmentation needed", 9: "net prohibited", 10: "host prohibited", 13: "communication prohibited"}
		if n, ok := names[ic.Code]; ok {
			return n
		}
		return fmt.Sprintf("unreachable (code %d)", ic.Code)
	case 11:
		return "time exceeded"
	}
	return fmt.Sprintf("type %d code %d", ic.Type, ic.Code)
}
