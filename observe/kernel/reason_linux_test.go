package kernel

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"

	"github.com/teardown-net/teardown/observe/ktrace"
)

// TestReasonNames checks that the names read from tcp_send_reset's format
// file, by position, are the kernel's enum sk_rst_reason values by number:
// reasonName relies on it, and btfReasons gives the same list.
func TestReasonNames(t *testing.T) {
	names, err := ktrace.Reasons()
	if err != nil {
		t.Skip(err)
	}
	k, err := btf.LoadKernelSpec()
	if err != nil {
		t.Skip(err)
	}
	var e *btf.Enum
	if err := k.TypeByName("sk_rst_reason", &e); err != nil {
		t.Fatalf("the format has reasons but BTF has no enum sk_rst_reason: %v", err)
	}
	for _, v := range e.Values {
		want := strings.TrimPrefix(v.Name, "SK_RST_REASON_")
		if got := reasonName(names, uint32(v.Value)); got != want {
			t.Errorf("reason %d: named %q, the enum says %q", v.Value, got, want)
		}
	}
	if b := btfReasons(k); !slices.Equal(b, names) {
		t.Errorf("BTF names the reasons\n%q\nthe format file\n%q", b, names)
	}
	if got := reasonName(names, uint32(len(names))); got != "REASON_"+strconv.Itoa(len(names)) {
		t.Errorf("unknown reason named %q", got)
	}
}
