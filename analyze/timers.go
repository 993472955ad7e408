package analyze

// timers is a min-heap of the times at which connections must be looked at
// again, so that a sweep touches only the connections whose timers may have
// run out instead of every open one. An entry whose time is not its
// connection's sched, whose connection is over, or whose connection has
// been reused for another since, is stale and skipped.
type timers []timer

type timer struct {
	at  int64
	c   *Conn
	gen uint32 // c.gen when it was scheduled: c may have been reused since
}

// schedule makes sure c is looked at by time at: it adds an entry only when
// at is earlier than the one c already has.
func (h *timers) schedule(c *Conn, at int64) {
	if c.sched != 0 && c.sched <= at {
		return
	}
	c.sched = at
	h.push(timer{at, c, c.gen})
}

func (h *timers) push(x timer) {
	*h = append(*h, x)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].at <= s[i].at {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

// pop removes and returns the earliest entry; the heap must not be empty.
func (h *timers) pop() timer {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s[n] = timer{}
	s = s[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && s[r].at < s[l].at {
			m = r
		}
		if s[i].at <= s[m].at {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
