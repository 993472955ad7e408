package analyze

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"unsafe"

	"github.com/teardown-net/teardown/internal/prefetch"
)

// key is a 4-tuple in a fixed order, the addresses as two 64-bit halves
// each and the ports in one word: comparing it is five word compares, and
// hashing it a few multiplications, where a map keyed by netip values (or
// by bytes) spent a quarter of the time per packet.
type key struct {
	a0, a1, b0, b1 uint64
	ports          uint32 // the first address's port in the high half
}

// eq is k == o, compared word by word: == on the struct calls memequal.
func (k *key) eq(o *key) bool {
	return k.a1 == o.a1 && k.b1 == o.b1 && k.ports == o.ports && k.a0 == o.a0 && k.b0 == o.b0
}

// setKey sets k to the key of the 4-tuple src, dst.
func setKey(k *key, src, dst netip.AddrPort) {
	a0, a1 := words(src.Addr())
	b0, b1 := words(dst.Addr())
	ports := uint32(src.Port())<<16 | uint32(dst.Port())
	// The addresses in the order bytes.Compare gives, then the ports.
	if a0 > b0 || a0 == b0 && (a1 > b1 || a1 == b1 && ports>>16 > ports&0xffff) {
		a0, a1, b0, b1 = b0, b1, a0, a1
		ports = ports<<16 | ports>>16
	}
	// Field by field: a composite value is built on the stack and copied
	// in 16-byte moves, each of which waited for the two stores before it.
	k.a0, k.a1, k.b0, k.b1, k.ports = a0, a1, b0, b1, ports
}

// words is the address as the two big-endian halves of its 16-byte form,
// an IPv4 address as the IPv4-mapped IPv6 one (As4 is the faster way to
// its bytes).
func words(a netip.Addr) (uint64, uint64) {
	if a.Is4() {
		v := a.As4()
		return 0, 0xffff<<32 | uint64(binary.BigEndian.Uint32(v[:]))
	}
	v := a.As16()
	return binary.BigEndian.Uint64(v[:8]), binary.BigEndian.Uint64(v[8:])
}

// mix folds the 128-bit product of a and b into 64 bits.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// table maps 4-tuples to the connections being followed: open addressing
// with linear probing, at most half full, deletion by shifting the entries
// after back (no tombstones). The hash is seeded at random, so that a
// capture made to collide in one run does not in another.
type table struct {
	slots []slot // a power of two long
	n     int
	seed  uint64
}

// slot holds a connection and its key's hash; c is nil in an empty slot.
type slot struct {
	h uint64
	c *Conn
}

func newTable() table {
	return table{slots: make([]slot, 1024), seed: rand.Uint64()}
}

func (t *table) hash(k *key) uint64 {
	const m1, m2, m3 = 0xa0761d6478bd642f, 0xe7037ed1a0b428db, 0x8ebc6af09c88c6e3
	return mix(mix(k.a0^t.seed, k.a1^m1)^uint64(k.ports), mix(k.b0^m2, k.b1^m3))
}

// get returns the connection of k (whose hash is h), or nil.
func (t *table) get(k *key, h uint64) *Conn {
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.c == nil {
			return nil
		}
		if s.h == h && s.c.k.eq(k) {
			return s.c
		}
	}
}

// prefetch asks for the slot where a search for hash h starts.
func (t *table) prefetch(h uint64) {
	s := &t.slots[h&uint64(len(t.slots)-1)]
	prefetch.Keep(unsafe.Slice((*byte)(unsafe.Pointer(s)), unsafe.Sizeof(*s)))
}

// put adds c, whose key is not in the table, with its key's hash h.
func (t *table) put(c *Conn, h uint64) {
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	t.insert(slot{h, c})
	t.n++
}

func (t *table) insert(s slot) {
	mask := uint64(len(t.slots) - 1)
	i := s.h & mask
	for t.slots[i].c != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = s
}

func (t *table) grow() {
	old := t.slots
	t.slots = make([]slot, 2*len(old))
	for _, s := range old {
		if s.c != nil {
			t.insert(s)
		}
	}
}

// del removes c, which is in the table with hash h.
func (t *table) del(c *Conn, h uint64) {
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for t.slots[i].c != c {
		i = (i + 1) & mask
	}
	// Move back each entry after it that the hole now keeps from its
	// place, until an empty slot.
	for j := (i + 1) & mask; t.slots[j].c != nil; j = (j + 1) & mask {
		if dist := (j - t.slots[j].h) & mask; dist >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = slot{}
	t.n--
}

// each calls f with every connection in the table.
func (t *table) each(f func(*Conn)) {
	for _, s := range t.slots {
		if s.c != nil {
			f(s.c)
		}
	}
}
