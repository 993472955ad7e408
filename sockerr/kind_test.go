package sockerr

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestKindNames(t *testing.T) {
	want := []string{
		"peer-closed", "reset", "broken-pipe", "refused", "aborted", "timed-out", "unreachable",
		"local-closed", "deadline", "would-block", "interrupted", "canceled", "other",
	}
	kinds := Kinds()
	if len(kinds) != len(want) {
		t.Fatalf("Kinds() has %d kinds, want %d", len(kinds), len(want))
	}
	for i, k := range kinds {
		if got := k.String(); got != want[i] {
			t.Errorf("Kinds()[%d].String() = %q, want %q", i, got, want[i])
		}
		p, err := ParseKind(want[i])
		if err != nil || p != k {
			t.Errorf("ParseKind(%q) = %v, %v; want %v", want[i], p, err, k)
		}
	}
	if Kind(0) != Other {
		t.Errorf("the zero Kind is %v, want other", Kind(0))
	}
}

func TestParseKindRejects(t *testing.T) {
	for _, s := range []string{"", "Reset", "RESET", " reset", "peer_closed", "Kind(13)", "ECONNRESET"} {
		k, err := ParseKind(s)
		if err == nil {
			t.Errorf("ParseKind(%q) = %v, want an error", s, k)
			continue
		}
		if !strings.Contains(err.Error(), "peer-closed") {
			t.Errorf("ParseKind(%q) error %q does not list the valid names", s, err)
		}
	}
	if got := Kind(200).String(); got != "Kind(200)" {
		t.Errorf("Kind(200).String() = %q", got)
	}
	if _, err := Kind(200).MarshalText(); err == nil {
		t.Error("Kind(200).MarshalText() succeeded")
	}
}

func TestKindJSON(t *testing.T) {
	type entry struct {
		Kinds []Kind `json:"kinds"`
	}
	in := entry{Kinds: Kinds()}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"broken-pipe"`) {
		t.Errorf("JSON %s does not name kinds", b)
	}
	var out entry
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	for i := range in.Kinds {
		if out.Kinds[i] != in.Kinds[i] {
			t.Errorf("kind %d: %v after a JSON round trip, want %v", i, out.Kinds[i], in.Kinds[i])
		}
	}
	if err := json.Unmarshal([]byte(`{"kinds":["nope"]}`), &out); err == nil {
		t.Error(`unmarshal of kind "nope" succeeded`)
	}
}

func FuzzParseKind(f *testing.F) {
	for _, k := range Kinds() {
		f.Add(k.String())
	}
	f.Add("Kind(3)")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKind(s)
		if err != nil {
			return
		}
		if k.String() != s {
			t.Errorf("ParseKind(%q) = %v, whose String is %q", s, k, k.String())
		}
	})
}
