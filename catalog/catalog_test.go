package catalog

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEveryScenarioParsesUnderItsPath(t *testing.T) {
	scs, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(scs) < 30 {
		t.Fatalf("only %d built-in scenarios", len(scs))
	}
	ids := IDs()
	for i, sc := range scs {
		if sc.ID != ids[i] {
			t.Errorf("%s declares id %q: a scenario's id is its path", sc.File, sc.ID)
		}
	}
}

// Every seed document is reproduced by at least one scenario, and every
// source a scenario names is a seed.
func TestSeedsAreCovered(t *testing.T) {
	seeds := map[string]bool{
		"000_325bdd3517f7f05a.txt": false, "001_85100a8f6e5c0c67.txt": false, "002_c6fcfc34c2b6fccd.txt": false,
		"003_8fdb2453c9e3390d.txt": false, "004_c1973e0406ec7011.txt": false,
	}
	scs, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scs {
		for _, src := range sc.Source {
			if _, ok := seeds[src.Document]; !ok {
				t.Errorf("%s names an unknown source %q", sc.ID, src.Document)
			}
			seeds[src.Document] = true
			if src.Part == "" {
				t.Errorf("%s: source %s does not say which part of it", sc.ID, src.Document)
			}
		}
	}
	for s, covered := range seeds {
		if !covered {
			t.Errorf("no scenario reproduces seed %s", s)
		}
	}
}

func TestSelect(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "x.td")
	os.WriteFile(file, []byte("scenario x/y\ntitle \"t\"\non tcp4\nclient close -> ok\n"), 0o644)
	for _, tc := range []struct {
		args    []string
		ids     []string
		errLike string
	}{
		{args: []string{"close-unread/read"}, ids: []string{"close-unread/read"}},
		{args: []string{"close-unread/*"}, ids: []string{"close-unread/partial-read", "close-unread/read", "close-unread/write"}},
		{args: []string{"linger/zero", "linger/*"}, ids: []string{"linger/zero", "linger/nonzero", "linger/nonzero-unread"}},
		{args: []string{file}, ids: []string{"x/y"}},
		{args: []string{"close-unread/raed"}, errLike: `did you mean "close-unread/read"`},
		{args: []string{"nothing/*"}, errLike: "matches no built-in scenario"},
		{args: []string{filepath.Join(dir, "missing.td")}, errLike: "missing.td"},
	} {
		scs, err := Select(tc.args)
		if tc.errLike != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errLike) {
				t.Errorf("Select(%q): error %v, want one saying %q", tc.args, err, tc.errLike)
			}
			continue
		}
		if err != nil {
			t.Errorf("Select(%q): %v", tc.args, err)
			continue
		}
		var got []string
		for _, sc := range scs {
			got = append(got, sc.ID)
		}
		if strings.Join(got, " ") != strings.Join(tc.ids, " ") {
			t.Errorf("Select(%q) = %q, want %q", tc.args, got, tc.ids)
		}
	}
	if _, err := Source("no/such"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Source of an unknown id: %v", err)
	}
}
