package kernel

import (
	"strings"

	"github.com/cilium/ebpf/btf"
)

// btfReasons returns the names of the kernel's enum sk_rst_reason indexed
// by value, without their SK_RST_REASON_ prefix, as tcp_send_reset prints
// them; nil when the kernel's BTF has no such enum or its values are not
// small and dense enough to index.
func btfReasons(spec *btf.Spec) []string {
	var e *btf.Enum
	if err := spec.TypeByName("sk_rst_reason", &e); err != nil {
		return nil
	}
	var names []string
	for _, v := range e.Values {
		if v.Value >= 1024 {
			return nil
		}
		for uint64(len(names)) <= v.Value {
			names = append(names, "")
		}
		names[v.Value] = strings.TrimPrefix(v.Name, "SK_RST_REASON_")
	}
	for _, n := range names {
		if n == "" {
			return nil
		}
	}
	return names
}
