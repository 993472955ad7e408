package ktrace

import (
	"os"
	"strings"
	"testing"
)

func FuzzParseLine(f *testing.F) {
	b, err := os.ReadFile("testdata/lines.txt")
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		ev, ok, err := ParseLine(line)
		if err != nil && ok {
			t.Fatalf("ParseLine returned ok with error %v", err)
		}
		if ok && ev.Name == "" {
			t.Fatalf("event without a name from %q", line)
		}
	})
}

func FuzzParseReasons(f *testing.F) {
	b, err := os.ReadFile("testdata/tcp_send_reset.format")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add("\nprint fmt: \"%s\", __print_symbolic(REC->reason, { 0, \"A\" }, { 0x1, \"B\\\"\" })")
	f.Fuzz(func(t *testing.T, format string) {
		names, err := ParseReasons(format)
		if err == nil && len(names) == 0 {
			t.Fatal("no names and no error")
		}
		for _, n := range names {
			if n == "" {
				t.Fatal("empty reason name")
			}
		}
	})
}
