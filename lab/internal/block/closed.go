package block

import "math"

// closedFD is a descriptor number past any the kernel hands out (Linux's
// fs.nr_open, the bound of every process's table, is at most 2147483584;
// the BSDs' tables are smaller still), so poll(2) reports it POLLNVAL.
const closedFD = math.MaxInt32

// PollFD is the descriptor to give poll(2) for an actor whose descriptor
// is fd, -1 once the actor has closed it. poll skips a negative
// descriptor (a timeout with nothing to report), where a program polling
// the number it closed is told POLLNVAL at once; no open descriptor can
// have closedFD, so polling it is told the same.
func PollFD(fd int) int32 {
	if fd < 0 {
		return closedFD
	}
	return int32(fd)
}
