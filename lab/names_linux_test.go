package lab

import (
	"slices"
	"testing"

	"github.com/teardown-net/teardown/lab/hosts"
	"github.com/teardown-net/teardown/lab/sock"
	"github.com/teardown-net/teardown/scenario"
)

// TestNames checks that every name the parser accepts — transports, nets,
// operations, faults, socket options, shutdown directions and poll events
// — is one the runner can carry out, and that the runner has nothing the
// language cannot name.
func TestNames(t *testing.T) {
	for _, tr := range scenario.Transports {
		k, ok := kinds[tr]
		if !ok {
			t.Errorf("transport %s: the runner has no endpoint kind for it", tr)
			continue
		}
		if k.IsTCP() != tr.IsTCP() || k.String() != string(tr) {
			t.Errorf("transport %s runs as %s (TCP %v), the language says TCP %v", tr, k, k.IsTCP(), tr.IsTCP())
		}
	}
	if len(kinds) != len(scenario.Transports) || len(sock.Kinds) != len(scenario.Transports) {
		t.Errorf("the runner knows %d transports and lab/sock %d kinds, the language %d", len(kinds), len(sock.Kinds), len(scenario.Transports))
	}
	for _, n := range []scenario.Net{scenario.NetDirect, scenario.NetRouted} {
		topo, ok := topologies[n]
		if !ok {
			t.Errorf("net %s: the runner cannot build it", n)
			continue
		}
		if !slices.Equal(topo.Hosts(), n.Hosts()) {
			t.Errorf("net %s: the runner builds hosts %v, the language names %v", n, topo.Hosts(), n.Hosts())
		}
	}
	same := func(what string, language []string, runner []string) {
		t.Helper()
		for _, name := range language {
			if !slices.Contains(runner, name) {
				t.Errorf("%s %s: the parser accepts it, the runner cannot carry it out", what, name)
			}
		}
		for _, name := range runner {
			if !slices.Contains(language, name) {
				t.Errorf("%s %s: the runner has it, the language cannot name it", what, name)
			}
		}
	}
	same("operation", scenario.Operations, keys(operations))
	same("fault", scenario.FaultKinds, keys(faults))
	same("unreachable answer", scenario.UnreachAnswers, keys(hosts.Unreaches))
	same("socket option", append(slices.Clone(scenario.Options), scenario.ReadOnlyOptions...), keys(sockopts))
	same("shutdown", scenario.ShutdownHows, keys(shutdownHows))
	same("poll event", scenario.PollRequests, keys(pollBits))
	same("recv flag", scenario.RecvFlags, keys(recvFlags))
	if !slices.Contains(scenario.OSes, OS) {
		t.Errorf("the runner's OS %s is not one the language names (%v)", OS, scenario.OSes)
	}
}

func keys[K ~string, V any](m map[K]V) []string {
	var out []string
	for k := range m {
		out = append(out, string(k))
	}
	return out
}
