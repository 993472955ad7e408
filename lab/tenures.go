package lab

import "net/netip"

// tenures follows, across the tables of one run, when each endpoint took
// the addresses it has and when the scenario closed it. A host holds one
// connection per pair of addresses at a time: when a connection made after
// an endpoint was closed holds its addresses (a connect from the port of a
// connection in TIME_WAIT, with SO_REUSEADDR, and the socket accepted for
// it), the kernel has forgotten the closed endpoint's connection, and the
// packets between those addresses are the new connection's.
type tenures struct {
	tick int
	of   map[string]tenure
}

type tenure struct {
	local, remote netip.AddrPort
	// since is the tick at which the endpoint took these addresses,
	// closed the one at which it was first seen closed (0 while open).
	since, closed int
}

// mark records tab at a new tick and sets Gone on each closed endpoint
// whose addresses, or its peer's, an endpoint holds that took them after
// it was closed.
func (h *tenures) mark(tab endpoints) {
	if h.of == nil {
		h.of = map[string]tenure{}
	}
	h.tick++
	for _, e := range tab {
		k, ok := h.of[e.Name]
		if !ok || k.local != e.Local || k.remote != e.Remote {
			k = tenure{local: e.Local, remote: e.Remote, since: h.tick}
		}
		if e.Closed && k.closed == 0 {
			k.closed = h.tick
		}
		h.of[e.Name] = k
	}
	for i, e := range tab {
		closed := h.of[e.Name].closed
		if closed == 0 || !e.Local.IsValid() {
			continue
		}
		for _, o := range tab {
			if o.Name == e.Name || h.of[o.Name].since <= closed || e.Cookie != 0 && o.Cookie == e.Cookie {
				continue
			}
			same := o.Host == e.Host && o.Local == e.Local && o.Remote == e.Remote
			peer := e.Remote.IsValid() && o.Local == e.Remote && o.Remote == e.Local
			if same || peer {
				tab[i].Gone = true
				break
			}
		}
	}
}
