package lab

import "net/netip"

// endpoint is what observers know of one endpoint of a run. The runner
// hands them a table of copies, so nothing an observer does can change the
// runner's endpoints: what observers learn comes back as observations.
type endpoint struct {
	Name string
	// Host is the host the socket lives on, "" without hosts.
	Host string
	// Local and Remote are the TCP addresses the runner learned from the
	// kernel (getsockname, getpeername, accept) or from the SYN of a
	// connect that failed; they stay after close so that orphans can be
	// followed.
	Local, Remote netip.AddrPort
	// Bound: the lab chose the socket's address (a port of its sequence,
	// when isolated).
	Bound bool
	// PortKept: the kernel keeps the socket's port when its connection
	// ends while it is open (sock.Endpoint.PortKept).
	PortKept bool
	// Open: the run still holds the descriptor. Closed: the scenario
	// closed it (an orphan may follow).
	Open, Closed bool
	// Inode is the inode number of the open socket, by which the kernel's
	// socket dumps name it; 0 once closed.
	Inode uint64
	// Cookie is the socket's cookie (SO_COOKIE), kept after close: the
	// kernel names the socket by it in its events from the socket's
	// creation to the end of its TIME_WAIT. 0 when not known.
	Cookie uint64
	// Gone: the scenario closed the endpoint and a connection made since
	// holds its addresses (tenures.mark), so the kernel has forgotten its
	// connection and the addresses name the new one's sockets.
	Gone bool
}

// endpoints is the table of a run's endpoints at one moment, in the order
// the run made them.
type endpoints []endpoint

// actorOfSocket names the endpoint whose socket has the cookie, and
// otherwise (no cookie, or a socket none of the endpoints has: a request
// socket, one a listener has not handed to accept yet) the endpoint at
// local talking to remote, as actorOf finds it. The cookie comes first
// because addresses are not yet known when a socket's first events fire: a
// connecting socket's CLOSE -> SYN_SENT has no local port, so two sockets
// connecting to one listener are told apart by their cookies alone.
func (t endpoints) actorOfSocket(cookie uint64, local, remote netip.AddrPort) string {
	if cookie != 0 {
		for _, e := range t {
			if e.Cookie == cookie {
				return e.Name
			}
		}
	}
	return t.actorOf(local, remote)
}

// actorOf names the endpoint at local talking to remote: the connected
// socket with both addresses, else the listener (or bound socket) with
// that local address or bound to the wildcard of its port, else the one socket that can be meant where an
// address is missing: a connecting socket whose local address the runner
// does not know (a connect that failed), one whose port the kernel has not
// chosen yet, or a reset socket that has lost its address. Where several
// sockets could be meant, or none, it is the address itself: an event of
// one of two clients connecting to one listener, without its cookie, is
// not credited to the first of them.
func (t endpoints) actorOf(local, remote netip.AddrPort) string {
	for _, e := range t {
		if e.Local == local && e.Remote == remote && !e.Gone {
			return e.Name
		}
	}
	for _, e := range t {
		if e.Local == local && !e.Remote.IsValid() && !e.Gone {
			return e.Name
		}
	}
	// A socket bound to every address of its host (a wildcard listener)
	// has the packets to its port at any of them; one bound to [::] those
	// of IPv4 too, which a dual-stack socket takes unless IPV6_V6ONLY.
	if name, ok := t.only(func(e endpoint) bool {
		w := e.Local.Addr()
		return w.IsUnspecified() && e.Local.Port() == local.Port() && !e.Remote.IsValid() &&
			(w.Is6() || local.Addr().Is4())
	}); ok && local.Port() != 0 {
		return name
	}
	if local.Port() != 0 && !local.Addr().IsUnspecified() {
		if name, ok := t.only(func(e endpoint) bool {
			return !e.Local.IsValid() && e.Remote.IsValid() && e.Remote == remote
		}); ok {
			return name
		}
	}
	var fits func(endpoint) bool
	switch {
	case local.Port() == 0:
		fits = func(e endpoint) bool { return e.Remote == remote && e.Local.Addr() == local.Addr() }
	case local.Addr().IsUnspecified():
		// A socket the kernel has reset reports no address, only its port.
		fits = func(e endpoint) bool { return e.Local.Port() == local.Port() }
	}
	if fits != nil {
		if name, ok := t.only(fits); ok {
			return name
		}
	}
	return local.String()
}

// only names the endpoint that fits when exactly one socket does; the
// endpoints of one socket under several descriptors (dup) are one, the
// first named. ok is false when none fits, and when several sockets do.
func (t endpoints) only(fits func(endpoint) bool) (name string, ok bool) {
	var first endpoint
	for _, e := range t {
		if e.Gone || !fits(e) {
			continue
		}
		switch {
		case !ok:
			first, ok = e, true
		case e.Cookie == 0 || e.Cookie != first.Cookie:
			return "", false
		}
	}
	return first.Name, ok
}
