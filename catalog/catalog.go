// Package catalog holds teardown's built-in scenarios: the claims of the
// seed documents and their neighbouring cases, as .td files embedded in
// the binary. A scenario's id is its path under scenarios/ without ".td".
package catalog

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/teardown-net/teardown/scenario"
)

//go:embed scenarios
var files embed.FS

const root = "scenarios"

// IDs lists the ids of the built-in scenarios, sorted.
func IDs() []string {
	var ids []string
	fs.WalkDir(files, root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".td") {
			ids = append(ids, strings.TrimSuffix(strings.TrimPrefix(p, root+"/"), ".td"))
		}
		return nil
	})
	slices.Sort(ids)
	return ids
}

// ErrNotFound is returned for an id that is not built in.
var ErrNotFound = errors.New("no such built-in scenario")

// Source returns the text of a built-in scenario. For an unknown id the
// error wraps ErrNotFound and names the nearest id, if one is close.
func Source(id string) ([]byte, error) {
	b, err := files.ReadFile(root + "/" + id + ".td")
	if err != nil {
		if near := scenario.Suggest(id, IDs()); near != "" {
			return nil, fmt.Errorf("%s: %w (did you mean %q?)", scenario.Quote(id), ErrNotFound, near)
		}
		return nil, fmt.Errorf("%s: %w", scenario.Quote(id), ErrNotFound)
	}
	return b, nil
}

// Get parses one built-in scenario.
func Get(id string) (*scenario.Scenario, error) {
	b, err := Source(id)
	if err != nil {
		return nil, err
	}
	return scenario.Parse(builtinFile(id), b)
}

// Load parses every built-in scenario.
func Load() ([]*scenario.Scenario, error) {
	var scs []*scenario.Scenario
	for _, id := range IDs() {
		sc, err := Get(id)
		if err != nil {
			return nil, err
		}
		scs = append(scs, sc)
	}
	return scs, nil
}

// Stdin is the argument of Select that reads a scenario from standard
// input.
const Stdin = "-"

// Select resolves what a user names on the command line: built-in ids,
// glob patterns over ids ("close-unread/*"), paths of .td files (read with
// scenario.ReadSource's bounds) and Stdin. No arguments selects the whole
// catalog. Each scenario appears once, in the order named. Two different
// sources declaring the same id are refused, naming both: their runs would
// be merged in one cell of the matrix.
func Select(args []string) ([]*scenario.Scenario, error) {
	if len(args) == 0 {
		return Load()
	}
	s := selection{byID: map[string]*scenario.Scenario{}}
	for _, a := range args {
		switch {
		case a == Stdin:
			if s.stdin {
				return nil, fmt.Errorf("%s (stdin) named twice", Stdin)
			}
			s.stdin = true
			src, err := scenario.ReadSourceFrom("stdin", os.Stdin)
			if err != nil {
				return nil, err
			}
			sc, err := scenario.Parse("stdin", src)
			if err != nil {
				return nil, err
			}
			if err := s.add(sc); err != nil {
				return nil, err
			}
		case strings.HasSuffix(a, ".td"):
			sc, err := scenario.ParseFile(a)
			if err != nil {
				return nil, err
			}
			if err := s.add(sc); err != nil {
				return nil, err
			}
		case strings.ContainsAny(a, "*?["):
			var matched []string
			for _, id := range IDs() {
				if ok, err := path.Match(a, id); err != nil {
					return nil, fmt.Errorf("pattern %s: %w", scenario.Quote(a), err)
				} else if ok {
					matched = append(matched, id)
				}
			}
			if len(matched) == 0 {
				return nil, fmt.Errorf("pattern %s matches no built-in scenario (see \"teardown lab list\")", scenario.Quote(a))
			}
			for _, id := range matched {
				if err := s.addID(id); err != nil {
					return nil, err
				}
			}
		default:
			if err := s.addID(a); err != nil {
				return nil, err
			}
		}
	}
	return s.scs, nil
}

// selection is what Select has gathered so far.
type selection struct {
	scs   []*scenario.Scenario
	byID  map[string]*scenario.Scenario
	stdin bool
}

func (s *selection) addID(id string) error {
	if prev, ok := s.byID[id]; ok && prev.File == builtinFile(id) {
		return nil
	}
	sc, err := Get(id)
	if err != nil {
		return err
	}
	return s.add(sc)
}

// add appends sc unless the same file gave it already, and refuses a
// second source for one id.
func (s *selection) add(sc *scenario.Scenario) error {
	prev, ok := s.byID[sc.ID]
	switch {
	case !ok:
		s.byID[sc.ID] = sc
		s.scs = append(s.scs, sc)
		return nil
	case sameFile(prev.File, sc.File):
		return nil
	}
	return fmt.Errorf("scenario id %q is declared by both %s and %s; expected one source per id", sc.ID, prev.File, sc.File)
}

func builtinFile(id string) string { return "catalog/" + root + "/" + id + ".td" }

// sameFile reports whether two scenario file names are one file.
func sameFile(a, b string) bool {
	if a == b {
		return true
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}
