package kernel

import "strconv"

// reasonName returns the kernel's name for RST reason v, from names as
// ktrace.Reasons reads them (the enum's values are its positions), or
// "REASON_v" when the names are unknown.
func reasonName(names []string, v uint32) string {
	if int(v) < len(names) {
		return names[v]
	}
	return "REASON_" + strconv.FormatUint(uint64(v), 10)
}
