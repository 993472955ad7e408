package hosts

import "fmt"

// Topology is the shape of a network of hosts.
type Topology int

const (
	// Direct is two hosts, "client" and "server", joined by one link.
	Direct Topology = iota + 1
	// Routed is three hosts, "client", "router" and "server": the client
	// and the server each have a link to the router, which forwards
	// between them.
	Routed
)

// Hosts names the hosts of the topology, in the order Build makes them.
func (t Topology) Hosts() []string {
	switch t {
	case Direct:
		return []string{"client", "server"}
	case Routed:
		return []string{"client", "router", "server"}
	}
	return nil
}

func (t Topology) String() string {
	switch t {
	case Direct:
		return "direct"
	case Routed:
		return "routed"
	}
	return fmt.Sprintf("topology(%d)", int(t))
}
