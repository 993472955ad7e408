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

// TestSelectDuplicateIDs checks that two sources of one id are refused,
// naming both, and that naming one source twice is not a duplicate.
func TestSelectDuplicateIDs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, id string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("scenario "+id+"\ntitle \"t\"\non tcp4\nclient close -> ok\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := write("a.td", "dup/x"), write("b.td", "dup/x")
	shadow := write("shadow.td", "close-unread/read")
	link := filepath.Join(dir, "link.td")
	if err := os.Symlink(a, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args    []string
		errLike []string // every one in the error; none: no error
	}{
		{args: []string{a, b}, errLike: []string{`"dup/x"`, a, b}},
		{args: []string{shadow, "close-unread/*"}, errLike: []string{`"close-unread/read"`, shadow, "catalog/scenarios/close-unread/read.td"}},
		{args: []string{"close-unread/*", shadow}, errLike: []string{shadow, "catalog/scenarios/close-unread/read.td"}},
		{args: []string{a, a}},
		{args: []string{a, link}},
		{args: []string{"close-unread/read", "close-unread/*"}},
	} {
		scs, err := Select(tc.args)
		if len(tc.errLike) == 0 {
			if err != nil {
				t.Errorf("Select(%q): %v", tc.args, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("Select(%q) = %d scenarios, want an error naming both sources", tc.args, len(scs))
			continue
		}
		for _, w := range tc.errLike {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Select(%q): %v; want it to say %s", tc.args, err, w)
			}
		}
	}
}

// TestSourceCutsLongID checks that an unknown id of any length is quoted
// cut in the error.
func TestSourceCutsLongID(t *testing.T) {
	id := strings.Repeat("a", 10<<20)
	_, err := Source(id)
	if !errors.Is(err, ErrNotFound) || len(err.Error()) > 200 {
		t.Errorf("Source of a 10 MiB id: %d bytes of error, want under 200: %.300s", len(err.Error()), err)
	}
}
