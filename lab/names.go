package lab

import (
	"github.com/teardown-net/teardown/lab/hosts"
	"github.com/teardown-net/teardown/lab/sock"
	"github.com/teardown-net/teardown/scenario"
)

// The language names what the runner builds; these tables turn its names
// into the runner's own types, so that lab/sock and lab/hosts never see the
// syntax tree. TestNames checks that every name the parser accepts is here.
var (
	kinds = map[scenario.Transport]sock.Kind{
		scenario.TCP4:       sock.TCP4,
		scenario.TCP6:       sock.TCP6,
		scenario.Unix:       sock.Unix,
		scenario.UnixPacket: sock.UnixPacket,
		scenario.Socketpair: sock.Socketpair,
		scenario.Pipe:       sock.Pipe,
	}
	// families are the IP families "socket tcp4|tcp6" asks for; "" is
	// the run's own (0).
	families   = map[scenario.Transport]sock.Kind{scenario.TCP4: sock.TCP4, scenario.TCP6: sock.TCP6}
	topologies = map[scenario.Net]hosts.Topology{
		scenario.NetDirect: hosts.Direct,
		scenario.NetRouted: hosts.Routed,
	}
)
