//go:build darwin || freebsd || linux

package portable

import (
	"slices"
	"testing"

	"github.com/teardown-net/teardown/scenario"
)

// TestNamesAreTheLanguages keeps the portable runner's tables to the
// language's lists: every name it can run is one the parser accepts, under
// the same name, so that a table cannot drift into names no scenario can
// write (the language's lists in scenario/names.go are the one source).
func TestNamesAreTheLanguages(t *testing.T) {
	options := slices.Concat(scenario.Options, scenario.ReadOnlyOptions)
	for name := range sockopts {
		if !slices.Contains(options, name) {
			t.Errorf("socket option %s is not in scenario.Options or scenario.ReadOnlyOptions", name)
		}
	}
	for name := range pollBits {
		if !slices.Contains(scenario.PollRequests, name) {
			t.Errorf("poll request %s is not in scenario.PollRequests", name)
		}
	}
	for name := range pollNames {
		if !slices.Contains(scenario.PollEvents, name) {
			t.Errorf("poll event %s is not in scenario.PollEvents", name)
		}
	}
	for name := range recvFlags {
		if !slices.Contains(scenario.RecvFlags, name) {
			t.Errorf("recv flag %s is not in scenario.RecvFlags", name)
		}
	}
}
