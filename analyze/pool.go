package analyze

import "slices"

// pool holds the memory of the connections a Tracker follows, allocated in
// chunks and reused once a connection is handed on: the Tracker allocates
// nothing per connection, and the garbage collector has nothing to collect.
// The memory held is that of the most connections followed at once.
type pool struct {
	free []*Conn
}

// poolChunk is how many connections are allocated at a time.
const poolChunk = 64

func (p *pool) get() *Conn {
	if len(p.free) == 0 {
		chunk := make([]Conn, poolChunk)
		for i := range chunk {
			p.free = append(p.free, &chunk[i])
		}
	}
	c := p.free[len(p.free)-1]
	p.free = p.free[:len(p.free)-1]
	return c
}

// put takes back c, which the Tracker no longer uses: it is cleared, but
// keeps the memory of its history for the next connection.
func (p *pool) put(c *Conn) {
	hist, gen := c.z.history[:0], c.gen+1
	*c = Conn{}
	c.z.history, c.gen = hist, gen
	p.free = append(p.free, c)
}

// Clone returns a copy of c that stays valid after the Tracker's done
// function returns, for a caller that keeps connections.
func (c *Conn) Clone() *Conn {
	n := new(Conn)
	*n = *c
	n.z.history = slices.Clone(c.z.history)
	if c.v != nil {
		v := *c.v
		n.v = &v
	}
	o := 0
	if c.z.orig == &c.z.eps[1] {
		o = 1
	}
	n.z.orig, n.z.resp = &n.z.eps[o], &n.z.eps[1-o]
	n.z.eps[0].peer, n.z.eps[1].peer = &n.z.eps[1], &n.z.eps[0]
	return n
}
